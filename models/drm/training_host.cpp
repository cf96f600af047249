#include "models/drm/training_host.h"

#include <algorithm>

namespace models {

namespace {
constexpr Tick kSpin = sim::kSec;  // cut short when the flush completes
}

TrainingHost::TrainingHost(sim::RunContext& ctx, const std::string& name, Config cfg)
    : ctx_(ctx),
      pf_(Machine::of(ctx)),
      sd_(TlbShootdown::of(ctx)),
      sched_(Scheduler::of(ctx)),
      cfg_(std::move(cfg)) {
  mm_ = sd_.mms().create(name).id();
  auto& st = ctx.sim().stats();
  unmaps_ = &st.counter(name + ".unmaps");
  unmap_lat_ = &st.histogram(name + ".unmap_latency", "us", static_cast<double>(sim::kUs));
  TaskSpec spec;
  spec.client = this;
  if (!cfg_.cpus.empty()) {
    spec.allowed = CpuMask(pf_.cpu_count());
    for (int c : cfg_.cpus) spec.allowed.set(c);
  }
  threads_.resize(static_cast<std::size_t>(cfg_.threads));
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    threads_[i].task = sched_.spawn(spec);
    if (static_cast<std::size_t>(threads_[i].task) >= by_task_.size())
      by_task_.resize(static_cast<std::size_t>(threads_[i].task) + 1, -1);
    by_task_[static_cast<std::size_t>(threads_[i].task)] = static_cast<int>(i);
  }
}

void TrainingHost::when_ready(int step, std::function<void()> ready) {
  waiters_.emplace_back(step, std::move(ready));
  check_ready();
}

void TrainingHost::check_ready() {
  int have = threads_.empty() ? 1 << 30 : threads_[0].produced;
  for (const Thread& t : threads_) have = std::min(have, t.produced);
  // Fire in order; a callback may add a waiter.
  while (!waiters_.empty() && waiters_.front().first < have) {
    auto go = std::move(waiters_.front().second);
    waiters_.erase(waiters_.begin());
    go();
  }
}

void TrainingHost::consumed(int step) {
  consumed_ = std::max(consumed_, step + 1);
  pending_unmaps_ += cfg_.unmaps;
  for (const Thread& t : threads_) sched_.wake(t.task, -1);
}

Action TrainingHost::next(int task) {
  const int i = by_task_[static_cast<std::size_t>(task)];
  Thread& t = threads_[static_cast<std::size_t>(i)];
  if (t.in_batch) {
    t.in_batch = false;
    ++t.produced;
    check_ready();
  }
  // Thread 0 unmaps the consumed batches' buffers before it produces more: clear one
  // buffer's PTEs, then flush and spin until the flush is acknowledged.
  if (i == 0) {
    t.spinning = false;
    if (t.zapping) {
      t.zapping = false;
      issue_flush(t, sched_.cpu_of(task));
      if (t.flushing) {
        t.spinning = true;
        return Action::run(kSpin);
      }
    }
    if (pending_unmaps_ > 0 && !t.flushing) {
      t.zapping = true;
      call_start_ = ctx_.sim().now();
      return Action::run(std::max<Tick>(cfg_.unmap_base + cfg_.unmap_pages * cfg_.pte_cost, 1));
    }
  }
  if (t.produced - consumed_ < cfg_.prefetch) {
    t.in_batch = true;
    return Action::run(std::max<Tick>(cfg_.batch_cpu, 1));
  }
  return Action::block();
}

void TrainingHost::issue_flush(Thread& t, int cpu) {
  --pending_unmaps_;
  unmaps_->add();
  FlushRequest req;
  req.initiator = cpu;
  req.pages = cfg_.unmap_pages;
  req.mm = mm_;
  req.page_shift = cfg_.page_shift;
  req.ranges = {VaRange{next_vpn_, cfg_.unmap_pages}};
  next_vpn_ += cfg_.unmap_pages;
  req.more = pending_unmaps_ > 0;
  t.flushing = true;
  const int task = t.task;
  sd_.flush(req, [this, task] {
    Thread& th = threads_[static_cast<std::size_t>(by_task_[static_cast<std::size_t>(task)])];
    unmap_lat_->record(ctx_.sim().now() - call_start_);
    th.flushing = false;
    if (th.spinning) sched_.set_burst_left(th.task, 0);
  });
}

// A loader thread on its CPU runs the process's mm (switch_mm, which may flush).
void TrainingHost::switched(int task, int cpu, bool on) {
  (void)task;
  if (!on) return;
  const Tick flush = sd_.switch_mm(cpu, mm_);
  if (flush > 0) pf_.exec().steal(cpu, flush);
}

}  // namespace models
