// The gRPC server of one resource, driven by a real gRPC client over a unix socket.
#include "plugin/server/device_plugin_server.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "api.grpc.pb.h"
#include "plugin/test_resources.h"
#include "temp_dir.h"

namespace nvdp::plugin {
namespace {

class DevicePluginServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<DevicePluginServer>(
        resource_, registry_, ServerSettings{AllocateOptions{}, PreferenceSettings{}, metrics_},
        socket_);
    server_->Start();
    stub_ = v1beta1::DevicePlugin::NewStub(
        grpc::CreateChannel("unix://" + socket_, grpc::InsecureChannelCredentials()));
  }

  static std::unique_ptr<grpc::ClientContext> Context() {
    auto context = std::make_unique<grpc::ClientContext>();
    context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return context;
  }

  static std::vector<std::string> Health(const v1beta1::ListAndWatchResponse& list) {
    std::vector<std::string> health;
    for (const auto& device : list.devices()) health.push_back(device.id() + "=" + device.health());
    return health;
  }

  testing::TempDir dir_;
  std::string socket_ = dir_ / "nvidia-gpu.sock";
  Resource resource_ = testing::GpuResource(4);
  HealthRegistry registry_;
  std::shared_ptr<PluginMetrics> metrics_ = std::make_shared<PluginMetrics>();
  std::unique_ptr<DevicePluginServer> server_;
  std::unique_ptr<v1beta1::DevicePlugin::Stub> stub_;
};

