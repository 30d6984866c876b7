#include "machine.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "common/strings.h"
#include "nvml/error.h"

namespace nvdp::sim {
namespace {

constexpr const char* kDefaultProfile = "dgx-a100";

void Warn(const std::string& message) { std::fprintf(stderr, "nvml-sim: %s\n", message.c_str()); }

// NVML's compute instance profile index for a compute instance of `slices` slices.
unsigned ComputeProfileIndexForSlices(unsigned slices) {
  switch (slices) {
    case 1:
      return 0x0;
    case 2:
      return 0x1;
    case 3:
      return 0x2;
    case 4:
      return 0x3;
    case 7:
      return 0x4;
    case 8:
      return 0x5;
    case 6:
      return 0x6;
  }
  return 0x0;
}

// A stable MIG-<uuid> for a compute instance: FNV-1a of the parent UUID and the ids.
std::string MigUuid(const std::string& parent, unsigned gi, unsigned ci) {
  auto fnv = [](const std::string& text, unsigned long long seed) {
    unsigned long long hash = 1469598103934665603ULL ^ seed;
    for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ULL;
    return hash;
  };
  const std::string key = parent + "/" + std::to_string(gi) + "/" + std::to_string(ci);
  char text[48];
  unsigned long long a = fnv(key, 1), b = fnv(key, 2);
  std::snprintf(text, sizeof(text), "MIG-%08llx-%04llx-%04llx-%04llx-%012llx", a >> 32,
                (a >> 16) & 0xFFFF, a & 0xFFFF, b >> 48, b & 0xFFFFFFFFFFFFULL);
  return text;
}

// Link order for each GPU: direct links first (in profile order), then NVSwitch links spread
// round-robin over the switches, as the remote end NVML reports for NVSwitch systems.
void WireNvLinks(const Profile& profile, std::vector<SimGpu>& gpus) {
  for (const NvLinkPair& pair : profile.nvlinks) {
    for (int i = 0; i < pair.links; ++i) {
      gpus[pair.a].nvlink_remote_bus_ids.push_back(gpus[pair.b].spec.bus_id);
      gpus[pair.b].nvlink_remote_bus_ids.push_back(gpus[pair.a].spec.bus_id);
    }
  }
  if (profile.nvswitch_bus_ids.empty()) return;
  for (SimGpu& gpu : gpus) {
    for (int i = 0; i < profile.nvswitch_links_per_gpu; ++i) {
      gpu.nvlink_remote_bus_ids.push_back(
          profile.nvswitch_bus_ids[static_cast<size_t>(i) % profile.nvswitch_bus_ids.size()]);
    }
  }
}

}  // namespace

Machine& Machine::Instance() {
  static Machine* machine = new Machine();  // never destroyed: NVML calls may outlive statics
  return *machine;
}

std::string Machine::RequestedProfile() {
  const char* requested = std::getenv("NVML_SIM_PROFILE");
  return requested && *requested ? requested : kDefaultProfile;
}

nvmlReturn_t Machine::LoadLocked(const std::string& name) {
  loaded_ = true;
  loaded_name_ = name;
  load_error_ = NVML_SUCCESS;
  gpus_.clear();
  event_sets_.clear();
  failures_.clear();
  delays_ms_.clear();
  try {
    profile_ = LoadProfile(name);
  } catch (const ProfileError& error) {
    Warn(error.what());
    load_error_ = NVML_ERROR_UNKNOWN;
    return load_error_;
  }
  gpus_.resize(profile_.gpus.size());
  for (size_t i = 0; i < gpus_.size(); ++i) {
    gpus_[i].spec = profile_.gpus[i];
    gpus_[i].position = i;
  }
  WireNvLinks(profile_, gpus_);
  BuildMigDevices();
  const char* feed = std::getenv("NVML_SIM_EVENTS");
  feed_path_ = feed && *feed ? feed : "";
  feed_offset_ = 0;
  feed_partial_.clear();
  return NVML_SUCCESS;
}

nvmlReturn_t Machine::Init() {
  bool fresh = false;
  {
    std::lock_guard lock(mutex_);
    // The machine is built at the first Init, and again only when no one holds NVML open and
    // NVML_SIM_PROFILE or NVML_SIM_EVENTS changed (state such as lost GPUs survives
    // Init/Shutdown cycles, as it does on real hardware).
    const std::string name = RequestedProfile();
    const char* feed = std::getenv("NVML_SIM_EVENTS");
    const bool changed = name != loaded_name_ || (feed ? feed : "") != feed_path_;
    if (!loaded_ || (init_count_ == 0 && changed)) {
      fresh = true;
      LoadLocked(name);
    }
    if (load_error_ != NVML_SUCCESS) return load_error_;
    if (profile_.init_error != NVML_SUCCESS) return profile_.init_error;
  }
  PollFaults(fresh);
  std::lock_guard lock(mutex_);
  // `fail nvmlInit <error>` lines make a loaded driver fail (or recover) at run time.
  if (auto it = failures_.find("nvmlInit"); it != failures_.end()) return it->second.code;
  ++init_count_;
  return NVML_SUCCESS;
}

nvmlReturn_t Machine::Shutdown() {
  std::lock_guard lock(mutex_);
  if (init_count_ == 0) return NVML_ERROR_UNINITIALIZED;
  --init_count_;
  return NVML_SUCCESS;
}

Machine::Call::Call(Machine& machine, const char* function, nvmlDevice_t device, Handle handle) {
  machine.PollFaults();
  unsigned delay_ms = 0;
  {
    std::lock_guard lock(machine.mutex_);
    for (const char* key : {function, "*"}) {
      if (auto it = machine.delays_ms_.find(key); it != machine.delays_ms_.end()) {
        delay_ms = std::max(delay_ms, it->second);
      }
    }
  }
  if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));

  lock_ = std::unique_lock(machine.mutex_);
  if (machine.init_count_ == 0) {
    status_ = NVML_ERROR_UNINITIALIZED;
    return;
  }
  if (handle != Handle::kNone) {
    auto* candidate = reinterpret_cast<SimGpu*>(device);
    auto& gpus = machine.gpus_;
    if (!gpus.empty() && candidate >= gpus.data() && candidate < gpus.data() + gpus.size()) {
      gpu_ = candidate;
    } else if (auto mig = machine.mig_devices_.find(device);
               handle == Handle::kGpuOrMig && mig != machine.mig_devices_.end()) {
      mig_ = mig->second;
      gpu_ = mig_->gpu_instance->gpu;
    } else {
      status_ = NVML_ERROR_INVALID_ARGUMENT;
      return;
    }
  }
  for (const char* key : {function, "*"}) {
    auto it = machine.failures_.find(key);
    if (it == machine.failures_.end()) continue;
    if (it->second.gpu_uuid.empty() || (gpu_ && gpu_->spec.uuid == it->second.gpu_uuid)) {
      status_ = it->second.code;
      return;
    }
  }
  if (gpu_ && gpu_->lost) status_ = NVML_ERROR_GPU_IS_LOST;
}

