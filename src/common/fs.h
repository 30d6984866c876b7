// Whole-file reads with a size bound and atomic whole-file writes: every input file the programs
// read (configs, profiles, kubeconfigs, tokens, sysfs and procfs attributes) and every output
// file they write (CDI specs, the feature file, markers) goes through here.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace nvdp {

class FsError : public std::runtime_error {
 public:
  explicit FsError(const std::string& message, int error = 0)
      : std::runtime_error(message), error_(error) {}
  int error_number() const { return error_; }  // the errno behind it, 0 when none

 private:
  int error_;
};
using ReadFileError = FsError;

// The contents of `path`, which must be a regular file (links followed) of at most `max_bytes`.
// Throws FsError("<what> <path>: <problem>"), e.g. "config file /x: is a directory, not a file"
// or "... is 2097152 bytes, more than the limit of 1048576".
std::string ReadBoundedFile(const std::string& path, size_t max_bytes, std::string_view what);

// A small file of the kernel or a tool (sysfs, procfs, a token): its contents (at most 64 KiB),
// or nullopt when it cannot be read.
std::optional<std::string> ReadAttribute(const std::string& path);

// Writes `text` to `path` so that a reader sees the old file or the new one, never a part, also
// across a crash: a temporary file in the same directory (created if missing), written and
// fsynced, renamed over `path`, then the directory fsynced. Throws FsError("cannot write <path>:
// <step>: <reason>").
void WriteFileAtomically(const std::string& path, std::string_view text, unsigned mode = 0644);

}  // namespace nvdp
