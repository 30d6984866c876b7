#include "dra/slice_publisher.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "common/backoff.h"
#include "common/log.h"
#include "dra/slices.h"
#include "kube/api.h"

namespace nvdp::dra {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

bool Pause(milliseconds delay, const std::atomic<bool>& cancel) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (!cancel && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  return !cancel;
}

long long GenerationOf(const Json& slice) {
  const Json pool = slice.value("spec", Json::object()).value("pool", Json::object());
  const Json generation = pool.value("generation", Json());
  return generation.is_number_integer() ? generation.get<long long>() : 0;
}

std::string SlicePath(const Json& slice) {
  return std::string(kResourceSlicesPath) + "/" + slice["metadata"].value("name", std::string());
}

}  // namespace

SlicePublisher::SlicePublisher(kube::Api& api, std::string node_name, std::vector<Json> chunks)
    : api_(api), node_name_(std::move(node_name)), chunks_(std::move(chunks)) {}

void SlicePublisher::SetChunks(std::vector<Json> chunks) {
  {
    std::lock_guard lock(chunks_mutex_);
    chunks_ = std::move(chunks);
  }
  wake_ = true;
}

bool SlicePublisher::Matches(const Json& slice) const {
  if (!slice.contains("spec")) return false;
  Pool pool{node_name_, node_uid_, generation_, published_.size()};
  const Json& spec = slice["spec"];
  return std::any_of(published_.begin(), published_.end(),
                     [&](const Json& chunk) { return spec == SliceSpec(pool, chunk); });
}

std::string SlicePublisher::SyncOnce() {
  {
    std::lock_guard lock(chunks_mutex_);
    published_ = chunks_;
  }
  if (node_uid_.empty()) {
    const Json node = api_.Get("/api/v1/nodes/" + node_name_);
    node_uid_ = node.value("metadata", Json::object()).value("uid", "");
  }
  const Json list =
      api_.Get(std::string(kResourceSlicesPath) + "?" + SliceSelectorQuery(node_name_));
  std::vector<Json> existing;
  for (const Json& item : list.value("items", Json::array())) {
    const Json spec = item.value("spec", Json::object());
    if (spec.value("pool", Json::object()).value("name", "") == node_name_)
      existing.push_back(item);
  }
  std::sort(existing.begin(), existing.end(), [](const Json& a, const Json& b) {
    return a["metadata"].value("name", "") < b["metadata"].value("name", "");
  });
  for (const Json& slice : existing) generation_ = std::max(generation_, GenerationOf(slice));
  // As wanted: as many slices as chunks, each one of them (none twice) at the current generation.
  bool wanted = existing.size() == published_.size() && generation_ > 0;
  for (std::size_t i = 0; wanted && i < existing.size(); ++i) {
    wanted = Matches(existing[i]) &&
             std::none_of(existing.begin(), existing.begin() + static_cast<long>(i),
                          [&](const Json& other) { return other["spec"] == existing[i]["spec"]; });
  }
  if (wanted) return list["metadata"].value("resourceVersion", "");

  ++generation_;
  Pool pool{node_name_, node_uid_, generation_, published_.size()};
  for (std::size_t i = 0; i < published_.size(); ++i) {
    if (i < existing.size()) {
      Json slice = existing[i];
      slice["spec"] = SliceSpec(pool, published_[i]);
      api_.Update(SlicePath(slice), slice);  // 409 when changed since the list: listed again
    } else {
      api_.Create(kResourceSlicesPath, NewSlice(pool, published_[i]));
    }
  }
  for (std::size_t i = published_.size(); i < existing.size(); ++i) {
    const Json& metadata = existing[i]["metadata"];
    const Json options = {{"kind", "DeleteOptions"},
                          {"apiVersion", "v1"},
                          {"preconditions",
                           {{"uid", metadata.value("uid", "")},
                            {"resourceVersion", metadata.value("resourceVersion", "")}}}};
    deleted_.insert(metadata.value("uid", ""));
    try {
      api_.Delete(SlicePath(existing[i]), options);
    } catch (const kube::ApiError& error) {
      if (error.status() != 404) throw;
    }
  }
  LOG_INFO("Published {} ResourceSlices of pool {} (generation {})", published_.size(), node_name_,
           generation_);
  return list["metadata"].value("resourceVersion", "");
}

void SlicePublisher::WatchUntilChanged(const std::string& version,
                                       const std::atomic<bool>& cancel) {
  api_.Watch(
      std::string(kResourceSlicesPath) + "?" + SliceSelectorQuery(node_name_), version,
      [&](kube::Api::Event event, const Json& object) {
        if (event == kube::Api::Event::kBookmark) return true;
        const std::string uid = object.value("metadata", Json::object()).value("uid", "");
        if (event == kube::Api::Event::kDeleted) {
          if (deleted_.erase(uid)) return true;  // our own deletion
          LOG_INFO("ResourceSlice {} was deleted; publishing again",
                   object["metadata"].value("name", ""));
          return false;
        }
        if (Matches(object)) return true;  // our own write
        LOG_INFO("ResourceSlice {} was changed by someone else; publishing again",
                 object["metadata"].value("name", ""));
        return false;
      },
      cancel);
}

void SlicePublisher::Run(const std::atomic<bool>& cancel,
                         const std::function<void(bool ok)>& on_sync) {
  Backoff backoff = Backoff::Doubling(milliseconds(500), milliseconds(30000));
  LogThrottle throttle(10);
  auto failed = [&](const std::exception& error) {  // false once cancelled
    synced_ = false;
    if (on_sync) on_sync(false);
    const milliseconds delay = backoff.Failed();
    if (throttle.ShouldLog(error.what())) {
      LOG_WARNING("Publishing ResourceSlices: {}; retrying in {} ms", error.what(), delay.count());
    }
    return Pause(delay, cancel);
  };
  while (!cancel) {
    try {
      wake_ = false;
      const std::string version = SyncOnce();
      synced_ = true;
      if (on_sync) on_sync(true);
      backoff.Succeeded();
      throttle.Reset();
      WatchUntilChanged(version, wake_);
    } catch (const kube::ApiError& error) {
      if (error.status() == 410) continue;  // the watch expired: list again
      if (!failed(error)) return;
    } catch (const std::exception& error) {
      if (cancel || !failed(error)) return;
    }
  }
}

}  // namespace nvdp::dra