SimGpu* Machine::FindByUuid(const std::string& uuid) {
  for (SimGpu& gpu : gpus_) {
    if (gpu.spec.uuid == uuid) return &gpu;
  }
  return nullptr;
}

SimComputeInstance* Machine::FindMigByUuid(const std::string& uuid) {
  for (const auto& [handle, mig] : mig_devices_) {
    if (mig->uuid == uuid) return mig;
  }
  return nullptr;
}

void Machine::BuildMigDevices() {
  gpu_instances_.clear();
  mig_devices_.clear();
  for (SimGpu& gpu : gpus_) {
    gpu.gpu_instances.clear();
    gpu.mig_devices.clear();
    gpu.gpu_instances.reserve(gpu.spec.mig_devices.size());
    unsigned next_start = 0;
    for (const MigInstanceSpec& spec : gpu.spec.mig_devices) {
      SimGpuInstance& gi = gpu.gpu_instances.emplace_back();
      gi.gpu = &gpu;
      gi.id = static_cast<unsigned>(gpu.gpu_instances.size());  // 1, 2, ...
      gi.profile = FindMigProfile(gpu.spec, spec.profile);
      gi.placement_start = next_start;
      next_start += gi.profile->slices;
      std::vector<unsigned> slices = spec.compute_slices;
      if (slices.empty()) slices.push_back(gi.profile->slices);
      for (unsigned ci_slices : slices) {
        SimComputeInstance& ci = gi.compute_instances.emplace_back();
        ci.id = static_cast<unsigned>(gi.compute_instances.size() - 1);
        ci.slices = ci_slices;
        ci.profile_index = ComputeProfileIndexForSlices(ci_slices);
        ci.uuid = MigUuid(gpu.spec.uuid, gi.id, ci.id);
      }
    }
    for (SimGpuInstance& gi : gpu.gpu_instances) {
      gpu_instances_.insert(&gi);
      for (SimComputeInstance& ci : gi.compute_instances) {
        ci.gpu_instance = &gi;
        ci.slot = static_cast<unsigned>(gpu.mig_devices.size());
        gpu.mig_devices.push_back(&ci);
        mig_devices_[&ci] = &ci;
      }
    }
  }
}

