// Preparer over the in-memory API: answers, conflicts, parallel claims, reconcile and restore.
#include "dra/preparer.h"

#include "dra/health_stream.h"
#include "dra/sharing_control.h"
#include "health/health_registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fakes/fake_kube_api.h"
#include "temp_dir.h"

namespace nvdp::dra {
namespace {

using Json = nlohmann::json;

constexpr int kGpus = 16;

std::vector<Device> Gpus() {
  std::vector<Device> devices;
  for (int i = 0; i < kGpus; ++i) {
    Device device;
    device.name = "gpu-" + std::to_string(i);
    device.uuid = "GPU-" + std::to_string(i);
    device.gpu_uuid = device.uuid;
    devices.push_back(device);
  }
  devices[kGpus - 1].problem = "NVML failed";
  Device mig;  // on the first GPU's hardware (a test of the overlap rule, not a real layout)
  mig.name = "gpu-0-mig-1g5gb-19-0";
  mig.uuid = "MIG-0";
  mig.gpu_uuid = "GPU-0";
  mig.mig = true;
  devices.push_back(mig);
  return devices;
}

cdi::Spec GpuSpec() {
  cdi::Spec spec;
  spec.kind = "k8s.device-plugin.nvidia.com/gpu";
  for (int i = 0; i < kGpus; ++i) {
    cdi::Device device{"GPU-" + std::to_string(i), {}};
    device.edits.device_nodes.push_back({"/dev/nvidia" + std::to_string(i), ""});
    spec.devices.push_back(device);
  }
  spec.devices.push_back({"MIG-0", {}});
  spec.edits.device_nodes.push_back({"/dev/nvidiactl", ""});
  return spec;
}

class PreparerTest : public ::testing::Test {
 protected:
  PreparerTest() { Reset(); }

  void Reset() {
    preparer_ = std::make_unique<Preparer>(PreparerConfig{"n1", dir_ / "checkpoint.json", "boot-1"},
                                           Gpus(), ClaimSpecs(GpuSpec(), dir_ / "cdi"), api_);
    preparer_->Restore();
  }

  ClaimRef AddClaim(const std::string& name, const std::vector<std::string>& devices) {
    Json results = Json::array();
    for (const std::string& device : devices) {
      results.push_back(
          {{"request", "r"}, {"driver", "gpu.nvidia.com"}, {"pool", "n1"}, {"device", device}});
    }
    api_.Put(ClaimPath("ns", name),
             {{"metadata", {{"name", name}, {"namespace", "ns"}, {"uid", "uid-" + name}}},
              {"status", {{"allocation", {{"devices", {{"results", results}}}}}}}});
    return {"uid-" + name, "ns", name};
  }

  bool SpecExists(const std::string& uid) {
    return std::filesystem::exists(dir_ / ("cdi/k8s.gpu.nvidia.com-claim_" + uid + ".json"));
  }

