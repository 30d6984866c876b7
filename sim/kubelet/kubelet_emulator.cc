// kubelet-emulator: the kubelet's side of the device plugin API, for tests, demos and debugging.
//
// Serves the Registration service on <dir>/kubelet.sock. For every registered plugin it dials the
// plugin's socket, follows ListAndWatch and prints every device list. Commands read from stdin
// (one per line) call GetPreferredAllocation and Allocate, wait for conditions, or simulate a
// kubelet restart. Output is one line per event or reply: readable text, or JSON with --json.
// See docs/kubelet-emulator.md for the commands.
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "api.grpc.pb.h"

namespace fs = std::filesystem;
using nlohmann::ordered_json;

namespace {

long long MonotonicMs() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000LL + now.tv_nsec / 1000000;
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (!item.empty()) items.push_back(item);
  }
  return items;
}

class Printer {
 public:
  explicit Printer(bool json) : json_(json) {}
  void Print(ordered_json object, const std::string& text) {
    std::lock_guard lock(mutex_);
    if (json_) {
      object["t_ms"] = MonotonicMs();
      std::cout << object.dump() << std::endl;
    } else if (!text.empty()) {
      std::cout << text << std::endl;
    }
  }

 private:
  bool json_;
  std::mutex mutex_;
};

struct Device {
  std::string id;
  std::string health;
  std::vector<long long> numa;
};

// One registered plugin: its connection and the device list it last sent.
struct PluginConnection {
  std::string resource;
  std::string endpoint;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1beta1::DevicePlugin::Stub> stub;
  std::unique_ptr<grpc::ClientContext> stream_context;
  std::thread stream_thread;
  std::vector<Device> devices;
  bool stream_open = false;
  bool preferred_available = false;
};

class Kubelet final : public v1beta1::Registration::Service {
 public:
  Kubelet(fs::path dir, Printer& printer) : dir_(std::move(dir)), printer_(printer) {}
  ~Kubelet() override { StopServer(); }

  void StartServer() {
    const fs::path socket = dir_ / "kubelet.sock";
    fs::remove(socket);
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix://" + socket.string(), grpc::InsecureServerCredentials());
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
    if (!server_) throw std::runtime_error("cannot listen on " + socket.string());
    printer_.Print({{"event", "listening"}, {"socket", socket.string()}},
                   "kubelet: listening on " + socket.string());
  }

  void StopServer() {
    if (server_) {
      server_->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
      server_->Wait();
      server_.reset();
    }
    std::map<std::string, std::unique_ptr<PluginConnection>> plugins;
    {
      std::lock_guard lock(mutex_);
      plugins.swap(plugins_);
    }
    for (auto& [name, plugin] : plugins) Disconnect(*plugin);
  }

  // Deletes every file in the directory (as a starting kubelet does) and serves again.
  void Restart() {
    StopServer();
    for (const auto& entry : fs::directory_iterator(dir_)) fs::remove_all(entry.path());
    printer_.Print({{"event", "restarted"}}, "kubelet: restarted (all sockets deleted)");
    StartServer();
  }

