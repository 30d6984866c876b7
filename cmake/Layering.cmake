# The layering of src/ (docs/architecture.md), enforced by the build:
#  - at configure time, every project library may list in target_link_libraries only libraries of
#    lower layers: a dependency that runs upward or sideways stops the configure step;
#  - at build time, `layering_<library>` links the library whole (every object, no section
#    garbage collection) with only what it declares, so code that calls into a module it does not
#    declare fails to link.
set(NVDP_LAYERS
  # 0: foundations, no project dependency
  "nvdp_strings nvdp_fs nvdp_yaml_tree nvdp_tls_policy"
  # 1: process plumbing: flags, logs, metrics, signals, backoff, clock, paths, subprocesses
  "nvdp_common nvdp_nvml_errors"
  # 2: pure models and parsers, and the leaf adapters
  "nvdp_config nvdp_device nvdp_http nvdp_nvml nvdp_kube_config nvdp_kube_https nvdp_kube_api nvdp_mps_control nvdp_sim_profile"
  # 3: models built on models; NVML-backed readers
  "nvdp_resource nvdp_alloc nvdp_cdi nvdp_discovery nvdp_health nvdp_kube"
  # 4: program parts
  "nvdp_plugin_allocate nvdp_gfd_labels nvdp_configmanager nvdp_mps nvdp_dra_model"
  # 5
  "nvdp_plugin_server nvdp_gfd nvdp_dra"
  # 6: the device plugin program
  "nvdp_plugin")

function(nvdp_check_layering)
  set(index 0)
  foreach(layer IN LISTS NVDP_LAYERS)
    string(REPLACE " " ";" members "${layer}")
    foreach(member IN LISTS members)
      set(_layer_of_${member} ${index})
    endforeach()
    math(EXPR index "${index} + 1")
  endforeach()
  foreach(layer IN LISTS NVDP_LAYERS)
    string(REPLACE " " ";" members "${layer}")
    foreach(library IN LISTS members)
      if(NOT TARGET ${library})
        message(FATAL_ERROR "layering: ${library} is listed in NVDP_LAYERS but not defined")
      endif()
      get_target_property(deps ${library} LINK_LIBRARIES)
      if(NOT deps)
        set(deps "")
      endif()
      foreach(dep IN LISTS deps)
        if(NOT dep MATCHES "^nvdp_" OR dep STREQUAL "nvdp_warnings" OR dep MATCHES "^nvdp_(api|dra_api|grpc)$")
          continue()
        endif()
        if(NOT DEFINED _layer_of_${dep})
          message(FATAL_ERROR "layering: ${library} depends on ${dep}, which has no layer")
        endif()
        if(NOT _layer_of_${dep} LESS _layer_of_${library})
          message(FATAL_ERROR "layering: ${library} (layer ${_layer_of_${library}}) may not "
                              "depend on ${dep} (layer ${_layer_of_${dep}})")
        endif()
      endforeach()
      if(NOT NVDP_SANITIZE AND NOT NVDP_FUZZ)
        add_executable(layering_${library} ${PROJECT_SOURCE_DIR}/cmake/layering_main.cc)
        set_target_properties(layering_${library} PROPERTIES
                              RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/layering)
        target_link_libraries(layering_${library} PRIVATE "$<LINK_LIBRARY:WHOLE_ARCHIVE,${library}>")
        target_link_options(layering_${library} PRIVATE -Wl,--no-gc-sections)
      endif()
    endforeach()
  endforeach()
endfunction()
