#include "health/health_monitor.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>

#include "common/backoff.h"
#include "common/log.h"
#include "nvml/error.h"

namespace nvdp::health {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr unsigned kWaitMs = 200;  // upstream waits 5 s; shorter keeps Stop() quick
constexpr unsigned long long kEventMask =
    nvmlEventTypeXidCriticalError | nvmlEventTypeDoubleBitEccError | nvmlEventTypeSingleBitEccError;
constexpr milliseconds kWatchdogTick{100};

// The threads, each with its own in-flight NVML call slot.
enum Slot { kEvents, kProbe, kSlots };
// Every thread: the two with call slots and the watchdog.
enum Thread { kEventThread, kProbeThread, kWatchdogThread, kThreads };

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

struct HealthMonitor::State {
  std::shared_ptr<nvml::Nvml> nvml;
  std::vector<WatchedGpu> gpus;
  std::shared_ptr<HealthRegistry> registry;
  HealthSettings settings;
  std::shared_ptr<HealthMetrics> metrics;

  // Set under `mutex` (Sleep waits under it, so a stop request is never missed), read anywhere.
  std::atomic<bool> stop{false};
  mutable std::mutex mutex;    // guards what follows
  std::condition_variable cv;  // stop requests and finished threads
  bool done[kThreads] = {};
  struct InFlight {
    bool active = false;
    bool overdue = false;
    Clock::time_point start;
    milliseconds allowance{0};
    std::string function;
    std::string key;  // the GPU or MIG device it is about, or ""
  };
  InFlight calls[kSlots];
  std::string nvml_down;  // why NVML counts as down, "" when it answers
  std::map<std::string, nvmlReturn_t> last_probe_error;  // per key, to log changes only

  State(std::shared_ptr<nvml::Nvml> n, std::vector<WatchedGpu> g, std::shared_ptr<HealthRegistry> r,
        HealthSettings s, std::shared_ptr<HealthMetrics> m)
      : nvml(std::move(n)),
        gpus(std::move(g)),
        registry(std::move(r)),
        settings(std::move(s)),
        metrics(std::move(m)) {}

  // Runs `call` with its start recorded for the watchdog.
  template <typename Call>
  auto Tracked(Slot slot, const char* function, const std::string& key, Call&& call,
               milliseconds extra = milliseconds(0)) -> decltype(call()) {
    {
      std::lock_guard lock(mutex);
      calls[slot] = {true, false, Clock::now(), settings.call_deadline + extra, function, key};
    }
    struct End {
      State* state;
      Slot slot;
      ~End() { state->EndCall(slot); }
    } end{this, slot};
    return call();
  }

  void EndCall(Slot slot) {
    std::lock_guard lock(mutex);
    InFlight& call = calls[slot];
    if (call.overdue) {
      LOG_WARNING("NVML call {}{} returned after {:.1f} s", call.function,
                  call.key.empty() ? "" : " for " + call.key, Seconds(Clock::now() - call.start));
    }
    call = {};
    UpdateHungGaugeLocked();
  }

  void UpdateHungGaugeLocked() {
    if (!metrics) return;
    int hung = 0;
    for (const InFlight& call : calls) hung += call.overdue ? 1 : 0;
    metrics->nvml_hung.Set({}, hung);
  }

  void CountError(const std::string& function, nvmlReturn_t code) {
    if (metrics) metrics->nvml_errors.Inc({function, nvml::ReturnCodeName(code)});
  }

  void Mark(const std::string& key, HealthCause cause, const std::string& reason) {
    if (registry->MarkUnhealthy(key, cause, reason) && metrics) {
      metrics->unhealthy.Inc({key, std::string(HealthCauseName(cause))});
    }
  }

  // Sleeps up to `period`; false once a stop was requested.
  bool Sleep(milliseconds period) {
    std::unique_lock lock(mutex);
    cv.wait_for(lock, period, [&] { return stop.load(); });
    return !stop;
  }

  void Finished(Thread thread) {
    {
      std::lock_guard lock(mutex);
      done[thread] = true;
    }
    cv.notify_all();
  }

