// GFD's NodeFeature output (spec §7.8, --use-node-feature-api): the labels as an NFD
// nfd.k8s-sigs.io/v1alpha1 NodeFeature object named nvidia-features-for-<node>.
#pragma once

#include <memory>
#include <string>

#include "gfd/labels.h"
#include "kube/api.h"

namespace nvdp::gfd {

class NodeFeatureWriter {
 public:
  // `api` must outlive the writer.
  NodeFeatureWriter(kube::Api& api, std::string namespace_name, std::string node);
  // Creates the object, or replaces its labels (stale ones go) when they differ. Throws
  // kube::ApiError or kube::HttpError.
  void Write(const Labels& labels);

 private:
  kube::Api& client_;
  std::string namespace_, node_;
};

}  // namespace nvdp::gfd
