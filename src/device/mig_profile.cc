#include "device/mig_profile.h"

namespace nvdp::device {

int GpuInstanceSlices(unsigned gi_profile) {
  switch (gi_profile) {
    case 0x0:
    case 0x7:
    case 0x9:
    case 0xA:
    case 0xD:
    case 0xF:
      return 1;
    case 0x1:
    case 0x8:
    case 0xB:
    case 0xE:
    case 0x10:
      return 2;
    case 0x2:
      return 3;
    case 0x3:
    case 0xC:
      return 4;
    case 0x6:
      return 6;
    case 0x4:
      return 7;
    case 0x5:
      return 8;
  }
  return 0;
}

// Compute instance profiles 0x0-0x7 have the slice counts of the GPU instance profiles with the
// same index (1, 2, 3, 4, 7, 8, 6, and 1 for 1_SLICE_REV1); there are no others.
int ComputeInstanceSlices(unsigned ci_profile) {
  return ci_profile <= 0x7 ? GpuInstanceSlices(ci_profile) : 0;
}

std::string MigProfileSuffix(unsigned gi_profile) {
  switch (gi_profile) {
    case 0x7:
    case 0x8:
      return "+me";
    case 0xF:
    case 0x10:
      return "+me.all";
    case 0xA:
    case 0xB:
    case 0xC:
      return "+gfx";
    case 0xD:
    case 0xE:
      return "-me";
  }
  return "";
}

bool IsGraphicsProfile(unsigned gi_profile) { return gi_profile >= 0xA && gi_profile <= 0xC; }

int MigMemoryGb(unsigned long long mig_memory_mib, unsigned long long parent_memory_bytes) {
  if (parent_memory_bytes == 0) return 0;
  constexpr unsigned long long kGiB = 1ULL << 30;
  // Eighths of the parent's memory, rounded up; integer arithmetic avoids float edge cases.
  const unsigned long long eighths =
      (mig_memory_mib * (1ULL << 20) * 8 + parent_memory_bytes - 1) / parent_memory_bytes;
  const unsigned long long total_gib = (parent_memory_bytes + kGiB - 1) / kGiB;
  return static_cast<int>((eighths * total_gib + 4) / 8);
}

std::string MigProfileName(unsigned gi_profile, unsigned ci_profile,
                           unsigned long long mig_memory_mib,
                           unsigned long long parent_memory_bytes) {
  const int g = GpuInstanceSlices(gi_profile);
  const int c = ComputeInstanceSlices(ci_profile);
  std::string name = std::to_string(g) + "g." +
                     std::to_string(MigMemoryGb(mig_memory_mib, parent_memory_bytes)) + "gb";
  if (c != g) name = std::to_string(c) + "c." + name;
  return name + MigProfileSuffix(gi_profile);
}

bool IsMigProfileCandidate(int g, int c) { return !(c > g || (c < g && 2 * c > g + 1)); }

}  // namespace nvdp::device
