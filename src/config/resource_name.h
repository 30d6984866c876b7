// Resource names (spec §2.3): "nvidia.com/" is added when missing, and the result must be a
// valid extended resource name.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace nvdp::config {

inline constexpr std::string_view kResourcePrefix = "nvidia.com/";

// Returns the full name, or nullopt with `error` explaining what is wrong.
std::optional<std::string> NormalizeResourceName(std::string_view name, std::string* error);

// Upstream 0.18's pattern match: `*` matches anything and the pattern is NOT anchored, so it
// matches anywhere in `text` (spec §3.2).
bool PatternMatches(std::string_view pattern, std::string_view text);

}  // namespace nvdp::config
