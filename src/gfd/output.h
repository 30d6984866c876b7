// Writing the labels: NFD's feature-file format, replaced atomically (spec §7.8).
#pragma once

#include <string>

#include "gfd/labels.h"

namespace nvdp::gfd {

// "key=value\n" per label, sorted by key.
std::string FeatureFileText(const Labels& labels);
// The file is written with WriteFileAtomically (common/fs.h): NFD never reads half of it.

}  // namespace nvdp::gfd
