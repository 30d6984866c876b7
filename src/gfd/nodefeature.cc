#include "gfd/nodefeature.h"

#include <nlohmann/json.hpp>

#include "common/log.h"

namespace nvdp::gfd {

using Json = nlohmann::json;

struct NodeFeatureWriter::Owner {
  Json reference;  // one entry of metadata.ownerReferences
};

namespace {

bool HasOwner(const Json& metadata, const Json& reference) {
  for (const Json& entry : metadata.value("ownerReferences", Json::array())) {
    if (entry.is_object() && entry.value("uid", "") == reference["uid"]) return true;
  }
  return false;
}

}  // namespace

NodeFeatureWriter::NodeFeatureWriter(kube::Api& api, std::string namespace_name, std::string node,
                                     std::string pod)
    : client_(api),
      namespace_(std::move(namespace_name)),
      node_(std::move(node)),
      pod_(std::move(pod)) {}

NodeFeatureWriter::~NodeFeatureWriter() = default;

// The pod's controller, else the pod itself. Only the controller, not also the pod as upstream
// does: owners that stay the same across pod restarts need no update of the references (which
// the API server allows only with delete permission), and a NodeFeature owned by a pod would
// lose the node's labels whenever that pod is replaced, were the controller gone.
const NodeFeatureWriter::Owner* NodeFeatureWriter::ResolveOwner() {
  if (pod_.empty() || owner_) return owner_.get();
  Json pod;
  try {
    pod = client_.Get("/api/v1/namespaces/" + namespace_ + "/pods/" + pod_);
  } catch (const std::exception& error) {
    if (!pod_log_.ShouldLog(error.what())) return nullptr;
    LOG_WARNING(
        "Cannot read pod {}/{} to find the NodeFeature's owner (retried on the next pass): {}",
        namespace_, pod_, error.what());
    return nullptr;
  }
  const Json metadata = pod.value("metadata", Json::object());
  Json reference;
  for (const Json& entry : metadata.value("ownerReferences", Json::array())) {
    if (entry.is_object() && entry.value("controller", false)) {
      reference = {{"apiVersion", entry.value("apiVersion", "")},
                   {"kind", entry.value("kind", "")},
                   {"name", entry.value("name", "")},
                   {"uid", entry.value("uid", "")},
                   {"controller", true}};
      break;
    }
  }
  if (reference.is_null()) {
    reference = {{"apiVersion", "v1"},
                 {"kind", "Pod"},
                 {"name", metadata.value("name", pod_)},
                 {"uid", metadata.value("uid", "")}};
  }
  if (!reference["uid"].is_string() || reference["uid"].get<std::string>().empty()) {
    LOG_WARNING("Pod {}/{} has no uid: the NodeFeature gets no owner", namespace_, pod_);
    return nullptr;
  }
  LOG_INFO("The NodeFeature is owned by {} {}", reference["kind"].get<std::string>(),
           reference["name"].get<std::string>());
  owner_ = std::make_unique<Owner>(Owner{std::move(reference)});
  return owner_.get();
}

void NodeFeatureWriter::Write(const Labels& labels) {
  const std::string name = "nvidia-features-for-" + node_;
  const std::string collection =
      "/apis/nfd.k8s-sigs.io/v1alpha1/namespaces/" + namespace_ + "/nodefeatures";
  const Json owner_labels = {{"nfd.node.kubernetes.io/node-name", node_}};
  const Json spec = {
      {"features",
       {{"flags", Json::object()}, {"attributes", Json::object()}, {"instances", Json::object()}}},
      {"labels", labels}};
  const Owner* owner = ResolveOwner();
  for (int attempt = 0;; ++attempt) {
    Json current;
    try {
      current = client_.Get(collection + "/" + name);
    } catch (const kube::ApiError& error) {
      if (error.status() != 404) throw;
      Json metadata = {{"name", name}, {"namespace", namespace_}, {"labels", owner_labels}};
      if (owner) metadata["ownerReferences"] = Json::array({owner->reference});
      client_.Create(collection, {{"apiVersion", "nfd.k8s-sigs.io/v1alpha1"},
                                  {"kind", "NodeFeature"},
                                  {"metadata", metadata},
                                  {"spec", spec}});
      LOG_INFO("Created NodeFeature {}/{} with {} labels", namespace_, name, labels.size());
      return;
    }
    Json& metadata = current["metadata"];
    // Other owners (upstream's pod, say) stay: changing them needs delete permission.
    const bool add_owner = owner && !owner_refused_ && !HasOwner(metadata, owner->reference);
    if (metadata.value("labels", Json::object()) == owner_labels &&
        current.value("spec", Json::object()) == spec && !add_owner) {
      return;  // up to date
    }
    Json original_owners = metadata.value("ownerReferences", Json::array());
    if (!original_owners.is_array()) original_owners = Json::array();
    metadata["labels"] = owner_labels;
    current["spec"] = spec;
    if (add_owner) {
      metadata["ownerReferences"] = original_owners;
      metadata["ownerReferences"].push_back(owner->reference);
    }
    try {
      client_.Update(collection + "/" + name, current);
      LOG_INFO("Updated NodeFeature {}/{} ({} labels)", namespace_, name, labels.size());
      return;
    } catch (const kube::ApiError& error) {
      if (error.status() == 403 && add_owner) {
        LOG_WARNING(
            "Cannot add an owner to NodeFeature {}/{} ({}); it is written without one and will "
            "not be garbage-collected with its owner (granting delete on nodefeatures allows it)",
            namespace_, name, error.what());
        owner_refused_ = true;
        continue;  // read again and write the labels alone
      }
      if (error.status() != 409 || attempt > 0) throw;  // someone else changed it: read again
    }
  }
}

}  // namespace nvdp::gfd
