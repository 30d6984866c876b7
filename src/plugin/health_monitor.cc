#include "plugin/health_monitor.h"

#include <algorithm>
#include <chrono>

#include "common/log.h"

namespace nvdp::plugin {
namespace {

constexpr unsigned kWaitMs = 200;  // upstream waits 5 s; shorter keeps Stop() quick
constexpr unsigned long long kEventMask =
    nvmlEventTypeXidCriticalError | nvmlEventTypeDoubleBitEccError | nvmlEventTypeSingleBitEccError;

}  // namespace

HealthMonitor::HealthMonitor(std::shared_ptr<nvml::Nvml> nvml, std::vector<std::string> gpu_uuids,
                             HealthRegistry& registry, XidFilter filter)
    : nvml_(std::move(nvml)),
      gpu_uuids_(std::move(gpu_uuids)),
      registry_(registry),
      filter_(std::move(filter)) {}

HealthMonitor::~HealthMonitor() { Stop(); }

void HealthMonitor::Start() {
  if (filter_.IsAllDisabled()) {
    LOG_INFO("Health checks disabled by DP_DISABLE_HEALTHCHECKS; devices stay Healthy");
    return;
  }
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

void HealthMonitor::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void HealthMonitor::Run() {
  try {
    nvml::Session session(*nvml_);
    const nvml::Api& api = nvml_->api();
    if (!api.EventSetWait || !api.DeviceRegisterEvents || !api.DeviceGetSupportedEventTypes) {
      LOG_WARNING("NVML has no event API; health checks are off");
      return;
    }
    nvml::EventSet events(*nvml_);
    Watch(events.get());
  } catch (const std::exception& error) {
    LOG_ERROR("Health checks are off: {}", error.what());
  }
}

void HealthMonitor::Watch(nvmlEventSet_t events) {
  const nvml::Api& api = nvml_->api();
  watched_.clear();
  for (const std::string& uuid : gpu_uuids_) {
    try {
      nvmlDevice_t device = nvml_->DeviceByUuid(uuid);
      unsigned long long supported = 0;
      nvml_->Check(api.DeviceGetSupportedEventTypes(device, &supported),
                   "nvmlDeviceGetSupportedEventTypes");
      nvml_->Check(api.DeviceRegisterEvents(device, kEventMask & supported, events),
                   "nvmlDeviceRegisterEvents");
      watched_.emplace_back(device, uuid);
    } catch (const nvml::NvmlError& error) {
      if (error.code() == NVML_ERROR_NOT_SUPPORTED) {
        LOG_WARNING("{} is too old to support healthchecking.", uuid);
      }
      LOG_WARNING("Marking {} as unhealthy: cannot watch its events: {}", uuid, error.what());
      registry_.MarkUnhealthy(uuid, error.what());
    }
  }

  auto backoff = std::chrono::milliseconds(100);
  while (!stop_) {
    nvmlEventData_t event{};
    nvmlReturn_t ret = api.EventSetWait(events, &event, kWaitMs);
    if (ret == NVML_ERROR_TIMEOUT) continue;
    if (ret != NVML_SUCCESS) {
      // Upstream marks every device unhealthy here (#669); a failed wait says nothing about
      // any particular GPU, so log it and retry with backoff.
      LOG_ERROR("Error waiting for NVML events: {}; retrying in {} ms", nvml_->ErrorString(ret),
                backoff.count());
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(5000));
      continue;
    }
    backoff = std::chrono::milliseconds(100);
    if (event.eventType != nvmlEventTypeXidCriticalError) continue;
    const uint64_t xid = event.eventData;
    if (filter_.IsDisabled(xid)) {
      LOG_INFO("Skipping event Xid={} (disabled or application-caused)", xid);
      continue;
    }
    std::string uuid;
    for (const auto& [handle, watched_uuid] : watched_) {
      if (handle == event.device) uuid = watched_uuid;
    }
    if (uuid.empty()) {
      LOG_WARNING("XidCriticalError: Xid={} on an unknown device; ignored", xid);
      continue;
    }
    LOG_INFO("XidCriticalError: Xid={} on Device={}; marking device as unhealthy.", xid, uuid);
    registry_.MarkUnhealthy(uuid, "XID " + std::to_string(xid));
  }
}

}  // namespace nvdp::plugin
