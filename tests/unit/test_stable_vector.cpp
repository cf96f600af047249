#include <gtest/gtest.h>

#include <string>

#include "sim/stable_vector.h"

namespace test_unit_stable_vector {

// References taken before growth still name the same elements after it (the scheduler holds
// a task across a step that may spawn tasks), across chunk boundaries.
TEST(StableVector, ReferencesSurviveGrowthAcrossChunks) {
  sim::StableVector<std::string, 2> v;  // chunks of 4
  v.push_back("a");
  std::string& first = v[0];
  const std::string* addr = &v[0];
  for (int i = 1; i < 11; ++i) v.push_back(std::to_string(i));
  EXPECT_EQ(&v[0], addr);
  first += "!";
  EXPECT_EQ(v[0], "a!");
  ASSERT_EQ(v.size(), 11u);
  EXPECT_EQ(v[4], "4");
  EXPECT_EQ(v.back(), "10");
  std::string all;
  for (const std::string& s : v) all += s + ",";
  EXPECT_EQ(all, "a!,1,2,3,4,5,6,7,8,9,10,");
}

}  // namespace test_unit_stable_vector
