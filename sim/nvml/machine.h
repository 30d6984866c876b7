// The simulated machine behind the NVML entry points: the profile's GPUs, their run-time state
// (lost, injected failures and delays) and the event sets. Thread-safe; one per process.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "nvml/nvml_abi.h"
#include "profile.h"

namespace nvdp::sim {

struct SimGpu;
struct SimGpuInstance;

// A compute instance: one MIG device (its nvmlDevice_t and nvmlComputeInstance_t handle).
struct SimComputeInstance {
  SimGpuInstance* gpu_instance = nullptr;
  unsigned id = 0;             // within its GPU instance
  unsigned profile_index = 0;  // NVML compute instance profile index
  unsigned slices = 0;
  unsigned slot = 0;  // index for nvmlDeviceGetMigDeviceHandleByIndex
  std::string uuid;   // MIG-...
};

struct SimGpuInstance {
  SimGpu* gpu = nullptr;
  unsigned id = 0;
  const MigProfileSpec* profile = nullptr;
  unsigned placement_start = 0;
  std::vector<SimComputeInstance> compute_instances;
};

struct SimGpu {
  GpuProfile spec;
  size_t position = 0;
  bool lost = false;
  std::vector<std::string> nvlink_remote_bus_ids;  // one per NVLink, in link order
  std::vector<SimGpuInstance> gpu_instances;       // built once; pointers into it stay valid
  std::vector<SimComputeInstance*> mig_devices;    // in slot order
  std::map<std::string, int> compute_modes;        // set through NVML, by GPU or MIG UUID
};

struct SimEventSet {
  std::deque<nvmlEventData_t> queue;
  std::map<const SimGpu*, unsigned long long> masks;
};

// Faults injected through the NVML_SIM_EVENTS file (format in docs/simulator.md).
struct InjectedFailure {
  nvmlReturn_t code = NVML_SUCCESS;
  std::string gpu_uuid;  // empty: every GPU
};

class Machine {
 public:
  static Machine& Instance();

  nvmlReturn_t Init();
  nvmlReturn_t Shutdown();

  // What every entry point does first: reads new fault lines, applies an injected delay (without
  // holding the lock), then takes the lock and checks initialisation, an injected failure, the
  // device handle and lost GPUs. On success *gpu is the device (may be null for system calls).
  enum class Handle { kNone, kGpu, kGpuOrMig };
  class Call {
   public:
    // `handle` says what `device` may be; for kGpuOrMig a MIG device handle sets mig() and
    // gpu() becomes its parent.
    Call(Machine& machine, const char* function, nvmlDevice_t device, Handle handle);
    nvmlReturn_t status() const { return status_; }
    SimGpu* gpu() const { return gpu_; }
    SimComputeInstance* mig() const { return mig_; }

   private:
    std::unique_lock<std::mutex> lock_;
    nvmlReturn_t status_ = NVML_SUCCESS;
    SimGpu* gpu_ = nullptr;
    SimComputeInstance* mig_ = nullptr;
  };

  // Valid while initialised; guarded by the Call lock.
  const Profile& profile() const { return profile_; }
  std::vector<SimGpu>& gpus() { return gpus_; }
  SimGpu* FindByUuid(const std::string& uuid);
  SimComputeInstance* FindMigByUuid(const std::string& uuid);
  bool IsGpuInstance(const void* handle) const { return gpu_instances_.count(handle) > 0; }
  bool IsMigDevice(const void* handle) const { return mig_devices_.count(handle) > 0; }
  SimEventSet* CreateEventSet();
  bool FreeEventSet(SimEventSet* set);
  bool IsEventSet(SimEventSet* set) const;
  // For nvmlEventSetWait: pops one event, or returns NVML_ERROR_TIMEOUT after timeout_ms.
  nvmlReturn_t WaitEvent(SimEventSet* set, nvmlEventData_t* data, unsigned timeout_ms);

 private:
  Machine() = default;
  static std::string RequestedProfile();
  // Builds the machine of profile `name` afresh. Called with mutex_ held.
  nvmlReturn_t LoadLocked(const std::string& name);
  // Reads lines appended to the fault file since the last poll. `replay` is set once, at the
  // first Init: lines already in the file then change state but raise no events (those happened
  // before anyone listened).
  void PollFaults(bool replay = false);
  void ApplyFaultLine(const std::string& line, bool replay);
  SimGpu* FindGpu(const std::string& reference);
  void BuildMigDevices();
  void DeliverEvent(SimGpu* gpu, unsigned long long type, unsigned long long data,
                    unsigned gpu_instance, unsigned compute_instance);

  std::mutex mutex_;
  bool loaded_ = false;
  std::string loaded_name_;
  nvmlReturn_t load_error_ = NVML_SUCCESS;
  int init_count_ = 0;
  Profile profile_;
  std::vector<SimGpu> gpus_;
  std::vector<std::unique_ptr<SimEventSet>> event_sets_;
  std::set<const void*> gpu_instances_;                     // valid nvmlGpuInstance_t handles
  std::map<const void*, SimComputeInstance*> mig_devices_;  // valid MIG device handles
  std::string feed_path_;
  long long feed_offset_ = 0;
  std::string feed_partial_;
  std::map<std::string, InjectedFailure> failures_;  // by NVML function name, "*" = all
  std::map<std::string, unsigned> delays_ms_;        // by NVML function name, "*" = all
};

}  // namespace nvdp::sim