  testing::TempDir dir_;
  testing::FakeKubeApi api_;
  std::unique_ptr<Preparer> preparer_;
};

TEST_F(PreparerTest, PreparesOnceThenAnswersFromTheCheckpoint) {
  const ClaimRef claim = AddClaim("a", {"gpu-0", "gpu-1"});
  const Preparer::Outcome first = preparer_->Prepare(claim);
  ASSERT_EQ(first.error, "");
  ASSERT_EQ(first.devices.size(), 2u);
  EXPECT_EQ(first.devices[1].cdi_device_ids,
            std::vector<std::string>{"k8s.gpu.nvidia.com/claim=uid-a-gpu-1"});
  EXPECT_TRUE(SpecExists("uid-a"));
  const int gets = api_.Calls("GET");
  EXPECT_EQ(preparer_->Prepare(claim).devices, first.devices);
  EXPECT_EQ(api_.Calls("GET"), gets);
  Reset();  // a new process: the same answer from the file
  EXPECT_EQ(preparer_->Prepare(claim).devices, first.devices);
  EXPECT_EQ(api_.Calls("GET"), gets);
}

TEST_F(PreparerTest, RefusesUnhealthyUnknownAndTakenDevices) {
  EXPECT_EQ(preparer_->Prepare(AddClaim("sick", {"gpu-15"})).error,
            "device gpu-15 is unhealthy: NVML failed");
  EXPECT_EQ(preparer_->Prepare(AddClaim("nope", {"gpu-99"})).error,
            "device gpu-99 of ResourceClaim ns/nope is not published by node n1");
  ASSERT_EQ(preparer_->Prepare(AddClaim("first", {"gpu-2"})).error, "");
  EXPECT_EQ(preparer_->Prepare(AddClaim("second", {"gpu-3", "gpu-2"})).error,
            "device gpu-2 is already prepared for claim uid-first");
  EXPECT_FALSE(SpecExists("uid-second"));
  EXPECT_EQ(preparer_->PreparedClaims(), 1u);
  EXPECT_EQ(preparer_->Prepare({"", "ns", "x"}).error,
            "claim namespace, name and uid are required");
  api_.FailNext("GET", 503);
  EXPECT_NE(preparer_->Prepare(AddClaim("later", {"gpu-4"})).error.find("API server answered 503"),
            std::string::npos);
  EXPECT_EQ(preparer_->Prepare({"uid-later", "ns", "later"}).error, "");
}

TEST_F(PreparerTest, AWholeGpuAndAMigDeviceOfItAreTheSameHardware) {
  ASSERT_EQ(preparer_->Prepare(AddClaim("whole", {"gpu-0"})).error, "");
  EXPECT_EQ(preparer_->Prepare(AddClaim("part", {"gpu-0-mig-1g5gb-19-0"})).error,
            "device gpu-0-mig-1g5gb-19-0 is already prepared for claim uid-whole");
}

TEST_F(PreparerTest, ClaimsOnDifferentDevicesPrepareInParallel) {
  std::vector<ClaimRef> claims;
  for (int i = 0; i < kGpus - 1; ++i)
    claims.push_back(AddClaim("c" + std::to_string(i), {"gpu-" + std::to_string(i)}));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (const ClaimRef& claim : claims) {
    threads.emplace_back([&, claim] {
      if (!preparer_->Prepare(claim).error.empty()) ++failures;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures, 0);
  Reset();
  EXPECT_EQ(preparer_->PreparedClaims(), claims.size());
}

TEST_F(PreparerTest, OneDeviceRacedForByTwoClaimsGoesToOne) {
  const ClaimRef a = AddClaim("a", {"gpu-7"});
  const ClaimRef b = AddClaim("b", {"gpu-7"});
  std::string error_a, error_b;
  std::thread ta([&] { error_a = preparer_->Prepare(a).error; });
  std::thread tb([&] { error_b = preparer_->Prepare(b).error; });
  ta.join();
  tb.join();
  EXPECT_NE(error_a.empty(), error_b.empty()) << error_a << " / " << error_b;
  EXPECT_EQ(preparer_->PreparedClaims(), 1u);
}

TEST_F(PreparerTest, ClaimLocksDoNotOutliveTheirClaims) {
  for (int i = 0; i < 50; ++i) {
    const ClaimRef claim = AddClaim("churn" + std::to_string(i), {"gpu-1"});
    ASSERT_EQ(preparer_->Prepare(claim).error, "");
    ASSERT_EQ(preparer_->Unprepare(claim), "");
    EXPECT_EQ(
        preparer_->Prepare({"uid-missing" + std::to_string(i), "ns", "missing"}).error.empty(),
        false);
  }
  EXPECT_EQ(preparer_->ClaimLocks(), 0u);
  ASSERT_EQ(preparer_->Prepare(AddClaim("kept", {"gpu-2"})).error, "");
  EXPECT_EQ(preparer_->ClaimLocks(), 1u);
}

TEST_F(PreparerTest, UnprepareFreesTheDeviceAndUnknownClaimsSucceed) {
  const ClaimRef a = AddClaim("a", {"gpu-5"});
  ASSERT_EQ(preparer_->Prepare(a).error, "");
  EXPECT_EQ(preparer_->Unprepare(a), "");
  EXPECT_FALSE(SpecExists("uid-a"));
  EXPECT_EQ(preparer_->Unprepare(a), "");
  EXPECT_EQ(preparer_->Unprepare({"uid-never", "ns", "never"}), "");
  EXPECT_EQ(preparer_->Prepare(AddClaim("b", {"gpu-5"})).error, "");
}

TEST_F(PreparerTest, ReconcileUnpreparesClaimsTheApiServerNoLongerHas) {
  const ClaimRef kept = AddClaim("kept", {"gpu-1"});
  const ClaimRef gone = AddClaim("gone", {"gpu-2"});
  ASSERT_EQ(preparer_->Prepare(kept).error, "");
  ASSERT_EQ(preparer_->Prepare(gone).error, "");
  const ClaimRef recreated = AddClaim("recreated", {"gpu-3"});
  ASSERT_EQ(preparer_->Prepare(recreated).error, "");
  api_.Remove(ClaimPath("ns", "gone"));
  Json again = *api_.Object(ClaimPath("ns", "recreated"));
  again["metadata"]["uid"] = "uid-recreated-2";  // deleted and created again under its name
  api_.Put(ClaimPath("ns", "recreated"), again);
  EXPECT_EQ(preparer_->Reconcile(), 2);
  EXPECT_FALSE(SpecExists("uid-gone"));
  EXPECT_FALSE(SpecExists("uid-recreated"));
  EXPECT_TRUE(SpecExists("uid-kept"));
  EXPECT_EQ(preparer_->Reconcile(), 0);
  EXPECT_EQ(api_.Calls("GET") > 0, true);
  api_.FailNext("GET", 500);  // an API failure is the caller's to log; nothing is unprepared
  EXPECT_THROW(preparer_->Reconcile(), kube::ApiError);
  EXPECT_TRUE(SpecExists("uid-kept"));
}

TEST_F(PreparerTest, ACorruptCheckpointIsRebuiltFromTheSpecsAndNamedByReconcile) {
  const ClaimRef a = AddClaim("a", {"gpu-3"});
  ASSERT_EQ(preparer_->Prepare(a).error, "");
  std::ofstream(dir_ / "checkpoint.json") << "{\"kind\": broken";
  Reset();
  bool moved_aside = false;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
    moved_aside |= entry.path().filename().string().starts_with("checkpoint.json.corrupt-");
  }
  EXPECT_TRUE(moved_aside);
  Checkpoint rebuilt = preparer_->Snapshot();
  ASSERT_EQ(rebuilt.claims.count("uid-a"), 1u);
  EXPECT_EQ(rebuilt.claims["uid-a"].devices[0].device, "gpu-3");
  EXPECT_EQ(rebuilt.claims["uid-a"].name, "");
  EXPECT_NE(preparer_->Prepare(AddClaim("b", {"gpu-3"})).error, "");  // still held
  api_.Put(kAllClaimsPath, {{"items", Json::array({*api_.Object(ClaimPath("ns", "a"))})}});
  EXPECT_EQ(preparer_->Reconcile(), 0);
  EXPECT_EQ(preparer_->Snapshot().claims["uid-a"].name, "a");
  // Prepared again with its request names read back from the claim.
  EXPECT_EQ(preparer_->Prepare(a).devices.at(0).requests, std::vector<std::string>{"r"});
}

TEST_F(PreparerTest, AnotherBootDiscardsTheCheckpoint) {
  ASSERT_EQ(preparer_->Prepare(AddClaim("a", {"gpu-3"})).error, "");
  std::filesystem::remove(dir_ / "cdi/k8s.gpu.nvidia.com-claim_uid-a.json");
  preparer_ = std::make_unique<Preparer>(PreparerConfig{"n1", dir_ / "checkpoint.json", "boot-2"},
                                         Gpus(), ClaimSpecs(GpuSpec(), dir_ / "cdi"), api_);
  preparer_->Restore();
  EXPECT_EQ(preparer_->PreparedClaims(), 0u);
}

TEST(DraHealthListTest, EveryDeviceWithItsMarkAndABoundedMessage) {
  health::HealthRegistry registry;
  std::vector<Device> devices = Gpus();
  registry.MarkUnhealthy("GPU-2", health::HealthCause::kXid, "XID 48");
  registry.MarkUnhealthy("GPU-0", health::HealthCause::kXid, std::string(2000, 'x'));
  const std::vector<DeviceHealthEntry> list = HealthList(devices, registry);
  ASSERT_EQ(list.size(), devices.size());
  EXPECT_FALSE(list[0].healthy);
  EXPECT_EQ(list[0].message.size(), 1024u);
  EXPECT_TRUE(list[1].healthy);
  EXPECT_EQ(list[1].message, "");
  EXPECT_FALSE(list[2].healthy);
  EXPECT_EQ(list[2].message, "XID 48");
  EXPECT_FALSE(list[kGpus - 1].healthy);  // NVML failed for it at start
  EXPECT_EQ(list[kGpus - 1].message, "NVML failed");
  EXPECT_FALSE(list.back().healthy);  // the MIG device on GPU-0 shares its GPU's mark
  registry.MarkHealthy("GPU-0");
  EXPECT_TRUE(HealthList(devices, registry).back().healthy);
}

// Records what the preparer asks; StartMps fails while `fail_mps` is set.
class FakeSharing : public SharingControl {
 public:
  void SetTimeSlice(const std::string& uuid, int timeslice) override {
    timeslices[uuid] = timeslice;
  }
  void StartMps(const std::string& uid, const MpsDaemonState& daemon) override {
    ++starts;
    if (fail_mps) throw std::runtime_error("no daemon today");
    running[uid] = daemon;
  }
  std::string StopMps(const std::string& uid, const MpsDaemonState&) override {
    running.erase(uid);
    return "";
  }
  bool MpsAnswers(const std::string& uid) override { return running.count(uid) > 0; }
  cdi::ContainerEdits MpsEdits(const std::string& uid) const override {
    cdi::ContainerEdits edits;
    edits.env.push_back("CUDA_MPS_PIPE_DIRECTORY=/tmp/nvidia-mps");
    edits.mounts.push_back({"/mps/" + uid + "/pipe", "/tmp/nvidia-mps", {}});
    return edits;
  }
  std::map<std::string, int> timeslices;
  std::map<std::string, MpsDaemonState> running;
  int starts = 0;
  bool fail_mps = false;
};

class SharingPreparerTest : public PreparerTest {
 protected:
  void WithSharing() {
    preparer_ =
        std::make_unique<Preparer>(PreparerConfig{"n1", dir_ / "checkpoint.json", "boot-1"}, Gpus(),
                                   ClaimSpecs(GpuSpec(), dir_ / "cdi"), api_, nullptr, &sharing_);
    preparer_->Restore();
  }
  ClaimRef AddShared(const std::string& name, const std::vector<std::string>& devices,
                     const Json& sharing) {
    ClaimRef ref = AddClaim(name, devices);
    Json claim = *api_.Object(ClaimPath("ns", name));
    claim["status"]["allocation"]["devices"]["config"] =
        Json::array({{{"source", "FromClaim"},
                      {"opaque",
                       {{"driver", "gpu.nvidia.com"},
                        {"parameters",
                         {{"apiVersion", "resource.nvidia.com/v1beta1"},
                          {"kind", "GpuConfig"},
                          {"sharing", sharing}}}}}}});
    api_.Put(ClaimPath("ns", name), claim);
    return ref;
  }
  std::string Spec(const std::string& uid) {
    std::ifstream in(dir_ / ("cdi/k8s.gpu.nvidia.com-claim_" + uid + ".json"));
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  FakeSharing sharing_;
};

TEST_F(SharingPreparerTest, TimeSlicingIsSetAndResetOnUnprepare) {
  WithSharing();
  const ClaimRef claim =
      AddShared("ts", {"gpu-1", "gpu-2"},
                {{"strategy", "TimeSlicing"}, {"timeSlicingConfig", {{"interval", "Long"}}}});
  ASSERT_EQ(preparer_->Prepare(claim).error, "");
  EXPECT_EQ(sharing_.timeslices, (std::map<std::string, int>{{"GPU-1", 3}, {"GPU-2", 3}}));
  EXPECT_EQ(preparer_->Snapshot().claims.at("uid-ts").sharing.timeslices.size(), 2u);
  ASSERT_EQ(preparer_->Unprepare(claim), "");
  EXPECT_EQ(sharing_.timeslices, (std::map<std::string, int>{{"GPU-1", 0}, {"GPU-2", 0}}));
}

TEST_F(SharingPreparerTest, MpsDaemonPerClaimWithLimitsInItsSpecAndBackAfterRestart) {
  WithSharing();
  const ClaimRef claim = AddShared("mps", {"gpu-3", "gpu-4"},
                                   {{"strategy", "MPS"},
                                    {"mpsConfig",
                                     {{"defaultActiveThreadPercentage", 25},
                                      {"defaultPinnedDeviceMemoryLimit", "2Gi"},
                                      {"defaultPerDevicePinnedMemoryLimit", {{"1", "1Gi"}}}}}});
  ASSERT_EQ(preparer_->Prepare(claim).error, "");
  const MpsDaemonState daemon = sharing_.running.at("uid-mps");  // a copy: cleared below
  EXPECT_EQ(daemon.uuids, (std::vector<std::string>{"GPU-3", "GPU-4"}));
  EXPECT_EQ(daemon.pinned_mib,
            (std::map<std::string, unsigned long long>{{"GPU-3", 2048}, {"GPU-4", 1024}}));
  EXPECT_EQ(daemon.active_thread_percentage, 25);
  EXPECT_NE(Spec("uid-mps").find("CUDA_MPS_PIPE_DIRECTORY=/tmp/nvidia-mps"), std::string::npos);
  sharing_.running.clear();  // the daemon died with the old process
  WithSharing();
  EXPECT_EQ(sharing_.running.at("uid-mps"), daemon);  // started again from the checkpoint
  ASSERT_EQ(preparer_->Unprepare(claim), "");
  EXPECT_TRUE(sharing_.running.empty());
}

TEST_F(SharingPreparerTest, FailuresAreTheClaimsAndLeaveNothingBehind) {
  WithSharing();
  sharing_.fail_mps = true;
  const ClaimRef claim = AddShared("bad", {"gpu-5"}, {{"strategy", "MPS"}});
  EXPECT_EQ(preparer_->Prepare(claim).error,
            "cannot apply the claim's sharing configuration: no daemon today");
  EXPECT_FALSE(SpecExists("uid-bad"));
  EXPECT_EQ(preparer_->PreparedClaims(), 0u);
  const ClaimRef typo =
      AddShared("typo", {"gpu-6"}, {{"strategy", "MPS"}, {"mpsConfg", Json::object()}});
  EXPECT_EQ(preparer_->Prepare(typo).error,
            "ResourceClaim ns/typo: config entry 0 (FromClaim) of driver gpu.nvidia.com: "
            "sharing.mpsConfg: unknown field");
  const ClaimRef mig = AddShared("mig", {"gpu-0-mig-1g5gb-19-0"}, {{"strategy", "MPS"}});
  EXPECT_EQ(preparer_->Prepare(mig).error,
            "ResourceClaim ns/mig: a GpuConfig cannot configure request r, which was allocated a "
            "MIG device");
  EXPECT_EQ(sharing_.starts, 1);
  Reset();  // no SharingControl: the claim fails, it is not prepared unshared
  EXPECT_EQ(preparer_->Prepare(AddShared("none", {"gpu-7"}, {{"strategy", "TimeSlicing"}})).error,
            "ResourceClaim ns/none asks for time-slicing or MPS, which this plugin cannot apply");
}

}  // namespace
}  // namespace nvdp::dra
