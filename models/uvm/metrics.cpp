// Metrics of the unified-memory driver and the uvm_touch workload (see sim/metric_catalog.h).
#include "sim/metric_catalog.h"

namespace {

using K = sim::MetricDecl::Kind;

HETSIM_METRICS(
    "machine.uvm",
    {
        {"uvm.faults", K::Counter, "count", "fault entries GPUs wrote into their fault buffers"},
        {"uvm.faults_duplicate", K::Counter, "count",
         "fetched faults on a page already in the batch, resident or in flight"},
        {"uvm.batches", K::Counter, "count", "fault batches the driver serviced"},
        {"uvm.batch_faults", K::Histogram, "count", "faults fetched per batch"},
        {"uvm.fault_latency", K::Histogram, "us",
         "from a page's first fault to the replay of the accesses waiting on it"},
        {"uvm.pages_migrated", K::Counter, "count",
         "big pages copied to a GPU (faulted, prefetched or explicitly prefetched)"},
        {"uvm.pages_prefetched", K::Counter, "count",
         "of pages_migrated on faults: pulled in by the prefetch tree, not faulted"},
        {"uvm.pages_explicit", K::Counter, "count",
         "of pages_migrated: moved by an explicit prefetch call"},
        {"uvm.pages_evicted", K::Counter, "count", "big pages evicted from a GPU to host memory"},
        {"uvm.cpu_faults", K::Counter, "count",
         "CPU faults on GPU-resident pages (migrate_to_ram)"},
        {"uvm.pages_to_host", K::Counter, "count", "big pages CPU faults migrated back to host"},
        {"uvm.pages_mapped", K::Counter, "count", "APU: big pages mapped for the GPU, no copy"},
        {"uvm.bytes_to_gpu", K::Counter, "bytes", "bytes the driver copied to GPUs"},
        {"uvm.bytes_to_host", K::Counter, "bytes",
         "bytes evictions and CPU faults copied back to host memory"},
        {"uvm.driver_cpu_ps", K::Counter, "ps",
         "driver CPU time: fault interrupts, batch, fault and block work, copy submissions"},
        {"uvm.cpu_unmaps", K::Counter, "count", "CPU-side unmaps (TLB shootdowns) requested"},
        {"uvm.ipis", K::Counter, "count", "IPIs the shootdown service sent for those unmaps"},
        {"uvm.iommu_unmaps", K::Counter, "count",
         "DMA unmaps of host copies freed by migrations to a GPU (IOMMU flush queue)"},
        {"uvm.gpu_tlb_invalidations", K::Counter, "count",
         "GPU TLB invalidations (after each batch and each eviction)"},
    });

HETSIM_METRICS(
    "workload/uvm_touch",
    {
        {"{instance}.time_us", K::Derived, "us",
         "from the start to the kernel's last access (includes an explicit copy or prefetch)"},
        {"{instance}.kernel_us", K::Derived, "us", "the kernel alone: launch to last access"},
        {"{instance}.setup_us", K::Derived, "us", "explicit copy or prefetch before the kernel"},
        {"{instance}.accesses", K::Derived, "count", "accesses the kernel made (over all passes)"},
        {"{instance}.effective_gbps", K::Derived, "GB/s", "array bytes times passes over time_us"},
        {"{instance}.oversubscription", K::Derived, "ratio",
         "array bytes over the GPU's managed-memory budget"},
        {"{instance}.cpu_us", K::Derived, "us",
         "the CPU passes after the kernel (cpu_passes), faults included"},
        {"{instance}.driver_cpu_us", K::Derived, "us", "uvm.driver_cpu_ps in us"},
    });

}  // namespace
