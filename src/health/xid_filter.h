// Which XIDs make a GPU unhealthy, from DP_DISABLE_HEALTHCHECKS / DP_ENABLE_HEALTHCHECKS with
// upstream's rules (spec §6.1), including the hard-coded application-level XIDs that are ignored.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace nvdp::health {

// Parses one env value: "all"/"xids" -> {0: true} (parsing stops there); integers -> {n: true};
// empty items are skipped; anything else is reported in `ignored` and skipped.
std::map<uint64_t, bool> ParseXidList(std::string_view text, std::vector<std::string>* ignored);

class XidFilter {
 public:
  // XIDs caused by applications rather than the GPU: 13, 31, 43, 45, 68, 109.
  static const std::vector<uint64_t>& ApplicationXids();

  static XidFilter FromSettings(const std::optional<std::string>& disabled,
                                const std::optional<std::string>& enabled,
                                std::vector<std::string>* ignored = nullptr);

  bool IsAllDisabled() const;
  bool IsDisabled(uint64_t xid) const;
  const std::map<uint64_t, bool>& entries() const { return disabled_; }

 private:
  std::map<uint64_t, bool> disabled_;  // key 0 stands for "all"
};

}  // namespace nvdp::health
