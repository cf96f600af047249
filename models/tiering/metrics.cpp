// Metrics of the tiering models (see sim/metric_catalog.h). {instance} is the workload's
// instance name; {node} a memory node's name.
#include "sim/metric_catalog.h"

namespace {

using K = sim::MetricDecl::Kind;

HETSIM_METRICS(
    "workload/tiered_app",
    {
        {"{instance}.accesses", K::Counter, "count",
         "cache-line accesses completed (live: sampled, its differences are throughput)"},
        {"{instance}.access_ns", K::Counter, "ns",
         "accesses x their loaded latency (live: its differences over those of accesses give "
         "the mean latency of a period)"},
        {"{instance}.access_rate", K::Derived, "1/s", "accesses over the elapsed time"},
        {"{instance}.bandwidth_gbps", K::Derived, "GB/s",
         "bytes read and written over the elapsed time"},
        {"{instance}.mean_latency_ns", K::Derived, "ns",
         "access-weighted mean loaded load-to-use latency"},
        {"{instance}.max_util", K::Derived, "ratio",
         "highest utilisation any link or media reached in a solve"},
        {"{instance}.solves", K::Derived, "count",
         "times the loaded-latency solve ran (placement, pattern or CPUs changed)"},
        {"{instance}.slowdown", K::Derived, "ratio",
         "access rate of the same threads with every page on fast_node over the rate at the "
         "end (the last solve)"},
        {"{instance}.tlb_walks", K::Counter, "count",
         "page walks: accesses that missed both TLB levels (live: sampled)"},
        {"{instance}.tlb_miss_rate", K::Derived, "ratio",
         "page walks per access (misses of both TLB levels, the folios' page size and the "
         "pattern's footprint against the machine.tlb geometry)"},
        {"{instance}.walk_memory_fraction", K::Derived, "ratio",
         "fraction of page walks whose leaf entry missed the caches and was read from "
         "page_table_node"},
        {"{instance}.translation_ns", K::Derived, "ns",
         "address translation's part of the mean access latency (second-level TLB hits, page "
         "walks, leaf-entry reads at page_table_node's loaded latency)"},
        {"{instance}.tlb_footprint", K::Derived, "count",
         "translations the pattern's footprint needs (pages of the folios it touches) at the end"},
        {"{instance}.node.{node}.share", K::Derived, "ratio", "fraction of accesses it served"},
        {"{instance}.node.{node}.bytes", K::Derived, "bytes", "process memory on it at the end"},
        {"{instance}.node.{node}.accesses", K::Counter, "count",
         "accesses it served (live: sampled, the tier's throughput over time)"},
        {"{instance}.node.{node}.access_ns", K::Counter, "ns",
         "its accesses x their loaded latency (live: over accesses, the tier's latency over "
         "time)"},
        {"{instance}.node.{node}.latency_ns", K::Derived, "ns",
         "its loaded load-to-use latency (translation included) at the last solve, rate-weighted "
         "over the threads (0 "
         "for a node that neither holds pages nor is fast_node or slow_node)"},
    });

HETSIM_METRICS(
    "workload/kv_cache",
    {
        {"{instance}.tokens", K::Counter, "count",
         "tokens generated (live: sampled, its differences are tokens per second)"},
        {"{instance}.tokens_per_s", K::Derived, "1/s", "tokens generated over the elapsed time"},
        {"{instance}.decode_steps", K::Derived, "count", "decode steps of the batch completed"},
        {"{instance}.requests_done", K::Derived, "count",
         "requests that produced all their tokens"},
        {"{instance}.kv_bytes_per_token", K::Derived, "bytes",
         "KV bytes one token holds: layers x kv_heads x head_dim x 2 x dtype_bytes"},
        {"{instance}.pool_bytes", K::Derived, "bytes", "the KV pool's memory"},
    });

HETSIM_METRICS(
    "workload/optimizer_offload",
    {
        {"{instance}.steps", K::Counter, "count",
         "training steps whose optimizer update completed (live: sampled, steps over time)"},
        {"{instance}.steps_done", K::Derived, "count", "training steps completed"},
        {"{instance}.step_time_ms", K::Derived, "ms",
         "elapsed time over the steps done (a partial step counts its fraction)"},
        {"{instance}.state_bytes", K::Derived, "bytes", "the optimizer state's memory"},
    });

HETSIM_METRICS(
    "tiering/numa_tiering",
    {
        {"tiering.scans", K::Derived, "count", "passes of the NUMA scanner over scan_size"},
        {"tiering.scan_cpu_us", K::Derived, "us", "kernel CPU time the scans took"},
        {"tiering.hint_faults", K::Derived, "count", "NUMA hint faults taken"},
        {"tiering.hint_fault_cpu_us", K::Derived, "us",
         "CPU time of the hint faults that migrated nothing (a migrating fault's is in "
         "migration.fault.*)"},
        {"tiering.candidates", K::Derived, "count",
         "hint faults under hot_threshold: promotion candidates"},
        {"tiering.not_hot", K::Derived, "count", "hint faults at or above hot_threshold"},
        {"tiering.rate_limited", K::Derived, "count",
         "candidates refused by the promotion rate limit"},
        {"tiering.refused", K::Derived, "count",
         "candidates the policy kept off a top-tier node short of free memory (tpp)"},
        {"tiering.refused_wmark", K::Derived, "count",
         "candidates refused because the promotion would leave the target under its high "
         "watermark plus the folio (migrate_balanced_pgdat); each wakes the target's kswapd "
         "when demotion is on"},
        {"tiering.promotions", K::Counter, "count", "folios promoted to the top tier"},
        {"tiering.promoted_bytes", K::Counter, "bytes", "bytes promoted"},
        {"tiering.max_window_accepted_bytes", K::Derived, "bytes",
         "most candidate bytes sent to migration in one 1 s rate-limit window of one node"},
        {"tiering.scan_flush_pages", K::Derived, "count",
         "translations the scans' change_prot_numa flushed (TLB shootdowns)"},
        {"tiering.scan_period_updates", K::Derived, "count",
         "scan-period updates (update_task_scan_period), all threads"},
        {"tiering.scan_period_end_ms", K::Derived, "ms",
         "the longest per-thread time between scan passes at the end"},
        {"tiering.pingpong", K::Derived, "count",
         "moves that took a folio back to the node it left within pingpong_window"},
        {"tiering.pingpong_bytes", K::Derived, "bytes", "bytes of those moves"},
    });

HETSIM_METRICS(
    "tiering/tpp",
    {
        {"tiering.demotions", K::Counter, "count",
         "the process's folios kswapd demoted to a lower tier (tpp, or numa_tiering with "
         "demotion on; kswapd's own figures are memory.kswapd.*)"},
        {"tiering.demoted_bytes", K::Counter, "bytes", "bytes demoted"},
    });

HETSIM_METRICS(
    "hotness/pebs",
    {
        {"tiering.pebs.samples", K::Derived, "count", "accesses sampled into the buffers"},
        {"tiering.pebs.accesses", K::Derived, "count", "accesses the sampling counted"},
        {"tiering.pebs.drained", K::Derived, "count", "records drained (seen by the kernel)"},
        {"tiering.pebs.interrupts", K::Derived, "count", "buffer-full interrupts"},
        {"tiering.pebs.cpu_us", K::Derived, "us", "interrupt CPU time of the drains"},
    });

HETSIM_METRICS(
    "hotness/damon",
    {
        {"tiering.damon.regions", K::Derived, "count", "regions at the end"},
        {"tiering.damon.min_regions", K::Derived, "count", "fewest regions after any step"},
        {"tiering.damon.max_regions", K::Derived, "count", "most regions after any step"},
        {"tiering.damon.checks", K::Derived, "count", "sampling passes over the regions"},
        {"tiering.damon.aggregations", K::Derived, "count", "aggregation (merge, split) steps"},
        {"tiering.damon.cpu_us", K::Derived, "us", "kdamond's kernel CPU time"},
    });

HETSIM_METRICS(
    "tiering/periodic",
    {
        {"tiering.passes", K::Derived, "count", "passes of the migration thread"},
        {"tiering.passes_without_tiers", K::Derived, "count",
         "passes due that found no slow tier to pair the fast node with (every node top tier, "
         "as DDR and HBM in flat mode, and no slow_node named): nothing could move"},
        {"tiering.thread_cpu_us", K::Derived, "us",
         "the migration thread's CPU time reading counts (its moves' is in migration.*)"},
        {"tiering.memtis.hot_threshold_bin", K::Derived, "bin",
         "memtis_like: the hot threshold's histogram bin at the last pass (log2 of the count, "
         "plus one)"},
        {"tiering.colloid.fast_latency_ns", K::Derived, "ns",
         "colloid_like: the fast tier's loaded latency at the last pass"},
        {"tiering.colloid.slow_latency_ns", K::Derived, "ns",
         "colloid_like: the slow tier's loaded latency at the last pass"},
        {"tiering.colloid.balanced_passes", K::Derived, "count",
         "colloid_like: passes that found the latencies within tolerance"},
    });

}  // namespace