SimGpu* Machine::FindGpu(const std::string& reference) {
  if (SimGpu* gpu = FindByUuid(reference)) return gpu;
  unsigned long long index = 0;
  if (ParseUint64(reference, &index) && index < gpus_.size()) return &gpus_[index];
  return nullptr;
}

SimEventSet* Machine::CreateEventSet() {
  event_sets_.push_back(std::make_unique<SimEventSet>());
  return event_sets_.back().get();
}

bool Machine::IsEventSet(SimEventSet* set) const {
  return std::any_of(event_sets_.begin(), event_sets_.end(),
                     [set](const auto& owned) { return owned.get() == set; });
}

bool Machine::FreeEventSet(SimEventSet* set) {
  auto it = std::find_if(event_sets_.begin(), event_sets_.end(),
                         [set](const auto& owned) { return owned.get() == set; });
  if (it == event_sets_.end()) return false;
  event_sets_.erase(it);
  return true;
}

void Machine::DeliverEvent(SimGpu* gpu, unsigned long long type, unsigned long long data,
                           unsigned gpu_instance, unsigned compute_instance) {
  for (auto& set : event_sets_) {
    auto it = set->masks.find(gpu);
    if (it == set->masks.end() || (it->second & type) == 0) continue;
    nvmlEventData_t event{};
    event.device = reinterpret_cast<nvmlDevice_t>(gpu);
    event.eventType = type;
    event.eventData = data;
    event.gpuInstanceId = gpu_instance;
    event.computeInstanceId = compute_instance;
    set->queue.push_back(event);
  }
}

nvmlReturn_t Machine::WaitEvent(SimEventSet* set, nvmlEventData_t* data, unsigned timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    {
      Call call(*this, "nvmlEventSetWait", nullptr, Handle::kNone);
      if (call.status() != NVML_SUCCESS) return call.status();
      if (!IsEventSet(set)) return NVML_ERROR_INVALID_ARGUMENT;
      if (!set->queue.empty()) {
        *data = set->queue.front();
        set->queue.pop_front();
        return NVML_SUCCESS;
      }
    }
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return NVML_ERROR_TIMEOUT;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(5), deadline - now));
  }
}