  // --- events ---------------------------------------------------------------------------------

  void EventThread() {
    bool initialised = false;
    try {
      Tracked(kEvents, "nvmlInit", "", [&] { nvml->Init(); });
      initialised = true;
      if (!nvml->HasEvents()) {
        LOG_WARNING("NVML has no event API; XID health checks are off");
      } else {
        std::optional<nvml::EventSet> events;
        Tracked(kEvents, "nvmlEventSetCreate", "", [&] { events.emplace(*nvml); });
        auto watched = Register(*events);
        WaitLoop(*events, watched);
        Tracked(kEvents, "nvmlEventSetFree", "", [&] { events.reset(); });
      }
    } catch (const std::exception& error) {
      LOG_ERROR("XID health checks are off: {}", error.what());
    }
    if (initialised) nvml->Shutdown();
    Finished(kEventThread);
  }

  std::vector<std::pair<nvmlDevice_t, const WatchedGpu*>> Register(const nvml::EventSet& events) {
    std::vector<std::pair<nvmlDevice_t, const WatchedGpu*>> watched;
    for (const WatchedGpu& gpu : gpus) {
      const char* step = "nvmlDeviceGetHandleByUUID";
      try {
        nvmlDevice_t device =
            Tracked(kEvents, step, gpu.uuid, [&] { return nvml->DeviceByUuid(gpu.uuid); });
        step = "nvmlDeviceGetSupportedEventTypes";
        const unsigned long long supported =
            Tracked(kEvents, step, gpu.uuid, [&] { return nvml->SupportedEventTypes(device); });
        step = "nvmlDeviceRegisterEvents";
        Tracked(kEvents, step, gpu.uuid,
                [&] { nvml->RegisterEvents(device, kEventMask & supported, events); });
        watched.emplace_back(device, &gpu);
      } catch (const nvml::NvmlError& error) {
        CountError(step, error.code());
        if (error.code() == NVML_ERROR_GPU_IS_LOST) {
          LOG_WARNING("Marking {} as unhealthy: the GPU is lost ({})", gpu.uuid, error.what());
          Mark(gpu.uuid, HealthCause::kLost, "GPU is lost");
          continue;
        }
        if (error.code() == NVML_ERROR_NOT_SUPPORTED) {
          // Upstream v0.19 and later: a GPU without events is not broken (v0.18 marked it).
          // The probe still finds it lost or not answering.
          LOG_WARNING("{} is too old to support healthchecking: {} (no XID checks for it)",
                      gpu.uuid, error.what());
          continue;
        }
        LOG_WARNING("Marking {} as unhealthy: cannot watch its events: {}", gpu.uuid, error.what());
        Mark(gpu.uuid, HealthCause::kUnwatchable, error.what());
      }
    }
    return watched;
  }

  void WaitLoop(const nvml::EventSet& events,
                const std::vector<std::pair<nvmlDevice_t, const WatchedGpu*>>& watched) {
    // A failed wait says nothing about a GPU: retried, 100 ms doubling to 5 s.
    Backoff backoff = Backoff::Doubling(milliseconds(100), milliseconds(5000));
    LogThrottle failure_log(50);
    while (!stop) {
      nvmlEventData_t event{};
      nvmlReturn_t ret = Tracked(
          kEvents, "nvmlEventSetWait", "", [&] { return events.Wait(&event, kWaitMs); },
          milliseconds(kWaitMs));
      if (ret == NVML_ERROR_TIMEOUT) continue;
      if (ret != NVML_SUCCESS) {
        // Upstream marks every device unhealthy here (#669); a failed wait says nothing about
        // a particular GPU, so log it and retry. The probe notices if NVML is gone.
        CountError("nvmlEventSetWait", ret);
        const milliseconds delay = backoff.Failed();
        if (failure_log.ShouldLog()) {
          LOG_ERROR("Error waiting for NVML events: {} (failure {}); retrying in {} ms",
                    nvml->ErrorString(ret), backoff.failures(), delay.count());
        }
        Sleep(delay);
        continue;
      }
      if (backoff.failures() > 0) LOG_INFO("Waiting for NVML events works again");
      backoff.Succeeded();
      failure_log.Reset();
      const WatchedGpu* gpu = nullptr;
      for (const auto& [handle, candidate] : watched) {
        if (handle == event.device) gpu = candidate;
      }
      if (gpu == nullptr) {
        LOG_WARNING("NVML event type {:#x} for an unknown device; ignored", event.eventType);
        continue;
      }
      if (event.eventType == nvmlEventTypeSingleBitEccError ||
          event.eventType == nvmlEventTypeDoubleBitEccError) {
        // Registered as upstream does, and like upstream not a health change.
        if (metrics) {
          metrics->ecc_events.Inc({gpu->uuid, event.eventType == nvmlEventTypeSingleBitEccError
                                                  ? "single_bit"
                                                  : "double_bit"});
        }
        continue;
      }
      if (event.eventType == nvmlEventTypeXidCriticalError) HandleXid(*gpu, event);
    }
  }

