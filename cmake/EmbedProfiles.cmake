# Writes a C++ source that holds every simulator profile as a string, so the simulator library
# is self-contained (it works inside a container that has none of the YAML files).
# Inputs: OUTPUT (file to write), PROFILES (YAML paths separated by "|").
string(REPLACE "|" ";" PROFILES "${PROFILES}")
set(code "// Generated from sim/profiles/*.yaml by cmake/EmbedProfiles.cmake. Do not edit.\n")
string(APPEND code "#include \"profile.h\"\n\nnamespace nvdp::sim {\n\n")
string(APPEND code "const std::map<std::string, std::string>& BuiltinProfiles() {\n")
string(APPEND code "  static const std::map<std::string, std::string> profiles = {\n")
foreach(path IN LISTS PROFILES)
  get_filename_component(name "${path}" NAME_WE)
  file(READ "${path}" text)
  string(APPEND code "      {\"${name}\", R\"nvdpprofile(${text})nvdpprofile\"},\n")
endforeach()
string(APPEND code "  };\n  return profiles;\n}\n\n}  // namespace nvdp::sim\n")
file(CONFIGURE OUTPUT "${OUTPUT}" CONTENT "${code}" @ONLY)