void Machine::PollFaults(bool replay) {
  std::lock_guard lock(mutex_);
  if (feed_path_.empty()) return;
  struct stat info {};
  if (stat(feed_path_.c_str(), &info) != 0) return;   // not created yet
  if (info.st_size < feed_offset_) feed_offset_ = 0;  // truncated: start over
  if (info.st_size == feed_offset_) return;
  std::ifstream file(feed_path_, std::ios::binary);
  file.seekg(feed_offset_);
  std::string chunk(static_cast<size_t>(info.st_size - feed_offset_), '\0');
  file.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
  chunk.resize(static_cast<size_t>(file.gcount()));
  feed_offset_ += static_cast<long long>(chunk.size());
  feed_partial_ += chunk;

  size_t newline;
  while ((newline = feed_partial_.find('\n')) != std::string::npos) {
    std::string line = feed_partial_.substr(0, newline);
    feed_partial_.erase(0, newline + 1);
    ApplyFaultLine(line, replay);
  }
}

void Machine::ApplyFaultLine(const std::string& raw, bool replay) {
  std::string line(TrimSpace(raw.substr(0, raw.find('#'))));
  if (line.empty()) return;
  std::istringstream words(line);
  std::string verb, target;
  words >> verb >> target;
  auto bad = [&](const std::string& why) { Warn("ignoring fault line \"" + line + "\": " + why); };

  if (verb == "delay" || verb == "fail") {
    if (target.empty()) return bad("missing NVML function name (or *)");
    if (verb == "delay") {
      unsigned ms = 0;
      if (!(words >> ms)) return bad("expected: delay <function|*> <milliseconds>");
      if (ms == 0)
        delays_ms_.erase(target);
      else
        delays_ms_[target] = ms;
      return;
    }
    std::string code_text, gpu_ref;
    words >> code_text >> gpu_ref;
    auto code = nvml::ParseReturnCode(code_text);
    if (!code) return bad("expected: fail <function|*> <NVML error name> [gpu]");
    InjectedFailure failure{*code, ""};
    if (!gpu_ref.empty()) {
      SimGpu* gpu = FindGpu(gpu_ref);
      if (!gpu) return bad("no GPU " + gpu_ref);
      failure.gpu_uuid = gpu->spec.uuid;
    }
    if (*code == NVML_SUCCESS)
      failures_.erase(target);
    else
      failures_[target] = failure;
    return;
  }

  SimGpu* gpu = FindGpu(target);
  if (gpu == nullptr) return bad("no GPU \"" + target + "\" (use a UUID or an index)");
  if (verb == "lost") {
    gpu->lost = true;
    if (!replay)
      DeliverEvent(gpu, nvmlEventTypeXidCriticalError, 79, NVML_INSTANCE_NOT_ATTRIBUTABLE,
                   NVML_INSTANCE_NOT_ATTRIBUTABLE);
  } else if (verb == "reset") {
    gpu->lost = false;
  } else if (verb == "xid") {
    unsigned long long code = 0;
    unsigned gi = NVML_INSTANCE_NOT_ATTRIBUTABLE, ci = NVML_INSTANCE_NOT_ATTRIBUTABLE;
    if (!(words >> code)) return bad("expected: xid <gpu> <code> [<gi> <ci>]");
    if (words >> gi) {
      if (!(words >> ci)) return bad("expected both a GPU instance and a compute instance id");
    }
    if (!replay) DeliverEvent(gpu, nvmlEventTypeXidCriticalError, code, gi, ci);
  } else if (verb == "ecc-single" || verb == "ecc-double") {
    auto type =
        verb == "ecc-single" ? nvmlEventTypeSingleBitEccError : nvmlEventTypeDoubleBitEccError;
    if (!replay)
      DeliverEvent(gpu, type, 0, NVML_INSTANCE_NOT_ATTRIBUTABLE, NVML_INSTANCE_NOT_ATTRIBUTABLE);
  } else {
    bad("unknown verb \"" + verb + "\" (xid, ecc-single, ecc-double, lost, reset, delay, fail)");
  }
}

}  // namespace nvdp::sim
