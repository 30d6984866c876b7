// A Tegra node's CSV mount spec file (the container toolkit's host-files-for-container.d) as the
// device plugin parses it for its CDI spec. Nothing may throw: bad lines are skipped.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cdi/tegra_csv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  nvdp::cdi::CsvMounts mounts;
  nvdp::cdi::ParseCsvMounts("fuzz.csv", std::string(reinterpret_cast<const char*>(data), size),
                            mounts);
  return 0;
}
