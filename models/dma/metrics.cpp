// Metrics of the DMA engines (see sim/metric_catalog.h).
#include "sim/metric_catalog.h"

namespace {

using K = sim::MetricDecl::Kind;

HETSIM_METRICS(
    "machine.dma[]",
    {
        {"dma.bytes", K::Counter, "bytes", "bytes the engines copied"},
        {"dma.submissions", K::Counter, "count", "submissions to the engines' queues"},
        {"dma.interrupts", K::Counter, "count", "completion interrupts"},
        {"dma.cpu_ps", K::Counter, "ps",
         "driver CPU time: channel set-up, submission, mapping, interrupt handlers"},
        {"dma.queue_occupancy", K::Derived, "ratio", "mean share of all queues busy over the run"},
        {"dma.{engine}.busy_queues", K::Average, "count", "queues of one engine with a job"},
        {"dma.{engine}.ring_occupancy", K::Average, "count", "descriptors in one engine's rings"},
    });

}  // namespace
