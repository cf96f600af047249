#pragma once
// The host side of a training job: data-loader threads of the training process (scheduler
// tasks in its address space) produce each step's batch ahead of the GPUs, and the buffers a
// consumed batch used are unmapped (munmap: PTEs cleared in the unmapping thread's context,
// then a TLB shootdown through the run's flush policy to every CPU the process ran on, the
// thread spinning for the acknowledgements). A step starts once every loader thread has its
// share of the step's batch ready; the interrupts of the shootdowns steal CPU time from the
// loader threads on other CPUs, so a loader that barely keeps up makes the GPUs wait.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "models/sched/scheduler.h"
#include "models/tlb/shootdown.h"

namespace models {

class TrainingHost final : public TaskClient {
 public:
  struct Config {
    int threads = 1;
    std::vector<int> cpus;  // allowed CPUs; empty: every housekeeping CPU
    Tick batch_cpu = 0;     // CPU time for one thread's share of a step's batch
    int prefetch = 2;       // steps a thread may produce ahead of the GPUs
    int unmaps = 0;         // buffers unmapped after each step
    std::uint64_t unmap_pages = 512;
    int page_shift = 12;
    Tick unmap_base = 0, pte_cost = 0;  // munmap call and VMA work; one PTE cleared
  };
  TrainingHost(sim::RunContext& ctx, const std::string& name, Config cfg);
  // Calls `ready` once every thread has produced its share of step `step` (0-based).
  void when_ready(int step, std::function<void()> ready);
  // Step `step` is done with its batch: its buffers are unmapped by thread 0, and the
  // threads may produce further ahead.
  void consumed(int step);

  Action next(int task) override;
  void switched(int task, int cpu, bool on) override;

 private:
  struct Thread {
    int task = -1, produced = 0;
    bool in_batch = false, zapping = false, flushing = false, spinning = false;
  };
  void check_ready();
  void issue_flush(Thread& t, int cpu);

  sim::RunContext& ctx_;
  Machine& pf_;
  TlbShootdown& sd_;
  Scheduler& sched_;
  Config cfg_;
  int mm_ = -1, consumed_ = 0, pending_unmaps_ = 0;
  std::uint64_t next_vpn_ = 1ULL << 24;
  std::vector<Thread> threads_;
  std::vector<int> by_task_;
  std::vector<std::pair<int, std::function<void()>>> waiters_;
  sim::Counter* unmaps_;
  sim::Histogram* unmap_lat_;
  Tick call_start_ = 0;
};

}  // namespace models
