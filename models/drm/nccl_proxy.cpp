#include "models/drm/nccl_proxy.h"

#include <algorithm>

#include "models/machine/machine.h"

namespace models {

NcclProxies::NcclProxies(sim::RunContext& ctx, int ranks, const std::vector<int>& cpus, Tick cost,
                         Tick slice, sim::Histogram* latency)
    : sched_(Scheduler::of(ctx)), cost_(std::max<Tick>(cost, 1)) {
  TaskSpec spec;
  spec.client = this;
  spec.latency = latency;
  spec.slice = slice;
  if (!cpus.empty()) {
    spec.allowed = CpuMask(Machine::of(ctx).cpu_count());
    for (int c : cpus) spec.allowed.set(c);
  }
  threads_.resize(static_cast<std::size_t>(ranks));
  for (Thread& t : threads_) {
    t.task = sched_.spawn(spec);
    if (static_cast<std::size_t>(t.task) >= by_task_.size())
      by_task_.resize(static_cast<std::size_t>(t.task) + 1, -1);
    by_task_[static_cast<std::size_t>(t.task)] = static_cast<int>(&t - threads_.data());
  }
}

void NcclProxies::post(int rank, std::function<void()> go) {
  Thread& t = threads_.at(static_cast<std::size_t>(rank));
  t.queue.push_back(std::move(go));
  sched_.wake(t.task, -1);  // no-op when it is already runnable
}

Action NcclProxies::next(int task) {
  Thread& t = threads_[static_cast<std::size_t>(by_task_[static_cast<std::size_t>(task)])];
  if (t.working) {  // the work request for the head is posted: its send starts
    t.working = false;
    std::function<void()> go = std::move(t.queue.front());
    t.queue.pop_front();
    go();
  }
  if (t.queue.empty()) return Action::block();
  t.working = true;
  return Action::run(cost_);
}

}  // namespace models
