# Compiler and linker settings shared by every target of the project.

if(NVDP_SANITIZE)
  if(NVDP_STATIC)
    message(STATUS "nvdp: sanitizers requested, linking dynamically (NVDP_STATIC=OFF)")
    set(NVDP_STATIC OFF CACHE BOOL "" FORCE)
  endif()
  add_compile_options(-fsanitize=${NVDP_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${NVDP_SANITIZE})
  if(NVDP_SANITIZE MATCHES "thread" AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    # Asio's handler fences (std::atomic_thread_fence) are invisible to TSan; its queues are
    # mutex-protected, which TSan does see.
    add_compile_options(-Wno-tsan)
  endif()
endif()

if(NVDP_FUZZ)
  # Coverage instrumentation everywhere; only the fuzz targets link libFuzzer's main.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(NVDP_STATIC)
  # Programs carry libstdc++ inside them. glibc stays dynamic: NVML is dlopened, and a -static
  # binary crashes once the driver library starts threads (two copies of glibc in one process).
  # Shared libraries (the NVML simulator) keep the system libstdc++.
  add_link_options($<$<NOT:$<STREQUAL:$<TARGET_PROPERTY:TYPE>,SHARED_LIBRARY>>:-static-libstdc++>
                   $<$<NOT:$<STREQUAL:$<TARGET_PROPERTY:TYPE>,SHARED_LIBRARY>>:-static-libgcc>)
endif()

# Drop unused code and data from the programs: about 0.8 MiB less resident memory.
add_compile_options(-ffunction-sections -fdata-sections)
add_link_options(-Wl,--gc-sections -Wl,-O1)

# Release programs: lld lays out the functions that run while serving (cmake/hot-functions.txt,
# scripts/hot-functions.py) together at the front of the text, so the pages a serving process
# touches hold little else: about 2 MiB less resident memory for the device plugin.
if(NVDP_STATIC AND NOT NVDP_FUZZ)
  find_program(NVDP_LLD ld.lld)
  if(NVDP_LLD)
    set(NVDP_HOT_FUNCTIONS ${CMAKE_CURRENT_LIST_DIR}/hot-functions.txt)
    add_link_options(-fuse-ld=lld LINKER:--symbol-ordering-file=${NVDP_HOT_FUNCTIONS}
                     LINKER:--no-warn-symbol-ordering)
  else()
    message(STATUS "nvdp: ld.lld not found; linking without the hot-function layout")
  endif()
endif()

# Hardening that costs nothing at run time.
add_compile_options(-fstack-protector-strong -fstack-clash-protection -fcf-protection)
if(NOT NVDP_SANITIZE)
  add_compile_definitions($<$<CONFIG:Release,RelWithDebInfo>:_FORTIFY_SOURCE=2>)
endif()
add_link_options(-Wl,-z,relro,-z,now)

# Warnings as errors on project code only (generated protobuf code is exempt).
add_library(nvdp_warnings INTERFACE)
target_compile_options(nvdp_warnings INTERFACE -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor
                                               -Wno-missing-field-initializers)
