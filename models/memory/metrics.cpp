// Metrics of the memory-management model (see sim/metric_catalog.h).
#include "sim/metric_catalog.h"

namespace {

using K = sim::MetricDecl::Kind;

HETSIM_METRICS("machine.memory",
               {
                   {"memory.fallbacks", K::Counter, "count",
                    "allocations placed off their preferred node: it would have gone under its "
                    "watermarks, so the next node of its zonelist (by distance) took them"},
                   {"memory.fallback_bytes", K::Counter, "bytes", "bytes those allocations took"},
                   {"memory.kswapd.wakeups", K::Derived, "count",
                    "kswapd wakeups (demotion on, or tpp): a node went under its low watermark "
                    "(tpp: its demote_wmark) or refused a promotion, and was not balanced"},
                   {"memory.kswapd.passes", K::Derived, "count",
                    "balance passes: one batch of cold folios isolated from a node's LRU"},
                   {"memory.kswapd.scanned", K::Derived, "count",
                    "folios examined (least recently used first; referenced ones rotate)"},
                   {"memory.kswapd.demoted", K::Derived, "count",
                    "folios kswapd demoted to the next tier through the migration mechanism"},
                   {"memory.kswapd.demoted_bytes", K::Derived, "bytes", "bytes it demoted"},
                   {"memory.kswapd.failures", K::Derived, "count",
                    "wakeups or passes that reclaimed nothing: the lowest tier (no swap "
                    "modelled), nothing to scan, or every demotion target full"},
                   {"memory.kswapd.cpu_us", K::Derived, "us",
                    "kswapd CPU time (folios examined x 200 ns est.), run as kernel work on "
                    "the last CPU of each node's socket"},
                   {"memory.{node}.kswapd_cpu_us", K::Derived, "us",
                    "that node's kswapd CPU time (nodes whose kswapd woke)"},
                   {"memory.{node}.wmark_low_bytes", K::Derived, "bytes",
                    "the node's low watermark (runs with kswapd or NUMA-balancing promotion)"},
                   {"memory.{node}.wmark_high_bytes", K::Derived, "bytes",
                    "the node's high watermark (the same runs)"},
                   {"memory.{node}.wmark_promo_bytes", K::Derived, "bytes",
                    "the node's promo watermark, high plus one step: what kswapd balances to "
                    "while NUMA balancing is in tiering mode (the same runs)"},
                   {"memory.{node}.kswapd_cpu_kernel_us", K::Derived, "us",
                    "kernel CPU time on the CPU that node's kswapd runs on: its scans, the "
                    "demotion copies it runs, and any other kernel work there"},
                   {"memory.{node}.kswapd_demoted", K::Derived, "count",
                    "folios that node's kswapd demoted"},
               });

}  // namespace
