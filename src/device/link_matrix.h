// Pairwise GPU links: the PCIe common-ancestor level and the number of direct NVLinks, as the
// allocator's scoring needs them (spec §5.2). Built once at start.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace nvdp::device {

// PCIe relation of two GPUs, from nvmlDeviceGetTopologyCommonAncestor; best last.
enum class P2PLink {
  kUnknown,
  kCrossCpu,
  kSameCpu,
  kHostBridge,
  kMultiSwitch,
  kSingleSwitch,
  kSameBoard
};

std::string_view P2PLinkName(P2PLink link);  // e.g. "SingleSwitch"
// nvidia-smi topo -m abbreviations: SYS, NODE, PHB, PXB, PIX, X? ("?" for unknown).
std::string_view P2PLinkShortName(P2PLink link);

class LinkMatrix {
 public:
  LinkMatrix() = default;
  explicit LinkMatrix(size_t gpu_count);

  size_t size() const { return size_; }
  P2PLink p2p(size_t a, size_t b) const { return p2p_[a * size_ + b]; }
  int nvlinks(size_t a, size_t b) const { return nvlinks_[a * size_ + b]; }
  // NVLinks from GPU `a` that end at an NVSwitch rather than another GPU.
  int switch_nvlinks(size_t a) const { return switch_nvlinks_[a]; }

  void SetP2P(size_t a, size_t b, P2PLink link);   // symmetric
  void SetNvLinks(size_t a, size_t b, int count);  // one direction, as NVML reports it
  void SetSwitchNvLinks(size_t a, int count);

 private:
  size_t size_ = 0;
  std::vector<P2PLink> p2p_;
  std::vector<int> nvlinks_;
  std::vector<int> switch_nvlinks_;
};

}  // namespace nvdp::device
