// Metrics of the GPU models and the GPU workloads (see sim/metric_catalog.h).
#include "sim/metric_catalog.h"

namespace {

using K = sim::MetricDecl::Kind;

HETSIM_METRICS(
    "machine.gpus[]",
    {
        {"gpu.ce_copies", K::Counter, "count", "copies the GPUs' copy engines ran"},
        {"gpu.ce_bytes", K::Counter, "bytes", "bytes the copy engines moved"},
        {"gpu.driver_cpu_ps", K::Counter, "ps", "driver CPU time building and submitting copies"},
        {"gpu.staging_cpu_ps", K::Counter, "ps", "CPU time of pageable copies' staging memcpys"},
        {"gpu.kernels", K::Counter, "count", "kernels launched on the GPUs' compute engines"},
        {"gpu.kernel_busy_ps", K::Counter, "ps", "time the GPUs' compute engines ran kernels"},
        {"gpu.launch_cpu_ps", K::Counter, "ps", "driver CPU time of kernel launches"},
    });

HETSIM_METRICS("workload/gpu_kernel",
               {
                   {"{instance}.kernels", K::Derived, "count", "kernels that finished"},
                   {"{instance}.time_us", K::Derived, "us", "time until the last kernel finished"},
                   {"{instance}.per_kernel_us", K::Derived, "us",
                    "time per kernel, launches and synchronisation included"},
                   {"{instance}.kernel_us", K::Derived, "us", "one kernel's duration on the GPU"},
                   {"{instance}.roofline_us", K::Derived, "us",
                    "one kernel's roofline bound: max(flops / peak, bytes / HBM bandwidth)"},
                   {"{instance}.achieved_tflops", K::Derived, "TFLOP/s", "FLOPs over time"},
                   {"{instance}.achieved_gbps", K::Derived, "GB/s", "HBM bytes over time"},
                   {"{instance}.launch_cpu_us", K::Derived, "us",
                    "driver CPU time of the launches"},
               });

HETSIM_METRICS(
    "workload/gpu_copy",
    {
        {"{instance}.route_bottleneck_gbps", K::Derived, "GB/s",
         "slowest link on the copy's route (an upper bound on its throughput)"},
        {"{instance}.staging_cpu_us", K::Derived, "us",
         "CPU time of the staging memcpys of the run's pageable copies (gpu.staging_cpu_ps)"},
    });

HETSIM_METRICS(
    "workload/model_load",
    {
        {"{instance}.shards", K::Derived, "count", "GPUs the weights were sharded over"},
        {"{instance}.tensors", K::Derived, "count", "tensors loaded, over all shards"},
        {"{instance}.load_time_s", K::Derived, "s", "time until the last shard was in HBM"},
        {"{instance}.achieved_gbps", K::Derived, "GB/s", "bytes loaded over load time"},
        {"{instance}.storage_busy_s", K::Derived, "s",
         "per shard (mean): time with a storage read in flight"},
        {"{instance}.transfer_busy_s", K::Derived, "s",
         "per shard (mean): time with a host-to-GPU copy (staging memcpy and engine) in flight"},
        {"{instance}.staging_cpu_s", K::Derived, "s",
         "CPU time of the staging memcpys of the run's pageable copies, over all loader threads"},
    });

}  // namespace
