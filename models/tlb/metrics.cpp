// Metrics of the TLB shootdown model, the flush policies and munmap_storm (see
// sim/metric_catalog.h).
#include "sim/metric_catalog.h"

namespace {

using K = sim::MetricDecl::Kind;

HETSIM_METRICS("machine.tlb",
               {
                   {"tlb.shootdowns", K::Counter, "count",
                    "TLB shootdowns (flush_tlb_mm_range calls that reach other CPUs)"},
                   {"tlb.ipis_sent", K::Counter, "count", "TLB-invalidation IPIs sent"},
                   {"tlb.invlpgb_broadcasts", K::Counter, "count",
                    "INVLPGB broadcasts instead of IPIs"},
                   {"tlb.full_flushes", K::Counter, "count",
                    "flushes of a whole TLB (range above the ceiling)"},
                   {"tlb.switch_flushes", K::Counter, "count",
                    "flushes at a context switch (a lazily skipped CPU catching up)"},
                   {"tlb.target_stall_ns", K::Counter, "ns",
                    "time target CPUs spent in the invalidation handler"},
                   {"tlb.hits", K::Counter, "count", "translations found in a CPU's TLB"},
                   {"tlb.misses", K::Counter, "count", "translations that walked the page table"},
                   {"tlb.shootdown_latency", K::Histogram, "us",
                    "from a shootdown's start to its last acknowledgement"},
               });

HETSIM_METRICS("flush/notifier", {{"tlb.notifier_windows", K::Counter, "count",
                                   "batching windows the MMU notifier flushed"}});

HETSIM_METRICS(
    "workload/munmap_storm",
    {
        {"munmap.unmaps", K::Derived, "count", "munmap calls"},
        {"munmap.cpus", K::Derived, "count", "CPUs the job runs on"},
        {"munmap.elapsed_ms", K::Derived, "ms", "time until the last step ended"},
        {"munmap.throughput_lost", K::Derived, "ratio",
         "share of the job's CPU time not spent on its compute"},
        {"munmap.job_time_lost_ms_per_step", K::Derived, "ms",
         "CPU time lost per training step, summed over CPUs"},
        {"munmap.lost_to_irqs", K::Derived, "ratio",
         "share of the job's CPU time taken by invalidation handlers"},
        {"munmap.lost_to_unmapping", K::Derived, "ratio",
         "share spent in munmap itself (page-table work and waiting for acknowledgements)"},
        {"munmap.lost_to_tlb_misses", K::Derived, "ratio",
         "share spent refilling flushed translations"},
        {"munmap.storm_time", K::Histogram, "us", "duration of one step's unmap storm"},
        {"munmap.unmap_latency", K::Histogram, "us", "latency of one munmap"},
        {"tlb.ipis_per_unmap", K::Derived, "count", "IPIs per munmap"},
        {"tlb.ipis_sent_per_s", K::Derived, "1/s", "IPIs sent per second"},
        {"tlb.ipis_recv_per_cpu_per_s", K::Derived, "1/s",
         "IPIs received per CPU per second, mean over CPUs"},
        {"tlb.ipis_recv_per_cpu_per_s_max", K::Derived, "1/s", "the same, the busiest CPU"},
        {"tlb.stall_per_cpu_us", K::Derived, "us", "invalidation handler time per CPU, mean"},
        {"tlb.stall_per_cpu_us_max", K::Derived, "us", "the same, the most stalled CPU"},
        {"tlb.stall_per_ipi_us", K::Derived, "us", "handler time per IPI"},
        {"tlb.miss_rate", K::Derived, "ratio", "TLB misses over lookups"},
        {"tlb.stale_violations", K::Counter, "count",
         "uses of a translation after its flush was acknowledged (must be 0)"},
    });

}  // namespace
