// Reading a whole input file (config, profile, kubeconfig, token) with a size bound, so that a
// directory, a device or an oversized file is an error naming the path instead of an empty or
// endless read.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace nvdp {

class ReadFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The contents of `path`, which must be a regular file (links followed) of at most `max_bytes`.
// Throws ReadFileError("<what> <path>: <problem>"), e.g. "config file /x: is a directory, not a
// file" or "... is 2097152 bytes, more than the limit of 1048576".
std::string ReadBoundedFile(const std::string& path, size_t max_bytes, std::string_view what);

}  // namespace nvdp
