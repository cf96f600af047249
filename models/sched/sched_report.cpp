// What the scheduler reports: trace slices and arrows, the run-queue sampler and the
// figures it sets when the run ends.
#include "models/sched/scheduler.h"
#include "sim/trace.h"

namespace models {

void Scheduler::trace_off(int cpu, const Task& t, const char* why) {
  sim::TraceWriter* tr = sim_.trace();
  const Tick from = rq(cpu).on_since;
  if (!tr || now() <= from) return;
  const std::string args = "{\"task\":" + std::to_string(t.id) + ",\"end\":\"" + why + "\"}";
  if (t.kworker)  // other models' kernel work, under the name and category it always had
    tr->slice("cpu" + std::to_string(cpu), "kernel", from, now(), args, "cpu");
  else
    tr->slice("cpu" + std::to_string(cpu), "task " + std::to_string(t.id), from, now(), args);
}

void Scheduler::trace_arrow(int from, int to, Tick arrives, const char* what) {
  if (sim::TraceWriter* tr = sim_.trace())
    tr->flow("cpu" + std::to_string(from), now(), "cpu" + std::to_string(to), arrives, what);
}

void Scheduler::on_sample() {
  int mx = -1, mn = 1 << 30;
  for (std::size_t c = 0; c < rqs_.size(); ++c) {
    if (!rqs_[c].housekeeping) continue;
    mx = std::max(mx, nr_[c]);
    mn = std::min(mn, nr_[c]);
  }
  imbalance_->set(now(), mx - mn);
  rq_max_->set(now(), mx);
  sim_.after<&Scheduler::on_sample>(sample_period_, this, 0, sim::kPrioLast);
}

void Scheduler::finish() {
  for (int l = 0; l < topo_->llc_count(); ++l) note_llc(l);
  for (int c = 0; c < static_cast<int>(rqs_.size()); ++c)
    if (rq(c).curr >= 0) trace_off(c, task(rq(c).curr), "end of run");
  const Tick end = now();
  auto& st = sim_.stats();
  const double secs = sim::to_seconds(end);
  const double hk = static_cast<double>(topo_->housekeeping().count());
  st.set_metric("sched.throughput_ops", secs > 0 ? ops_->value() / secs : 0);
  st.set_metric("sched.throughput_per_cpu", secs > 0 ? ops_->value() / secs / hk : 0);
  st.set_metric("sched.idle_llc_waiting_ms", idle_waiting_ / static_cast<double>(sim::kMs));
  st.set_metric("sched.idle_llc_waiting_share",
                end ? idle_waiting_ / (hk * static_cast<double>(end)) : 0);
  double bal = 0;
  for (Charge k : {kNewidle, kTick, kSwitchHook, kKick, kWakeScan}) bal += charge_ns_[k]->value();
  st.set_metric("sched.balance_cpu_ms", bal / 1e6);
  st.set_metric("sched.balance_cpu_share",
                end ? bal * sim::kNs / (hk * static_cast<double>(end)) : 0);
  double migs = 0;
  for (auto* c : mig_cause_) migs += c->value();
  st.set_metric("sched.migrations_total", migs);
  st.set_metric("sched.migrations_per_kop",
                ops_->value() > 0 ? 1000.0 * (migs - mig_cause_[0]->value()) / ops_->value() : 0);
  Tick busy = 0;
  for (const Task& t : tasks_) busy += t.cpu_time;
  st.set_metric("sched.utilization",
                end ? static_cast<double>(busy) / (hk * static_cast<double>(end)) : 0);
  st.set_metric("sched.bursts_in_flight", bursts_started_->value() - bursts_done_->value());
  st.set_metric("sched.ipis_total", ipi_resched_->value() + ipi_kick_->value());
  st.set_metric("sched.tasks", static_cast<double>(tasks_.size()));
}

}  // namespace models
