#pragma once
// NCCL's proxy threads as scheduler tasks: one per rank, on the CPUs it is allowed. A network
// send of a collective step is work for the rank's proxy: posting it wakes the thread (if it
// sleeps), which must get a CPU, spend `cost` of CPU time (building and posting the RDMA work
// request) and only then lets the send start. Every microsecond the CPU scheduler adds to the
// wakeup is a microsecond the step waits: busy or isolated CPUs change collective time.
#include <deque>
#include <functional>
#include <vector>

#include "models/sched/scheduler.h"

namespace models {

class NcclProxies final : public TaskClient {
 public:
  // `ranks` threads allowed on `cpus` (empty: every housekeeping CPU), EEVDF `slice` (0: the
  // default); `latency` records each wakeup's latency.
  NcclProxies(sim::RunContext& ctx, int ranks, const std::vector<int>& cpus, Tick cost, Tick slice,
              sim::Histogram* latency);
  // Queues `go` on rank's proxy and wakes it; `go` runs after the proxy's CPU work.
  void post(int rank, std::function<void()> go);
  Action next(int task) override;

 private:
  struct Thread {
    int task = -1;
    std::deque<std::function<void()>> queue;
    bool working = false;  // a burst for the queue's head is under way
  };
  Scheduler& sched_;
  Tick cost_;
  std::vector<Thread> threads_;
  std::vector<int> by_task_;
};

}  // namespace models
