// Writing the labels: NFD's feature-file format, replaced atomically (spec §7.8).
#pragma once

#include <string>

#include "gfd/labels.h"

namespace nvdp::gfd {

// "key=value\n" per label, sorted by key.
std::string FeatureFileText(const Labels& labels);

// Writes `text` to a temporary file in `path`'s directory (created if missing), mode 0644, then
// renames it over `path`, so NFD never reads a half-written file. Throws std::runtime_error.
void WriteFileAtomically(const std::string& path, const std::string& text);

}  // namespace nvdp::gfd
