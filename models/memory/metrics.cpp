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
               });

}  // namespace
