// GFD's NodeFeature output (spec §7.8, --use-node-feature-api): the labels as an NFD
// nfd.k8s-sigs.io/v1alpha1 NodeFeature object named nvidia-features-for-<node>.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "common/backoff.h"
#include "gfd/labels.h"
#include "kube/api.h"

namespace nvdp::gfd {

class NodeFeatureWriter {
 public:
  // `api` must outlive the writer. With a `pod` name (--pod-name), the object is owned by that
  // pod's controller (its DaemonSet), so it is garbage-collected with it (upstream v0.19).
  NodeFeatureWriter(kube::Api& api, std::string namespace_name, std::string node,
                    std::string pod = "");
  ~NodeFeatureWriter();
  // Creates the object, or replaces its labels (stale ones go) when they differ. Throws
  // kube::ApiError or kube::HttpError. Owner references never fail a write: a pod that cannot
  // be read or an owner the API server does not let us add is logged, and the labels written.
  void Write(const Labels& labels);

 private:
  struct Owner;
  const Owner* ResolveOwner();

  kube::Api& client_;
  std::string namespace_, node_, pod_;
  std::unique_ptr<Owner> owner_;
  bool owner_refused_ = false;  // an update adding it was forbidden: do not ask again
  LogThrottle pod_log_{60};     // the same failure every pass: once an hour at 60 s
};

}  // namespace nvdp::gfd
