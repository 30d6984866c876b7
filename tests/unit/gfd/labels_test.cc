// gpu-feature-discovery's label rules, with the test vectors of spec §7.3–7.7.
#include "gfd/labels.h"

#include <gtest/gtest.h>

#include "gfd/vgpu.h"

namespace nvdp::gfd {
namespace {

device::GpuInfo Gpu(const std::string& name = "MOCKMODEL", unsigned long long mib = 300,
                    int major = 8, int minor = 0) {
  device::GpuInfo gpu;
  gpu.name = name;
  gpu.memory_bytes = mib << 20;
  gpu.cc_major = major;
  gpu.cc_minor = minor;
  gpu.pci_bus_id = "00000000:07:00.0";
  return gpu;
}

device::MigDeviceInfo Mig(const std::string& profile, unsigned ci_slices, unsigned long long mib,
                          unsigned gi_slices = 1) {
  device::MigDeviceInfo mig;
  mig.profile = profile;
  mig.attributes.gpu_instance_slices = gi_slices;
  mig.attributes.compute_instance_slices = ci_slices;
  mig.attributes.memory_mib = mib;
  return mig;
}

device::GpuInfo MigGpu(std::vector<device::MigDeviceInfo> migs, int major = 0) {
  device::GpuInfo gpu = Gpu("MOCKMODEL", 300, major, 0);
  gpu.mig_capable = gpu.mig_enabled = true;
  gpu.mig_devices = std::move(migs);
  return gpu;
}

NodeFacts Facts(std::vector<device::GpuInfo> gpus) {
  NodeFacts facts;
  facts.driver_version = "550.54.15";
  facts.cuda_driver_version = 12040;
  facts.gpus = std::move(gpus);
  facts.pci_classes.assign(facts.gpus.size(), 0x030200u);
  facts.fabric.assign(facts.gpus.size(), FabricInfo{});
  facts.machine_type = "product-name\n";
  return facts;
}

config::Sharing TimeSlicing(const std::string& resource, int replicas,
                            std::optional<std::string> rename = std::nullopt) {
  config::Sharing sharing;
  sharing.time_slicing = config::ReplicatedResources{};
  sharing.time_slicing->resources.push_back({resource, rename, {}, replicas});
  return sharing;
}

config::Sharing Mps(const std::string& resource, int replicas,
                    std::optional<std::string> rename = std::nullopt) {
  config::Sharing sharing;
  sharing.mps = config::ReplicatedResources{};
  sharing.mps->resources.push_back({resource, rename, {}, replicas});
  return sharing;
}

Labels Make(const NodeFacts& facts, const std::string& strategy = "none",
            const config::Sharing& sharing = {}) {
  std::vector<std::string> warnings;
  return DeviceLabels(facts, strategy, sharing, &warnings);
}

// The labels under `prefix`, with the prefix removed.
Labels Under(const Labels& labels, const std::string& prefix) {
  Labels out;
  for (const auto& [key, value] : labels) {
    if (key.starts_with(prefix)) out[key.substr(prefix.size())] = value;
  }
  return out;
}

TEST(GfdLabelsTest, SanitiseMatchesUpstreamsTable) {
  const std::pair<const char*, const char*> cases[] = {
      {"a space separated string", "a-space-separated-string"},
      {"some(thing)else", "somethingelse"},
      {"some ( thing )else", "some-thing-else"},
      {"NVIDIA-TITAN-X-(Pascal)", "NVIDIA-TITAN-X-Pascal"},
      {" input  with multiple   spaces   ", "input-with-multiple-spaces"},
      {"some [ / thing / ]else", "some-thing-else"},
      {"some / thing /else", "some-thing-else"},
      {"some-thing.else_new", "some-thing.else_new"},
  };
  for (const auto& [input, output] : cases) EXPECT_EQ(Sanitise(input), output) << input;
}

// Upstream's Tegra (CUDA) path takes the CUDA minor from the last two digits, NVML's from three.
TEST(GfdLabelsTest, TegraCudaVersionAndUnknownDriverVersion) {
  NodeFacts facts = Facts({Gpu()});
  facts.cuda_driver_version = 12100;
  std::vector<std::string> warnings;
  EXPECT_EQ(DeviceLabels(facts, "none", {}, &warnings)["nvidia.com/cuda.runtime-version.full"],
            "12.10");
  facts.tegra = true;
  facts.driver_version = "unknown.unknown.unknown";
  Labels labels = DeviceLabels(facts, "none", {}, &warnings);
  EXPECT_EQ(labels["nvidia.com/cuda.runtime-version.full"], "12.0");
  EXPECT_EQ(labels["nvidia.com/cuda.driver-version.revision"], "unknown");
  EXPECT_EQ(labels["nvidia.com/cuda.driver.major"], "unknown");
}

TEST(GfdLabelsTest, FamiliesByComputeCapability) {
  EXPECT_EQ(GpuFamily(1, 3), "tesla");
  EXPECT_EQ(GpuFamily(2, 0), "fermi");
  EXPECT_EQ(GpuFamily(3, 7), "kepler");
  EXPECT_EQ(GpuFamily(5, 2), "maxwell");
  EXPECT_EQ(GpuFamily(6, 1), "pascal");
  EXPECT_EQ(GpuFamily(7, 0), "volta");
  EXPECT_EQ(GpuFamily(7, 2), "volta");
  EXPECT_EQ(GpuFamily(7, 5), "turing");
  EXPECT_EQ(GpuFamily(8, 0), "ampere");
  EXPECT_EQ(GpuFamily(8, 6), "ampere");
  EXPECT_EQ(GpuFamily(8, 9), "ada-lovelace");
  EXPECT_EQ(GpuFamily(9, 0), "hopper");
  EXPECT_EQ(GpuFamily(10, 0), "blackwell");
  EXPECT_EQ(GpuFamily(12, 0), "blackwell");
  EXPECT_EQ(GpuFamily(13, 0), "rubin");  // as upstream v0.20
  EXPECT_EQ(GpuFamily(11, 0), "undefined");
  EXPECT_EQ(GpuFamily(14, 0), "undefined");
  EXPECT_EQ(GpuFamily(4, 0), "undefined");
}

TEST(GfdLabelsTest, FullGpuResourceLabelsWithEverySharingSetting) {
  struct Case {
    config::Sharing sharing;
    const char* product;
    const char* replicas;
    const char* strategy;
  };
  const Case cases[] = {
      {{}, "MOCKMODEL", "1", "none"},
      {TimeSlicing("nvidia.com/not-gpu", 2), "MOCKMODEL", "1", "none"},
      {TimeSlicing("nvidia.com/gpu", 2), "MOCKMODEL-SHARED", "2", "time-slicing"},
      {TimeSlicing("nvidia.com/gpu", 2, "nvidia.com/gpu.shared"), "MOCKMODEL", "2", "time-slicing"},
      {Mps("nvidia.com/gpu", 2), "MOCKMODEL-SHARED", "2", "mps"},
      {Mps("nvidia.com/gpu", 2, "nvidia.com/gpu.shared"), "MOCKMODEL", "2", "mps"},
  };
  for (const Case& c : cases) {
    Labels gpu = Under(Make(Facts({Gpu()}), "none", c.sharing), "nvidia.com/gpu.");
    EXPECT_EQ(gpu["product"], c.product);
    EXPECT_EQ(gpu["replicas"], c.replicas);
    EXPECT_EQ(gpu["sharing-strategy"], c.strategy);
    EXPECT_EQ(gpu["count"], "1");
    EXPECT_EQ(gpu["memory"], "300");
    EXPECT_EQ(gpu["family"], "ampere");
    EXPECT_EQ(gpu["compute.major"], "8");
    EXPECT_EQ(gpu["compute.minor"], "0");
  }
}

// --sharing-per-device: only entries naming a device of this node count, and the most replicas
// any of them gives is the label (GPUs of one resource can differ).
TEST(GfdLabelsTest, PerDeviceSharingLabelsTheEntriesThatApplyHere) {
  device::GpuInfo first = Gpu(), second = Gpu();
  first.uuid = "GPU-a";
  second.index = 1;
  second.uuid = "GPU-b";
  config::Sharing sharing = TimeSlicing("nvidia.com/gpu", 2);
  sharing.per_device = true;
  auto& entries = sharing.time_slicing->resources;
  entries[0].devices = {config::ReplicatedDevices::Kind::kList, 0, {"GPU-b"}};
  entries.push_back({"nvidia.com/gpu",
                     std::nullopt,
                     {config::ReplicatedDevices::Kind::kList, 0, {"7"}},
                     8});  // no such GPU here
  Labels gpu = Under(Make(Facts({first, second}), "none", sharing), "nvidia.com/gpu.");
  EXPECT_EQ(gpu["replicas"], "2");
  EXPECT_EQ(gpu["product"], "MOCKMODEL-SHARED");
  EXPECT_EQ(gpu["sharing-strategy"], "time-slicing");
  entries[1].devices.list = {"0"};
  entries[1].rename = "nvidia.com/gpu.big";
  gpu = Under(Make(Facts({first, second}), "none", sharing), "nvidia.com/gpu.");
  EXPECT_EQ(gpu["replicas"], "8");
  EXPECT_EQ(gpu["product"], "MOCKMODEL-SHARED");  // one entry keeps the name
  entries[0].devices.list = {"3"};
  gpu = Under(Make(Facts({first, second}), "none", sharing), "nvidia.com/gpu.");
  EXPECT_EQ(gpu["product"], "MOCKMODEL");  // only the renamed entry applies
}

TEST(GfdLabelsTest, VersionCapabilityModeAndMachineLabels) {
  Labels labels = Make(Facts({Gpu()}));
  const Labels expected = {
      {"nvidia.com/cuda.driver.major", "550"},
      {"nvidia.com/cuda.driver.minor", "54"},
      {"nvidia.com/cuda.driver.rev", "15"},
      {"nvidia.com/cuda.driver-version.major", "550"},
      {"nvidia.com/cuda.driver-version.minor", "54"},
      {"nvidia.com/cuda.driver-version.revision", "15"},
      {"nvidia.com/cuda.driver-version.full", "550.54.15"},
      {"nvidia.com/cuda.runtime.major", "12"},
      {"nvidia.com/cuda.runtime.minor", "4"},
      {"nvidia.com/cuda.runtime-version.major", "12"},
      {"nvidia.com/cuda.runtime-version.minor", "4"},
      {"nvidia.com/cuda.runtime-version.full", "12.4"},
      {"nvidia.com/gpu.machine", "product-name"},
      {"nvidia.com/mig.capable", "false"},
      {"nvidia.com/mps.capable", "false"},
      {"nvidia.com/gpu.mode", "compute"},
  };
  for (const auto& [key, value] : expected) EXPECT_EQ(labels[key], value) << key;
  EXPECT_EQ(labels.count("nvidia.com/mig.strategy"), 0u);
  EXPECT_EQ(labels.count("nvidia.com/gpu.clique"), 0u);

  NodeFacts two_parts = Facts({Gpu()});
  two_parts.driver_version = "550.54";
  two_parts.machine_type.reset();
  Labels short_version = Make(two_parts);
  EXPECT_EQ(short_version["nvidia.com/cuda.driver-version.revision"], "");
  EXPECT_EQ(short_version["nvidia.com/cuda.driver.rev"], "");
  EXPECT_EQ(short_version["nvidia.com/gpu.machine"], "unknown");

  NodeFacts bad = Facts({Gpu()});
  bad.driver_version = "550";
  EXPECT_THROW(Make(bad), LabelError);
  bad.driver_version = "1.2.3.4";
  EXPECT_THROW(Make(bad), LabelError);
}

TEST(GfdLabelsTest, NoGpusNoDeviceLabels) { EXPECT_TRUE(Make(Facts({}), "bogus").empty()); }

TEST(GfdLabelsTest, GpuModeFromThePciClasses) {
  NodeFacts facts = Facts({Gpu(), Gpu()});
  facts.pci_classes = {0x030000u, 0x030000u};
  EXPECT_EQ(Make(facts)["nvidia.com/gpu.mode"], "graphics");
  facts.pci_classes = {0x030000u, 0x030200u};
  EXPECT_EQ(Make(facts)["nvidia.com/gpu.mode"], "unknown");
  facts.pci_classes = {0x030200u, std::nullopt};
  EXPECT_EQ(Make(facts)["nvidia.com/gpu.mode"], "unknown");
  facts.pci_classes = {0x038000u, 0x038000u};
  EXPECT_EQ(Make(facts)["nvidia.com/gpu.mode"], "unknown");
}

TEST(GfdLabelsTest, MpsWithMigIsAnError) {
  EXPECT_EQ(Make(Facts({Gpu()}), "none", Mps("nvidia.com/gpu", 2))["nvidia.com/mps.capable"],
            "true");
  EXPECT_THROW(Make(Facts({MigGpu({Mig("1g.5gb", 1, 100)})}), "none", Mps("nvidia.com/gpu", 2)),
               LabelError);
}

TEST(GfdLabelsTest, MigStrategyNone) {
  // A MIG-enabled GPU only: labelled without sharing; no family or compute (the mock's CC 0.0).
  Labels gpu =
      Under(Make(Facts({MigGpu({})}), "none", TimeSlicing("nvidia.com/gpu", 2)), "nvidia.com/gpu.");
  EXPECT_EQ(gpu["count"], "1");
  EXPECT_EQ(gpu["replicas"], "0");
  EXPECT_EQ(gpu["sharing-strategy"], "none");
  EXPECT_EQ(gpu["memory"], "300");
  EXPECT_EQ(gpu["product"], "MOCKMODEL");
  EXPECT_EQ(gpu.count("family"), 0u);
  EXPECT_EQ(gpu.count("compute.major"), 0u);

  // With a full GPU of the same model the sharing applies and counts both.
  gpu = Under(Make(Facts({MigGpu({}), Gpu()}), "none", TimeSlicing("nvidia.com/gpu", 2)),
              "nvidia.com/gpu.");
  EXPECT_EQ(gpu["count"], "2");
  EXPECT_EQ(gpu["replicas"], "2");
  EXPECT_EQ(gpu["sharing-strategy"], "time-slicing");
  EXPECT_EQ(gpu["product"], "MOCKMODEL-SHARED");
  EXPECT_EQ(gpu["family"], "ampere");
}

TEST(GfdLabelsTest, MigStrategySingle) {
  Labels plain = Make(Facts({Gpu()}), "single");
  EXPECT_EQ(plain["nvidia.com/mig.strategy"], "single");
  EXPECT_EQ(plain["nvidia.com/gpu.product"], "MOCKMODEL");

  Labels gpu = Under(Make(Facts({MigGpu({Mig("1g.100gb", 2, 100)})}), "single"), "nvidia.com/gpu.");
  EXPECT_EQ(gpu["count"], "1");
  EXPECT_EQ(gpu["replicas"], "1");
  EXPECT_EQ(gpu["sharing-strategy"], "none");
  EXPECT_EQ(gpu["memory"], "100");
  EXPECT_EQ(gpu["product"], "MOCKMODEL-MIG-1g.100gb");
  EXPECT_EQ(gpu["multiprocessors"], "0");
  EXPECT_EQ(gpu["slices.gi"], "1");
  EXPECT_EQ(gpu["slices.ci"], "2");
  for (const char* engine : {"copy", "decoder", "encoder", "jpeg", "ofa"}) {
    EXPECT_EQ(gpu[std::string("engines.") + engine], "0");
  }

  device::MigDeviceInfo busy = Mig("1g.100gb", 2, 100);
  busy.attributes.multiprocessors = 12;
  busy.attributes.copy_engines = 13;
  busy.attributes.decoders = 14;
  busy.attributes.encoders = 15;
  busy.attributes.jpegs = 16;
  busy.attributes.ofas = 17;
  gpu = Under(Make(Facts({MigGpu({busy}), MigGpu({busy})}), "single"), "nvidia.com/gpu.");
  EXPECT_EQ(gpu["count"], "2");
  EXPECT_EQ(gpu["multiprocessors"], "12");
  EXPECT_EQ(gpu["engines.copy"], "13");
  EXPECT_EQ(gpu["engines.decoder"], "14");
  EXPECT_EQ(gpu["engines.encoder"], "15");
  EXPECT_EQ(gpu["engines.jpeg"], "16");
  EXPECT_EQ(gpu["engines.ofa"], "17");
}

TEST(GfdLabelsTest, MigStrategySingleInvalidLayouts) {
  auto expect_invalid = [](const Labels& labels) {
    Labels gpu = Under(labels, "nvidia.com/gpu.");
    EXPECT_EQ(gpu["product"], "MOCKMODEL-MIG-INVALID");
    EXPECT_EQ(gpu["count"], "0");
    EXPECT_EQ(gpu["replicas"], "0");
    EXPECT_EQ(gpu["sharing-strategy"], "");
    EXPECT_EQ(gpu["memory"], "0");
  };
  expect_invalid(Make(Facts({MigGpu({})}), "single"));
  expect_invalid(
      Make(Facts({MigGpu({Mig("1g.100gb", 1, 100), Mig("3g.100gb", 3, 100, 3)})}), "single"));
  Labels mixed = Make(Facts({MigGpu({Mig("1g.100gb", 1, 100)}), Gpu()}), "single");
  expect_invalid(mixed);
  EXPECT_EQ(mixed["nvidia.com/gpu.family"], "ampere");  // from the full GPU
  EXPECT_EQ(mixed["nvidia.com/gpu.compute.major"], "8");
}

TEST(GfdLabelsTest, MigStrategyMixed) {
  Labels labels = Make(Facts({MigGpu({Mig("3g.20gb", 3, 20000, 3), Mig("1g.5gb", 1, 5000),
                                      Mig("1g.5gb+me", 1, 5000)}),
                              Gpu()}),
                       "mixed", TimeSlicing("nvidia.com/mig-1g.5gb", 2));
  EXPECT_EQ(labels["nvidia.com/mig.strategy"], "mixed");
  EXPECT_EQ(labels["nvidia.com/gpu.count"], "2");
  EXPECT_EQ(labels["nvidia.com/gpu.product"], "MOCKMODEL");
  EXPECT_EQ(labels["nvidia.com/gpu.memory"], "300");
  EXPECT_EQ(labels["nvidia.com/mig-3g.20gb.count"], "1");
  EXPECT_EQ(labels["nvidia.com/mig-3g.20gb.product"], "MOCKMODEL-MIG-3g.20gb");
  EXPECT_EQ(labels["nvidia.com/mig-3g.20gb.slices.gi"], "3");
  EXPECT_EQ(labels["nvidia.com/mig-1g.5gb.product"], "MOCKMODEL-MIG-1g.5gb-SHARED");
  EXPECT_EQ(labels["nvidia.com/mig-1g.5gb.replicas"], "2");
  EXPECT_EQ(labels["nvidia.com/mig-1g.5gb.sharing-strategy"], "time-slicing");
  EXPECT_EQ(labels["nvidia.com/mig-1g.5gb.me.product"], "MOCKMODEL-MIG-1g.5gb.me");
  EXPECT_EQ(labels["nvidia.com/mig-1g.5gb.me.replicas"], "1");
  EXPECT_EQ(labels.count("nvidia.com/mig-3g.20gb.family"), 0u);
}

TEST(GfdLabelsTest, MigResourceLabelsFollowTheResourcesSharing) {
  struct Case {
    std::string strategy;
    config::Sharing sharing;
    const char* product;
    const char* replicas;
    const char* sharing_strategy;
  };
  const device::GpuInfo gpu = MigGpu({Mig("1g.300gb", 2, 300)});
  const Case cases[] = {
      {"single", {}, "MOCKMODEL-MIG-1g.300gb", "1", "none"},
      {"single", TimeSlicing("nvidia.com/gpu", 2), "MOCKMODEL-MIG-1g.300gb-SHARED", "2",
       "time-slicing"},
      {"single", TimeSlicing("nvidia.com/gpu", 2, "nvidia.com/gpu.shared"),
       "MOCKMODEL-MIG-1g.300gb", "2", "time-slicing"},
      {"mixed", TimeSlicing("nvidia.com/mig-1g.300gb", 2), "MOCKMODEL-MIG-1g.300gb-SHARED", "2",
       "time-slicing"},
      {"mixed", TimeSlicing("nvidia.com/mig-1g.300gb", 2, "nvidia.com/mig-1g.300gb.shared"),
       "MOCKMODEL-MIG-1g.300gb", "2", "time-slicing"},
  };
  for (const Case& c : cases) {
    const std::string prefix =
        c.strategy == "single" ? "nvidia.com/gpu." : "nvidia.com/mig-1g.300gb.";
    Labels labels = Under(Make(Facts({gpu}), c.strategy, c.sharing), prefix);
    EXPECT_EQ(labels["product"], c.product) << c.strategy;
    EXPECT_EQ(labels["replicas"], c.replicas) << c.strategy;
    EXPECT_EQ(labels["sharing-strategy"], c.sharing_strategy) << c.strategy;
    EXPECT_EQ(labels["count"], "1");
  }
}

TEST(GfdLabelsTest, UnknownMigStrategyFailsOnlyWithDevices) {
  try {
    Make(Facts({Gpu()}), "bogus");
    FAIL();
  } catch (const LabelError& error) {
    EXPECT_NE(std::string(error.what()).find("unknown strategy: bogus"), std::string::npos);
  }
}

TEST(GfdLabelsTest, SeveralModelsTheLastInNvmlOrderWins) {
  std::vector<std::string> warnings;
  Labels labels = DeviceLabels(Facts({Gpu("MODEL-A"), Gpu("MODEL-B", 500), Gpu("MODEL-A")}), "none",
                               {}, &warnings);
  EXPECT_EQ(labels["nvidia.com/gpu.product"], "MODEL-B");
  EXPECT_EQ(labels["nvidia.com/gpu.count"], "1");
  EXPECT_EQ(labels["nvidia.com/gpu.memory"], "500");
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("Multiple device types detected"), std::string::npos);
}

TEST(GfdLabelsTest, CliqueFromTheFabric) {
  NodeFacts facts = Facts({Gpu(), Gpu()});
  facts.fabric = {{true, "7b968a6d-c8aa-45e1-9e07-e1e51be99c31", 1},
                  {true, "7b968a6d-c8aa-45e1-9e07-e1e51be99c31", 1}};
  EXPECT_EQ(Make(facts)["nvidia.com/gpu.clique"], "7b968a6d-c8aa-45e1-9e07-e1e51be99c31.1");
  facts.fabric[1].clique_id = 2;
  EXPECT_EQ(Make(facts).count("nvidia.com/gpu.clique"), 0u);
  facts.fabric[1] = {};  // not attached: only the attached GPU counts
  EXPECT_EQ(Make(facts)["nvidia.com/gpu.clique"], "7b968a6d-c8aa-45e1-9e07-e1e51be99c31.1");
}

// PCI config space with NVIDIA's vendor capability at 0x40, as spec §7.7's mocks.
std::string ConfigSpace(const std::string& capability) {
  std::string config(256, '\0');
  config[0x06] = 0x10;  // capability list present
  config[0x34] = 0x40;
  config.replace(0x40, capability.size(), capability);
  return config;
}

TEST(GfdVgpuTest, HostDriverFromTheVendorCapability) {
  std::string vgpu = {0x09, 0x00, 27, 'V', 'F', 0x00, 22};
  vgpu += std::string("460.16\0\0\0\0", 10) + std::string("r460_00\0\0\0", 10);
  ASSERT_EQ(vgpu.size(), 27u);
  auto host = ParseVgpuConfig(ConfigSpace(vgpu));
  ASSERT_TRUE(host);
  EXPECT_EQ(host->version, "460.16");
  EXPECT_EQ(host->branch, "r460_00");

  std::string passthrough = {0x09, 0x00, 20, 'P', 'T'};
  passthrough.resize(20, '\0');
  EXPECT_FALSE(ParseVgpuConfig(ConfigSpace(passthrough)));
  EXPECT_FALSE(ParseVgpuConfig(std::string(256, '\0')));  // no capability list
  EXPECT_THROW(ParseVgpuConfig(std::string(64, '\0')), LabelError);
  std::string no_record = {0x09, 0x00, 9, 'V', 'F', 0x05, 4, 0, 0};
  EXPECT_THROW(ParseVgpuConfig(ConfigSpace(no_record)), LabelError);
}

}  // namespace
}  // namespace nvdp::gfd
