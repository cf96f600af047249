// Metrics of the DRM GPU scheduler and the llm_serving workload (see sim/metric_catalog.h).
#include "sim/metric_catalog.h"

namespace {

using K = sim::MetricDecl::Kind;

HETSIM_METRICS("machine.drm",
               {
                   {"drm.jobs", K::Counter, "count", "GPU jobs completed (killed ones included)"},
                   {"drm.preemptions", K::Counter, "count", "running jobs a policy preempted"},
                   {"drm.preempt_wait_ps", K::Counter, "ps",
                    "time from preemption requests to the ring being free"},
                   {"drm.preempt_wait_us_mean", K::Derived, "us", "mean wait of one preemption"},
                   {"drm.timeouts", K::Counter, "count", "jobs killed by the timeout (GPU reset)"},
                   {"drm.lost_work_ps", K::Counter, "ps",
                    "GPU work thrown away by resets and timeouts"},
                   {"drm.submit_cpu_ps", K::Counter, "ps", "CPU time of the submission worker"},
                   {"drm.gpu_busy_share", K::Derived, "ratio",
                    "time the rings ran jobs (or saved contexts) over run time"},
               });

HETSIM_METRICS("workload/llm_serving",
               {
                   {"{instance}.decode_latency", K::Histogram, "ms",
                    "one decode iteration, submission to completion (time between tokens)"},
                   {"{instance}.prefill_latency", K::Histogram, "ms",
                    "one prefill, arrival to its last chunk's completion"},
                   {"{instance}.decode_iterations", K::Counter, "count",
                    "decode iterations completed"},
                   {"{instance}.prefills_arrived", K::Counter, "count", "prefills that arrived"},
                   {"{instance}.prefills_done", K::Counter, "count", "prefills completed"},
                   {"{instance}.jobs_failed", K::Counter, "count", "jobs killed by the timeout"},
                   {"{instance}.decode_job_ms", K::Derived, "ms",
                    "GPU time of one decode iteration (from the profile)"},
                   {"{instance}.prefill_job_ms", K::Derived, "ms",
                    "GPU time of one unchunked prefill (from the profile)"},
               });

}  // namespace
