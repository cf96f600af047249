// Metrics of the network stack and the allreduce_net workload (see sim/metric_catalog.h).
#include "sim/metric_catalog.h"

namespace {

using NetMetricKind = sim::MetricDecl::Kind;

HETSIM_METRICS(
    "workload/allreduce_net",
    {
        {"{instance}.small_msg_latency", NetMetricKind::Histogram, "us",
         "one ring-step message of a small AllReduce, post to delivery into the user buffer"},
        {"{instance}.large_msg_latency", NetMetricKind::Histogram, "us",
         "one ring-step message of a large AllReduce"},
        {"{instance}.copy_cpu_ps", NetMetricKind::Counter, "ps",
         "tcp: CPU time of the copies between user buffers and sk_buffs"},
        {"{instance}.small_time_us", NetMetricKind::Derived, "us", "one small AllReduce"},
        {"{instance}.large_time_us", NetMetricKind::Derived, "us", "one large AllReduce"},
        {"{instance}.small_busbw_gbps", NetMetricKind::Derived, "GB/s",
         "bus bandwidth of the small AllReduces (S / t x 2(M-1)/M)"},
        {"{instance}.large_busbw_gbps", NetMetricKind::Derived, "GB/s",
         "bus bandwidth of the large AllReduces"},
        {"{instance}.packets", NetMetricKind::Derived, "count", "MTU packets sent (= received)"},
        {"{instance}.messages", NetMetricKind::Derived, "count", "ring-step messages"},
        {"{instance}.cpu_ns_per_packet", NetMetricKind::Derived, "ns",
         "CPU time of the path (send, interrupts, NAPI, copies, completions) per packet"},
        {"{instance}.rx_cpu_ns_per_packet", NetMetricKind::Derived, "ns",
         "interrupt and NAPI CPU time (receives and TX completions) per packet (0 for rdma)"},
        {"{instance}.cpu_us_per_message", NetMetricKind::Derived, "us",
         "CPU time of the path per message"},
        {"{instance}.interrupts", NetMetricKind::Derived, "count", "NIC receive interrupts"},
        {"{instance}.napi_polls", NetMetricKind::Derived, "count", "NAPI polls"},
        {"{instance}.napi_max_packets", NetMetricKind::Derived, "count",
         "most packets one NAPI poll processed (at most napi_budget)"},
        {"{instance}.ksoftirqd_polls", NetMetricKind::Derived, "count",
         "polls deferred to ksoftirqd after netdev_budget packets in one softirq"},
        {"{instance}.gro_segments", NetMetricKind::Derived, "count",
         "GRO segments passed to TCP/IP"},
        {"{instance}.tx_completions", NetMetricKind::Derived, "count",
         "TX descriptors cleaned by NAPI polls (tcp: TSO segments, af_xdp: packets)"},
        {"{instance}.pinned_pages", NetMetricKind::Derived, "count",
         "rdma per_op: 4 KiB pages pinned by per-message registrations"},
        {"{instance}.iommu_stall_us_per_message", NetMetricKind::Derived, "us",
         "NIC DMA stalled on IOMMU translation of its buffers (IOTLB misses), per message"},
        {"{instance}.line_rate_gbps", NetMetricKind::Derived, "GB/s",
         "payload rate of the NIC's transmit link"},
        {"{instance}.max_msg_gbps", NetMetricKind::Derived, "GB/s",
         "fastest message: bytes over post-to-arrival time"},
        {"{instance}.completed", NetMetricKind::Derived, "ratio",
         "1 when every AllReduce finished, else 0 (the run ended early)"},
    });

}  // namespace
