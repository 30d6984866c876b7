#include "config/resource_name.h"

#include <gtest/gtest.h>

namespace nvdp::config {
namespace {

TEST(ResourceNameTest, Normalizes) {
  std::string error;
  EXPECT_EQ(NormalizeResourceName("gpu", &error), "nvidia.com/gpu");
  EXPECT_EQ(NormalizeResourceName("nvidia.com/mig-1g.5gb.me", &error), "nvidia.com/mig-1g.5gb.me");
  EXPECT_EQ(NormalizeResourceName("GPU", &error), std::nullopt);
  EXPECT_EQ(NormalizeResourceName("gpu-", &error), std::nullopt);
  EXPECT_EQ(NormalizeResourceName("a_b", &error), std::nullopt);
  EXPECT_NE(error.find("nvidia.com/a_b"), std::string::npos);
}

// Upstream 0.18 turns patterns into unanchored regular expressions (spec §3.2).
TEST(ResourceNameTest, PatternsMatchSubstringsAsUpstream0_18) {
  EXPECT_TRUE(PatternMatches("*", "anything"));
  EXPECT_TRUE(PatternMatches("*", ""));
  EXPECT_TRUE(PatternMatches("1g.5gb", "1g.5gb"));
  EXPECT_TRUE(PatternMatches("1g.24gb", "1g.24gb-me"));
  EXPECT_TRUE(PatternMatches("2g.10gb", "1c.2g.10gb"));
  EXPECT_TRUE(PatternMatches("*A100*", "NVIDIA A100-SXM4-40GB"));
  EXPECT_TRUE(PatternMatches("A100", "NVIDIA A100-SXM4-40GB"));
  EXPECT_TRUE(PatternMatches("NVIDIA*40GB", "NVIDIA A100-SXM4-40GB"));
  EXPECT_FALSE(PatternMatches("40GB*NVIDIA", "NVIDIA A100-SXM4-40GB"));
  EXPECT_FALSE(PatternMatches("2g.20gb", "2g.10gb"));
  EXPECT_TRUE(PatternMatches("1g.5gb", "1g.5gb+me"));  // '+' is literal, not regex
  EXPECT_FALSE(PatternMatches("1g.5gb+me", "1g.5gbme"));
}

// Upstream v0.20 anchors them: the pattern must match the whole text.
TEST(ResourceNameTest, AnchoredPatternsMatchTheWholeText) {
  const auto anchored = PatternMatching::kAnchored;
  EXPECT_TRUE(PatternMatches("*", "anything", anchored));
  EXPECT_TRUE(PatternMatches("*", "", anchored));
  EXPECT_TRUE(PatternMatches("1g.5gb", "1g.5gb", anchored));
  EXPECT_FALSE(PatternMatches("1g.5gb", "1g.5gb+me", anchored));
  EXPECT_FALSE(PatternMatches("2g.10gb", "1c.2g.10gb", anchored));
  EXPECT_TRUE(PatternMatches("*2g.10gb", "1c.2g.10gb", anchored));
  EXPECT_TRUE(PatternMatches("*A100*", "NVIDIA A100-SXM4-40GB", anchored));
  EXPECT_FALSE(PatternMatches("A100", "NVIDIA A100-SXM4-40GB", anchored));
  EXPECT_TRUE(PatternMatches("NVIDIA*40GB", "NVIDIA A100-SXM4-40GB", anchored));
  EXPECT_FALSE(PatternMatches("NVIDIA*40G", "NVIDIA A100-SXM4-40GB", anchored));
  EXPECT_FALSE(PatternMatches("A*A", "A", anchored));  // the two pieces may not overlap
  EXPECT_TRUE(PatternMatches("A*A", "AA", anchored));
  EXPECT_TRUE(PatternMatches("a*b*c", "a-b-b-c", anchored));
  EXPECT_FALSE(PatternMatches("a*b*c", "a-c-b", anchored));
  EXPECT_TRUE(PatternMatches("**", "x", anchored));
  EXPECT_EQ(ParsePatternMatching("anchored"), anchored);
  EXPECT_EQ(ParsePatternMatching("substring"), PatternMatching::kSubstring);
  EXPECT_EQ(ParsePatternMatching("regex"), std::nullopt);
}

}  // namespace
}  // namespace nvdp::config
