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

HETSIM_METRICS(
    "workload/training_step",
    {
        {"{instance}.step_time", K::Histogram, "ms",
         "one training step, first backward job to last AllReduce"},
        {"{instance}.steps", K::Counter, "count", "steps completed"},
        {"{instance}.comm_ps", K::Counter, "ps", "time the AllReduces ran, summed"},
        {"{instance}.comm_ms_per_step", K::Derived, "ms", "AllReduce time per step"},
        {"{instance}.exposed_comm_ps", K::Counter, "ps",
         "step time beyond the busiest rank's compute, summed"},
        {"{instance}.exposed_comm_ms_per_step", K::Derived, "ms",
         "communication not hidden under compute, per step"},
        {"{instance}.barrier_stall_ps", K::Counter, "ps",
         "time ranks' buckets waited for the slowest rank before AllReduces, mean over "
         "ranks, summed"},
        {"{instance}.barrier_stall_ms_per_step", K::Derived, "ms",
         "the same per step (in a linear timeline the waiting rank is idle)"},
        {"{instance}.bytes_sent_per_gpu", K::Counter, "bytes", "bytes each GPU sent in AllReduces"},
        {"{instance}.busbw_gbps", K::Derived, "GB/s",
         "AllReduce bus bandwidth as nccl-tests defines it: S / t x 2(n-1)/n"},
        {"{instance}.tp_comm_ps", K::Counter, "ps",
         "tp > 1: time the tensor-parallel AllReduces ran, mean over groups, summed"},
        {"{instance}.tp_comm_ms_per_step", K::Derived, "ms",
         "tp > 1: tensor-parallel AllReduce time per step (on the critical path)"},
        {"{instance}.pp_send_ps", K::Counter, "ps",
         "pp > 1: time activation-gradient sends between stages took, mean over a "
         "stage's ranks, summed"},
        {"{instance}.pp_send_ms_per_step", K::Derived, "ms", "pp > 1: the same per step"},
        {"{instance}.gpu_idle_ps", K::Counter, "ps",
         "pp > 1 or microbatches > 1: step time a GPU did not compute (pipeline "
         "bubble, waits for collectives), mean over ranks, summed"},
        {"{instance}.gpu_idle_ms_per_step", K::Derived, "ms",
         "pp > 1 or microbatches > 1: the same per step"},
        {"{instance}.data_wait_ps", K::Counter, "ps",
         "loader_threads > 0: time steps waited for their batch, summed"},
        {"{instance}.data_wait_ms_per_step", K::Derived, "ms",
         "loader_threads > 0: the same per step (in step_time, not in exposed_comm)"},
        {"{instance}.host.unmaps", K::Counter, "count",
         "loader_threads > 0: buffers the training process unmapped"},
        {"{instance}.host.unmap_latency", K::Histogram, "us",
         "loader_threads > 0: one unmap, PTE clearing to the shootdown's last "
         "acknowledgement"},
    });

HETSIM_METRICS(
    "workload/llm_engine",
    {
        {"{instance}.ttft", K::Histogram, "ms",
         "time to first token: arrival to the end of the request's prefill"},
        {"{instance}.tbt", K::Histogram, "ms", "time between two tokens of one request"},
        {"{instance}.e2e", K::Histogram, "ms", "arrival to last token"},
        {"{instance}.requests_arrived", K::Counter, "count", "requests that arrived"},
        {"{instance}.requests_done", K::Counter, "count",
         "requests that produced all their tokens"},
        {"{instance}.requests_in_slo", K::Counter, "count", "completed requests within both SLOs"},
        {"{instance}.goodput", K::Derived, "1/s", "requests within both SLOs per second"},
        {"{instance}.throughput", K::Derived, "1/s", "completed requests per second"},
        {"{instance}.iterations", K::Counter, "count", "engine iterations (GPU jobs)"},
        {"{instance}.running", K::Average, "count",
         "requests in the running batch, mean over replicas"},
    });

HETSIM_METRICS(
    "workload/collective",
    {
        {"{instance}.time_us", K::Derived, "us", "time of one collective"},
        {"{instance}.algbw_gbps", K::Derived, "GB/s", "algorithm bandwidth: S / t"},
        {"{instance}.busbw_gbps", K::Derived, "GB/s",
         "bus bandwidth as nccl-tests: algbw x 2(n-1)/n (AllReduce) or (n-1)/n"},
        {"{instance}.bytes_sent_per_gpu", K::Derived, "bytes",
         "bytes the busiest GPU sent in one collective"},
        {"{instance}.nic_bytes_per_gpu", K::Derived, "bytes",
         "cluster: bytes the busiest GPU sent to other machines in one collective"},
        {"{instance}.intra_us", K::Derived, "us",
         "cluster: time during which a step inside the machine was under way, per collective"},
        {"{instance}.inter_us", K::Derived, "us",
         "cluster: time during which a step between machines was under way, per collective"},
        {"{instance}.ranks", K::Derived, "count",
         "cluster: ranks over every machine (n of the busbw factor)"},
        {"{instance}.proxy_wakeup", K::Histogram, "us",
         "proxy: a proxy thread's wakeup to running (delays its network send)"},
    });

HETSIM_METRICS(
    "workload/gpu_mix",
    {
        {"{instance}.rt_latency", K::Histogram, "us",
         "a real-time job's release to its completion"},
        {"{instance}.rt_jobs", K::Counter, "count", "real-time jobs completed"},
        {"{instance}.rt_misses", K::Counter, "count", "real-time jobs later than rt_deadline"},
        {"{instance}.rt_miss_share", K::Derived, "ratio", "misses over completed real-time jobs"},
        {"{instance}.be_jobs", K::Counter, "count", "best-effort jobs completed"},
        {"{instance}.be_throughput", K::Derived, "1/s", "best-effort jobs per second"},
        {"{instance}.be_gpu_share", K::Derived, "ratio",
         "GPU time of completed best-effort jobs over run time"},
    });

HETSIM_METRICS("gang/gang", {{"gang.waits", K::Counter, "count",
                              "phase requests that waited for another job's GPUs"}});

}  // namespace
