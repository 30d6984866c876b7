# Third-party libraries, all from Debian 12 packages (scripts/install-deps.sh).
#
# In the default static mode the programs carry gRPC, protobuf, abseil and libyaml inside them
# and need nothing but glibc at run time. Debian's CMake targets for gRPC are shared-only, so the
# static link list comes from pkg-config. The device plugin only speaks over unix sockets, so it
# links grpc++_unsecure (no OpenSSL: half the size and RSS).

# Before gRPC's package config, which looks for OpenSSL too: the first search is cached.
if(NVDP_STATIC)
  set(OPENSSL_USE_STATIC_LIBS TRUE)
endif()
find_package(Threads REQUIRED)
find_package(PkgConfig REQUIRED)
find_package(Protobuf REQUIRED)
find_package(gRPC CONFIG REQUIRED)
find_package(nlohmann_json REQUIRED)

add_library(nvdp_grpc INTERFACE)
if(NVDP_STATIC)
  pkg_check_modules(GRPC_STATIC REQUIRED grpc++_unsecure protobuf)
  set(_libs ${GRPC_STATIC_STATIC_LIBRARIES})
  # Debian's grpc_unsecure.pc omits these, which leaves e.g. ares_strerror undefined.
  list(APPEND _libs address_sorting re2 upb cares z)
  list(REMOVE_DUPLICATES _libs)
  list(REMOVE_ITEM _libs dl pthread rt m atomic)
  list(TRANSFORM _libs PREPEND "-l")
  target_include_directories(nvdp_grpc INTERFACE ${GRPC_STATIC_INCLUDE_DIRS})
  target_link_libraries(nvdp_grpc INTERFACE "-Wl,-Bstatic" "-Wl,--start-group" ${_libs}
                        "-Wl,--end-group" "-Wl,-Bdynamic" Threads::Threads ${CMAKE_DL_LIBS} rt)
else()
  target_link_libraries(nvdp_grpc INTERFACE gRPC::grpc++_unsecure protobuf::libprotobuf
                        Threads::Threads)
endif()

# libyaml (C): YAML for config files and simulator profiles (src/common/yaml_tree.h).
find_library(LIBYAML_ARCHIVE NAMES libyaml.a REQUIRED)
find_path(LIBYAML_INCLUDE_DIR yaml.h REQUIRED)

# Python with Debian's grpcio, for the end-to-end tests and benchmark scripts.
find_program(NVDP_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)

# HTTPS to the Kubernetes API (src/kube): Boost.Beast/Asio are header-only; OpenSSL is linked
# statically in the default mode, so config-manager and gpu-feature-discovery stay glibc-only.
find_package(Boost 1.74 REQUIRED)
find_package(OpenSSL REQUIRED)
