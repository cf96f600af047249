#pragma once
// CPU time that models other than the scheduler's own workloads spend: kernel work (migration
// copy threads, the DMA driver's submission work, the kernel side of a system call) and
// interrupt handlers (IPIs, DMA completions). The scheduler (models/sched) owns every CPU's
// time and implements this interface: kernel work runs in a per-CPU kernel thread that
// competes with tasks, and interrupts delay whatever runs on their CPU.
#include <cstdint>
#include <functional>

#include "sim/run_context.h"
#include "sim/time.h"

namespace models {

using sim::Tick;

class CpuExec {
 public:
  enum class Kind { Irq, Kernel };
  virtual ~CpuExec() = default;

  // The run's owner of CPU time, built on first use.
  static CpuExec& of(sim::RunContext& ctx);
  using Provider = CpuExec& (*)(sim::RunContext&);
  static void set_provider(Provider p);

  // `work` of CPU time on `cpu` in the CPU's kernel worker thread (FIFO, scheduled like a
  // task); `done` is called when it completes.
  virtual void kernel(int cpu, Tick work, std::function<void()> done) = 0;
  // Kernel work whose length is known only as it runs (a copy that streams at whatever rate
  // memory gives it): one item of the CPU's kernel worker, so the worker runs nothing else
  // until it is over. It runs `work` first; when a burst ends, `more()` gives the further work
  // (0: the item is over and `done` is called). `on_cpu(true)` is called when the item starts
  // or the worker gets its CPU back in the middle of it, `on_cpu(false)` when the worker
  // leaves its CPU in the middle of it (preempted) or the item ends.
  struct Stream {
    Tick work = 0;
    std::function<Tick()> more;
    std::function<void(bool)> on_cpu;
    std::function<void()> done;
  };
  virtual void kernel_stream(int cpu, Stream item) = 0;
  // Kernel work that lasts until something else happens: a caller spinning on its CPU (as
  // smp_call_function_many waits for its IPIs to be acknowledged). One item of the CPU's
  // kernel worker, after the items before it, that holds the CPU from its start until
  // release_spin(cpu, id) (at once if it runs; with no CPU time, and no on_cpu calls, if it
  // has not started). `item.work` and `item.more` are not used; `on_cpu` and `done` are
  // called as for kernel_stream(). Returns the id.
  virtual std::uint64_t kernel_spin(int cpu, Stream item) = 0;
  virtual void release_spin(int cpu, std::uint64_t id) = 0;
  // An interrupt handler: runs at once (after the CPU's earlier interrupts) and delays
  // whatever runs there; `done` is called when it completes.
  virtual void irq(int cpu, Tick work, std::function<void()> done) = 0;
  // Kernel time spent on behalf of whatever runs on `cpu` right now (a TLB flush on an mm
  // switch): delays it like an interrupt, counted as neither kind.
  virtual void steal(int cpu, Tick work) = 0;

  virtual int cpu_count() const = 0;
  // True when nothing is runnable on the CPU (no task, no kernel work) and no interrupt runs.
  virtual bool idle(int cpu) const = 0;
  // CPU time consumed so far by each kind, on one CPU or all.
  virtual Tick busy(int cpu, Kind kind) const = 0;
  Tick total_busy(Kind kind) const {
    Tick t = 0;
    for (int c = 0; c < cpu_count(); ++c) t += busy(c, kind);
    return t;
  }
  virtual std::uint64_t interrupts(int cpu) const = 0;
};

}  // namespace models
