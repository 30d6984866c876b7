# Regenerates version.cc at every build; file(CONFIGURE) leaves it untouched (no rebuild) when
# neither the version nor the git commit changed. Inputs: SOURCE_DIR, INPUT, OUTPUT, PROJECT_VERSION.
execute_process(COMMAND git -C "${SOURCE_DIR}" rev-parse --short=12 HEAD
                OUTPUT_VARIABLE NVDP_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET RESULT_VARIABLE git_result)
if(NOT git_result EQUAL 0)
  set(NVDP_GIT_COMMIT "")
endif()
# Image builds have no .git in their context; they pass the commit in NVDP_REVISION.
if(NOT NVDP_GIT_COMMIT AND DEFINED ENV{NVDP_REVISION})
  set(NVDP_GIT_COMMIT "$ENV{NVDP_REVISION}")
endif()
execute_process(COMMAND git -C "${SOURCE_DIR}" status --porcelain --untracked-files=no
                OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NVDP_GIT_COMMIT AND dirty)
  string(APPEND NVDP_GIT_COMMIT "-dirty")
endif()
file(READ "${INPUT}" template)
file(CONFIGURE OUTPUT "${OUTPUT}" CONTENT "${template}" @ONLY)
