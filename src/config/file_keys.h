// The config file's flag-backed keys (spec §2.2): every key a flag can set, by its dotted path,
// with its type, in the schema's order. The decoder, the merge and the effective JSON all walk
// this one list; a program's settings table names these keys.
#pragma once

#include <string_view>
#include <vector>

#include "common/flags.h"

namespace nvdp::config {

namespace keys {
inline constexpr std::string_view kMigStrategy = "flags.migStrategy";
inline constexpr std::string_view kFailOnInitError = "flags.failOnInitError";
inline constexpr std::string_view kMpsRoot = "flags.mpsRoot";
inline constexpr std::string_view kNvidiaDriverRoot = "flags.nvidiaDriverRoot";
inline constexpr std::string_view kNvidiaDevRoot = "flags.nvidiaDevRoot";
inline constexpr std::string_view kGdrcopyEnabled = "flags.gdrcopyEnabled";
inline constexpr std::string_view kGdsEnabled = "flags.gdsEnabled";
inline constexpr std::string_view kMofedEnabled = "flags.mofedEnabled";
inline constexpr std::string_view kUseNodeFeatureApi = "flags.useNodeFeatureAPI";
inline constexpr std::string_view kDeviceDiscoveryStrategy = "flags.deviceDiscoveryStrategy";
inline constexpr std::string_view kPassDeviceSpecs = "flags.plugin.passDeviceSpecs";
inline constexpr std::string_view kDeviceListStrategy = "flags.plugin.deviceListStrategy";
inline constexpr std::string_view kDeviceIdStrategy = "flags.plugin.deviceIDStrategy";
inline constexpr std::string_view kCdiAnnotationPrefix = "flags.plugin.cdiAnnotationPrefix";
inline constexpr std::string_view kNvidiaCtkPath = "flags.plugin.nvidiaCTKPath";
inline constexpr std::string_view kContainerDriverRoot = "flags.plugin.containerDriverRoot";
inline constexpr std::string_view kSharedDevicesAllocationPolicy =
    "flags.plugin.sharedDevicesAllocationPolicy";  // upstream v0.20
inline constexpr std::string_view kOneshot = "flags.gfd.oneshot";
inline constexpr std::string_view kNoTimestamp = "flags.gfd.noTimestamp";
inline constexpr std::string_view kSleepInterval = "flags.gfd.sleepInterval";
inline constexpr std::string_view kOutputFile = "flags.gfd.outputFile";
inline constexpr std::string_view kMachineTypeFile = "flags.gfd.machineTypeFile";
inline constexpr std::string_view kImexChannelIds = "imex.channelIDs";
inline constexpr std::string_view kImexRequired = "imex.required";
}  // namespace keys

struct FileKey {
  std::string_view path;
  // kString, kBool, kDuration (nanoseconds, or a Go duration string), kStringSlice (a string is
  // one item: the file does not split on commas), kIntSlice.
  flags::Kind kind;
};

// Every flag-backed key, in the schema's order (the order of the effective JSON).
const std::vector<FileKey>& ConfigFileKeys();
// nullptr when `path` is not a flag-backed key.
const FileKey* FindFileKey(std::string_view path);

}  // namespace nvdp::config
