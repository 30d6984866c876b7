// The NVIDIA container toolkit's CSV mount lists on Tegra (Jetson, IGX) nodes:
// <driver root>/etc/nvidia-container-runtime/host-files-for-container.d/*.csv, one "<kind>, <path>"
// per line, kinds dev (a device node), lib (a library or other file), sym (a symlink) and dir.
// The toolkit's CSV mode, and upstream's CDI specs on Tegra, are built from them.
#pragma once

#include <string>
#include <vector>

namespace nvdp::cdi {

inline constexpr const char* kCsvMountSpecDir =
    "/etc/nvidia-container-runtime/host-files-for-container.d";

struct CsvMounts {
  std::vector<std::string> files;  // read, in name order
  std::vector<std::string> devices, libraries, symlinks, directories;
  // "<file>:<line>: <text>" of each line that is neither a mount spec nor blank or a comment.
  std::vector<std::string> skipped;
};

// Parses one file's text (the toolkit's rules: split at the first comma, trim, known kind, path
// not empty; other lines are skipped). Duplicates are kept once.
void ParseCsvMounts(const std::string& file, const std::string& text, CsvMounts& into);

// Every *.csv (any case) directly in the driver root's mount spec directory, in name order; none
// when the directory is missing. Throws FsError (common/fs.h) for a file that cannot be read or
// is over 1 MiB.
CsvMounts ReadCsvMounts(const std::string& driver_root);

}  // namespace nvdp::cdi
