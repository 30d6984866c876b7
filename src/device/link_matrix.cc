#include "device/link_matrix.h"

namespace nvdp::device {

std::string_view P2PLinkName(P2PLink link) {
  switch (link) {
    case P2PLink::kCrossCpu:
      return "CrossCPU";
    case P2PLink::kSameCpu:
      return "SameCPU";
    case P2PLink::kHostBridge:
      return "HostBridge";
    case P2PLink::kMultiSwitch:
      return "MultiSwitch";
    case P2PLink::kSingleSwitch:
      return "SingleSwitch";
    case P2PLink::kSameBoard:
      return "SameBoard";
    case P2PLink::kUnknown:
      break;
  }
  return "Unknown";
}

std::string_view P2PLinkShortName(P2PLink link) {
  switch (link) {
    case P2PLink::kCrossCpu:
      return "SYS";
    case P2PLink::kSameCpu:
      return "NODE";
    case P2PLink::kHostBridge:
      return "PHB";
    case P2PLink::kMultiSwitch:
      return "PXB";
    case P2PLink::kSingleSwitch:
      return "PIX";
    case P2PLink::kSameBoard:
      return "BRD";
    case P2PLink::kUnknown:
      break;
  }
  return "?";
}

LinkMatrix::LinkMatrix(size_t gpu_count)
    : size_(gpu_count),
      p2p_(gpu_count * gpu_count, P2PLink::kUnknown),
      nvlinks_(gpu_count * gpu_count, 0),
      switch_nvlinks_(gpu_count, 0) {}

void LinkMatrix::SetP2P(size_t a, size_t b, P2PLink link) {
  p2p_[a * size_ + b] = link;
  p2p_[b * size_ + a] = link;
}

void LinkMatrix::SetNvLinks(size_t a, size_t b, int count) { nvlinks_[a * size_ + b] = count; }

void LinkMatrix::SetSwitchNvLinks(size_t a, int count) { switch_nvlinks_[a] = count; }

}  // namespace nvdp::device
