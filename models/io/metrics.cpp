// Metrics of the block layer, the NVMe queues and the I/O workloads (see sim/metric_catalog.h).
#include "sim/metric_catalog.h"

namespace {

using K = sim::MetricDecl::Kind;

HETSIM_METRICS(
    "machine.io",
    {
        {"io.bios", K::Counter, "count", "bios submitted to the block layer"},
        {"io.requests", K::Counter, "count", "requests dispatched to the drives' queues"},
        {"io.merges", K::Counter, "count", "bios merged into a queued request"},
        {"io.interrupts", K::Counter, "count", "NVMe completion interrupts"},
        {"io.irq_cpu_ps", K::Counter, "ps", "CPU time of the completion interrupt handlers"},
        {"io.sched_wait", K::Histogram, "us",
         "time a request waited in the I/O scheduler or for a driver tag"},
        {"io.expired_dispatches", K::Derived, "count",
         "requests dispatched after their deadline (mq-deadline)"},
        {"io.hw_queues", K::Derived, "count", "hardware queues (NVMe queue pairs) per drive"},
        {"io.{drive}.read_iops", K::Derived, "1/s", "read commands the drive completed per second"},
        {"io.{drive}.write_iops", K::Derived, "1/s", "write commands per second"},
        {"io.{drive}.read_gbps", K::Derived, "GB/s", "bytes read from the drive per second"},
        {"io.{drive}.write_gbps", K::Derived, "GB/s", "bytes written to the drive per second"},
        {"io.{drive}.wbt_inflight_peak", K::Derived, "count",
         "blk-wbt: most writeback writes it had in flight on the drive"},
        {"io.{drive}.wbt_limit_peak", K::Derived, "count",
         "blk-wbt: largest depth limit a writeback write was admitted under"},
        {"io.{drive}.wbt_min_depth", K::Derived, "count",
         "blk-wbt: smallest max_depth it scaled down to (16 = never scaled down)"},
        {"io.{drive}.wbt_scale_downs", K::Derived, "count",
         "blk-wbt: windows whose read latency exceeded wbt_lat (depth halved)"},
        {"io.{drive}.wbt_throttled", K::Derived, "count",
         "blk-wbt: times a writeback write found the limit reached and waited"},
        {"io.{drive}.writeback_inflight_peak", K::Derived, "count",
         "most writeback bios (buffered writes) in flight to the drive, with or without blk-wbt"},
        {"io.wb.dirty_limit_bytes", K::Derived, "bytes",
         "dirty limit: dirty plus under-writeback pages above which writers sleep"},
        {"io.wb.background_limit_bytes", K::Derived, "bytes",
         "background limit: dirty pages above which the flusher writes back"},
        {"io.wb.dirty_peak_bytes", K::Derived, "bytes",
         "most page-cache bytes dirty or under writeback at once"},
        {"io.wb.dirty_sleeps", K::Derived, "count",
         "writes that found the dirty limit reached and slept in balance_dirty_pages"},
        {"io.wb.background_bios", K::Derived, "count", "writeback bios of the flusher"},
        {"io.wb.sync_bios", K::Derived, "count", "writeback bios issued by fsync"},
        {"io.wb.written_bytes", K::Derived, "bytes", "page-cache bytes written back"},
    });

const sim::MetricGroup kIoWorkload{
    "",
    {
        {"{instance}.ios", K::Derived, "count", "I/Os (records) completed"},
        {"{instance}.iops", K::Derived, "1/s", "I/Os completed per second of the workload"},
        {"{instance}.gbps", K::Derived, "GB/s", "bytes of completed I/Os per second"},
        {"{instance}.latency", K::Histogram, "us",
         "one I/O from the call (or SQE) to its data in the buffer (or CQE reaped)"},
        {"{instance}.interrupts", K::Derived, "count", "completion interrupts its I/Os took"},
        {"{instance}.cpu_us_per_io", K::Derived, "us",
         "CPU time per I/O: its threads, the SQ thread and its interrupts"},
        {"{instance}.thread_cpu_us_per_io", K::Derived, "us",
         "CPU time per I/O of the submitting threads (system calls, pinning, copies, blk-mq)"},
        {"{instance}.irq_cpu_us_per_io", K::Derived, "us",
         "interrupt CPU time per I/O (completion handlers, CQE posting)"},
        {"{instance}.sqpoll_cpu_s", K::Derived, "s", "CPU time of the io_uring SQ thread"},
    }};

sim::MetricGroup with_owner(const char* owner, sim::MetricGroup g) {
  g.owner = owner;
  return g;
}

[[maybe_unused]] const bool kLoader = sim::MetricCatalog::get().add([] {
  auto g = with_owner("workload/data_loader", kIoWorkload);
  g.metrics.push_back({"{instance}.consumer_idle_share", K::Derived, "ratio",
                       "share of the time the GPU consumer had no record to take"});
  g.metrics.push_back({"{instance}.consumed", K::Derived, "count", "records the consumer took"});
  g.metrics.push_back({"{instance}.page_cache_hit_share", K::Derived, "ratio",
                       "readahead: pages of the preads already in the page cache (uptodate or "
                       "being read ahead) when the read started"});
  g.metrics.push_back({"{instance}.pages_read", K::Derived, "count",
                       "readahead: pages the preads and their readahead read from the drives"});
  g.metrics.push_back({"{instance}.async_readaheads", K::Derived, "count",
                       "readahead: windows started by a read finding the PG_readahead marker"});
  return g;
}());

[[maybe_unused]] const bool kCheckpoint = sim::MetricCatalog::get().add([] {
  auto g = with_owner("workload/checkpoint", kIoWorkload);
  g.metrics.push_back({"{instance}.checkpoint_time", K::Histogram, "ms",
                       "one checkpoint, from its start to its last write completed"});
  g.metrics.push_back({"{instance}.checkpoints", K::Derived, "count", "checkpoints written"});
  g.metrics.push_back({"{instance}.fsync_time", K::Histogram, "ms",
                       "buffered: one checkpoint's fsync, from the call to its return"});
  g.metrics.push_back({"{instance}.dirty_throttle_ms", K::Derived, "ms",
                       "buffered: time its threads slept in balance_dirty_pages"});
  return g;
}());

}  // namespace
