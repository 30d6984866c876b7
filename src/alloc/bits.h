// Bit counting for the masks of GPUs the allocation code works on.
#pragma once

#include <cstdint>

namespace nvdp::alloc {

// std::popcount is a libgcc call on baseline x86-64 (no POPCNT); this stays inline.
inline int Bits(uint32_t x) {
  x = x - ((x >> 1) & 0x55555555u);
  x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
  return static_cast<int>((((x + (x >> 4)) & 0x0F0F0F0Fu) * 0x01010101u) >> 24);
}

}  // namespace nvdp::alloc
