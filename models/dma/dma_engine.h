#pragma once
// DMA engines on the IO dies (AMD PTDMA / AE4DMA style): each engine has hardware queues
// (channels) that execute their descriptors one after another; a queue moves bytes over the
// engine's copy path in the flow model, at most at its own rate, sharing links with cores
// and other engines. The driver side (dmaengine) costs CPU time: preparing and submitting a
// descriptor or a scatter-gather list, and a completion interrupt. A queue's ring bounds the
// descriptors in flight; the submitting CPU is free while the engine copies.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "models/machine/machine.h"
#include "sim/chunked_fifo.h"
#include "sim/flow.h"
#include "sim/run_context.h"
#include "sim/slot_pool.h"
#include "sim/stats.h"

namespace models {

// One engine of the machine file's "dma" list: a device vertex on its socket's IO die.
struct DmaSpec {
  std::string name;
  int socket;
  int queues;
  int ring;
  double queue_bw;
  Tick submit_cost;    // CPU time to prepare and submit one descriptor or SG batch
  Tick irq_cost;       // CPU time of the completion interrupt
  Tick setup_latency;  // engine time from doorbell to first byte
  VertexId vertex;     // where its copies start and end on the machine graph
  double engine_bw;    // the engine's port into the IO die, per direction, shared by its queues
  bool chain_irq;      // the driver starts each descriptor from the previous one's interrupt
  Tick irq_latency;    // completion to interrupt handler entry
  Tick chan_setup;     // CPU time to request and release one channel (per batch)
  Tick desc_time;      // engine time per descriptor beyond its bytes
};
const sim::ParamList& dma_params();
// The machine's engines, in the order of its "dma" list.
std::vector<DmaSpec> dma_specs(const Machine& m);

struct DmaCopy {
  int engine = 0, queue = 0;
  int cpu = 0;           // submits, and takes the completion interrupts
  int src = 0, dst = 0;  // memory nodes
  double bytes = 0;
  int descriptors = 1;  // one per folio or folio chunk
  bool sg = true;       // one submission and one interrupt for all descriptors
  Tick map_cost = 0;    // CPU time to map and prepare each descriptor
};

class DmaEngines {
 public:
  static DmaEngines& of(sim::RunContext& ctx);
  DmaEngines(sim::RunContext& ctx, Machine& pf);

  int count() const { return static_cast<int>(engines_.size()); }
  // The first engine on `socket`, -1 when it has none.
  int on_socket(int socket) const;
  int queues(int e) const { return engines_[static_cast<std::size_t>(e)]->spec.queues; }
  int busy_queues(int e) const { return engines_[static_cast<std::size_t>(e)]->busy; }
  const DmaSpec& spec(int e) const { return engines_[static_cast<std::size_t>(e)]->spec; }
  // Runs the driver and the engine for one copy; `done` runs once the last completion
  // interrupt has been handled.
  void copy(const DmaCopy& c, std::function<void()> done);

  std::uint64_t interrupts() const { return static_cast<std::uint64_t>(irqs_->value()); }
  std::uint64_t submissions() const { return static_cast<std::uint64_t>(submits_->value()); }
  double cpu_ps() const { return cpu_ps_->value(); }  // driver CPU time so far

 private:
  // One DmaCopy in progress (driver state). Transfers are pooled and named by slot, and
  // every step's callback is (this, one word), so a copy allocates nothing in steady state.
  struct Transfer {
    DmaCopy c;
    int next_desc = 0;     // descriptors submitted so far
    int completed = 0;     // descriptors completed and their interrupts handled
    bool waiting = false;  // in its queue's waiting list
    std::function<void()> done;
  };
  // A segment of a transfer on its queue: `seg` descriptors of transfer `t`.
  struct Job {
    double bytes;
    int descriptors;
    int src, dst;
    Tick desc_overhead;
    std::uint32_t t;
  };
  struct Queue {
    sim::ChunkedFifo<Job> jobs;
    bool running = false;
    int in_ring = 0;  // descriptors submitted and not completed
    // Transfers blocked on a full ring, in arrival order.
    sim::ChunkedFifo<std::uint32_t, 6> waiting;
    Job current{};                // the job the queue runs
    Tick started = 0;             // since when (setup included)
    sim::FlowNetwork::Spec spec;  // its flow, until the engine's setup is over
  };
  struct Engine {
    DmaSpec spec;
    std::vector<Queue> queues;
    int busy = 0;
    sim::TimeAverage* busy_avg;
    sim::TimeAverage* ring_avg;
  };

  void enqueue(int e, int q, Job job);
  void run_next(int e, int q);
  std::string queue_track(int e, int q) const;  // the queue's track in a trace
  void submit_segment(std::uint32_t t);
  void retry_waiting(int e, int q);
  // The steps of a segment; `arg` packs the transfer's slot and the segment's descriptors.
  void segment_submitted(std::uint64_t arg);
  void segment_copied(std::uint32_t t, int seg);
  void segment_irq(std::uint64_t arg);
  void segment_handled(std::uint64_t arg);
  // The steps of a queue's job; `arg` packs engine and queue.
  void job_setup_done(std::uint64_t arg);
  void job_flow_done(std::uint64_t arg);

  sim::RunContext& ctx_;
  Machine& pf_;
  std::vector<std::unique_ptr<Engine>> engines_;
  sim::SlotPool<Transfer> transfers_;
  sim::Counter* irqs_;
  sim::Counter* submits_;
  sim::Counter* bytes_;
  sim::Counter* cpu_ps_;  // driver CPU time: submissions and completion interrupts
};

}  // namespace models
