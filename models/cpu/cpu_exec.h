#pragma once
// CPU time that is not the running task's: interrupt handlers (IPIs, DMA completions) and
// kernel work (migration copy threads, the kernel side of a system call). Interrupts run at
// once, one after another, and push back any kernel work running on that CPU; kernel work
// runs in FIFO order. Whatever task the scheduler had on the CPU loses that time: the
// scheduler learns of it through the steal observer.
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "sim/simulator.h"
#include "sim/stats.h"

namespace models {

using sim::Tick;

class CpuExec {
 public:
  enum class Kind { Irq, Kernel };
  struct Observer {
    virtual ~Observer() = default;
    // `cpu` spends [start, start + duration) on kernel or interrupt work.
    virtual void on_steal(int cpu, Tick start, Tick duration, Kind kind) = 0;
  };

  CpuExec(sim::Simulator& sim, int ncpus);

  // Runs `work` of CPU time on `cpu`; `done` is called when it completes.
  void run(int cpu, Kind kind, Tick work, std::function<void()> done);
  void irq(int cpu, Tick work, std::function<void()> done) {
    run(cpu, Kind::Irq, work, std::move(done));
  }
  void kernel(int cpu, Tick work, std::function<void()> done) {
    run(cpu, Kind::Kernel, work, std::move(done));
  }

  int cpu_count() const { return static_cast<int>(cpus_.size()); }
  // True when the CPU has no interrupt or kernel work in progress or queued.
  bool idle(int cpu) const;
  // CPU time consumed so far by each kind, on one CPU or all.
  Tick busy(int cpu, Kind kind) const;
  Tick total_busy(Kind kind) const;
  std::uint64_t interrupts(int cpu) const { return cpus_[cpu].irqs; }

  void add_observer(Observer* o) { observers_.push_back(o); }

 private:
  struct Item {
    Tick work;
    std::function<void()> done;
  };
  struct PerCpu {
    Tick irq_free_at = 0;
    std::deque<Item> kernel_queue;
    bool kernel_running = false;
    Tick kernel_start = 0, kernel_end = 0;
    std::uint64_t token = 0;
    Tick busy_irq = 0, busy_kernel = 0;
    std::uint64_t irqs = 0;
  };
  void start_kernel(int cpu);
  void on_kernel_done(std::uint64_t arg);
  void notify(int cpu, Tick start, Tick duration, Kind kind);

  sim::Simulator& sim_;
  std::vector<PerCpu> cpus_;
  std::vector<Observer*> observers_;
};

}  // namespace models
