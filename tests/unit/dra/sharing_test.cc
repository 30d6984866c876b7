// Claim sharing configuration: the anchor's schema, strict parsing, precedence, MPS limits.
#include "dra/sharing.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "dra/claim.h"

namespace nvdp::dra {
namespace {

using Json = nlohmann::json;

std::string ErrorOf(const Json& parameters) {
  try {
    ParseSharingConfig(parameters);
  } catch (const ClaimError& error) {
    return error.what();
  }
  return "";
}

Json Gpu(Json sharing) {
  return {
      {"apiVersion", "resource.nvidia.com/v1beta1"}, {"kind", "GpuConfig"}, {"sharing", sharing}};
}

TEST(SharingConfig, ParsesTimeSlicingAndMps) {
  Sharing ts = ParseSharingConfig(
      Gpu({{"strategy", "TimeSlicing"}, {"timeSlicingConfig", {{"interval", "Long"}}}}));
  EXPECT_EQ(ts.strategy, Strategy::kTimeSlicing);
  EXPECT_EQ(ts.timeslice, 3);
  EXPECT_EQ(ParseSharingConfig(Gpu({{"strategy", "TimeSlicing"}})).timeslice, 0);
  Sharing mps = ParseSharingConfig(
      Gpu({{"strategy", "MPS"},
           {"mpsConfig",
            {{"defaultActiveThreadPercentage", 50},
             {"defaultPinnedDeviceMemoryLimit", "10Gi"},
             {"defaultPerDevicePinnedMemoryLimit", {{"0", "2Gi"}, {"GPU-1", "512Mi"}}}}}}));
  EXPECT_EQ(mps.strategy, Strategy::kMps);
  EXPECT_EQ(mps.mps.active_thread_percentage, 50);
  EXPECT_EQ(mps.mps.pinned_memory_bytes, 10ULL << 30);
  EXPECT_EQ(mps.mps.per_device.at("GPU-1"), 512ULL << 20);
  Json plain = {{"apiVersion", "resource.nvidia.com/v1beta1"}, {"kind", "GpuConfig"}};
  EXPECT_EQ(ParseSharingConfig(plain).strategy, Strategy::kExclusive);
  Json mig = {{"apiVersion", "resource.nvidia.com/v1beta1"},
              {"kind", "MigDeviceConfig"},
              {"sharing", {{"strategy", "MPS"}}}};
  EXPECT_EQ(ParseSharingConfig(mig).kind, "MigDeviceConfig");
}

TEST(SharingConfig, StrictErrorsNameTheField) {
  EXPECT_EQ(ErrorOf(Gpu({{"strategy", "MPS"}, {"mpsConfig", {{"defaultActiveThreadPercent", 5}}}})),
            "sharing.mpsConfig.defaultActiveThreadPercent: unknown field");
  Json extra = Gpu({{"strategy", "MPS"}});
  extra["replicas"] = 4;
  EXPECT_EQ(ErrorOf(extra), "replicas: unknown field");
  EXPECT_EQ(ErrorOf(Gpu({{"strategy", "Fractional"}})),
            "sharing.strategy: must be TimeSlicing or MPS, not \"Fractional\"");
  EXPECT_EQ(
      ErrorOf(Gpu({{"strategy", "TimeSlicing"}, {"timeSlicingConfig", {{"interval", "Huge"}}}})),
      "sharing.timeSlicingConfig.interval: must be Default, Short, Medium or Long, not \"Huge\"");
  EXPECT_EQ(ErrorOf(Gpu({{"strategy", "TimeSlicing"}, {"mpsConfig", Json::object()}})),
            "sharing.mpsConfig: cannot be used with the TimeSlicing strategy");
  EXPECT_EQ(
      ErrorOf(Gpu({{"strategy", "MPS"}, {"mpsConfig", {{"defaultActiveThreadPercentage", 0}}}})),
      "sharing.mpsConfig.defaultActiveThreadPercentage: must be 1 to 100, not 0");
  EXPECT_EQ(ErrorOf(Gpu({{"strategy", "MPS"},
                         {"mpsConfig", {{"defaultPinnedDeviceMemoryLimit", "ten gigs"}}}})),
            "sharing.mpsConfig.defaultPinnedDeviceMemoryLimit: not a quantity: \"ten gigs\"");
  EXPECT_EQ(ErrorOf(Gpu({{"mpsConfig", Json::object()}})), "sharing.strategy: required");
  Json mig_ts = {{"apiVersion", "resource.nvidia.com/v1beta1"},
                 {"kind", "MigDeviceConfig"},
                 {"sharing", {{"strategy", "TimeSlicing"}, {"timeSlicingConfig", Json::object()}}}};
  EXPECT_EQ(ErrorOf(mig_ts), "sharing.timeSlicingConfig: unknown field");
  EXPECT_EQ(ErrorOf({{"apiVersion", "resource.nvidia.com/v1"}, {"kind", "GpuConfig"}}),
            "apiVersion: must be resource.nvidia.com/v1beta1");
  EXPECT_EQ(ErrorOf({{"apiVersion", "resource.nvidia.com/v1beta1"}, {"kind", "TpuConfig"}}),
            "kind: must be GpuConfig or MigDeviceConfig, not \"TpuConfig\"");
  EXPECT_EQ(ErrorOf(Json::array()), "parameters: must be an object, not []");
}

Json Claim(Json config) {
  return {{"status",
           {{"allocation", {{"devices", {{"results", Json::array()}, {"config", config}}}}}}}};
}

Json Entry(const char* source, Json requests, Json sharing) {
  return {{"source", source},
          {"requests", requests},
          {"opaque", {{"driver", "gpu.nvidia.com"}, {"parameters", Gpu(sharing)}}}};
}

TEST(SharingConfig, ClaimOverridesClassAndLaterOverridesEarlier) {
  const Json config = Json::array(
      {Entry("FromClaim", Json::array({"a"}), {{"strategy", "MPS"}}),
       Entry("FromClass", nullptr, {{"strategy", "TimeSlicing"}}),
       {{"source", "FromClaim"},
        {"opaque", {{"driver", "other.example.com"}, {"parameters", {{"anything", 1}}}}}},
       Entry("FromClaim", Json::array({"b"}),
             {{"strategy", "TimeSlicing"}, {"timeSlicingConfig", {{"interval", "Short"}}}}),
       Entry("FromClaim", Json::array({"b"}),
             {{"strategy", "TimeSlicing"}, {"timeSlicingConfig", {{"interval", "Medium"}}}})});
  const std::vector<ConfigEntry> entries = ClaimConfigs(Claim(config), "gpu.nvidia.com");
  ASSERT_EQ(entries.size(), 4u);  // the other driver's entry is skipped, unparsed
  EXPECT_EQ(SharingFor(entries, "a", false).strategy, Strategy::kMps);          // claim over class
  EXPECT_EQ(SharingFor(entries, "b", false).timeslice, 2);                      // the later entry
  EXPECT_EQ(SharingFor(entries, "c", false).strategy, Strategy::kTimeSlicing);  // the class's
  EXPECT_THROW(SharingFor(entries, "c", true), ClaimError);  // a GpuConfig for a MIG device
  EXPECT_EQ(SharingFor({}, "c", true).strategy, Strategy::kExclusive);
  try {
    ClaimConfigs(Claim(Json::array({Entry("FromClaim", nullptr, {{"strategy", "MPS"}, {"x", 1}})})),
                 "gpu.nvidia.com");
    FAIL();
  } catch (const ClaimError& error) {
    EXPECT_STREQ(error.what(),
                 "config entry 0 (FromClaim) of driver gpu.nvidia.com: sharing.x: unknown field");
  }
}

TEST(SharingConfig, PinnedLimitsByDefaultIndexAndUuid) {
  MpsSettings mps;
  mps.pinned_memory_bytes = 4ULL << 30;
  mps.per_device = {{"1", 1ULL << 30}, {"GPU-c", 3ULL << 20}};
  const auto limits = PinnedLimitsMiB(mps, {"GPU-a", "GPU-b", "GPU-c"});
  EXPECT_EQ(limits, (std::map<std::string, unsigned long long>{
                        {"GPU-a", 4096}, {"GPU-b", 1024}, {"GPU-c", 3}}));
  mps.per_device = {{"3", 1ULL << 30}};
  EXPECT_THROW(PinnedLimitsMiB(mps, {"GPU-a"}), ClaimError);
  mps.per_device = {{"0", 1000}};
  EXPECT_THROW(PinnedLimitsMiB(mps, {"GPU-a"}), ClaimError);  // under 1Mi
}

TEST(SharingConfig, Quantities) {
  EXPECT_EQ(QuantityBytes("10Gi"), 10ULL << 30);
  EXPECT_EQ(QuantityBytes("1.5Gi"), 3ULL << 29);
  EXPECT_EQ(QuantityBytes("512M"), 512000000ULL);
  EXPECT_EQ(QuantityBytes("1e9"), 1000000000ULL);
  EXPECT_EQ(QuantityBytes("1024"), 1024ULL);
  EXPECT_EQ(QuantityBytes("+2Ki"), 2048ULL);
  EXPECT_EQ(QuantityBytes("1500m"), 2ULL);  // rounded up
  for (const char* bad : {"", "-1Gi", "Gi", "1GB", "1..2", "1e", "1e999", "99999999999Ei"}) {
    EXPECT_EQ(QuantityBytes(bad), std::nullopt) << bad;
  }
}

}  // namespace
}  // namespace nvdp::dra
