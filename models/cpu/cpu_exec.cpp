#include "models/cpu/cpu_exec.h"

#include <algorithm>

#include "sim/error.h"
#include "sim/trace.h"

namespace models {

CpuExec::CpuExec(sim::Simulator& sim, int ncpus)
    : sim_(sim), cpus_(static_cast<std::size_t>(ncpus)) {}

void CpuExec::notify(int cpu, Tick start, Tick duration, Kind kind) {
  for (Observer* o : observers_) o->on_steal(cpu, start, duration, kind);
}

void CpuExec::run(int cpu, Kind kind, Tick work, std::function<void()> done) {
  HETSIM_CHECK(cpu >= 0 && cpu < cpu_count(), "work for a CPU that does not exist");
  PerCpu& c = cpus_[static_cast<std::size_t>(cpu)];
  Tick now = sim_.now();
  if (kind == Kind::Irq) {
    Tick start = std::max(now, c.irq_free_at);
    Tick end = start + work;
    c.irq_free_at = end;
    c.busy_irq += work;
    ++c.irqs;
    if (c.kernel_running) {  // the interrupt preempts kernel work: it finishes later
      c.kernel_end += work;
      ++c.token;
      sim_.at<&CpuExec::on_kernel_done>(c.kernel_end, this,
                                        (c.token << 16) | static_cast<std::uint64_t>(cpu));
    }
    notify(cpu, start, work, kind);
    if (auto* tr = sim_.trace())
      tr->slice("cpu" + std::to_string(cpu), "irq", start, end, "", "cpu");
    if (done) sim_.call_at(end, std::move(done), sim::kPrioFirst);
    return;
  }
  c.kernel_queue.push_back({work, std::move(done)});
  if (!c.kernel_running) start_kernel(cpu);
}

void CpuExec::start_kernel(int cpu) {
  PerCpu& c = cpus_[static_cast<std::size_t>(cpu)];
  const Item& item = c.kernel_queue.front();
  Tick start = std::max(sim_.now(), c.irq_free_at);
  c.kernel_running = true;
  c.kernel_start = start;
  c.kernel_end = start + item.work;
  c.busy_kernel += item.work;
  ++c.token;
  notify(cpu, start, item.work, Kind::Kernel);
  sim_.at<&CpuExec::on_kernel_done>(c.kernel_end, this,
                                    (c.token << 16) | static_cast<std::uint64_t>(cpu));
}

void CpuExec::on_kernel_done(std::uint64_t arg) {
  int cpu = static_cast<int>(arg & 0xFFFF);
  PerCpu& c = cpus_[static_cast<std::size_t>(cpu)];
  if ((arg >> 16) != c.token) return;  // pushed back by an interrupt
  Item item = std::move(c.kernel_queue.front());
  c.kernel_queue.pop_front();
  c.kernel_running = false;
  if (auto* tr = sim_.trace())
    tr->slice("cpu" + std::to_string(cpu), "kernel", c.kernel_start, c.kernel_end, "", "cpu");
  if (!c.kernel_queue.empty()) start_kernel(cpu);
  if (item.done) item.done();
}

bool CpuExec::idle(int cpu) const {
  const PerCpu& c = cpus_[static_cast<std::size_t>(cpu)];
  return !c.kernel_running && c.irq_free_at <= sim_.now();
}

Tick CpuExec::busy(int cpu, Kind kind) const {
  const PerCpu& c = cpus_[static_cast<std::size_t>(cpu)];
  return kind == Kind::Irq ? c.busy_irq : c.busy_kernel;
}

Tick CpuExec::total_busy(Kind kind) const {
  Tick t = 0;
  for (int i = 0; i < cpu_count(); ++i) t += busy(i, kind);
  return t;
}

}  // namespace models
