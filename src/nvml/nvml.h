// A thin C++ face over the loaded NVML library: errors become NvmlError naming the function and
// carrying NVML's own error string, and Init/Shutdown are reference counted (NVML itself counts
// too; this keeps our own balance visible for the health path and tests).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "nvml/error.h"
#include "nvml/library.h"

namespace nvdp::nvml {

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

 private:
  const Nvml& nvml_;
  nvmlEventSet_t set_ = nullptr;
};

}  // namespace nvdp::nvml
