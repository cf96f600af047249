// Capacity and pressure: node watermarks and allocation that falls back to the next node by
// distance when the preferred one would go under them.
#include <gtest/gtest.h>

#include <string>

#include "sim/json.h"
#include "tests/models/tiering/tiering_test_util.h"

namespace test_tiering_fallback {

namespace {

using sim::Json;
using tiering_test::kGiB;

double m(const Json& r, const std::string& k) { return tiering_test::metric(r, k); }
using tiering_test::has;

Json preferred(const std::string& memory) {
  return Json{{"kind", "tiered_app"},
              {"threads", 2},
              {"pin", "0-1"},
              {"memory", memory},
              {"placement", "preferred"}};
}

// node0 and node1 cut to `ddr` GiB each.
Json squeezed(double ddr) {
  const std::string c = std::to_string(static_cast<int>(ddr * 1024)) + "MiB";
  return Json{{"memory.0.capacity", c}, {"memory.1.capacity", c}};
}

TEST(Fallback, NoPressureNoFallback) {
  const Json r = tiering_test::run(tiering_test::scenario(preferred("4GiB")));
  EXPECT_EQ(m(r, "tiered_app.node.node0.share"), 1.0);
  EXPECT_EQ(m(r, "memory.node0.used_bytes"), 4 * kGiB);
  EXPECT_FALSE(has(r, "memory.fallbacks"));
}

TEST(Fallback, FallsBackToTheNearestNodeWithRoomAndNeverOverfills) {
  for (double ddr : {1.0, 2.0}) {
    for (const char* mem : {"2GiB", "4GiB", "6GiB"}) {
      SCOPED_TRACE(std::to_string(ddr) + " GiB DDR per node, " + mem);
      const Json r =
          tiering_test::run(tiering_test::scenario(preferred(mem), Json(), "1ms", squeezed(ddr)));
      const double cap = ddr * kGiB, folio = 2.0 * 1024 * 1024;
      const double n0 = m(r, "memory.node0.used_bytes"), n1 = m(r, "memory.node1.used_bytes"),
                   c0 = m(r, "memory.cxl0.used_bytes"), c1 = m(r, "memory.cxl1.used_bytes");
      const double want = std::stod(mem) * kGiB;
      EXPECT_EQ(n0 + n1 + c0 + c1, want);
      // Never beyond capacity, and never under the min watermark.
      EXPECT_LT(n0, cap);
      EXPECT_LT(n1, cap);
      // The preferred node first; the remote DDR (nearer than any expander) next; cxl0
      // (local to the preferred node's socket) before cxl1.
      if (n1 > 0) {
        EXPECT_GT(n0, cap - 0.01 * cap - folio);
      }
      if (c0 > 0) {
        EXPECT_GT(n1, cap - 0.01 * cap - folio);
      }
      EXPECT_EQ(c1, 0);
      const double off = n1 + c0 + c1;
      if (off > 0) {
        EXPECT_EQ(m(r, "memory.fallback_bytes"), off);
        EXPECT_EQ(m(r, "memory.fallbacks"), off / folio);
      } else {
        EXPECT_FALSE(has(r, "memory.fallbacks"));
      }
      EXPECT_NEAR(m(r, "tiered_app.node.node0.share"), n0 / want, 1e-9);  // uniform pattern
    }
  }
}

TEST(Fallback, MemoryThatFitsNowhereIsBadInput) {
  Json over = Json{{"memory.0.capacity", "1GiB"},
                   {"memory.1.capacity", "1GiB"},
                   {"memory.2.capacity", "1GiB"},
                   {"memory.3.capacity", "1GiB"}};
  EXPECT_EQ(tiering_test::bad_path(tiering_test::scenario(preferred("4GiB"), Json(), "1ms", over)),
            "/workloads/0/memory");
  Json a = preferred("2GiB");
  a["slow_node"] = "cxl0";
  a["slow_fraction"] = 0.5;
  EXPECT_EQ(tiering_test::bad_path(tiering_test::scenario(a)), "/workloads/0/slow_fraction");
}

}  // namespace

}  // namespace test_tiering_fallback
