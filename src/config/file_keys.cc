#include "config/file_keys.h"

namespace nvdp::config {

const std::vector<FileKey>& ConfigFileKeys() {
  using flags::Kind;
  static const std::vector<FileKey> kKeys = {
      {keys::kMigStrategy, Kind::kString},
      {keys::kFailOnInitError, Kind::kBool},
      {keys::kMpsRoot, Kind::kString},
      {keys::kNvidiaDriverRoot, Kind::kString},
      {keys::kNvidiaDevRoot, Kind::kString},
      {keys::kGdrcopyEnabled, Kind::kBool},
      {keys::kGdsEnabled, Kind::kBool},
      {keys::kMofedEnabled, Kind::kBool},
      {keys::kUseNodeFeatureApi, Kind::kBool},
      {keys::kDeviceDiscoveryStrategy, Kind::kString},
      {keys::kPassDeviceSpecs, Kind::kBool},
      {keys::kDeviceListStrategy, Kind::kStringSlice},
      {keys::kDeviceIdStrategy, Kind::kString},
      {keys::kCdiAnnotationPrefix, Kind::kString},
      {keys::kNvidiaCtkPath, Kind::kString},
      {keys::kContainerDriverRoot, Kind::kString},
      {keys::kSharedDevicesAllocationPolicy, Kind::kString},
      {keys::kOneshot, Kind::kBool},
      {keys::kNoTimestamp, Kind::kBool},
      {keys::kSleepInterval, Kind::kDuration},
      {keys::kOutputFile, Kind::kString},
      {keys::kMachineTypeFile, Kind::kString},
      {keys::kImexChannelIds, Kind::kIntSlice},
      {keys::kImexRequired, Kind::kBool},
  };
  return kKeys;
}

const FileKey* FindFileKey(std::string_view path) {
  for (const FileKey& key : ConfigFileKeys()) {
    if (key.path == path) return &key;
  }
  return nullptr;
}

}  // namespace nvdp::config
