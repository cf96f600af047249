#pragma once
// Which agent copies a batch of folios, with how many streams, and how the batch's TLB
// entries are flushed. The migrate_pages mechanism (migrator.h) describes each batch in plain
// data and executes the plan the policy returns; the policy never touches the machine.
// Kept to one virtual method over plain structs so that another language can implement it:
// both structs are declared once, as field tables (sim/fields.h), from which the Python
// bindings and `hetsim list` are generated.
#include <cstdint>
#include <string>
#include <vector>

#include "sim/fields.h"
#include "sim/registry.h"
#include "sim/run_context.h"

namespace models {

enum class FlushMode { PerBatch, PerFolio };
enum class Placement { Spread, Packed };

// What the mechanism knows when a batch is about to be copied.
#define HETSIM_BATCH_INFO_FIELDS(X)                                                               \
  X(std::string, reason, "syscall",                                                               \
    "entry point of the job the batch belongs to: syscall, fault, promote or demote")             \
  X(int, folios, 0, "folios in the batch")                                                        \
  X(std::uint64_t, folio_bytes, 0, "size of the batch's first folio, bytes")                      \
  X(std::uint64_t, bytes, 0, "bytes of all the batch's folios")                                   \
  X(int, batch_index, 0, "index of the batch within its job")                                     \
  X(int, src_node, 0, "memory node the batch's folios are on")                                    \
  X(int, dst_node, 0, "memory node the job asks for")                                             \
  X(int, caller_cpu, 0, "CPU of the thread that runs the migration")                              \
  X(int, caller_socket, 0, "socket of that CPU")                                                  \
  X(int, socket_cpus, 0, "logical CPUs of the socket copy threads would use")                     \
  X(int, socket_busy_cpus, 0, "of those, how many run other work (tasks, kernel work)")           \
  X(int, dma_queues, 0, "hardware queues of the engine a DMA copy would use")                     \
  X(int, dma_busy_queues, 0, "of those, how many are copying right now")                          \
  X(double, memcpy_rate, 0, "one core's copy rate for this batch (route, cache), bytes/s")        \
  X(double, cpu_path_bw, 0, "bottleneck of a core's copy path (shared by its CCD), bytes/s")      \
  X(int, ccds_per_socket, 1, "copy threads spread over at most this many CCD links")              \
  X(int, cores_per_ccd, 1, "packed threads fill a CCD before the next")                           \
  X(int, smt, 1, "hardware threads per core: siblings share its copy rate")                       \
  X(double, dma_queue_bw, 0, "one queue's copy rate, bytes/s")                                    \
  X(double, dma_path_bw, 0, "bottleneck of the engine's copy path, bytes/s")                      \
  X(double, cpu_copy_overhead_s, 0, "fixed CPU copy cost per folio (start, loop, cold lines), s") \
  X(double, dma_submit_s, 0, "CPU time of one submission and its completion interrupt, s")        \
  X(double, dma_map_s, 0, "CPU time to map and prepare one descriptor, s")                        \
  X(double, dma_desc_overhead_s, 0, "engine time per descriptor beyond its bytes, s")             \
  X(double, dma_desc_gap_s, 0, "queue idle between descriptors chained by interrupts, s")         \
  X(double, dma_chan_setup_s, 0, "CPU time to request and release one channel per batch, s")      \
  X(double, worker_wakeup_s, 0, "waking a kernel copy thread (and, later, the caller), s")        \
  X(double, worker_dispatch_s, 0, "caller's cost to hand work to one copy thread, s")

struct BatchInfo {
  HETSIM_BATCH_INFO_FIELDS(HETSIM_FIELD_MEMBER)
};
const std::vector<sim::FieldInfo>& batch_info_fields();

// The policy's answer for one batch.
#define HETSIM_COPY_PLAN_FIELDS(X)                                                            \
  X(std::string, agent, "cpu",                                                                \
    "copy agent: a key of the copy_agent registry (cpu: the calling CPU, mt: kernel copy "    \
    "threads, dma: a DMA engine)")                                                            \
  X(int, streams, 1, "parallel copy streams: copy threads (mt) or DMA channels (dma)")        \
  X(Placement, placement, Placement::Spread,                                                  \
    "mt: copy threads spread across the socket's CCDs (spread) or filling one CCD first "     \
    "(packed)")                                                                               \
  X(FlushMode, flush, FlushMode::PerBatch,                                                    \
    "per_batch: one TLB flush per batch; per_folio: legacy unmap-flush-copy-remap per folio") \
  X(bool, sg, true, "dma: one scatter-gather submission per channel and batch")               \
  X(bool, avoid_busy, false, "mt: CPUs running other work are taken only after all idle ones")

struct CopyPlan {
  HETSIM_COPY_PLAN_FIELDS(HETSIM_FIELD_MEMBER)
};
const std::vector<sim::FieldInfo>& copy_plan_fields();

const char* placement_name(Placement p);
const char* flush_name(FlushMode f);

class MigrationPolicy {
 public:
  static constexpr const char* kKind = "migration";
  using Registry = sim::Factory<MigrationPolicy, sim::RunContext&, const sim::Params&>;
  virtual ~MigrationPolicy() = default;
  virtual CopyPlan decide(const BatchInfo& batch) = 0;
};

// Parameters every migration policy accepts, so that one sweep axis can cross policies;
// a policy that copies on one stream ignores `streams` and `placement`.
sim::ParamList migration_policy_params(sim::ParamList own = {});
Placement placement_of(const sim::Params& p);

}  // namespace models
