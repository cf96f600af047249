// Metrics of the machine itself: link utilisation and memory use (see sim/metric_catalog.h).
#include "sim/metric_catalog.h"

namespace {

using K = sim::MetricDecl::Kind;

HETSIM_METRICS("machine", {
                              {"link.{link}.util", K::Average, "ratio",
                               "a link's load over its capacity (per direction: rd/wr, in/out, "
                               "s0-s1); hetsim describe names the links"},
                              {"memory.{node}.used_bytes", K::Derived, "bytes",
                               "bytes placed on a memory node at the end"},
                          });

HETSIM_METRICS("run",
               {
                   {"run.events", K::Derived, "count", "events the engine executed"},
                   {"run.sim_time_s", K::Derived, "s", "simulated time at the end"},
                   {"run.incomplete", K::Derived, "count",
                    "1 when a guard or the stop time cut the run before its workloads finished"},
               });

}  // namespace
