#pragma once
// Which agent copies a batch of folios, with how many streams, and how the batch's TLB
// entries are flushed. The migrate_pages mechanism (migrator.h) describes each batch in plain
// data and executes the plan the policy returns; the policy never touches the machine.
// Kept to one virtual method over plain structs so that another language can implement it.
#include <cstdint>
#include <string>

#include "sim/registry.h"
#include "sim/run_context.h"

namespace models {

// What the mechanism knows when a batch is about to be copied.
struct BatchInfo {
  int folios = 0;
  std::uint64_t folio_bytes = 0;  // size of each folio of the batch
  std::uint64_t bytes = 0;        // folios * folio_bytes
  int batch_index = 0;            // within the call
  int src_node = 0, dst_node = 0;
  int caller_cpu = 0, caller_socket = 0;
  int socket_cpus = 0;             // logical CPUs of the socket copy threads would use
  int socket_busy_cpus = 0;        // of those, how many run other work (tasks, kernel work)
  int dma_queues = 0;              // hardware queues of the engine a DMA copy would use
  int dma_busy_queues = 0;         // of those, how many are copying right now
  double memcpy_rate = 0;          // one core's copy rate for this batch (route, cache), bytes/s
  double cpu_path_bw = 0;          // bottleneck of a core's copy path (shared by its CCD), bytes/s
  int ccds_per_socket = 1;         // copy threads spread over at most this many CCD links
  int cores_per_ccd = 1;           // packed threads fill a CCD before the next
  int smt = 1;                     // hardware threads per core: siblings share its copy rate
  double dma_queue_bw = 0;         // one queue's copy rate, bytes/s
  double dma_path_bw = 0;          // bottleneck of the engine's copy path, bytes/s
  double cpu_copy_overhead_s = 0;  // fixed CPU copy cost per folio (start, loop, cold lines)
  double dma_submit_s = 0;         // CPU time of one submission and its completion interrupt
  double dma_map_s = 0;            // CPU time to map and prepare one descriptor
  double dma_desc_overhead_s = 0;  // engine time per descriptor beyond its bytes
  double dma_desc_gap_s = 0;       // queue idle between descriptors chained by interrupts
  double dma_chan_setup_s = 0;     // CPU time to request and release one channel per batch
  double worker_wakeup_s = 0;      // waking a kernel copy thread (and, later, the caller)
  double worker_dispatch_s = 0;    // caller's cost to hand work to one copy thread
};

enum class CopyAgent { Cpu, Mt, Dma };
enum class FlushMode { PerBatch, PerFolio };
enum class Placement { Spread, Packed };

struct CopyPlan {
  CopyAgent agent = CopyAgent::Cpu;
  int streams = 1;                          // copy threads (Mt) or DMA channels (Dma)
  Placement placement = Placement::Spread;  // Mt: across CCDs or filling one CCD first
  FlushMode flush = FlushMode::PerBatch;    // PerFolio: legacy unmap-flush-copy-remap per folio
  bool sg = true;           // Dma: one scatter-gather submission per channel and batch
  bool avoid_busy = false;  // Mt: CPUs running other work only after all idle ones
};

const char* agent_name(CopyAgent a);

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