  grpc::Status Register(grpc::ServerContext*, const v1beta1::RegisterRequest* request,
                        v1beta1::Empty*) override {
    if (request->version() != "v1beta1") {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                          "unsupported device plugin API version " + request->version());
    }
    const fs::path socket = dir_ / request->endpoint();
    if (!fs::exists(socket)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no socket at " + socket.string());
    }
    auto plugin = std::make_unique<PluginConnection>();
    plugin->resource = request->resource_name();
    plugin->endpoint = request->endpoint();
    plugin->preferred_available = request->options().get_preferred_allocation_available();
    plugin->channel =
        grpc::CreateChannel("unix://" + socket.string(), grpc::InsecureChannelCredentials());
    plugin->stub = v1beta1::DevicePlugin::NewStub(plugin->channel);
    printer_.Print({{"event", "registered"},
                    {"resource", request->resource_name()},
                    {"endpoint", request->endpoint()},
                    {"version", request->version()},
                    {"options",
                     {{"preStartRequired", request->options().pre_start_required()},
                      {"getPreferredAllocationAvailable", plugin->preferred_available}}}},
                   "registered " + request->resource_name() + " (endpoint " + request->endpoint() +
                       ", preferred allocation " + (plugin->preferred_available ? "yes" : "no") +
                       ")");
    PluginConnection* raw = plugin.get();
    std::unique_ptr<PluginConnection> previous;
    {
      std::lock_guard lock(mutex_);
      previous = std::move(plugins_[plugin->resource]);
      plugins_[plugin->resource] = std::move(plugin);
      ++registrations_[raw->resource];
    }
    if (previous) Disconnect(*previous);
    raw->stream_context = std::make_unique<grpc::ClientContext>();
    raw->stream_thread = std::thread([this, raw] { Follow(*raw); });
    changed_.notify_all();
    return grpc::Status::OK;
  }

  // Follows ListAndWatch until the stream ends.
  void Follow(PluginConnection& plugin) {
    v1beta1::Empty empty;
    auto reader = plugin.stub->ListAndWatch(plugin.stream_context.get(), empty);
    v1beta1::ListAndWatchResponse response;
    {
      std::lock_guard lock(mutex_);
      plugin.stream_open = true;
    }
    while (reader->Read(&response)) {
      std::vector<Device> devices;
      ordered_json list = ordered_json::array();
      int healthy = 0;
      for (const auto& d : response.devices()) {
        Device device{d.id(), d.health(), {}};
        for (const auto& node : d.topology().nodes()) device.numa.push_back(node.id());
        healthy += device.health == "Healthy";
        list.push_back({{"id", device.id}, {"health", device.health}, {"numa", device.numa}});
        devices.push_back(std::move(device));
      }
      std::string text = "devices " + plugin.resource + ": " + std::to_string(healthy) + "/" +
                         std::to_string(devices.size()) + " healthy";
      for (const Device& d : devices) {
        text += "\n  " + d.id + "  " + d.health + "  NUMA " +
                (d.numa.empty() ? std::string("-") : std::to_string(d.numa.front()));
      }
      printer_.Print({{"event", "devices"},
                      {"resource", plugin.resource},
                      {"healthy", healthy},
                      {"total", devices.size()},
                      {"devices", list}},
                     text);
      {
        std::lock_guard lock(mutex_);
        plugin.devices = std::move(devices);
      }
      changed_.notify_all();
    }
    grpc::Status status = reader->Finish();
    {
      std::lock_guard lock(mutex_);
      plugin.stream_open = false;
    }
    printer_.Print({{"event", "stream-closed"},
                    {"resource", plugin.resource},
                    {"status", status.error_message()}},
                   "stream closed for " + plugin.resource);
    changed_.notify_all();
  }

  void Disconnect(PluginConnection& plugin) {
    if (plugin.stream_context) plugin.stream_context->TryCancel();
    if (plugin.stream_thread.joinable()) plugin.stream_thread.join();
  }

  // Waits until `resource` has registered `count` times in total (0: at least once).
  bool WaitRegistered(const std::string& resource, int count, double timeout_s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] {
      auto it = registrations_.find(resource);
      int seen = it == registrations_.end() ? 0 : it->second;
      return count > 0 ? seen >= count : plugins_.count(resource) > 0;
    });
  }

  bool WaitDevices(const std::string& resource, int total, int healthy, double timeout_s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::duration<double>(timeout_s), [&] {
      auto it = plugins_.find(resource);
      if (it == plugins_.end()) return false;
      int ok = 0;
      for (const Device& d : it->second->devices) ok += d.health == "Healthy";
      return static_cast<int>(it->second->devices.size()) == total &&
             (healthy < 0 || ok == healthy);
    });
  }

  int Registrations(const std::string& resource) {
    std::lock_guard lock(mutex_);
    return registrations_[resource];
  }

  // Runs `body` with the plugin's stub and its last device list; false if not registered.
  template <typename Body>
  bool WithPlugin(const std::string& resource, Body&& body) {
    v1beta1::DevicePlugin::Stub* stub = nullptr;
    std::vector<Device> devices;
    bool preferred = false;
    {
      std::lock_guard lock(mutex_);
      auto it = plugins_.find(resource);
      if (it == plugins_.end()) return false;
      stub = it->second->stub.get();
      devices = it->second->devices;
      preferred = it->second->preferred_available;
    }
    body(*stub, devices, preferred);
    return true;
  }

 private:
  fs::path dir_;
  Printer& printer_;
  std::unique_ptr<grpc::Server> server_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::unique_ptr<PluginConnection>> plugins_;
  std::map<std::string, int> registrations_;
};