  void HandleXid(const WatchedGpu& gpu, const nvmlEventData_t& event) {
    const uint64_t xid = event.eventData;
    const bool ignored = settings.filter.IsDisabled(xid);
    if (metrics)
      metrics->xid_events.Inc({gpu.uuid, std::to_string(xid), ignored ? "true" : "false"});
    if (ignored) {
      LOG_INFO("Skipping event Xid={} on {} (disabled or application-caused)", xid, gpu.uuid);
      return;
    }
    const std::string reason = "XID " + std::to_string(xid);
    if (xid == 79) {  // the GPU has fallen off the bus: all of it, for good
      LOG_INFO("XidCriticalError: Xid=79 on Device={}; marking device as unhealthy.", gpu.uuid);
      Mark(gpu.uuid, HealthCause::kLost, reason);
      return;
    }
    const bool attributable = event.gpuInstanceId != NVML_INSTANCE_NOT_ATTRIBUTABLE &&
                              event.computeInstanceId != NVML_INSTANCE_NOT_ATTRIBUTABLE;
    if (attributable && !gpu.migs.empty()) {
      bool matched = false;
      for (const WatchedMig& mig : gpu.migs) {
        if (mig.gpu_instance != event.gpuInstanceId ||
            mig.compute_instance != event.computeInstanceId) {
          continue;
        }
        LOG_INFO("XidCriticalError: Xid={} on Device={}; marking device as unhealthy.", xid,
                 mig.uuid);
        Mark(mig.uuid, HealthCause::kXid, reason);
        matched = true;
      }
      if (!matched) {
        LOG_INFO(
            "Xid={} on {} GPU instance {} compute instance {}: no advertised MIG device "
            "there; ignored",
            xid, gpu.uuid, event.gpuInstanceId, event.computeInstanceId);
      }
      return;
    }
    LOG_INFO("XidCriticalError: Xid={} on Device={}; marking device as unhealthy.", xid, gpu.uuid);
    Mark(gpu.uuid, HealthCause::kXid, reason);
  }

  // --- probe and recovery ---------------------------------------------------------------------

  void ProbeThread() {
    bool initialised = false;
    while (!initialised && !stop) {
      try {
        Tracked(kProbe, "nvmlInit", "", [&] { nvml->Init(); });
        initialised = true;
      } catch (const nvml::NvmlError& error) {
        CountError("nvmlInit", error.code());
        SetNvmlDown(std::string("nvmlInit: ") + error.what());
        Sleep(settings.probe_interval);
      }
    }
    while (initialised && Sleep(settings.probe_interval)) {
      ProbeRound();
      RecoverQuietDevices();
    }
    if (initialised) nvml->Shutdown();
    Finished(kProbeThread);
  }

