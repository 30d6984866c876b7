#include "kube/node_watcher.h"

#include <nlohmann/json.hpp>
#include <thread>

#include "common/backoff.h"
#include "common/log.h"

namespace nvdp::kube {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;

std::string LabelOf(const Json& node, const std::string& label) {
  const Json* labels = nullptr;
  if (node.contains("metadata") && node["metadata"].contains("labels")) {
    labels = &node["metadata"]["labels"];
  }
  if (labels == nullptr || !labels->is_object() || !labels->contains(label)) return "";
  return (*labels)[label].is_string() ? (*labels)[label].get<std::string>() : "";
}

// Sleeps in slices so a cancel is noticed quickly; false once cancelled.
bool Pause(milliseconds period, const std::atomic<bool>& cancel) {
  for (auto slept = milliseconds(0); slept < period; slept += milliseconds(50)) {
    if (cancel) return false;
    std::this_thread::sleep_for(milliseconds(50));
  }
  return !cancel;
}

}  // namespace

bool NodeLabelWatcher::Retry(Backoff& backoff, const char* why,
                             const std::atomic<bool>& cancel) const {
  const milliseconds delay = backoff.Failed();
  LOG_WARNING("Watching node {}: {}; retrying in {} ms", node_, why, delay.count());
  return Pause(delay, cancel);
}

void NodeLabelWatcher::Run(const std::function<void(const std::string&)>& on_value,
                           const std::function<void()>& on_synced,
                           const std::atomic<bool>& cancel) {
  const std::string collection =
      "/api/v1/nodes?fieldSelector=" + QueryEscape("metadata.name=" + node_);
  bool synced = false;
  Backoff backoff = Backoff::Doubling(milliseconds(500), milliseconds(30000));
  std::string version;  // empty: list first
  while (!cancel) {
    try {
      if (version.empty()) {
        Json list = client_.Get(collection);
        version = list["metadata"].value("resourceVersion", "");
        const Json& items = list["items"];
        on_value(items.empty() ? "" : LabelOf(items[0], label_));
        if (!synced) {
          synced = true;
          on_synced();
        }
        if (version.empty()) throw ApiError(500, "node list without a resourceVersion");
      }
      client_.Watch(
          collection, version,
          [&](Api::Event event, const Json& object) {
            if (object.contains("metadata")) {
              version = object["metadata"].value("resourceVersion", version);
            }
            if (event == Api::Event::kDeleted) {
              on_value("");
            } else if (event != Api::Event::kBookmark) {
              on_value(LabelOf(object, label_));
            }
            backoff.Succeeded();
            return true;
          },
          cancel);
      // The server ended the watch (a normal timeout): continue from the last version.
    } catch (const ApiError& error) {
      if (error.status() == 410) {
        LOG_INFO("Watch of node {} expired ({}); listing again", node_, error.what());
        version.clear();
        continue;
      }
      version.clear();
      if (!Retry(backoff, error.what(), cancel)) return;
    } catch (const std::exception& error) {
      if (cancel || !Retry(backoff, error.what(), cancel)) return;
    }
  }
}

}  // namespace nvdp::kube
