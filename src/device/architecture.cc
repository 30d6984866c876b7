#include "device/architecture.h"

#include <cctype>
#include <iterator>

namespace nvdp::device {

std::string GpuFamily(int major, int minor) {
  switch (major) {
    case 1:
      return "tesla";
    case 2:
      return "fermi";
    case 3:
      return "kepler";
    case 5:
      return "maxwell";
    case 6:
      return "pascal";
    case 7:
      return minor < 5 ? "volta" : "turing";
    case 8:
      return minor < 9 ? "ampere" : "ada-lovelace";
    case 9:
      return "hopper";
    case 10:
    case 12:
      return "blackwell";
    case 13:  // upstream v0.20; v0.18 says undefined
      return "rubin";
    default:
      return "undefined";
  }
}

std::string ArchitectureName(int major, int minor) {
  std::string family = GpuFamily(major, minor);
  if (family == "undefined") return "";
  bool word_start = true;
  for (char& c : family) {
    if (c == '-') {
      c = ' ';
      word_start = true;
    } else if (word_start) {
      c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      word_start = false;
    }
  }
  return family;
}

std::string BrandName(int brand) {
  static constexpr const char* kNames[] = {
      "Unknown",   "Quadro",      "Tesla",     "NVS",        "Grid",      "GeForce",
      "Titan",     "NvidiaVApps", "NvidiaVPC", "NvidiaVCS",  "NvidiaVWS", "NvidiaCloudGaming",
      "QuadroRTX", "NvidiaRTX",   "Nvidia",    "GeForceRTX", "TitanRTX"};
  if (brand < 0 || brand >= static_cast<int>(std::size(kNames))) return "";
  return kNames[brand];
}

}  // namespace nvdp::device
