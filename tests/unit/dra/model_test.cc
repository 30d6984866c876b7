// The pure DRA model: device names and attributes, quantities and versions, slices, claims, the
// checkpoint format.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "device/architecture.h"
#include "dra/checkpoint.h"
#include "dra/claim.h"
#include "dra/devices.h"
#include "dra/slices.h"

namespace nvdp::dra {
namespace {

using Json = nlohmann::json;

device::Inventory TwoGpus() {
  device::Inventory inventory;
  inventory.driver_version = "550.127.05";
  inventory.cuda_driver_version = 12040;
  device::GpuInfo a;
  a.index = 0;
  a.minor = 3;
  a.uuid = "GPU-a";
  a.name = "NVIDIA H100 80GB HBM3";
  a.memory_bytes = 80ULL << 30;
  a.pci_bus_id = "00000000:1B:00.0";
  a.cc_major = 9;
  a.brand = "Nvidia";
  a.pcie_root = "pci0000:15";
  a.numa_node = 1;
  device::GpuInfo b = a;
  b.index = 1;
  b.minor = 4;
  b.uuid = "GPU-b";
  b.mig_enabled = true;
  device::MigDeviceInfo mig;
  mig.uuid = "MIG-1";
  mig.profile = "1g.10gb+me";
  mig.gpu_instance_profile_id = 19;
  mig.placement_start = 6;
  mig.placement_size = 1;
  mig.memory_bytes = 9856ULL << 20;
  mig.attributes.multiprocessors = 16;
  b.mig_devices.push_back(mig);
  inventory.gpus = {a, b};
  return inventory;
}

TEST(DraDevicesTest, WholeGpusAndTheMigDevicesOfMigEnabledGpus) {
  const std::vector<Device> devices = PublishedDevices(TwoGpus());
  ASSERT_EQ(devices.size(), 2u);
  const Device& gpu = devices[0];
  EXPECT_EQ(gpu.name, "gpu-3");
  EXPECT_EQ(gpu.attributes.at("type"), Attribute::String("gpu"));
  EXPECT_EQ(gpu.attributes.at("architecture"), Attribute::String("Hopper"));
  EXPECT_EQ(gpu.attributes.at("cudaComputeCapability"), Attribute::Version("9.0.0"));
  EXPECT_EQ(gpu.attributes.at("driverVersion"), Attribute::Version("550.127.5"));
  EXPECT_EQ(gpu.attributes.at("cudaDriverVersion"), Attribute::Version("12.4.0"));
  EXPECT_EQ(gpu.attributes.at("resource.kubernetes.io/pciBusID"),
            Attribute::String("0000:1b:00.0"));
  EXPECT_EQ(gpu.attributes.at("resource.kubernetes.io/pcieRoot"), Attribute::String("pci0000:15"));
  EXPECT_EQ(gpu.attributes.at("resource.kubernetes.io/numaNode"), Attribute::Int(1));
  EXPECT_EQ(gpu.attributes.at("brand"), Attribute::String("Nvidia"));
  EXPECT_EQ(gpu.capacity.at("memory"), "80Gi");

  const Device& mig = devices[1];
  EXPECT_TRUE(mig.mig);
  EXPECT_EQ(mig.name, "gpu-4-mig-1g10gbme-19-6");
  EXPECT_EQ(mig.gpu_uuid, "GPU-b");
  EXPECT_EQ(mig.attributes.at("parentUUID"), Attribute::String("GPU-b"));
  EXPECT_EQ(mig.attributes.at("profile"), Attribute::String("1g.10gb+me"));
  EXPECT_EQ(mig.capacity.at("memory"), "9856Mi");
  EXPECT_EQ(mig.capacity.at("multiprocessors"), "16");
  EXPECT_EQ(mig.capacity.at("memorySlice6"), "1");
  EXPECT_EQ(mig.capacity.count("memorySlice7"), 0u);
  EXPECT_LE(mig.attributes.size() + mig.capacity.size(), 32u);  // the API server's limit
}

TEST(DraDevicesTest, BrandsAreSpelledAsGoNvlibDoes) {
  EXPECT_EQ(device::BrandName(0), "Unknown");
  EXPECT_EQ(device::BrandName(2), "Tesla");
  EXPECT_EQ(device::BrandName(14), "Nvidia");
  EXPECT_EQ(device::BrandName(16), "TitanRTX");
  EXPECT_EQ(device::BrandName(17), "");
  EXPECT_EQ(device::BrandName(-1), "");
  EXPECT_EQ(device::ArchitectureName(8, 9), "Ada Lovelace");
  EXPECT_EQ(device::ArchitectureName(4, 0), "");
}

TEST(DraDevicesTest, TegraAndWslPublishNothing) {
  device::Inventory tegra = TwoGpus();
  tegra.tegra = true;
  EXPECT_TRUE(PublishedDevices(tegra).empty());
}

TEST(DraDevicesTest, QuantitiesVersionsAndBusIds) {
  EXPECT_EQ(Quantity(0), "0");
  EXPECT_EQ(Quantity(1000), "1000");
  EXPECT_EQ(Quantity(1024), "1Ki");
  EXPECT_EQ(Quantity(40ULL << 30), "40Gi");
  EXPECT_EQ(Quantity((40ULL << 30) + 512), "42949673472");
  EXPECT_EQ(SemVer("550.127.05"), "550.127.5");
  EXPECT_EQ(SemVer("8.0"), "8.0.0");
  EXPECT_EQ(SemVer("12"), "12.0.0");
  EXPECT_EQ(SemVer(""), "");
  EXPECT_EQ(SemVer("1.2.3.4"), "");
  EXPECT_EQ(SemVer("550.x"), "");
  EXPECT_EQ(SemVer("-1.0"), "");
  EXPECT_EQ(CudaVersion(12040), "12.4.0");
  EXPECT_EQ(CudaVersion(0), "");
  EXPECT_EQ(PciBusIdAttribute("00000000:07:00.0"), "0000:07:00.0");
}

TEST(DraSlicesTest, SplitsAboveTheDeviceLimit) {
  std::vector<Device> devices(300);
  for (std::size_t i = 0; i < devices.size(); ++i) devices[i].name = "gpu-" + std::to_string(i);
  const std::vector<Json> chunks = DeviceChunks(devices);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].size(), 128u);
  EXPECT_EQ(chunks[1].size(), 128u);
  EXPECT_EQ(chunks[2].size(), 44u);
  EXPECT_EQ(chunks[2][43]["name"], "gpu-299");
  EXPECT_EQ(DeviceChunks({}).size(), 1u);  // an empty pool is published too
}

