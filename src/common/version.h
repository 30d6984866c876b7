#pragma once

#include <string>

namespace nvdp {

// e.g. "0.1.0".
const char* Version();
// Git commit the build was made from, or "" when unknown.
const char* GitCommit();
// What --version prints: the version, then "commit: <sha>" when known (as upstream).
std::string VersionText();

}  // namespace nvdp
