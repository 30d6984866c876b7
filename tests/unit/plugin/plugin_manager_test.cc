// The plugin manager against the NVML simulator: restarts (SIGHUP) while clients keep calling
// every RPC over the real sockets and health events arrive. Also run under ThreadSanitizer.
#include "plugin/plugin_manager.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <thread>
#include <vector>

#include "api.grpc.pb.h"
#include "fake_env.h"
#include "sim_node.h"

namespace nvdp::plugin {
namespace {

using namespace std::chrono_literals;

class PluginManagerTest : public ::testing::Test {
 protected:
  Options Load(const std::string& config_text) {
    std::ofstream(dir_ / "config.yaml") << config_text;
    ParsedCommandLine parsed = ParseCommandLine(
        {"--driver-root-ctr-path", testing::SimRoot(), "--kubelet-socket", dir_ / "kubelet.sock",
         "--config-file", dir_ / "config.yaml", "--health-probe-interval", "100ms"},
        testing::FakeEnv({}));
    if (!parsed.command_line) throw std::runtime_error(parsed.output);
    return parsed.command_line->Load();
  }

  std::unique_ptr<v1beta1::DevicePlugin::Stub> Stub() {
    return v1beta1::DevicePlugin::NewStub(grpc::CreateChannel(
        "unix://" + (dir_ / "nvidia-gpu.sock"), grpc::InsecureChannelCredentials()));
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + 2s);
    return context;
  }

  testing::TempDir dir_;
  testing::SimulatedNode node_{"pcie-4xt4"};
};

TEST_F(PluginManagerTest, RestartsWhileClientsCallEveryRpc) {
  const std::string time_slicing =
      "sharing: {timeSlicing: {resources: [{name: gpu, replicas: 2}]}}\n";
  PluginManager manager(Load(""));
  std::string error;
  ASSERT_EQ(manager.Start(&error), PluginManager::StartResult::kServing) << error;

  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&, t] {
      while (!stop) {
        auto stub = Stub();
        if (t == 0) {  // ListAndWatch churn: open, read the list, drop
          auto context = Context();
          auto stream = stub->ListAndWatch(context.get(), v1beta1::Empty());
          v1beta1::ListAndWatchResponse list;
          if (stream->Read(&list) && list.devices_size() > 0) ++answered;
          context->TryCancel();
          stream->Finish();
          continue;
        }
        v1beta1::ListAndWatchResponse unused;
        v1beta1::AllocateRequest allocate;
        allocate.add_container_requests()->add_devices_ids("GPU-bogus");
        v1beta1::AllocateResponse allocated;
        stub->Allocate(Context().get(), allocate, &allocated);  // INVALID_ARGUMENT or UNAVAILABLE
        v1beta1::PreferredAllocationRequest preferred;
        preferred.add_container_requests()->set_allocation_size(1);
        v1beta1::PreferredAllocationResponse chosen;
        if (stub->GetPreferredAllocation(Context().get(), preferred, &chosen).error_code() ==
            grpc::StatusCode::INVALID_ARGUMENT) {
          ++answered;  // no available devices: refused, but answered by the plugin
        }
      }
    });
  }
  for (int round = 0; round < 6; ++round) {
    std::this_thread::sleep_for(150ms);
    node_.Inject("xid " + std::to_string(round % 4) + " 48");
    const auto result = manager.Restart(Load(round % 2 ? "" : time_slicing), &error);
    ASSERT_EQ(result, PluginManager::StartResult::kServing) << error;
    manager.Reconcile(false);
  }
  // A configuration that cannot be served leaves the last one running.
  EXPECT_EQ(manager.Restart(Load("imex: {channelIDs: [0], required: true}\n"), &error),
            PluginManager::StartResult::kKept);
  EXPECT_NE(error.find("IMEX"), std::string::npos) << error;
  std::this_thread::sleep_for(200ms);
  stop = true;
  for (std::thread& client : clients) client.join();
  EXPECT_GT(answered, 0);

  // The last good start (time-slicing off: round 5) still answers.
  auto stub = Stub();
  auto context = Context();
  auto stream = stub->ListAndWatch(context.get(), v1beta1::Empty());
  v1beta1::ListAndWatchResponse list;
  ASSERT_TRUE(stream->Read(&list));
  EXPECT_EQ(list.devices_size(), 4);
  context->TryCancel();
  stream->Finish();
  manager.Stop();
}

TEST_F(PluginManagerTest, ARestartBeforeAnyGoodStartIsAStart) {
  setenv("NVML_SIM_PROFILE", "driver-not-loaded", 1);
  Options options = Load("");
  options.fail_on_init_error = false;
  PluginManager manager(options);
  std::string error;
  EXPECT_EQ(manager.Start(&error), PluginManager::StartResult::kNvmlUnavailable);
  // The bad config is not "kept" against nothing: it is tried, and fails like a start.
  Options bad = Load("imex: {channelIDs: [0], required: true}\n");
  bad.fail_on_init_error = false;
  EXPECT_EQ(manager.Restart(bad, &error), PluginManager::StartResult::kNvmlUnavailable);
  setenv("NVML_SIM_PROFILE", "pcie-4xt4", 1);
}

}  // namespace
}  // namespace nvdp::plugin