TEST(DraSlicesTest, ANewSliceIsOwnedByTheNode) {
  const Json slice = NewSlice({"n1", "uid-n1", 3, 2}, Json::array());
  EXPECT_EQ(slice["metadata"]["generateName"], "n1-gpu.nvidia.com-");
  EXPECT_EQ(slice["metadata"]["ownerReferences"][0]["uid"], "uid-n1");
  EXPECT_EQ(slice["spec"]["pool"],
            Json({{"name", "n1"}, {"generation", 3}, {"resourceSliceCount", 2}}));
  EXPECT_EQ(slice["spec"]["nodeName"], "n1");
  EXPECT_FALSE(NewSlice({"n1", "", 1, 1}, Json::array())["metadata"].contains("ownerReferences"));
  EXPECT_EQ(SliceSelectorQuery("n1"),
            "fieldSelector=spec.driver%3Dgpu.nvidia.com%2Cspec.nodeName%3Dn1");
}

Json Claim(const std::string& uid, Json results) {
  return {{"metadata", {{"uid", uid}}},
          {"status", {{"allocation", {{"devices", {{"results", std::move(results)}}}}}}}};
}

TEST(DraClaimTest, TakesThisDriversResultsOfThisPool) {
  const Json claim = Claim(
      "u1",
      Json::array(
          {{{"request", "a"}, {"driver", "gpu.nvidia.com"}, {"pool", "n1"}, {"device", "gpu-0"}},
           {{"request", "b"}, {"driver", "other.example.com"}, {"pool", "x"}, {"device", "nic-0"}},
           {{"request", "c"},
            {"driver", "gpu.nvidia.com"},
            {"pool", "n1"},
            {"device", "gpu-1"},
            {"shareID", "s1"}}}));
  const auto devices = AllocatedDevices(claim, {"u1", "ns", "c"}, "gpu.nvidia.com", "n1");
  ASSERT_EQ(devices.size(), 2u);
  EXPECT_EQ(devices[0], (AllocatedDevice{"a", "n1", "gpu-0", ""}));
  EXPECT_EQ(devices[1], (AllocatedDevice{"c", "n1", "gpu-1", "s1"}));
}