// The largest resource the limits allow (resource::kMaxAdvertisedDevices replicas with real UUIDs,
// every one Unhealthy, with NUMA topology) reaches a client with gRPC's default 4 MiB receive
// limit, as the kubelet has, with room to spare.
TEST(DevicePluginServerLimitsTest, TheLargestAllowedListFitsTheKubeletsLimit) {
  Resource resource{"nvidia.com/gpu", {}};
  HealthRegistry registry;
  for (size_t i = 0; i < resource::kMaxAdvertisedDevices; ++i) {
    AllocatableDevice device;
    device.gpu_uuid = "GPU-" + std::to_string(10000000 + i / 2048) + "-1b2c-4d3e-9f21-6b8e2a7d4c10";
    device.id = device.gpu_uuid + "::" + std::to_string(i % 2048 + 14000);
    device.numa_node = 1;
    if (i % 2048 == 0) registry.MarkUnhealthy(device.gpu_uuid, HealthCause::kXid, "XID 48");
    resource.devices.push_back(std::move(device));
  }
  testing::TempDir dir;
  DevicePluginServer server(resource, registry, ServerSettings{}, dir / "big.sock");
  server.Start();
  auto stub = v1beta1::DevicePlugin::NewStub(
      grpc::CreateChannel("unix://" + (dir / "big.sock"), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->ListAndWatch(&context, v1beta1::Empty());
  v1beta1::ListAndWatchResponse list;
  ASSERT_TRUE(stream->Read(&list));
  EXPECT_EQ(static_cast<size_t>(list.devices_size()), resource::kMaxAdvertisedDevices);
  EXPECT_EQ(list.devices(0).health(), "Unhealthy");
  EXPECT_LT(list.ByteSizeLong(), 1200u * 1024);  // docs: "near 1.1 MiB", a quarter of 4 MiB
  context.TryCancel();
  server.Stop();
}

TEST_F(DevicePluginServerTest, OptionsAdvertisePreferredAllocation) {
  v1beta1::DevicePluginOptions options;
  ASSERT_TRUE(stub_->GetDevicePluginOptions(Context().get(), v1beta1::Empty(), &options).ok());
  EXPECT_FALSE(options.pre_start_required());
  EXPECT_TRUE(options.get_preferred_allocation_available());
}

TEST_F(DevicePluginServerTest, ListAndWatchSendsTheFullListOnEveryHealthChange) {
  auto context = Context();
  auto stream = stub_->ListAndWatch(context.get(), v1beta1::Empty());
  v1beta1::ListAndWatchResponse list;
  ASSERT_TRUE(stream->Read(&list));
  EXPECT_EQ(Health(list), (std::vector<std::string>{"GPU-0=Healthy", "GPU-1=Healthy",
                                                    "GPU-2=Healthy", "GPU-3=Healthy"}));
  ASSERT_EQ(list.devices(3).topology().nodes_size(), 1);
  EXPECT_EQ(list.devices(3).topology().nodes(0).id(), 1);

  registry_.MarkUnhealthy("GPU-1", HealthCause::kXid, "XID 79");
  ASSERT_TRUE(stream->Read(&list));
  EXPECT_EQ(Health(list), (std::vector<std::string>{"GPU-0=Healthy", "GPU-1=Unhealthy",
                                                    "GPU-2=Healthy", "GPU-3=Healthy"}));
  // A GPU this resource does not hold changes nothing it sends.
  registry_.MarkUnhealthy("GPU-other", HealthCause::kXid, "XID 79");
  registry_.MarkUnhealthy("GPU-2", HealthCause::kXid, "XID 48");
  ASSERT_TRUE(stream->Read(&list));
  EXPECT_EQ(Health(list), (std::vector<std::string>{"GPU-0=Healthy", "GPU-1=Unhealthy",
                                                    "GPU-2=Unhealthy", "GPU-3=Healthy"}));
  registry_.MarkHealthy("GPU-1");
  ASSERT_TRUE(stream->Read(&list));
  EXPECT_EQ(list.devices(1).health(), "Healthy");

  server_->Stop();  // ends the stream
  EXPECT_FALSE(stream->Read(&list));
}

TEST_F(DevicePluginServerTest, AllocateAndItsErrors) {
  v1beta1::AllocateRequest request;
  request.add_container_requests()->add_devices_ids("GPU-3");
  auto* second = request.add_container_requests();
  second->add_devices_ids("GPU-0");
  second->add_devices_ids("GPU-1");
  v1beta1::AllocateResponse response;
  ASSERT_TRUE(stub_->Allocate(Context().get(), request, &response).ok());
  ASSERT_EQ(response.container_responses_size(), 2);
  EXPECT_EQ(response.container_responses(0).envs().at("NVIDIA_VISIBLE_DEVICES"), "GPU-3");
  EXPECT_EQ(response.container_responses(1).envs().at("NVIDIA_VISIBLE_DEVICES"), "GPU-0,GPU-1");
  EXPECT_EQ(response.container_responses(1).envs_size(), 1);

  second->add_devices_ids("GPU-42");
  grpc::Status status = stub_->Allocate(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(
      status.error_message(),
      "invalid allocation request for \"nvidia.com/gpu\": invalid request: unknown device: GPU-42");

  status = stub_->Allocate(Context().get(), v1beta1::AllocateRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  // Every answer is counted, by outcome, with its latency.
  EXPECT_EQ(metrics_->requests.Value({"nvidia.com/gpu", "Allocate", "OK"}), 1);
  EXPECT_EQ(metrics_->requests.Value({"nvidia.com/gpu", "Allocate", "InvalidArgument"}), 2);
  EXPECT_EQ(metrics_->request_seconds.Count({"nvidia.com/gpu", "Allocate"}), 3u);
}

TEST_F(DevicePluginServerTest, GetPreferredAllocation) {
  v1beta1::PreferredAllocationRequest request;
  auto* container = request.add_container_requests();
  for (const char* id : {"GPU-0", "GPU-2", "GPU-3"}) container->add_available_deviceids(id);
  container->add_must_include_deviceids("GPU-2");
  container->set_allocation_size(2);
  v1beta1::PreferredAllocationResponse response;
  auto answer = [&] {
    EXPECT_TRUE(stub_->GetPreferredAllocation(Context().get(), request, &response).ok());
    EXPECT_EQ(response.container_responses_size(), 1);
    return std::vector<std::string>(response.container_responses(0).deviceids().begin(),
                                    response.container_responses(0).deviceids().end());
  };
  // No link scores here: the kubelet's order decides.
  EXPECT_EQ(answer(), (std::vector<std::string>{"GPU-0", "GPU-2"}));
  // A GPU that failed since the kubelet's last list is passed over.
  registry_.MarkUnhealthy("GPU-0", HealthCause::kXid, "XID 79");
  EXPECT_EQ(answer(), (std::vector<std::string>{"GPU-2", "GPU-3"}));

  container->set_allocation_size(5);
  grpc::Status status = stub_->GetPreferredAllocation(Context().get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(status.error_message().find("not enough available devices"), std::string::npos);
}

TEST_F(DevicePluginServerTest, PreStartContainerIsANoOp) {
  v1beta1::PreStartContainerRequest request;
  request.add_devices_ids("GPU-0");
  v1beta1::PreStartContainerResponse response;
  EXPECT_TRUE(stub_->PreStartContainer(Context().get(), request, &response).ok());
}

TEST_F(DevicePluginServerTest, NoticesItsSocketVanishAndServesAgain) {
  EXPECT_TRUE(server_->SocketIntact());
  ASSERT_EQ(unlink(socket_.c_str()), 0);
  EXPECT_FALSE(server_->SocketIntact());
  server_->Start();
  EXPECT_TRUE(server_->SocketIntact());
  v1beta1::DevicePluginOptions options;
  auto stub = v1beta1::DevicePlugin::NewStub(
      grpc::CreateChannel("unix://" + socket_, grpc::InsecureChannelCredentials()));
  EXPECT_TRUE(stub->GetDevicePluginOptions(Context().get(), v1beta1::Empty(), &options).ok());
  server_->Stop();
  EXPECT_FALSE(std::filesystem::exists(socket_));
}

TEST_F(DevicePluginServerTest, StopLeavesAForeignSocketAlone) {
  ASSERT_EQ(unlink(socket_.c_str()), 0);
  std::ofstream(socket_) << "someone else's";
  server_->Stop();
  EXPECT_TRUE(std::filesystem::exists(socket_));
}

}  // namespace
}  // namespace nvdp::plugin
