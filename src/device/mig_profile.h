// MIG profile names as go-nvlib builds them (spec §3.5): "1g.5gb", "1c.2g.10gb", "1g.5gb+me".
#pragma once

#include <string>

namespace nvdp::device {

// Slices of a GPU instance profile (G) and of a compute instance profile (C), from NVML's
// profile indexes; 0 for an unknown index.
int GpuInstanceSlices(unsigned gi_profile);
int ComputeInstanceSlices(unsigned ci_profile);

// "+me", "+me.all", "+gfx", "-me" or "" for a GPU instance profile index.
std::string MigProfileSuffix(unsigned gi_profile);

// Whether a GPU instance profile index is a graphics one (1/2/4_SLICE_GFX).
bool IsGraphicsProfile(unsigned gi_profile);

// The profile's GB figure: the instance's share of the parent's memory, rounded up to eighths,
// times the parent's memory in whole GiB (rounded up), rounded to the nearest integer.
int MigMemoryGb(unsigned long long mig_memory_mib, unsigned long long parent_memory_bytes);

std::string MigProfileName(unsigned gi_profile, unsigned ci_profile,
                           unsigned long long mig_memory_mib,
                           unsigned long long parent_memory_bytes);

// go-nvlib's VisitMigProfiles filter: profiles with C > G, or C < G and 2C > G+1, are skipped.
bool IsMigProfileCandidate(int g, int c);

}  // namespace nvdp::device
