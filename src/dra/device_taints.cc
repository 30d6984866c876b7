#include "dra/device_taints.h"

#include <algorithm>
#include <cctype>
#include <ctime>

namespace nvdp::dra {
namespace {

// A taint value: at most 63 of [A-Za-z0-9-_.], starting and ending alphanumeric.
std::string TaintValue(const std::string& text) {
  std::string value;
  for (char c : text) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    value += ok ? c : '-';
  }
  value = value.substr(0, 63);
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  while (!value.empty() && !alnum(value.back())) value.pop_back();
  value.erase(0, std::find_if(value.begin(), value.end(), alnum) - value.begin());
  return value;
}

std::string XidValue(const std::string& reason) {
  if (reason.starts_with("XID ")) {
    std::string digits;
    for (std::size_t i = 4;
         i < reason.size() && std::isdigit(static_cast<unsigned char>(reason[i])); ++i) {
      digits += reason[i];
    }
    if (!digits.empty()) return digits;
  }
  return TaintValue(reason);
}

std::string Rfc3339(std::chrono::system_clock::time_point when) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(when);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

}  // namespace

std::vector<DeviceTaint> TaintsOf(const Device& device, const HealthMarks& marks) {
  std::map<health::HealthCause, std::string> causes;  // strongest first
  for (const std::string& key : {device.gpu_uuid, device.mig ? device.uuid : std::string()}) {
    auto it = key.empty() ? marks.end() : marks.find(key);
    if (it == marks.end()) continue;
    for (const auto& [cause, mark] : it->second.causes) causes.emplace(cause, mark.reason);
  }
  std::vector<DeviceTaint> taints;
  bool other = false;
  for (const auto& [cause, reason] : causes) {
    if (cause == health::HealthCause::kLost) {
      taints.push_back({kTaintGpuLost, TaintValue(reason.empty() ? "lost" : reason), ""});
    } else if (cause == health::HealthCause::kXid) {
      taints.push_back({kTaintXid, XidValue(reason), ""});
    } else if (!other) {
      other = true;
      taints.push_back({kTaintUnhealthy, std::string(health::HealthCauseName(cause)), ""});
    }
  }
  return taints;
}

bool DeviceTaintTracker::Update(const HealthMarks& marks,
                                std::chrono::system_clock::time_point now) {
  TaintsByDevice next;
  for (const Device& device : devices_) {
    std::vector<DeviceTaint> taints = TaintsOf(device, marks);
    if (taints.empty()) continue;
    auto before = taints_.find(device.name);
    for (DeviceTaint& taint : taints) {
      taint.time_added = Rfc3339(now);
      if (before == taints_.end()) continue;
      for (const DeviceTaint& old : before->second) {
        if (old.key == taint.key) taint.time_added = old.time_added;
      }
    }
    next[device.name] = std::move(taints);
  }
  const bool changed = next != taints_;
  taints_ = std::move(next);
  return changed;
}

}  // namespace nvdp::dra