TEST(DraClaimTest, RefusesWhatCannotBePrepared) {
  const ClaimRef ref{"u1", "ns", "c"};
  auto error = [&](const Json& claim) {
    try {
      AllocatedDevices(claim, ref, "gpu.nvidia.com", "n1");
    } catch (const ClaimError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error(Claim("u2", Json::array())),
            "ResourceClaim ns/c has UID u2, not u1 (deleted and created again?)");
  EXPECT_EQ(error({{"metadata", {{"uid", "u1"}}}}), "ResourceClaim ns/c is not allocated");
  EXPECT_EQ(error(Claim("u1", Json::array())),
            "ResourceClaim ns/c has no devices of driver gpu.nvidia.com");
  EXPECT_EQ(error(Claim(
                "u1", Json::array(
                          {{{"driver", "gpu.nvidia.com"}, {"pool", "n2"}, {"device", "gpu-0"}}}))),
            "ResourceClaim ns/c was allocated device gpu-0 of pool n2, not of this node's pool n1");
  EXPECT_EQ(error(Json::array()),
            "ResourceClaim ns/c has UID , not u1 (deleted and created again?)");
  EXPECT_EQ(error(Claim("u1", "not a list")),
            "ResourceClaim ns/c has no devices of driver gpu.nvidia.com");
}

TEST(DraClaimTest, WhatTheKubeletSentMustBeSafeInPathsAndNames) {
  EXPECT_EQ(InvalidClaimRef({"3f2a9c1e-0b1c-4d5e-8f90-123456789abc", "default", "train.v2"}), "");
  EXPECT_EQ(InvalidClaimRef({"", "ns", "n"}), "claim namespace, name and uid are required");
  EXPECT_EQ(InvalidClaimRef({"../../etc/cdi/x", "ns", "n"}),
            "invalid claim UID \"../../etc/cdi/x\"");
  EXPECT_EQ(InvalidClaimRef({std::string(129, 'a'), "ns", "n"}).substr(0, 18),
            "invalid claim UID ");
  EXPECT_EQ(InvalidClaimRef({"u", "kube/system", "n"}), "invalid claim namespace \"kube/system\"");
  EXPECT_EQ(InvalidClaimRef({"u", "-ns", "n"}), "invalid claim namespace \"-ns\"");
  EXPECT_EQ(InvalidClaimRef({"u", "ns", "x/../../../api/v1/secrets"}),
            "invalid claim name \"x/../../../api/v1/secrets\"");
  EXPECT_EQ(InvalidClaimRef({"u", "ns", "n?watch=1"}), "invalid claim name \"n?watch=1\"");
  EXPECT_EQ(InvalidClaimRef({"u", "ns", "Upper"}), "invalid claim name \"Upper\"");
}

Checkpoint Sample() {
  Checkpoint checkpoint;
  checkpoint.boot_id = "boot";
  checkpoint.claims["u1"] = {
      "u1",
      "ns",
      "c",
      ClaimState::kPrepareCompleted,
      {{{"r1", "r2"}, "n1", "gpu-0", "", {"k8s.gpu.nvidia.com/claim=u1-gpu-0"}}}};
  checkpoint.claims["u2"] = {"u2", "", "", ClaimState::kPrepareStarted, {}};
  return checkpoint;
}

TEST(DraCheckpointTest, RoundTrips) {
  const CheckpointLoad load = ParseCheckpoint(SerializeCheckpoint(Sample()));
  ASSERT_EQ(load.status, CheckpointLoad::Status::kLoaded) << load.problem;
  EXPECT_EQ(load.checkpoint, Sample());
}

TEST(DraCheckpointTest, ChecksumCoversTheStoredBytesAndUnknownFieldsAreIgnored) {
  Json envelope = Json::parse(SerializeCheckpoint(Sample()));
  Json data = Json::parse(envelope["data"].get<std::string>());
  data["fromALaterRelease"] = true;
  data["claims"]["u1"]["alsoLater"] = Json::array({1});
  const std::string text = data.dump(4);  // another layout: the checksum is over these bytes
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", Fnv1a64(text));
  envelope["data"] = text;
  envelope["checksum"] = std::string("fnv1a64:") + hex;
  envelope["newTopLevel"] = "x";
  const CheckpointLoad load = ParseCheckpoint(envelope.dump());
  ASSERT_EQ(load.status, CheckpointLoad::Status::kLoaded) << load.problem;
  EXPECT_EQ(load.checkpoint, Sample());

  envelope["data"] = text + " ";
  EXPECT_EQ(ParseCheckpoint(envelope.dump()).status, CheckpointLoad::Status::kCorrupt);
}

TEST(DraCheckpointTest, EverythingElseIsCorruptWithAReason) {
  Json envelope = Json::parse(SerializeCheckpoint(Sample()));
  auto problem = [](const std::string& text) {
    const CheckpointLoad load = ParseCheckpoint(text);
    EXPECT_EQ(load.status, CheckpointLoad::Status::kCorrupt);
    EXPECT_TRUE(load.checkpoint.claims.empty());
    return load.problem;
  };
  EXPECT_NE(problem(""), "");
  EXPECT_EQ(problem("[]"), "not a gpu-kubelet-plugin checkpoint");
  Json other = envelope;
  other["version"] = 2;
  EXPECT_EQ(problem(other.dump()), "unsupported checkpoint version 2");
  other = envelope;
  other["checksum"] = "fnv1a64:0000000000000000";
  EXPECT_NE(problem(other.dump()).find("checksum mismatch"), std::string::npos);
  EXPECT_NE(problem(SerializeCheckpoint(Sample()).substr(0, 40)), "");
}

}  // namespace
}  // namespace nvdp::dra
