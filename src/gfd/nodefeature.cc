#include "gfd/nodefeature.h"

#include <nlohmann/json.hpp>

#include "common/log.h"

namespace nvdp::gfd {
namespace {

using Json = nlohmann::json;

}  // namespace

NodeFeatureWriter::NodeFeatureWriter(kube::Api& api, std::string namespace_name, std::string node)
    : client_(api), namespace_(std::move(namespace_name)), node_(std::move(node)) {}

void NodeFeatureWriter::Write(const Labels& labels) {
  const std::string name = "nvidia-features-for-" + node_;
  const std::string collection =
      "/apis/nfd.k8s-sigs.io/v1alpha1/namespaces/" + namespace_ + "/nodefeatures";
  const Json owner_labels = {{"nfd.node.kubernetes.io/node-name", node_}};
  const Json spec = {
      {"features",
       {{"flags", Json::object()}, {"attributes", Json::object()}, {"instances", Json::object()}}},
      {"labels", labels}};
  for (int attempt = 0;; ++attempt) {
    Json current;
    try {
      current = client_.Get(collection + "/" + name);
    } catch (const kube::ApiError& error) {
      if (error.status() != 404) throw;
      Json object = {
          {"apiVersion", "nfd.k8s-sigs.io/v1alpha1"},
          {"kind", "NodeFeature"},
          {"metadata", {{"name", name}, {"namespace", namespace_}, {"labels", owner_labels}}},
          {"spec", spec}};
      client_.Create(collection, object);
      LOG_INFO("Created NodeFeature {}/{} with {} labels", namespace_, name, labels.size());
      return;
    }
    if (current["metadata"].value("labels", Json::object()) == owner_labels &&
        current.value("spec", Json::object()) == spec) {
      return;  // up to date
    }
    current["metadata"]["labels"] = owner_labels;
    current["spec"] = spec;
    try {
      client_.Update(collection + "/" + name, current);
      LOG_INFO("Updated NodeFeature {}/{} ({} labels)", namespace_, name, labels.size());
      return;
    } catch (const kube::ApiError& error) {
      if (error.status() != 409 || attempt > 0) throw;  // someone else changed it: read again
    }
  }
}

}  // namespace nvdp::gfd
