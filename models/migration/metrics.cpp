// Metrics of the migration mechanism and the move_pages workload (see sim/metric_catalog.h).
#include "sim/metric_catalog.h"

namespace {

using K = sim::MetricDecl::Kind;

HETSIM_METRICS(
    "machine.migration",
    {
        {"migration.folios_moved", K::Counter, "count", "folios migrated"},
        {"migration.folios_failed", K::Counter, "count",
         "folios left in place because the destination lacked capacity"},
        {"migration.bytes_moved", K::Counter, "bytes", "bytes migrated"},
        {"migration.batches_{agent}", K::Counter, "count",
         "batches each registered copy agent copied (cpu, mt, dma, ...)"},
        {"migration.cpu_ps", K::Counter, "ps",
         "CPU time of the mechanism (entry, unmap, copy, remap) on every CPU"},
        {"migration.flush_wait_ps", K::Counter, "ps",
         "CPU time callers spun waiting for their TLB shootdowns (local flush, IPI writes, "
         "the wait for the acknowledgements)"},
        {"migration.cpu_time_us", K::Derived, "us",
         "CPU time of the migration: the mechanism, flush waits and the DMA driver"},
        {"migration.time_us", K::Derived, "us",
         "from the first call's entry to the last call's return"},
        {"migration.call_time_us", K::Derived, "us", "time inside move_pages calls, summed"},
        {"migration.throughput_gbps", K::Derived, "GB/s", "bytes moved over migration.time_us"},
        {"migration.phase.{phase}_us", K::Derived, "us",
         "time of each phase (enter, unmap, flush, copy, remap), summed over calls"},
        {"migration.share.{phase}", K::Derived, "ratio", "each phase's share of the phases' total"},
        {"migration.shootdowns", K::Derived, "count", "TLB shootdowns the migrations issued"},
        {"migration.ipis", K::Derived, "count", "TLB IPIs the migrations sent"},
        {"migration.max_bottleneck_ratio", K::Derived, "ratio",
         "largest load over capacity any link of the flow network saw"},
        {"migration.{reason}.jobs", K::Counter, "count",
         "jobs from one entry point: syscall (move_pages), fault (NUMA hint fault), promote, "
         "demote"},
        {"migration.{reason}.folios_moved", K::Counter, "count",
         "folios an entry point's jobs moved"},
        {"migration.{reason}.folios_failed", K::Counter, "count",
         "folios an entry point's jobs left in place (no room)"},
        {"migration.{reason}.bytes_moved", K::Counter, "bytes",
         "bytes an entry point's jobs moved"},
        {"migration.demote.folios_fallback", K::Counter, "count",
         "demoted folios placed on a fallback target (the first was full)"},
        {"migration.call_latency", K::Histogram, "us", "latency of one move_pages call"},
        {"migration.folio_latency", K::Histogram, "us",
         "from a call's entry to each folio's remap"},
        {"migration.first_folio_latency", K::Histogram, "us",
         "from a call's entry to its first folio's remap"},
    });

HETSIM_METRICS("workload/move_pages", {{"migration.bytes_requested", K::Counter, "bytes",
                                        "bytes the move_pages calls asked to move"}});

}  // namespace
