// CPU time that other models spend, accounted by the scheduler like any other:
// - kernel work (migration copy threads, DMA driver work, munmap's kernel side) runs in the
//   CPU's kernel worker, a nice-0 task pinned there (kworker/N, as queue_work_on() feeds it):
//   it is woken when work arrives, pays the wakeup and the context switch, and shares the
//   CPU with application tasks under EEVDF; it runs one item at a time, and a streaming item
//   (kernel_stream: a CPU copy) holds it until the item says it is over, hearing when the
//   worker leaves and regains the CPU in the middle of it;
// - interrupt handlers run at once, one after another on their CPU, and delay whatever runs
//   there (a task's burst ends later; an idle CPU's next task starts later).
#include <algorithm>
#include <string>

#include "models/sched/scheduler.h"
#include "sim/error.h"
#include "sim/trace.h"

namespace models {

namespace {

CpuExec& provide_scheduler(sim::RunContext& ctx) { return Scheduler::of(ctx); }
[[maybe_unused]] const bool kProvided = (CpuExec::set_provider(&provide_scheduler), true);

}  // namespace

Action Scheduler::KWorker::next(int) {
  if (in_progress) {
    // A streaming item holds the worker until it says it is over.
    if (items.front().more) {
      const Tick more = items.front().more();
      if (more > 0) return Action::run(more);
    }
    in_progress = false;
    KWorker::Item item = std::move(items.front());
    items.pop_front();
    if (item.on_cpu) item.on_cpu(false);
    if (item.done) item.done();  // may queue more work here
  }
  // A spin released before it started takes no CPU time.
  while (!items.empty() && items.front().spin && items.front().released) {
    KWorker::Item item = std::move(items.front());
    items.pop_front();
    if (item.done) item.done();
  }
  if (items.empty()) return Action::block();
  in_progress = true;
  if (items.front().on_cpu) items.front().on_cpu(true);
  return Action::run(items.front().work);
}

// The item being run leaves the CPU with the worker (preempted, throttled) and comes back
// with it; between items (blocked, or not yet started) there is nothing to tell.
void Scheduler::KWorker::switched(int, int, bool on) {
  if (in_progress && items.front().on_cpu) items.front().on_cpu(on);
}

int Scheduler::make_kworker(int cpu) {
  kworkers_.push_back(std::make_unique<KWorker>());
  TaskSpec spec;
  spec.client = kworkers_.back().get();
  spec.allowed = CpuMask(pf_.cpu_count());
  spec.allowed.set(cpu);
  Task& t = task(add_task(spec));
  t.kworker = true;
  state(t) = State::Blocked;  // created idle: the first work item wakes it
  t.cpu = cpu;
  t.last_ran = now();
  // Leaving the idle task is not a context switch in this model (a task that wakes on the
  // CPU it last ran on pays none): on a CPU that has run nothing yet the worker is "last".
  Rq& r = rq(cpu);
  if (r.last < 0) r.last = t.id;
  return t.id;
}

void Scheduler::kernel(int cpu, Tick work, std::function<void()> done) {
  Stream item;
  item.work = work;
  item.done = std::move(done);
  kernel_stream(cpu, std::move(item));
}

void Scheduler::kernel_stream(int cpu, Stream item) {
  queue_kernel(cpu, KWorker::Item(std::move(item)));
}

std::uint64_t Scheduler::kernel_spin(int cpu, Stream s) {
  s.work = kSpinLimit;
  s.more = nullptr;
  KWorker::Item item(std::move(s));
  item.spin = ++spins_;
  queue_kernel(cpu, std::move(item));
  return spins_;
}

void Scheduler::release_spin(int cpu, std::uint64_t id) {
  const int w = rq(cpu).kworker;
  if (w < 0) return;
  KWorker& k = *static_cast<KWorker*>(task(w).client);
  for (std::size_t i = 0; i < k.items.size(); ++i) {
    if (k.items[i].spin != id) continue;
    k.items[i].released = true;
    if (i == 0 && k.in_progress) set_burst_left(w, 0);  // it spins now: it stops now
    return;
  }
}

void Scheduler::queue_kernel(int cpu, KWorker::Item item) {
  HETSIM_CHECK(cpu >= 0 && cpu < cpu_count(), "kernel work for a CPU that does not exist");
  Rq& r = rq(cpu);
  if (r.kworker < 0) r.kworker = make_kworker(cpu);
  Task& t = task(r.kworker);
  static_cast<KWorker*>(t.client)->items.push_back(std::move(item));
  // A worker awake or being woken takes the item when it gets to it.
  if (state(t) != State::Blocked || life(t.id).waking) return;
  // try_to_wake_up runs on the CPU. When it interrupts a running task, that task pays it
  // (inside a task's step, wake() charges the waker); on an idle CPU it is part of the
  // queueing cost that the model queueing the work charges (e.g. migration's lru_queue).
  if (!r.in_step && r.curr >= 0) charge(cpu, wakeup_cost_, kWakeup);
  wake(t.id, cpu, false);
}

void Scheduler::irq(int cpu, Tick work, std::function<void()> done) {
  HETSIM_CHECK(cpu >= 0 && cpu < cpu_count(), "an interrupt on a CPU that does not exist");
  Rq& r = rq(cpu);
  const Tick start = std::max(now(), r.irq_free_at);
  const Tick end = start + work;
  r.irq_free_at = end;
  r.irq_time += work;
  ++r.irqs;
  charge(cpu, work, kSteal);
  if (auto* tr = sim_.trace()) tr->slice("cpu" + std::to_string(cpu), "irq", start, end, "", "cpu");
  if (done) sim_.call_at(end, std::move(done), sim::kPrioFirst);
}

void Scheduler::steal(int cpu, Tick work) {
  HETSIM_CHECK(cpu >= 0 && cpu < cpu_count(), "kernel time on a CPU that does not exist");
  charge(cpu, work, kSteal);
}

Tick Scheduler::cpu_time_now(int ti) {
  const Task& t = task(ti);
  if (state(t) == State::Running && rq(t.cpu).curr == ti) update_curr(t.cpu);
  return t.cpu_time;
}

bool Scheduler::idle(int cpu) const { return nr_running(cpu) == 0 && rq(cpu).irq_free_at <= now(); }

Tick Scheduler::busy(int cpu, CpuExec::Kind kind) const {
  const Rq& r = rq(cpu);
  if (kind == CpuExec::Kind::Irq) return r.irq_time;
  return r.kworker < 0 ? 0 : tasks_[static_cast<std::size_t>(r.kworker)].cpu_time;
}

}  // namespace models
