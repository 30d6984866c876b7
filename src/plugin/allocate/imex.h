// IMEX channels (spec §4.9): which of the configured channel IDs exist on the node, as character
// devices /dev/nvidia-caps-imex-channels/channel<ID> under the driver root's /dev or this
// container's.
#pragma once

#include <string>
#include <vector>

#include "resource/resource.h"

namespace nvdp::plugin {

using resource::ResourceError;

// The IDs (as text) of the channels that exist. A missing channel is a ResourceError when
// `required`, else a warning in `warnings` and skipped.
std::vector<std::string> ExistingImexChannels(const std::vector<long long>& ids, bool required,
                                              const std::string& container_driver_root,
                                              std::vector<std::string>* warnings);

}  // namespace nvdp::plugin
