#include "models/drm/drm_sched.h"

#include <algorithm>

#include "models/machine/section.h"
#include "sim/error.h"
#include "sim/trace.h"

namespace models {

namespace {

const char* const kPrioNames[kDrmPriorities] = {"kernel", "high", "normal", "low"};

}  // namespace

DrmPriority parse_drm_priority(const std::string& s) {
  for (int i = 0; i < kDrmPriorities; ++i)
    if (s == kPrioNames[i]) return static_cast<DrmPriority>(i);
  return DrmPriority::Normal;
}

const sim::ParamList& DrmScheduler::params() {
  static const sim::ParamList p = {
      sim::p_int("credit_limit", 2,
                 "jobs in flight on one hardware ring (hw_submission_limit; amdgpu "
                 "amdgpu_sched_hw_submission default 2)",
                 1, 1024),
      sim::p_int("entity_queue", 32,
                 "jobs one entity may have queued before its submitter waits (amdgpu "
                 "amdgpu_sched_jobs default 32)",
                 1, 1 << 20),
      sim::p_time("submit_cost", "8us",
                  "CPU time of the submission worker per job (run_job, ring write; est.)"),
      sim::p_int("worker_cpu", 0, "CPU the scheduler's submission worker runs on"),
      sim::p_time("timeout", "10s",
                  "a job still running this long after it started is killed and the GPU reset "
                  "(amdgpu lockup_timeout default 10 s)"),
      sim::p_choice("preempt", "instruction",
                    {"kernel_boundary", "block_drain", "instruction", "reset"},
                    "how the GPU gives up a running job when a policy preempts: wait for the "
                    "running kernel, drain its thread blocks, save the context (compute "
                    "preemption, Pascal and later), or kill idempotent work and re-execute it"),
      sim::p_time("drain_time", "100us",
                  "block_drain: longest wait for the running thread blocks (est.)"),
      sim::p_time("save_time", "30us",
                  "instruction: context save to device memory (context-switch yield: tens of "
                  "us; est.)"),
      sim::p_time("restore_time", "30us", "instruction: context restore when resumed (est.)"),
      sim::p_time("reset_time", "5us",
                  "reset: killing the running kernels (REEF-style reset: a few us; est.)"),
  };
  return p;
}

namespace {

void describe_drm(const Machine& m, std::ostream& os) {
  int n = 0;
  for (std::size_t v = 0; v < m.graph().node_count(); ++v)
    if (m.graph().node(v).kind == NodeKind::Device && m.graph().node(v).detail == "gpu") ++n;
  os << "  drm: one scheduler ring per GPU (" << n << " GPU" << (n == 1 ? "" : "s") << ")\n";
}

[[maybe_unused]] const bool kDrmSection = register_machine_section(
    {"drm", &DrmScheduler::params, false,
     "the DRM GPU scheduler: ring credits, entity queues, submission cost, timeout and the "
     "GPUs' preemption mechanism",
     nullptr, 100, &describe_drm});

}  // namespace

DrmScheduler& DrmScheduler::of(sim::RunContext& ctx) {
  if (auto* s = ctx.find<DrmScheduler>()) return *s;
  return *ctx.keep(std::make_unique<DrmScheduler>(ctx, Machine::of(ctx)));
}

DrmScheduler::DrmScheduler(sim::RunContext& ctx, Machine& m) : ctx_(ctx), m_(m) {
  const sim::Params& p = m.section("drm");
  credits_ = static_cast<int>(p.i("credit_limit"));
  queue_limit_ = static_cast<int>(p.i("entity_queue"));
  worker_cpu_ = p.index("worker_cpu", static_cast<std::uint64_t>(m.cpu_count()), "CPU");
  submit_cost_ = p.time("submit_cost");
  timeout_ = p.time("timeout");
  if (timeout_ == 0) p.where("timeout").fail("a positive time", "0");
  drain_ = p.time("drain_time");
  save_ = p.time("save_time");
  restore_ = p.time("restore_time");
  reset_ = p.time("reset_time");
  const std::string& mech = p.s("preempt");
  mech_ = mech == "kernel_boundary" ? PreemptMechanism::KernelBoundary
          : mech == "block_drain"   ? PreemptMechanism::BlockDrain
          : mech == "reset"         ? PreemptMechanism::Reset
                                    : PreemptMechanism::Instruction;
  for (std::size_t v = 0; v < m.graph().node_count(); ++v) {
    const GraphNode& n = m.graph().node(v);
    if (n.kind == NodeKind::Device && n.detail == "gpu") {
      rings_.emplace_back();
      rings_.back().gpu = n.name;
    }
  }
  // In a trace, each GPU is a process of the viewer with its ring as a track.
  if (sim::TraceWriter* tr = ctx.sim().trace())
    for (std::size_t r = 0; r < rings_.size(); ++r)
      tr->group(rings_[r].gpu + ".ring", static_cast<std::uint32_t>(2000 + r),
                "GPU " + rings_[r].gpu, "ring", 0);
  auto& st = ctx.sim().stats();
  jobs_done_ = &st.counter("drm.jobs");
  preemptions_ = &st.counter("drm.preemptions");
  timeouts_ = &st.counter("drm.timeouts");
  lost_ps_ = &st.counter("drm.lost_work_ps");
  submit_ps_ = &st.counter("drm.submit_cpu_ps");
  preempt_wait_ps_ = &st.counter("drm.preempt_wait_ps");
  policy_ = ctx.make_policy<GpuSchedPolicy>("gpu_sched", "fifo");
  ctx.provide<DrmScheduler>(this);
  ctx.at_finish([this] {
    auto& s = ctx_.sim().stats();
    const Tick end = ctx_.sim().now();
    double busy = 0;
    for (std::size_t r = 0; r < rings_.size(); ++r)
      busy += static_cast<double>(this->busy(static_cast<int>(r)));
    s.set_metric("drm.gpu_busy_share",
                 end && !rings_.empty() ? busy / (static_cast<double>(end) * rings_.size()) : 0);
    s.set_metric(
        "drm.preempt_wait_us_mean",
        preemptions_->value() > 0 ? preempt_wait_ps_->value() / 1e6 / preemptions_->value() : 0);
  });
}

int DrmScheduler::ring(const std::string& gpu, const sim::Where& where) const {
  std::string known;
  for (std::size_t r = 0; r < rings_.size(); ++r) {
    if (gpu.empty() || rings_[r].gpu == gpu) return static_cast<int>(r);
    known += (known.empty() ? "" : ", ") + rings_[r].gpu;
  }
  if (rings_.empty())
    where.fail("a machine with a GPU (a device of kind gpu)", "a machine without one");
  where.fail("a GPU of this machine (" + known + ")", "\"" + gpu + "\"");
}

std::vector<int> DrmScheduler::rings(const std::string& gpus, const sim::Where& where) const {
  std::vector<int> out;
  std::size_t start = 0;
  while (start <= gpus.size()) {
    const std::size_t comma = std::min(gpus.find(',', start), gpus.size());
    const std::string name = gpus.substr(start, comma - start);
    start = comma + 1;
    if (name.empty()) continue;
    const int r = ring(name, where);
    if (std::find(out.begin(), out.end(), r) != out.end())
      where.fail("each GPU once", "\"" + name + "\" twice");
    out.push_back(r);
  }
  if (out.empty()) {
    ring("", where);  // fails on a machine without a GPU
    for (int r = 0; r < rings(); ++r) out.push_back(r);
  }
  return out;
}

int DrmScheduler::entity(int ring, const std::string& name, DrmPriority prio) {
  const Ring& rg = rings_[static_cast<std::size_t>(ring)];
  if (rg.assigned)
    rg.assigned_by.fail("a GPU that no DRM client uses (" + rg.gpu +
                            " is bound to vfio-pci for a user-space driver)",
                        "another workload submitting to " + rg.gpu + " through the DRM scheduler");
  const int id = static_cast<int>(entities_.size());
  entities_.push_back(Entity{name, ring, prio, policy_->level(prio), {}, {}});
  rings_[static_cast<std::size_t>(ring)].entities.push_back(id);
  return id;
}

int DrmScheduler::push(const DrmJobSpec& spec, std::function<void()> accepted) {
  const int id = static_cast<int>(jobs_.size());
  Job j;
  j.spec = spec;
  j.submitted = ctx_.sim().now();
  j.left = spec.duration;
  jobs_.push_back(std::move(j));
  Entity& e = entities_[static_cast<std::size_t>(spec.entity)];
  if (static_cast<int>(e.queue.size()) >= queue_limit_) {
    e.blocked.emplace_back(id, std::move(accepted));
    return id;
  }
  e.queue.push_back(id);
  if (accepted) accepted();
  wake_worker(e.ring);
  return id;
}

void DrmScheduler::assign(int ring, const sim::Where& where) {
  Ring& r = rings_[static_cast<std::size_t>(ring)];
  if (!r.entities.empty())
    where.fail("a GPU that no DRM client uses (assigned through VFIO it is bound to vfio-pci)",
               "another workload submitting to " + r.gpu + " through the DRM scheduler");
  if (!r.assigned) r.assigned_by = where;
  r.assigned = true;
}

int DrmScheduler::push_direct(int ring, const DrmJobSpec& spec) {
  Ring& r = rings_[static_cast<std::size_t>(ring)];
  HETSIM_CHECK(r.assigned, "user-mode submission to a ring the DRM driver owns");
  const int id = static_cast<int>(jobs_.size());
  Job j;
  j.spec = spec;
  j.submitted = ctx_.sim().now();
  j.left = spec.duration;
  j.state = kOnRing;
  jobs_.push_back(std::move(j));
  r.hw.push_back(id);
  if (r.hw.size() == 1) start_running(ring);
  if (spec.on_ring) spec.on_ring(id);
  return id;
}

Tick DrmScheduler::busy(int ring) const {
  const Ring& r = rings_[static_cast<std::size_t>(ring)];
  return r.busy + (r.hw.empty() ? 0 : ctx_.sim().now() - r.run_start);
}

bool DrmScheduler::ready(int job) const {
  for (int d : jobs_[static_cast<std::size_t>(job)].spec.deps)
    if (!signalled(d)) return false;
  return true;
}

int DrmScheduler::select(const Ring& r) const {
  int best = -1;
  for (int e : r.entities) {
    const Entity& en = entities_[static_cast<std::size_t>(e)];
    if (en.queue.empty() || !ready(en.queue.front())) continue;
    if (best < 0) {
      best = e;
      continue;
    }
    const Entity& b = entities_[static_cast<std::size_t>(best)];
    // Highest priority level first; FIFO by submission time within a level.
    if (en.level < b.level ||
        (en.level == b.level && jobs_[static_cast<std::size_t>(en.queue.front())].submitted <
                                    jobs_[static_cast<std::size_t>(b.queue.front())].submitted))
      best = e;
  }
  return best;
}

void DrmScheduler::wake_worker(int ring) {
  if (!rings_[static_cast<std::size_t>(ring)].worker_busy) worker_step(ring);
}

void DrmScheduler::worker_step(int ring) {
  Ring& r = rings_[static_cast<std::size_t>(ring)];
  if (r.preempting) return;
  const int e = select(r);
  if (e < 0) return;
  Entity& en = entities_[static_cast<std::size_t>(e)];
  const int job = en.queue.front();
  if (!r.hw.empty()) {
    const DrmPriority running =
        entities_[static_cast<std::size_t>(
                      jobs_[static_cast<std::size_t>(r.hw.front())].spec.entity)]
            .prio;
    if (policy_->preempts(en.prio, running)) {
      maybe_preempt(ring, r.hw.front());
      if (r.preempting) return;
    }
  }
  if (static_cast<int>(r.hw.size()) >= credits_) return;
  en.queue.pop_front();
  if (!en.blocked.empty()) {  // room for a waiting submitter
    auto [id, accepted] = std::move(en.blocked.front());
    en.blocked.pop_front();
    jobs_[static_cast<std::size_t>(id)].submitted = ctx_.sim().now();
    en.queue.push_back(id);
    if (accepted) accepted();
  }
  r.worker_busy = true;
  const Tick cost = submit_cost_ + jobs_[static_cast<std::size_t>(job)].spec.worker_extra;
  submit_ps_->add(static_cast<double>(cost));
  m_.exec().kernel(worker_cpu_, cost, [this, ring, job] {
    Ring& rr = rings_[static_cast<std::size_t>(ring)];
    Job& j = jobs_[static_cast<std::size_t>(job)];
    j.state = kOnRing;
    rr.hw.push_back(job);
    if (rr.hw.size() == 1) start_running(ring);
    rr.worker_busy = false;
    // A copy: the callback may push jobs, which moves the job table.
    if (const auto on_ring = j.spec.on_ring) on_ring(job);
    worker_step(ring);
  });
}

void DrmScheduler::start_running(int ring) {
  Ring& r = rings_[static_cast<std::size_t>(ring)];
  if (r.hw.empty()) return;
  Job& j = jobs_[static_cast<std::size_t>(r.hw.front())];
  j.left += j.restore;
  j.restore = 0;
  r.run_start = ctx_.sim().now();
  ++r.token;
  const std::uint64_t arg = (r.token << 16) | static_cast<std::uint64_t>(ring);
  ctx_.sim().at<&DrmScheduler::on_job_end>(r.run_start + j.left, this, arg, sim::kPrioFirst);
  // drm_sched's timeout handler watches the rings the DRM driver owns only.
  if (!r.assigned) ctx_.sim().at<&DrmScheduler::on_timeout>(r.run_start + timeout_, this, arg);
}

void DrmScheduler::on_job_end(std::uint64_t arg) {
  const int ring = static_cast<int>(arg & 0xFFFF);
  if ((arg >> 16) != rings_[static_cast<std::size_t>(ring)].token) return;
  complete(ring, true);
}

void DrmScheduler::on_timeout(std::uint64_t arg) {
  const int ring = static_cast<int>(arg & 0xFFFF);
  Ring& r = rings_[static_cast<std::size_t>(ring)];
  if ((arg >> 16) != r.token || r.hw.empty()) return;
  // drm_sched_job_timedout: the job is killed, the GPU reset; its work is lost.
  timeouts_->add();
  lost_ps_->add(static_cast<double>(ctx_.sim().now() - r.run_start));
  complete(ring, false);
}

void DrmScheduler::trace_run(int ring, int job, Tick from, const char* end) const {
  sim::TraceWriter* tr = ctx_.sim().trace();
  if (!tr || ctx_.sim().now() <= from) return;
  const Ring& r = rings_[static_cast<std::size_t>(ring)];
  std::string who = "{\"entity\":\"user-mode submission (vfio)\"";
  if (!r.assigned) {  // a job of an entity; an assigned ring's jobs have none
    const Entity& e =
        entities_[static_cast<std::size_t>(jobs_[static_cast<std::size_t>(job)].spec.entity)];
    static const char* const kPrio[kDrmPriorities] = {"kernel", "high", "normal", "low"};
    who = "{\"entity\":\"" + e.name + "\",\"priority\":\"" + kPrio[static_cast<int>(e.prio)] + "\"";
  }
  tr->slice(r.gpu + ".ring", "job " + std::to_string(job), from, ctx_.sim().now(),
            who + ",\"end\":\"" + end + "\"}", "gpu");
}

void DrmScheduler::complete(int ring, bool ok) {
  Ring& r = rings_[static_cast<std::size_t>(ring)];
  const int job = r.hw.front();
  trace_run(ring, job, r.run_start, ok ? "done" : "timeout");
  r.hw.pop_front();
  r.busy += ctx_.sim().now() - r.run_start;
  ++r.token;
  Job& j = jobs_[static_cast<std::size_t>(job)];
  j.state = kDone;
  jobs_done_->add();
  start_running(ring);
  if (j.spec.done) j.spec.done(job, ok);
  // A signalled fence may make jobs of any ring ready.
  for (std::size_t o = 0; o < rings_.size(); ++o) wake_worker(static_cast<int>(o));
}

void DrmScheduler::maybe_preempt(int ring, int job) {
  Ring& r = rings_[static_cast<std::size_t>(ring)];
  Job& j = jobs_[static_cast<std::size_t>(job)];
  const Tick now = ctx_.sim().now();
  const Tick left = j.left - std::min(j.left, now - r.run_start);  // GPU time still to run
  const Tick kernel = std::max<Tick>(1, j.spec.duration / std::max(1, j.spec.kernels));
  const Tick in_kernel = left % kernel;  // the running kernel's remainder
  Tick wait = 0;
  bool progress = true;  // the job keeps running while the ring waits
  PreemptMechanism mech = mech_;
  if (mech == PreemptMechanism::Reset && !j.spec.idempotent)
    mech = PreemptMechanism::KernelBoundary;
  switch (mech) {
    case PreemptMechanism::KernelBoundary:
      wait = in_kernel;
      break;
    case PreemptMechanism::BlockDrain:
      wait = std::min(in_kernel, drain_);
      break;
    case PreemptMechanism::Instruction:
      wait = save_;
      progress = false;
      break;
    case PreemptMechanism::Reset:
      wait = reset_;
      progress = false;
      break;
  }
  // A job that ends before the ring could give it up is left to finish.
  if (progress ? wait >= left : left <= wait) return;
  r.preempting = true;
  ++r.token;  // its completion event no longer stands
  preemptions_->add();
  preempt_wait_ps_->add(static_cast<double>(wait));
  if (mech == PreemptMechanism::Reset) {
    lost_ps_->add(static_cast<double>(j.spec.duration - left));
    j.left = j.spec.duration;
  } else {
    j.left = progress ? left - wait : left;
    if (mech == PreemptMechanism::Instruction) j.restore = restore_;
  }
  const char* how = mech == PreemptMechanism::KernelBoundary ? "kernel boundary"
                    : mech == PreemptMechanism::BlockDrain   ? "block drain"
                    : mech == PreemptMechanism::Reset        ? "reset"
                                                             : "context save";
  ctx_.sim().call_after(wait, [this, ring, job, how, asked = now] {
    Ring& rr = rings_[static_cast<std::size_t>(ring)];
    trace_run(ring, job, rr.run_start, "preempted");
    if (sim::TraceWriter* tr = ctx_.sim().trace(); tr && ctx_.sim().now() > asked)
      tr->slice(rr.gpu + ".ring", "preempt", asked, ctx_.sim().now(),
                std::string("{\"mechanism\":\"") + how + "\"}", "gpu");
    rr.busy += ctx_.sim().now() - rr.run_start;
    unwind(ring);
    rr.preempting = false;
    wake_worker(ring);
  });
}

void DrmScheduler::unwind(int ring) {
  Ring& r = rings_[static_cast<std::size_t>(ring)];
  // Every job on the ring goes back to the head of its entity's queue, in ring order.
  for (auto it = r.hw.rbegin(); it != r.hw.rend(); ++it) {
    Job& j = jobs_[static_cast<std::size_t>(*it)];
    j.state = kQueued;
    entities_[static_cast<std::size_t>(j.spec.entity)].queue.push_front(*it);
  }
  r.hw.clear();
}

}  // namespace models
