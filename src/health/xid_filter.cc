#include "health/xid_filter.h"

#include "common/strings.h"

namespace nvdp::health {

std::map<uint64_t, bool> ParseXidList(std::string_view text, std::vector<std::string>* ignored) {
  std::map<uint64_t, bool> xids;
  for (const std::string& raw : Split(ToLower(text), ',')) {
    std::string_view item = TrimSpace(raw);
    if (item == "all" || item == "xids") return {{0, true}};
    if (item.empty()) continue;
    unsigned long long xid = 0;
    if (!ParseUint64(item, &xid)) {
      if (ignored) ignored->emplace_back(item);
      continue;
    }
    xids[xid] = true;
  }
  return xids;
}

const std::vector<uint64_t>& XidFilter::ApplicationXids() {
  static const std::vector<uint64_t> xids = {13, 31, 43, 45, 68, 109};
  return xids;
}

XidFilter XidFilter::FromSettings(const std::optional<std::string>& disabled,
                                  const std::optional<std::string>& enabled,
                                  std::vector<std::string>* ignored) {
  XidFilter filter;
  filter.disabled_ = ParseXidList(disabled.value_or(""), ignored);
  for (uint64_t xid : ApplicationXids()) filter.disabled_[xid] = true;
  for (const auto& [xid, unused] : ParseXidList(enabled.value_or(""), ignored)) {
    filter.disabled_[xid] = false;
  }
  return filter;
}

bool XidFilter::IsAllDisabled() const {
  auto it = disabled_.find(0);
  return it != disabled_.end() && it->second;
}

bool XidFilter::IsDisabled(uint64_t xid) const {
  auto all = disabled_.find(0);
  if (all != disabled_.end() && !all->second) return false;  // enabled=all wins
  if (auto it = disabled_.find(xid); it != disabled_.end()) return it->second;
  return IsAllDisabled();
}

}  // namespace nvdp::health