ordered_json StatusJson(const grpc::Status& status) {
  return {{"ok", status.ok()},
          {"code", static_cast<int>(status.error_code())},
          {"error", status.error_message()}};
}

// Runs one unary call; returns its status and the client-side latency in microseconds.
template <typename Call>
std::pair<grpc::Status, long long> Timed(Call&& call) {
  grpc::ClientContext context;
  auto start = std::chrono::steady_clock::now();
  grpc::Status status = call(&context);
  auto micros = std::chrono::duration_cast<std::chrono::microseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
  return {status, micros};
}

// The reply object every timed call starts from.
ordered_json TimedReply(const char* verb, const grpc::Status& status, long long micros) {
  ordered_json reply = StatusJson(status);
  reply["reply"] = verb;
  reply["latency_us"] = micros;
  return reply;
}

class Commands {
 public:
  Commands(Kubelet& kubelet, Printer& printer) : kubelet_(kubelet), printer_(printer) {}

  // Returns false for "quit".
  bool Run(const std::string& line) {
    std::istringstream words(line);
    std::string verb;
    words >> verb;
    if (verb.empty() || verb[0] == '#') return true;
    std::vector<std::string> args;
    for (std::string word; words >> word;) args.push_back(word);
    if (verb == "quit" || verb == "exit") return false;
    if (verb == "sleep" && args.size() == 1) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::stol(args[0])));
      Reply({{"reply", "sleep"}, {"ok", true}}, "");
    } else if (verb == "wait" && args.size() >= 2 && args[0] == "registered") {
      WaitRegistered(args);
    } else if (verb == "wait" && args.size() >= 3 && args[0] == "devices") {
      WaitDevices(args);
    } else if (verb == "list" && args.size() == 1) {
      List(args[0]);
    } else if (verb == "preferred" && args.size() >= 2) {
      Preferred(args);
    } else if (verb == "ping" && args.size() == 1) {
      Ping(args[0]);
    } else if (verb == "allocate" && args.size() == 2) {
      Allocate(args[0], args[1]);
    } else if (verb == "restart" && args.empty()) {
      kubelet_.Restart();
      Reply({{"reply", "restart"}, {"ok", true}}, "");
    } else {
      Reply({{"reply", verb}, {"ok", false}, {"error", "unknown command: " + line}},
            "error: unknown command: " + line);
    }
    return true;
  }

 private:
  void Reply(ordered_json object, const std::string& text) {
    printer_.Print(std::move(object), text);
  }

  static std::map<std::string, std::string> Options(const std::vector<std::string>& args,
                                                    size_t from) {
    std::map<std::string, std::string> options;
    for (size_t i = from; i < args.size(); ++i) {
      size_t eq = args[i].find('=');
      if (eq != std::string::npos) options[args[i].substr(0, eq)] = args[i].substr(eq + 1);
    }
    return options;
  }

  // wait registered <resource> [count=N] [timeout=S]
  void WaitRegistered(const std::vector<std::string>& args) {
    auto options = Options(args, 2);
    int count = options.count("count") ? std::stoi(options["count"]) : 0;
    double timeout = options.count("timeout") ? std::stod(options["timeout"]) : 10;
    long long start = MonotonicMs();
    bool ok = kubelet_.WaitRegistered(args[1], count, timeout);
    Reply({{"reply", "wait"},
           {"ok", ok},
           {"resource", args[1]},
           {"registrations", kubelet_.Registrations(args[1])},
           {"elapsed_ms", MonotonicMs() - start}},
          ok ? "" : "error: timed out waiting for " + args[1] + " to register");
  }

  // wait devices <resource> <total> [healthy=N] [timeout=S]
  void WaitDevices(const std::vector<std::string>& args) {
    auto options = Options(args, 3);
    int healthy = options.count("healthy") ? std::stoi(options["healthy"]) : -1;
    double timeout = options.count("timeout") ? std::stod(options["timeout"]) : 10;
    long long start = MonotonicMs();
    bool ok = kubelet_.WaitDevices(args[1], std::stoi(args[2]), healthy, timeout);
    Reply({{"reply", "wait"},
           {"ok", ok},
           {"resource", args[1]},
           {"elapsed_ms", MonotonicMs() - start}},
          ok ? "" : "error: timed out waiting for the device list of " + args[1]);
  }

  void List(const std::string& resource) {
    bool found =
        kubelet_.WithPlugin(resource, [&](auto&, const std::vector<Device>& devices, bool) {
          ordered_json list = ordered_json::array();
          for (const Device& d : devices)
            list.push_back({{"id", d.id}, {"health", d.health}, {"numa", d.numa}});
          Reply({{"reply", "list"}, {"ok", true}, {"resource", resource}, {"devices", list}}, "");
        });
    if (!found) NotRegistered("list", resource);
  }

  void NotRegistered(const char* verb, const std::string& resource) {
    Reply({{"reply", verb}, {"ok", false}, {"error", resource + " is not registered"}},
          "error: " + resource + " is not registered");
  }

  static std::vector<std::string> HealthyIds(const std::vector<Device>& devices) {
    std::vector<std::string> ids;
    for (const Device& d : devices) {
      if (d.health == "Healthy") ids.push_back(d.id);
    }
    return ids;
  }

  // ping <resource>: GetDevicePluginOptions, the cheapest call, as a latency baseline.
  void Ping(const std::string& resource) {
    bool found = kubelet_.WithPlugin(
        resource, [&](v1beta1::DevicePlugin::Stub& stub, const std::vector<Device>&, bool) {
          v1beta1::DevicePluginOptions options;
          auto [status, micros] = Timed([&](grpc::ClientContext* context) {
            return stub.GetDevicePluginOptions(context, v1beta1::Empty(), &options);
          });
          ordered_json reply = TimedReply("ping", status, micros);
          reply["options"] = {
              {"preStartRequired", options.pre_start_required()},
              {"getPreferredAllocationAvailable", options.get_preferred_allocation_available()}};
          Reply(reply, "ping " + resource + ": " + std::to_string(micros) + " us");
        });
    if (!found) NotRegistered("ping", resource);
  }

  // preferred <resource> <size> [must=a,b] [available=a,b]
  void Preferred(const std::vector<std::string>& args) {
    auto options = Options(args, 2);
    bool found = kubelet_.WithPlugin(
        args[0], [&](v1beta1::DevicePlugin::Stub& stub, const std::vector<Device>& devices, bool) {
          v1beta1::PreferredAllocationRequest request;
          auto* container = request.add_container_requests();
          auto available =
              options.count("available") ? SplitList(options["available"]) : HealthyIds(devices);
          for (const auto& id : available) container->add_available_deviceids(id);
          for (const auto& id : SplitList(options["must"]))
            container->add_must_include_deviceids(id);
          container->set_allocation_size(std::stoi(args[1]));
          v1beta1::PreferredAllocationResponse response;
          auto [status, micros] = Timed([&](grpc::ClientContext* context) {
            return stub.GetPreferredAllocation(context, request, &response);
          });
          ordered_json reply = TimedReply("preferred", status, micros);
          std::vector<std::string> chosen;
          if (status.ok() && response.container_responses_size() > 0) {
            for (const auto& id : response.container_responses(0).deviceids()) chosen.push_back(id);
          }
          reply["devices"] = chosen;
          std::string text = status.ok() ? "preferred " + args[1] + " of " + args[0] + ":"
                                         : "preferred failed: " + status.error_message();
          for (const auto& id : chosen) text += "\n  " + id;
          Reply(reply, text);
        });
    if (!found) NotRegistered("preferred", args[0]);
  }

  // allocate <resource> <count | id,id,...>: a count asks GetPreferredAllocation first, as the
  // kubelet does.
  void Allocate(const std::string& resource, const std::string& what) {
    bool found = kubelet_.WithPlugin(resource, [&](v1beta1::DevicePlugin::Stub& stub,
                                                   const std::vector<Device>& devices,
                                                   bool preferred) {
      std::vector<std::string> ids;
      bool is_count = !what.empty() && what.find_first_not_of("0123456789") == std::string::npos;
      if (is_count) {
        int count = std::stoi(what);
        auto healthy = HealthyIds(devices);
        if (preferred) {
          v1beta1::PreferredAllocationRequest request;
          auto* container = request.add_container_requests();
          for (const auto& id : healthy) container->add_available_deviceids(id);
          container->set_allocation_size(count);
          v1beta1::PreferredAllocationResponse response;
          grpc::ClientContext context;
          if (stub.GetPreferredAllocation(&context, request, &response).ok() &&
              response.container_responses_size() > 0) {
            for (const auto& id : response.container_responses(0).deviceids()) ids.push_back(id);
          }
        }
        if (ids.empty())
          ids.assign(healthy.begin(), healthy.begin() + std::min<size_t>(count, healthy.size()));
      } else {
        ids = SplitList(what);
      }
      v1beta1::AllocateRequest request;
      auto* container = request.add_container_requests();
      for (const auto& id : ids) container->add_devices_ids(id);
      v1beta1::AllocateResponse response;
      auto [status, micros] = Timed(
          [&](grpc::ClientContext* context) { return stub.Allocate(context, request, &response); });
      ordered_json reply = TimedReply("allocate", status, micros);
      reply["request"] = ids;
      std::string text = "allocate " + resource + " [";
      for (size_t i = 0; i < ids.size(); ++i) text += (i ? "," : "") + ids[i];
      text += "]";
      if (status.ok() && response.container_responses_size() > 0) {
        const auto& c = response.container_responses(0);
        ordered_json out;
        out["envs"] = ordered_json::object();
        for (const auto& [k, v] : c.envs()) out["envs"][k] = v;
        out["mounts"] = ordered_json::array();
        for (const auto& m : c.mounts()) {
          out["mounts"].push_back({{"containerPath", m.container_path()},
                                   {"hostPath", m.host_path()},
                                   {"readOnly", m.read_only()}});
        }
        out["devices"] = ordered_json::array();
        for (const auto& d : c.devices()) {
          out["devices"].push_back({{"containerPath", d.container_path()},
                                    {"hostPath", d.host_path()},
                                    {"permissions", d.permissions()}});
        }
        out["annotations"] = ordered_json::object();
        for (const auto& [k, v] : c.annotations()) out["annotations"][k] = v;
        out["cdiDevices"] = ordered_json::array();
        for (const auto& d : c.cdi_devices()) out["cdiDevices"].push_back(d.name());
        reply["response"] = out;
        text += " ->";
        for (const auto& [k, v] : c.envs()) text += "\n  env " + k + "=" + v;
        for (const auto& m : c.mounts()) {
          text += "\n  mount " + m.container_path() + " <- " + m.host_path() +
                  (m.read_only() ? " (ro)" : "");
        }
        for (const auto& d : c.devices()) {
          text += "\n  device " + d.container_path() + " <- " + d.host_path() + " (" +
                  d.permissions() + ")";
        }
        for (const auto& [k, v] : c.annotations()) text += "\n  annotation " + k + "=" + v;
        for (const auto& d : c.cdi_devices()) text += "\n  cdi " + d.name();
      } else if (!status.ok()) {
        text += " -> error: " + status.error_message();
      }
      Reply(reply, text);
    });
    if (!found) NotRegistered("allocate", resource);
  }

  Kubelet& kubelet_;
  Printer& printer_;
};

