// Metrics of the IOMMU, the IOVA allocators and the dma_map workload (see sim/metric_catalog.h).
#include "sim/metric_catalog.h"

namespace {

using K = sim::MetricDecl::Kind;

HETSIM_METRICS(
    "machine.iommu",
    {
        {"iommu.commands", K::Counter, "count", "commands to the IOMMU's command queue"},
        {"iommu.context_flushes", K::Counter, "count",
         "IOTLB flushes of a whole context (PASID or domain switch)"},
        {"iommu.fq_flushes", K::Counter, "count", "flush-queue flushes (deferred invalidation)"},
        {"iommu.iotlb_hits", K::Counter, "count", "device translations found in the IOTLB"},
        {"iommu.iotlb_misses", K::Counter, "count",
         "device translations that walked the page table"},
        {"iommu.iotlb_hit_rate", K::Derived, "ratio", "hits over lookups"},
        {"iommu.invalidation_latency", K::Histogram, "us", "latency of one IOTLB invalidation"},
    });

HETSIM_METRICS("iova",
               {
                   {"iommu.iova_cache_hits", K::Counter, "count",
                    "IOVA allocations served by a per-CPU magazine (magazine)"},
                   {"iommu.iova_tree_ops", K::Counter, "count",
                    "IOVA allocations and frees that took the rbtree under its lock"},
                   {"iommu.lock_wait_ps", K::Counter, "ps",
                    "time waiting for the IOVA domain lock"},
                   {"iommu.lock_wait", K::Histogram, "us", "one wait for the IOVA domain lock"},
               });

HETSIM_METRICS(
    "workload/dma_map",
    {
        {"iommu.rounds", K::Derived, "count", "map-transfer-unmap rounds of every dma_map"},
        {"iommu.{tag}rounds", K::Derived, "count",
         "rounds of one dma_map instance; {tag} is its name and a dot"},
        {"iommu.iova_overlaps", K::Counter, "count", "IOVA ranges handed out twice (must be 0)"},
        {"iommu.transfer_ps", K::Counter, "ps", "device transfer time"},
        {"iommu.translation_stall_ps", K::Counter, "ps", "device time stalled on translations"},
        {"iommu.translation_overhead", K::Derived, "ratio", "translation stall over transfer time"},
        {"iommu.lock_wait_us_per_round", K::Derived, "us",
         "IOVA lock wait per round, every dma_map"},
        {"iommu.{tag}iova_alloc_p50_us", K::Derived, "us",
         "median IOVA allocation latency; {tag} is the workload's tag and a dot, or empty"},
        {"iommu.{tag}iova_alloc_p99_us", K::Derived, "us",
         "99th percentile IOVA allocation latency"},
        {"iommu.{tag}dma_setup_p50_us", K::Derived, "us",
         "median DMA set-up latency (IOVA allocation and page-table writes)"},
        {"iommu.{tag}dma_setup_p99_us", K::Derived, "us", "99th percentile DMA set-up latency"},
        {"iommu.{tag}iova_alloc_latency", K::Histogram, "us", "IOVA allocation latency"},
        {"iommu.{tag}dma_setup_latency", K::Histogram, "us", "DMA set-up latency"},
        {"iommu.{tag}unmap_latency", K::Histogram, "us",
         "unmap latency (IOTLB invalidation included)"},
    });

}  // namespace
