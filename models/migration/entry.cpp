// The entry points of a migration job (migrator.h): what each pays before migrate_pages()
// takes its folios, on the CPU the kernel pays it on.
#include <initializer_list>
#include <memory>

#include "models/memory/node_memory.h"
#include "models/migration/job.h"
#include "sim/error.h"
#include "sim/registry.h"

namespace models {

void Migrator::Job::start() {
  start_ = phase_start_ = now();
  stats_ = &m_.reason_stats(j_.reason);
  stats_->jobs->add();
  switch (j_.reason) {
    case MigrationReason::Syscall:
      return start_syscall();
    case MigrationReason::Fault:
      return start_fault();
    case MigrationReason::Promote:
    case MigrationReason::Demote:
      return start_kernel();
    case MigrationReason::Count:
      break;
  }
  HETSIM_CHECK(false, "migration job without an entry point");
}

void Migrator::Job::run_batches() {
  next_ = j_.first;
  next_batch();
}

// ---- syscall: move_pages() ----
// lru_cache_disable(): an expedited RCU grace period (the caller sleeps), then
// __lru_add_drain_all(force_all_cpus): drain work queued on every online CPU and flushed.
void Migrator::Job::start_syscall() {
  sim().call_after(m_.costs_.rcu_expedited, [this] { drain_all(); });
}

void Migrator::Job::drain_all() {
  const MigrationCosts& c = m_.costs_;
  const int n = pf_.cpu_count();
  drain_left_ = n;
  // Queueing work on an idle CPU wakes its worker with an IPI; it then drains its batches.
  for (int cpu = 0; cpu < n; ++cpu) {
    if (cpu == j_.cpu) continue;
    sim().call_after(pf_.cpu_spec().ipi_latency,
                     [this, cpu] { kernel(cpu, m_.costs_.lru_work, [this] { drained(); }); });
  }
  kernel(j_.cpu, c.lru_queue * static_cast<Tick>(n) + c.lru_work, [this] { drained(); });
}

void Migrator::Job::drained() {
  if (--drain_left_ == 0) enter_syscall();
}

// The rest of do_pages_move: its fixed work and one look-up per address passed.
void Migrator::Job::enter_syscall() {
  const MigrationCosts& c = m_.costs_;
  std::uint64_t addresses = 0;
  for (std::size_t i = j_.first; i < j_.first + j_.count; ++i)
    addresses += j_.page_addresses ? j_.as->folio(i).pages : 1;
  Tick work = c.call + c.lookup * addresses;
  kernel(j_.cpu, work, [this] {
    end_phase(Phase::Enter);
    run_batches();
  });
}

// ---- fault: do_numa_page on a misplaced folio ----
// The hint fault itself, then migrate_misplaced_folio_prepare: a target without room refuses
// before the folio is isolated (the fault returns, the folio stays); else one folio is taken
// off its LRU and migrate_misplaced_folio runs migrate_pages on it.
void Migrator::Job::start_fault() {
  kernel(j_.cpu, m_.costs_.fault, [this] {
    const Folio& f = j_.as->folio(j_.first);
    if (f.node == j_.dst) {  // not misplaced after all: nothing to migrate
      end_phase(Phase::Enter);
      finish();
      return;
    }
    if (NodeMemory::of(m_.ctx_).free_bytes(j_.dst) < f.bytes()) {
      failed(1);
      end_phase(Phase::Enter);
      finish();
      return;
    }
    kernel(j_.cpu, m_.costs_.isolate, [this] {
      end_phase(Phase::Enter);
      run_batches();
    });
  });
}

// ---- promote, demote: a kernel thread's migrate_pages() on folios it isolated ----
void Migrator::Job::start_kernel() {
  std::uint64_t folios = 0;
  for (std::size_t i = j_.first; i < j_.first + j_.count; ++i)
    folios += j_.as->folio(i).node != j_.dst;
  kernel(j_.cpu, m_.costs_.isolate * folios, [this] {
    end_phase(Phase::Enter);
    run_batches();
  });
}

namespace {

// `hetsim list` shows each entry point with the machine.migration costs it pays (declared once,
// in costs.cpp; listed here again by name).
sim::ParamList costs_named(std::initializer_list<const char*> names) {
  sim::ParamList out;
  for (const char* n : names)
    for (const sim::ParamSpec& s : migration_params())
      if (s.name == n) out.push_back(s);
  return out;
}

[[maybe_unused]] const bool kEntriesListed = [] {
  auto& c = sim::Catalog::get();
  const char* kind = "migration_entry";
  c.add({kind, "syscall",
         "move_pages() (MR_SYSCALL): lru_cache_disable, do_pages_move's fixed work, one look-up "
         "per address; then the batches. Metrics migration.syscall.*",
         costs_named({"rcu_expedited", "lru_queue_cycles", "lru_work_cycles", "call_cycles",
                      "lookup_cycles"})});
  c.add({kind, "fault",
         "NUMA hint fault on a misplaced folio (MR_NUMA_MISPLACED): the fault, then one folio "
         "isolated and migrated on the faulting CPU; a target without room refuses before "
         "isolation. Metrics migration.fault.*",
         costs_named({"fault_cycles", "isolate_cycles"})});
  c.add({kind, "promote",
         "a kernel thread promotes folios to a faster node (MR_NUMA_MISPLACED, MR_DAMON): one "
         "isolation per folio, nothing per call; a folio the target cannot take stays. Metrics "
         "migration.promote.*",
         costs_named({"isolate_cycles"})});
  c.add({kind, "demote",
         "reclaim demotes folios to a slower node (MR_DEMOTION): one isolation per folio, the "
         "preferred target then the job's fallback targets in order; a folio none can take "
         "stays. Metrics migration.demote.* (folios_fallback: placed on a fallback target)",
         costs_named({"isolate_cycles"})});
  return true;
}();

}  // namespace

}  // namespace models
