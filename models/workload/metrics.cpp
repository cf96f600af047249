// Metrics of the copy and corun workloads (see sim/metric_catalog.h). {instance} is the
// workload's name: its "name" key, else its kind, else its kind and index.
#include "sim/metric_catalog.h"

namespace {

using K = sim::MetricDecl::Kind;

HETSIM_METRICS("workload/copy",
               {{"{instance}.bytes", K::Derived, "bytes", "bytes copied"},
                {"{instance}.time_us", K::Derived, "us", "time until the last byte arrived"},
                {"{instance}.throughput_gbps", K::Derived, "GB/s", "bytes over time"},
                {"{instance}.max_bottleneck_ratio", K::Derived, "ratio",
                 "largest load over capacity any link saw"}});

HETSIM_METRICS(
    "workload/corun",
    {
        {"{instance}.cpu_slowdown", K::Derived, "ratio",
         "the CPU-bound application's elapsed over its CPU time"},
        {"{instance}.cpu_stolen_us", K::Derived, "us", "CPU time other work took from it"},
        {"{instance}.mem_demand_gbps", K::Derived, "GB/s",
         "bandwidth the memory-bound application asked for"},
        {"{instance}.mem_achieved_gbps", K::Derived, "GB/s", "bandwidth it got"},
        {"{instance}.mem_slowdown", K::Derived, "ratio", "demanded over achieved bandwidth"},
        {"{instance}.mem_stolen_us", K::Derived, "us",
         "CPU time other work took from the memory-bound application"},
    });

}  // namespace