  // Asks NVML about one GPU or MIG device: its handle, then its memory info.
  nvmlReturn_t Probe(const std::string& key) {
    const char* step = "nvmlDeviceGetHandleByUUID";
    try {
      nvmlDevice_t device = Tracked(kProbe, step, key, [&] { return nvml->DeviceByUuid(key); });
      step = "nvmlDeviceGetMemoryInfo";
      Tracked(kProbe, step, key, [&] { return nvml->MemoryInfo(device); });
    } catch (const nvml::NvmlError& error) {
      CountError(step, error.code());
      std::lock_guard lock(mutex);
      auto& last = last_probe_error[key];
      if (last != error.code()) {
        LOG_WARNING("NVML does not answer for {}: {}", key, error.what());
        last = error.code();
      }
      return error.code();
    }
    std::lock_guard lock(mutex);
    if (auto it = last_probe_error.find(key); it != last_probe_error.end()) {
      if (it->second != NVML_SUCCESS) LOG_INFO("NVML answers for {} again", key);
      it->second = NVML_SUCCESS;
    }
    return NVML_SUCCESS;
  }

  void ProbeRound() {
    size_t failed = 0;  // GPUs NVML does not answer for, lost ones not counted
    nvmlReturn_t last_error = NVML_SUCCESS;
    std::vector<std::string> answering;
    for (const WatchedGpu& gpu : gpus) {
      if (stop) return;
      nvmlReturn_t result = Probe(gpu.uuid);
      if (result == NVML_SUCCESS) {
        answering.push_back(gpu.uuid);
        continue;
      }
      if (result == NVML_ERROR_GPU_IS_LOST) {
        LOG_WARNING("Marking {} as unhealthy: NVML reports the GPU lost", gpu.uuid);
        Mark(gpu.uuid, HealthCause::kLost, "GPU is lost");
        continue;  // one lost GPU says nothing about NVML
      }
      ++failed;
      last_error = result;
    }
    // NVML is down when it answers for no GPU and not every silence is a lost GPU: lost GPUs
    // must not hide an outage of the others.
    if (answering.empty() && failed > 0) {
      const std::string why = "NVML answers for no GPU (" + nvml::ReturnCodeName(last_error) + ")";
      if (SetNvmlDown(why)) LOG_ERROR("{}; marking every GPU unhealthy until it does", why);
      for (const WatchedGpu& gpu : gpus) Mark(gpu.uuid, HealthCause::kNvmlDown, why);
      return;
    }
    if (SetNvmlDown("")) LOG_INFO("NVML answers again");
    const auto marks = registry->Marks();
    for (const std::string& uuid : answering) {
      // Only the outage clears here; an XID or a hung call that came meanwhile stays.
      auto it = marks.find(uuid);
      if (it == marks.end() || !it->second.Has(HealthCause::kNvmlDown)) continue;
      if (registry->Clear(uuid, HealthCause::kNvmlDown)) {
        LOG_INFO("'{}' device marked healthy: NVML answers for it again", uuid);
      } else {
        LOG_INFO("NVML answers for '{}' again; it stays unhealthy: {}", uuid,
                 registry->Reason(uuid));
      }
    }
  }

  // Returns true when the state changed.
  bool SetNvmlDown(const std::string& why) {
    std::lock_guard lock(mutex);
    if (nvml_down.empty() == why.empty()) {
      nvml_down = why;
      return false;
    }
    nvml_down = why;
    return true;
  }

  void RecoverQuietDevices() {
    if (settings.recovery_period.count() <= 0) return;
    const auto now = registry->clock().Now();  // the marks' clock
    for (const auto& [key, mark] : registry->Marks()) {
      std::optional<bool> answers;  // probed at most once per key and round
      for (const auto& [cause, cause_mark] : mark.causes) {
        if (stop) return;
        if (!MayRecover(cause) || now - cause_mark.last_event < settings.recovery_period) continue;
        if (!answers) answers = Probe(key) == NVML_SUCCESS;
        if (!*answers || !registry->Recover(key, cause, cause_mark.last_event)) continue;
        const auto quiet =
            std::chrono::duration_cast<std::chrono::seconds>(now - cause_mark.last_event).count();
        if (registry->IsHealthy(key)) {
          LOG_INFO("'{}' device marked healthy: no health event for {} s and NVML answers for it",
                   key, quiet);
        } else {
          LOG_INFO("'{}': {} cleared after {} quiet s; it stays unhealthy: {}", key,
                   cause_mark.reason, quiet, registry->Reason(key));
        }
        if (metrics) metrics->recovered.Inc({key});
      }
    }
  }

