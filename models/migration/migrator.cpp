// The migrate_pages mechanism's front: jobs in, metrics out, copy agents built on first use.
// A job's steps are in entry.cpp (entry points) and job.cpp (batches).
#include "models/migration/migrator.h"

#include <memory>
#include <string>

#include "models/cpu/trace_groups.h"
#include "models/dma/dma_engine.h"
#include "models/migration/job.h"
#include "models/tlb/shootdown.h"
#include "sim/error.h"

namespace models {

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::Enter:
      return "enter";
    case Phase::Unmap:
      return "unmap";
    case Phase::Flush:
      return "flush";
    case Phase::Copy:
      return "copy";
    case Phase::Remap:
      return "remap";
    case Phase::Count:
      break;
  }
  return "?";
}

const char* reason_name(MigrationReason r) {
  switch (r) {
    case MigrationReason::Syscall:
      return "syscall";
    case MigrationReason::Fault:
      return "fault";
    case MigrationReason::Promote:
      return "promote";
    case MigrationReason::Demote:
      return "demote";
    case MigrationReason::Count:
      break;
  }
  return "?";
}

Migrator& Migrator::of(sim::RunContext& ctx) {
  if (auto* m = ctx.find<Migrator>()) return *m;
  return *ctx.keep(std::make_unique<Migrator>(ctx, Machine::of(ctx)));
}

Migrator::Migrator(sim::RunContext& ctx, Machine& pf) : ctx_(ctx), pf_(pf) {
  group_cpu_tracks(ctx.sim(), pf);
  costs_ = load_costs(pf);
  policy_ = ctx.make_policy<MigrationPolicy>("migration", "batch");
  // Services the mechanism uses, built now so that their own policy slots are taken while the
  // run is set up.
  TlbShootdown::of(ctx);
  if (!pf.section_list("dma").empty()) DmaEngines::of(ctx);
  auto& st = ctx.sim().stats();
  moved_ = &st.counter("migration.bytes_moved");
  folios_ = &st.counter("migration.folios_moved");
  failed_ = &st.counter("migration.folios_failed");
  for (const std::string& key : sim::Catalog::get().keys(CopyAgent::kKind))
    batches_[key] = &st.counter("migration.batches_" + key);
  cpu_ps_ = &st.counter("migration.cpu_ps");
  flush_wait_ps_ = &st.counter("migration.flush_wait_ps");
  folio_lat_ = &st.histogram("migration.folio_latency", "us", static_cast<double>(sim::kUs));
  first_lat_ = &st.histogram("migration.first_folio_latency", "us", static_cast<double>(sim::kUs));
  call_lat_ = &st.histogram("migration.call_latency", "us", static_cast<double>(sim::kUs));
  ctx.provide<Migrator>(this);
  ctx.at_finish([this] { finish_metrics(); });
}

Migrator::~Migrator() = default;

CopyAgent& Migrator::agent(const std::string& key) {
  auto it = agents_.find(key);
  if (it != agents_.end()) return *it->second;
  std::unique_ptr<CopyAgent> a = CopyAgent::Registry::make(key, ctx_);
  HETSIM_CHECK(a != nullptr && batches_.count(key) > 0,
               "the migration policy chose copy agent '" + key + "', which is not registered");
  return *agents_.emplace(key, std::move(a)).first->second;
}

// Created on a reason's first job, so that a run shows the entry points it used.
Migrator::ReasonStats& Migrator::reason_stats(MigrationReason r) {
  auto& slot = reasons_[static_cast<int>(r)];
  if (!slot) {
    auto& st = ctx_.sim().stats();
    const std::string p = std::string("migration.") + reason_name(r) + ".";
    slot = std::make_unique<ReasonStats>(
        ReasonStats{&st.counter(p + "jobs"), &st.counter(p + "folios_moved"),
                    &st.counter(p + "folios_failed"), &st.counter(p + "bytes_moved"),
                    r == MigrationReason::Demote ? &st.counter(p + "folios_fallback") : nullptr});
  }
  return *slot;
}

void Migrator::submit(MigrationJob job, std::function<void()> done) {
  HETSIM_CHECK(job.as != nullptr && job.first + job.count <= job.as->size(),
               "migration job over folios that are not mapped");
  HETSIM_CHECK(job.reason != MigrationReason::Fault || job.count == 1,
               "a fault migrates exactly one folio");
  HETSIM_CHECK(job.reason == MigrationReason::Demote || job.fallback.empty(),
               "only demotion falls back to other targets");
  const int nodes = static_cast<int>(pf_.nodes().size());
  HETSIM_CHECK(job.dst >= 0 && job.dst < nodes, "migration job towards a node that does not exist");
  for (int n : job.fallback)
    HETSIM_CHECK(n >= 0 && n < nodes, "demotion falls back to a node that does not exist");
  HETSIM_CHECK(job.cpu >= 0 && job.cpu < pf_.cpu_count(),
               "migration job on a CPU that does not exist");
  first_start_ = std::min(first_start_, ctx_.sim().now());
  ++active_calls_;
  std::size_t slot;
  if (!free_jobs_.empty()) {
    slot = free_jobs_.back();
    free_jobs_.pop_back();
  } else {
    slot = jobs_.size();
    jobs_.push_back(std::make_unique<Job>(*this, slot));
  }
  Job& j = *jobs_[slot];
  j.reset(std::move(job), std::move(done));
  j.start();
}

TlbShootdown& Migrator::shootdown() {
  if (!shootdown_) shootdown_ = &TlbShootdown::of(ctx_);
  return *shootdown_;
}

void Migrator::finish_metrics() {
  auto& st = ctx_.sim().stats();
  const Tick span = last_end_ > first_start_ ? last_end_ - first_start_ : 0;
  st.set_metric("migration.time_us", sim::to_us(span));
  st.set_metric("migration.throughput_gbps",
                span ? moved_->value() / sim::to_seconds(span) / 1e9 : 0.0);
  Tick total = 0;
  for (int i = 0; i < static_cast<int>(Phase::Count); ++i) total += phase_[i];
  for (int i = 0; i < static_cast<int>(Phase::Count); ++i) {
    const std::string n = phase_name(static_cast<Phase>(i));
    st.set_metric("migration.phase." + n + "_us", sim::to_us(phase_[i]));
    st.set_metric("migration.share." + n,
                  total ? static_cast<double>(phase_[i]) / static_cast<double>(total) : 0.0);
  }
  st.set_metric("migration.call_time_us", sim::to_us(call_time_));
  st.set_metric("migration.max_bottleneck_ratio", pf_.flows().max_bottleneck_ratio());
  const DmaEngines* dma = ctx_.find<DmaEngines>();
  const double dma_cpu = dma ? dma->cpu_ps() : 0.0;
  st.set_metric("migration.cpu_time_us", (cpu_ps_->value() + flush_wait_ps_->value() + dma_cpu) /
                                             static_cast<double>(sim::kUs));
  if (auto* tlb = ctx_.find<TlbShootdown>()) {
    st.set_metric("migration.ipis", static_cast<double>(tlb->ipis()));
    st.set_metric("migration.shootdowns", static_cast<double>(tlb->shootdowns()));
  }
}

}  // namespace models
