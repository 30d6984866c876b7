#include "dra/checkpoint.h"

#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "common/fs.h"

namespace nvdp::dra {
namespace {

using Json = nlohmann::json;

constexpr const char* kKind = "GpuKubeletPluginCheckpoint";
constexpr std::size_t kMaxCheckpointBytes = 64 << 20;

std::string Hex(unsigned long long value) {
  char text[17];
  std::snprintf(text, sizeof text, "%016llx", value);
  return text;
}

const char* StateName(ClaimState state) {
  return state == ClaimState::kPrepareCompleted ? "PrepareCompleted" : "PrepareStarted";
}

std::vector<std::string> Strings(const Json& value) {
  std::vector<std::string> out;
  if (!value.is_array()) return out;
  for (const Json& item : value) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

PreparedClaim ClaimFromJson(const std::string& uid, const Json& value) {
  if (!value.is_object()) throw std::runtime_error("claim " + uid + " is not an object");
  PreparedClaim claim;
  claim.uid = uid;
  claim.ns = value.value("namespace", "");
  claim.name = value.value("name", "");
  const std::string state = value.value("state", "");
  if (state == "PrepareCompleted") {
    claim.state = ClaimState::kPrepareCompleted;
  } else if (state == "PrepareStarted") {
    claim.state = ClaimState::kPrepareStarted;
  } else {
    throw std::runtime_error("claim " + uid + " has unknown state \"" + state + "\"");
  }
  const Json devices = value.value("devices", Json::array());
  if (!devices.is_array()) throw std::runtime_error("claim " + uid + ": devices is not a list");
  for (const Json& device : devices) {
    if (!device.is_object()) throw std::runtime_error("claim " + uid + ": bad device entry");
    claim.devices.push_back({Strings(device.value("requests", Json::array())),
                             device.value("pool", ""), device.value("device", ""),
                             device.value("shareID", ""),
                             Strings(device.value("cdiDeviceIDs", Json::array()))});
  }
  const Json sharing = value.value("sharing", Json::object());
  if (!sharing.is_object()) throw std::runtime_error("claim " + uid + ": sharing is not an object");
  const Json timeslices = sharing.value("timeslices", Json::object());
  for (auto it = timeslices.begin(); it != timeslices.end() && timeslices.is_object(); ++it) {
    claim.sharing.timeslices[it.key()] = it.value().get<int>();
  }
  if (sharing.contains("mps")) {
    const Json& mps = sharing["mps"];
    if (!mps.is_object()) throw std::runtime_error("claim " + uid + ": mps is not an object");
    MpsDaemonState daemon;
    daemon.uuids = Strings(mps.value("uuids", Json::array()));
    const Json pinned = mps.value("pinnedMiB", Json::object());
    for (auto it = pinned.begin(); it != pinned.end() && pinned.is_object(); ++it) {
      daemon.pinned_mib[it.key()] = it.value().get<unsigned long long>();
    }
    if (mps.contains("activeThreadPercentage")) {
      daemon.active_thread_percentage = mps["activeThreadPercentage"].get<int>();
    }
    claim.sharing.mps = std::move(daemon);
  }
  return claim;
}

Json SharingToJson(const ClaimSharingState& sharing) {
  Json out = Json::object();
  if (!sharing.timeslices.empty()) out["timeslices"] = sharing.timeslices;
  if (sharing.mps) {
    Json mps = {{"uuids", sharing.mps->uuids}, {"pinnedMiB", Json::object()}};
    for (const auto& [uuid, mib] : sharing.mps->pinned_mib) mps["pinnedMiB"][uuid] = mib;
    if (sharing.mps->active_thread_percentage) {
      mps["activeThreadPercentage"] = *sharing.mps->active_thread_percentage;
    }
    out["mps"] = std::move(mps);
  }
  return out;
}

}  // namespace

unsigned long long Fnv1a64(std::string_view bytes) {
  unsigned long long hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string SerializeCheckpoint(const Checkpoint& checkpoint) {
  Json claims = Json::object();
  for (const auto& [uid, claim] : checkpoint.claims) {
    Json devices = Json::array();
    for (const PreparedDevice& device : claim.devices) {
      devices.push_back({{"requests", device.requests},
                         {"pool", device.pool},
                         {"device", device.device},
                         {"shareID", device.share_id},
                         {"cdiDeviceIDs", device.cdi_device_ids}});
    }
    claims[uid] = {{"namespace", claim.ns},
                   {"name", claim.name},
                   {"state", StateName(claim.state)},
                   {"devices", devices}};
    if (!claim.sharing.empty()) claims[uid]["sharing"] = SharingToJson(claim.sharing);
  }
  const std::string data = Json{{"bootID", checkpoint.boot_id}, {"claims", claims}}.dump();
  const Json envelope = {{"kind", kKind},
                         {"version", kCheckpointVersion},
                         {"checksum", "fnv1a64:" + Hex(Fnv1a64(data))},
                         {"data", data}};
  return envelope.dump(1) + "\n";
}

CheckpointLoad ParseCheckpoint(std::string_view bytes) {
  CheckpointLoad load;
  load.status = CheckpointLoad::Status::kCorrupt;
  try {
    const Json envelope = Json::parse(bytes);
    if (!envelope.is_object() || envelope.value("kind", "") != kKind) {
      load.problem = "not a gpu-kubelet-plugin checkpoint";
      return load;
    }
    const Json version = envelope.value("version", Json());
    if (!version.is_number_integer() || version.get<long long>() != kCheckpointVersion) {
      load.problem = "unsupported checkpoint version " + version.dump();
      return load;
    }
    const Json data = envelope.value("data", Json());
    if (!data.is_string()) {
      load.problem = "no data";
      return load;
    }
    const std::string text = data.get<std::string>();
    const std::string expected = "fnv1a64:" + Hex(Fnv1a64(text));
    if (envelope.value("checksum", "") != expected) {
      load.problem = "checksum mismatch (stored " + envelope.value("checksum", "none") +
                     ", computed " + expected + ")";
      return load;
    }
    const Json payload = Json::parse(text);
    if (!payload.is_object()) {
      load.problem = "data is not an object";
      return load;
    }
    load.checkpoint.boot_id = payload.value("bootID", "");
    const Json claims = payload.value("claims", Json::object());
    if (!claims.is_object()) {
      load.problem = "claims is not an object";
      return load;
    }
    for (const auto& [uid, value] : claims.items()) {
      load.checkpoint.claims[uid] = ClaimFromJson(uid, value);
    }
    load.status = CheckpointLoad::Status::kLoaded;
  } catch (const std::exception& error) {
    load.checkpoint = {};
    load.problem = error.what();
  }
  return load;
}

CheckpointLoad LoadCheckpoint(const std::string& path) {
  std::string bytes;
  try {
    bytes = ReadBoundedFile(path, kMaxCheckpointBytes, "checkpoint");
  } catch (const FsError& error) {
    CheckpointLoad load;
    if (error.error_number() == ENOENT) return load;
    load.status = CheckpointLoad::Status::kCorrupt;
    load.problem = error.what();
    return load;
  }
  return ParseCheckpoint(bytes);
}

void SaveCheckpoint(const std::string& path, const Checkpoint& checkpoint) {
  WriteFileAtomically(path, SerializeCheckpoint(checkpoint), 0600);
}

}  // namespace nvdp::dra