  // --- watchdog -------------------------------------------------------------------------------

  void WatchdogThread() {
    while (Sleep(kWatchdogTick)) CheckDeadlines();
    Finished(kWatchdogThread);
  }

  void CheckDeadlines() {
    std::vector<std::pair<std::string, std::string>> to_mark;  // key, reason
    {
      std::lock_guard lock(mutex);
      const auto now = Clock::now();
      for (InFlight& call : calls) {
        if (!call.active || call.overdue || now - call.start < call.allowance) continue;
        call.overdue = true;
        LOG_ERROR("NVML call {}{} has not returned after {:.1f} s", call.function,
                  call.key.empty() ? "" : " for " + call.key, Seconds(now - call.start));
        if (!call.key.empty()) {
          to_mark.emplace_back(call.key, "NVML call " + call.function + " did not return within " +
                                             fmt::format("{:.1f}", Seconds(call.allowance)) + " s");
        }
      }
      UpdateHungGaugeLocked();
    }
    for (const auto& [key, reason] : to_mark) {
      LOG_WARNING("Marking {} as unhealthy: {}", key, reason);
      Mark(key, HealthCause::kHung, reason);
    }
  }
};

HealthMonitor::HealthMonitor(std::shared_ptr<nvml::Nvml> nvml, std::vector<WatchedGpu> gpus,
                             std::shared_ptr<HealthRegistry> registry, HealthSettings settings,
                             std::shared_ptr<HealthMetrics> metrics)
    : state_(std::make_shared<State>(std::move(nvml), std::move(gpus), std::move(registry),
                                     std::move(settings), std::move(metrics))) {}

HealthMonitor::~HealthMonitor() { Stop(); }

void HealthMonitor::Start() {
  if (state_->settings.filter.IsAllDisabled()) {
    LOG_INFO("Health checks disabled by DP_DISABLE_HEALTHCHECKS; devices stay Healthy");
    return;
  }
  if (!threads_.empty()) return;
  state_->stop = false;
  // Each thread holds the state, so one stuck in NVML can be left behind safely.
  threads_.emplace_back([state = state_] { state->EventThread(); });
  threads_.emplace_back([state = state_] { state->ProbeThread(); });
  threads_.emplace_back([state = state_] { state->WatchdogThread(); });
}

void HealthMonitor::RequestStop() {
  {
    std::lock_guard lock(state_->mutex);
    state_->stop = true;
  }
  state_->cv.notify_all();
}

bool HealthMonitor::Stop(std::chrono::milliseconds grace) {
  RequestStop();
  if (threads_.empty()) return true;
  {
    std::unique_lock lock(state_->mutex);
    state_->cv.wait_for(lock, grace, [&] {
      return std::all_of(std::begin(state_->done), std::end(state_->done),
                         [](bool d) { return d; });
    });
  }
  bool all_joined = true;
  for (size_t i = 0; i < threads_.size(); ++i) {
    bool done;
    {
      std::lock_guard lock(state_->mutex);
      done = state_->done[i];
    }
    if (done) {
      threads_[i].join();
    } else {
      LOG_WARNING("A health thread is stuck in an NVML call; leaving it behind");
      threads_[i].detach();
      all_joined = false;
    }
  }
  threads_.clear();
  return all_joined;
}

std::vector<std::string> HealthMonitor::HungCalls() const {
  std::vector<std::string> hung;
  std::lock_guard lock(state_->mutex);
  const auto now = Clock::now();
  for (const State::InFlight& call : state_->calls) {
    if (!call.active || now - call.start < call.allowance) continue;
    hung.push_back(fmt::format("{}{} (running {:.1f} s)", call.function,
                               call.key.empty() ? "" : " for " + call.key,
                               Seconds(now - call.start)));
  }
  return hung;
}

std::string HealthMonitor::NvmlDown() const {
  std::lock_guard lock(state_->mutex);
  return state_->nvml_down;
}

}  // namespace nvdp::health
