// What the network model forces: no path carries a message faster than the NIC's line
// rate; RDMA with buffers registered once never costs more CPU per message than registering
// around every message, and never pins a page per operation; kernel-bypass RDMA takes no
// interrupts; NAPI never processes more than its budget in one poll (and the budget binds
// under load); gro_flush_timeout holds a small message's partial GRO segment for its timer.
#include <gtest/gtest.h>

#include <string>

#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_net_net {

namespace test_net_test_net {

using sim::Json;

Json run_net(const Json& overrides, const Json& nic = Json::object()) {
  Json w = {{"kind", "allreduce_net"},
            {"name", "net"},
            {"small_count", 20},
            {"large_count", 1},
            {"large_bytes", "16MiB"}};
  for (auto it = overrides.begin(); it != overrides.end(); ++it) w[it.key()] = it.value();
  Json cluster = {{"nodes", 4}, {"nics", "per_node"}, {"nic_attach", "s0.iod"}};
  for (auto it = nic.begin(); it != nic.end(); ++it) cluster[it.key()] = it.value();
  const Json doc = {{"name", "t"},
                    {"machine", "genoa-2s"},
                    {"seed", 1},
                    {"overrides", Json{{"cluster", cluster}}},
                    {"workloads", Json::array({w})}};
  sim::Scenario sc = sim::scenario_from_json(doc, "<test>");
  auto points = sim::expand_sweep(sc);
  Json r = sim::run_point(sc, points[0]).results;
  EXPECT_EQ(r["metrics"]["run.incomplete"].get<int>(), 0);
  EXPECT_EQ(r["metrics"]["net.completed"].get<double>(), 1.0);
  return r;
}

double metric(const Json& r, const std::string& name) {
  return r["metrics"]["net." + name].get<double>();
}

TEST(AllreduceNet, NoPathBeatsTheNicLineRate) {
  for (const char* path : {"tcp", "af_xdp", "rdma"}) {
    for (const char* bw : {"50GB/s", "12.5GB/s", "3GB/s"}) {
      const Json r = run_net({{"path", path}}, {{"nic_bw", bw}});
      const double line = metric(r, "line_rate_gbps");
      EXPECT_LE(metric(r, "max_msg_gbps"), line * (1 + 1e-9)) << path << " " << bw;
      // The ring sends 2(M-1)/M x S through the NIC per AllReduce: bus bandwidth is the
      // NIC's payload rate at best.
      EXPECT_LE(metric(r, "large_busbw_gbps"), line * (1 + 1e-9)) << path << " " << bw;
      EXPECT_GT(metric(r, "large_busbw_gbps"), 0) << path << " " << bw;
    }
  }
}

TEST(AllreduceNet, RegisteredBuffersNeverCostMoreThanPerOpPinning) {
  for (const char* size : {"1KiB", "16KiB", "256KiB", "4MiB"}) {
    const Json once = run_net({{"path", "rdma"}, {"registration", "once"}, {"small_bytes", size}});
    const Json per_op =
        run_net({{"path", "rdma"}, {"registration", "per_op"}, {"small_bytes", size}});
    EXPECT_LE(metric(once, "cpu_us_per_message"), metric(per_op, "cpu_us_per_message")) << size;
    EXPECT_LE(once["histograms"]["net.small_msg_latency"]["p50"].get<double>(),
              per_op["histograms"]["net.small_msg_latency"]["p50"].get<double>())
        << size;
    // Registered once: no page pinned per operation. Per op: both buffers of every message.
    EXPECT_EQ(metric(once, "pinned_pages"), 0) << size;
    EXPECT_GE(metric(per_op, "pinned_pages"), 2 * metric(per_op, "messages")) << size;
  }
}

TEST(AllreduceNet, HugeIommuPagesNeverStallTheNicMore) {
  for (const char* reg : {"once", "per_op"}) {
    const Json small = run_net({{"path", "rdma"}, {"registration", reg}});
    const Json huge = run_net({{"path", "rdma"}, {"registration", reg}, {"iommu_page", "2MiB"}});
    EXPECT_LE(metric(huge, "iommu_stall_us_per_message"),
              metric(small, "iommu_stall_us_per_message"))
        << reg;
    EXPECT_LE(metric(huge, "cpu_us_per_message"), metric(small, "cpu_us_per_message")) << reg;
  }
  // Per-op registrations map IOVAs the IOTLB has never seen: every message stalls.
  EXPECT_GT(
      metric(run_net({{"path", "rdma"}, {"registration", "per_op"}}), "iommu_stall_us_per_message"),
      0);
}

TEST(AllreduceNet, KernelBypassTakesNoInterrupts) {
  const Json r = run_net({{"path", "rdma"}});
  EXPECT_EQ(metric(r, "interrupts"), 0);
  EXPECT_EQ(metric(r, "napi_polls"), 0);
  EXPECT_EQ(metric(r, "rx_cpu_ns_per_packet"), 0);
  for (const char* path : {"tcp", "af_xdp"})
    EXPECT_GT(metric(run_net({{"path", path}}), "interrupts"), 0);
}

TEST(AllreduceNet, NapiNeverPollsMoreThanItsBudget) {
  for (const char* path : {"tcp", "af_xdp"}) {
    for (int budget : {4, 16, 64, 300}) {
      const Json r = run_net({{"path", path}, {"napi_budget", budget}});
      const double most = metric(r, "napi_max_packets");
      EXPECT_LE(most, budget) << path << " " << budget;
      EXPECT_GE(metric(r, "napi_polls"), metric(r, "packets") / budget) << path << " " << budget;
      // A 16 MiB AllReduce lands 4 MiB messages faster than one CPU drains them at a small
      // budget: some poll takes the whole budget.
      if (budget <= 16) {
        EXPECT_EQ(most, budget) << path << " " << budget;
      }
    }
  }
}

TEST(AllreduceNet, SocketPathWithoutSkbOrCopiesOnAfXdp) {
  const Json xdp = run_net({{"path", "af_xdp"}});
  EXPECT_EQ(metric(xdp, "gro_segments"), 0);
  EXPECT_EQ(xdp["metrics"]["net.copy_cpu_ps"].get<double>(), 0);
  const Json tcp = run_net({{"path", "tcp"}});
  EXPECT_GT(metric(tcp, "gro_segments"), 0);
  EXPECT_GT(tcp["metrics"]["net.copy_cpu_ps"].get<double>(), 0);
  // Every GRO segment holds at most segment_packets packets.
  EXPECT_GE(metric(tcp, "gro_segments") * 16, metric(tcp, "packets"));
}

TEST(AllreduceNet, GroFlushTimeoutHoldsASmallMessage) {
  // A 16 KiB message (4 packets) never fills a GRO segment: with the timer its tail waits
  // for it, and the ring's next message cannot start before.
  const Json flush = run_net({{"path", "tcp"}, {"large_count", 0}});
  const Json held = run_net({{"path", "tcp"}, {"large_count", 0}, {"gro_flush_timeout", "20us"}});
  const double a = flush["histograms"]["net.small_msg_latency"]["p50"].get<double>();
  const double b = held["histograms"]["net.small_msg_latency"]["p50"].get<double>();
  EXPECT_GE(b, a + 20 * 0.97);  // histogram buckets are ~3% wide
}

}  // namespace test_net_test_net

}  // namespace test_net_net
