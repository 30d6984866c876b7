// A thin C++ face over the loaded NVML library: errors become NvmlError naming the function and
// carrying NVML's own error string, and Init/Shutdown are reference counted (NVML itself counts
// too; this keeps our own balance visible for the health path and tests).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "nvml/error.h"
#include "nvml/library.h"

namespace nvdp::nvml {

class EventSet;

// nvmlDeviceGetGpuFabricInfo's answer (spec §7.6), whichever struct version the driver has.
struct FabricInfo {
  unsigned char cluster_uuid[16] = {};
  unsigned clique_id = 0;
  unsigned state = 0;                  // NVML_GPU_FABRIC_STATE_*
  nvmlReturn_t status = NVML_SUCCESS;  // of the fabric registration
};

class Nvml {
 public:
  explicit Nvml(std::shared_ptr<Library> library);

  const Api& api() const { return library_->api(); }
  const Library& library() const { return *library_; }
  std::string ErrorString(nvmlReturn_t code) const;

  // Throws NvmlError when `code` is not NVML_SUCCESS.
  void Check(nvmlReturn_t code, const char* function) const;

  void Init();      // nvmlInit_v2
  void Shutdown();  // nvmlShutdown, once per successful Init

  std::string DriverVersion() const;
  int CudaDriverVersion() const;  // e.g. 12040
  unsigned DeviceCount() const;
  nvmlDevice_t DeviceByIndex(unsigned index) const;
  nvmlDevice_t DeviceByUuid(const std::string& uuid) const;
  std::string Name(nvmlDevice_t device) const;
  std::string Uuid(nvmlDevice_t device) const;
  unsigned MinorNumber(nvmlDevice_t device) const;
  nvmlPciInfo_t PciInfo(nvmlDevice_t device) const;
  nvmlMemory_t MemoryInfo(nvmlDevice_t device) const;
  std::pair<int, int> ComputeCapability(nvmlDevice_t device) const;
  // nvmlBrandType_t; throws NvmlError (FUNCTION_NOT_FOUND on drivers without it).
  int Brand(nvmlDevice_t device) const;
  // nvmlDeviceSetComputeMode (needs root); throws NvmlError.
  void SetComputeMode(nvmlDevice_t device, int mode) const;

  // Events (the health monitor). HasEvents: the driver exports the event API at all.
  bool HasEvents() const;
  unsigned long long SupportedEventTypes(nvmlDevice_t device) const;
  void RegisterEvents(nvmlDevice_t device, unsigned long long types, const EventSet& set) const;

  // nullopt when the driver or the GPU does not support fabric info; throws NvmlError naming
  // nvmlDeviceGetGpuFabricInfo(V) on other errors.
  std::optional<FabricInfo> GpuFabricInfo(nvmlDevice_t device) const;

 private:
  std::shared_ptr<Library> library_;
  std::mutex mutex_;
  int init_count_ = 0;
};

// Holds one Init for its lifetime.
class Session {
 public:
  explicit Session(Nvml& nvml) : nvml_(nvml) { nvml_.Init(); }
  ~Session() { nvml_.Shutdown(); }
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

 private:
  Nvml& nvml_;
};

// Owns an NVML event set; freed on destruction. Throws NvmlError when it cannot be created.
class EventSet {
 public:
  explicit EventSet(const Nvml& nvml);
  ~EventSet();
  EventSet(const EventSet&) = delete;
  EventSet& operator=(const EventSet&) = delete;

  nvmlEventSet_t get() const { return set_; }
  // nvmlEventSetWait_v2: NVML_SUCCESS with `data` filled, NVML_ERROR_TIMEOUT, or another error.
  nvmlReturn_t Wait(nvmlEventData_t* data, unsigned timeout_ms) const;

 private:
  const Nvml& nvml_;
  nvmlEventSet_t set_ = nullptr;
};

}  // namespace nvdp::nvml