int Usage() {
  std::cerr << "usage: kubelet-emulator --dir <device-plugin-dir> [--json]\n"
               "Reads commands from stdin until `quit`; when stdin ends it keeps serving until\n"
               "SIGINT or SIGTERM. See docs/kubelet-emulator.md.\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--dir" && i + 1 < argc)
      dir = argv[++i];
    else if (arg == "--json")
      json = true;
    else
      return Usage();
  }
  if (dir.empty()) return Usage();
  std::error_code dir_error;
  fs::create_directories(dir, dir_error);
  // gRPC reads "unix://dp/kubelet.sock" as authority "dp": socket addresses must be absolute.
  const fs::path absolute = fs::absolute(dir, dir_error);
  if (dir_error) {
    std::cerr << "kubelet-emulator: cannot use --dir " << dir << ": " << dir_error.message()
              << "\n";
    return 2;
  }
  // Signals are taken with sigwait once stdin ends; block them before any thread starts.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  Printer printer(json);
  try {
    Kubelet kubelet(absolute, printer);
    kubelet.StartServer();
    Commands commands(kubelet, printer);
    bool quit = false;
    for (std::string line; !quit && std::getline(std::cin, line);) quit = !commands.Run(line);
    if (!quit) {  // stdin ended: keep serving until SIGINT or SIGTERM
      int signal = 0;
      sigwait(&stop_signals, &signal);
    }
    kubelet.StopServer();
    fs::remove(fs::path(dir) / "kubelet.sock");
  } catch (const std::exception& error) {
    std::cerr << "kubelet-emulator: " << error.what() << "\n";
    return 1;
  }
  return 0;
}
