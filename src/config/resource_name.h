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

// How a resource rule's pattern meets a GPU name or MIG profile: `*` matches anything, and
//  - kSubstring (upstream v0.18 and v0.19, spec §3.2): the pattern may match anywhere, so
//    `1g.5gb` also takes `1g.5gb+me` and `2g.10gb` takes `1c.2g.10gb`;
//  - kAnchored (upstream v0.20): the pattern must match the whole text.
enum class PatternMatching { kSubstring, kAnchored };

bool PatternMatches(std::string_view pattern, std::string_view text,
                    PatternMatching matching = PatternMatching::kSubstring);
// "substring" or "anchored".
std::optional<PatternMatching> ParsePatternMatching(std::string_view name);

}  // namespace nvdp::config
