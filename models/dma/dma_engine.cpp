#include "models/dma/dma_engine.h"

#include <algorithm>

#include "sim/error.h"
#include "sim/trace.h"

namespace models {

const sim::ParamList& dma_params() {
  static const sim::ParamList p = {
      sim::p_string("name", nullptr, "engine name"),
      sim::p_int("socket", 0, "socket whose IO die holds the engine"),
      sim::p_int("queues", 1, "hardware queues (channels)", 1, 64),
      sim::p_int("ring", 32, "descriptors per queue ring", 1, 4096),
      sim::p_bw("queue_bw", "10GB/s", "copy bandwidth of one queue (est.)"),
      sim::p_time("submit_cost", "0.5us",
                  "CPU time to prepare and submit a descriptor or SG batch (est.)"),
      sim::p_time("irq_cost", "0.3us", "CPU time of one completion interrupt (est.)"),
      sim::p_time("setup_latency", "0.5us", "engine time from doorbell to first byte (est.)"),
      sim::p_bw("engine_bw", "25GB/s",
                "the engine's port into the IO die, per direction, shared by all its queues "
                "(est.: PTDMA is a PCIe function of the IO die, taken as a Gen4 x16 port)"),
      sim::p_choice("chain", "irq", {"irq", "ring"},
                    "irq: one descriptor in flight per queue, the next started from the "
                    "previous one's completion interrupt (drivers/dma/amd/ptdma "
                    "pt_cmd_callback); ring: the engine walks its ring by itself"),
      sim::p_time("irq_latency", "1us",
                  "completion to interrupt handler entry, MSI delivery (est.)"),
      sim::p_time("desc_time", "100ns",
                  "engine time per descriptor beyond its bytes: fetch the 32-byte descriptor, "
                  "write back its status (est.)"),
      sim::p_time("chan_setup", "1us",
                  "CPU time to request and release one channel, paid per channel and batch by "
                  "the migration offload driver (dma_request_channel / dma_release_channel: "
                  "device list walk under a mutex, channel resources) (est.)"),
  };
  return p;
}

std::vector<DmaSpec> dma_specs(const Machine& m) {
  std::vector<DmaSpec> out;
  for (const sim::Params& d : m.section_list("dma"))
    out.push_back({d.s("name"), static_cast<int>(d.i("socket")), static_cast<int>(d.i("queues")),
                   static_cast<int>(d.i("ring")), d.bw("queue_bw"), d.time("submit_cost"),
                   d.time("irq_cost"), d.time("setup_latency"), *m.graph().find(d.s("name")),
                   d.bw("engine_bw"), d.s("chain") == "irq", d.time("irq_latency"),
                   d.time("chan_setup"), d.time("desc_time")});
  return out;
}

namespace {

// Each engine is a device on its socket's IO die; its copies read and write through the die,
// over one port whose bandwidth per direction all the engine's queues share.
void build_engines(Machine& m, const std::vector<sim::Params>& list) {
  for (const sim::Params& d : list) {
    if (d.bw("queue_bw") <= 0) d.where("queue_bw").fail("a positive bandwidth", "0");
    if (d.bw("engine_bw") <= 0) d.where("engine_bw").fail("a positive bandwidth", "0");
    if (m.graph().find(d.s("name")))
      d.where("name").fail("a name no other part of the machine has", "\"" + d.s("name") + "\"");
    const int socket =
        d.index("socket", static_cast<std::uint64_t>(m.cpu_spec().sockets), "socket");
    VertexId iod = m.iod_vertex(socket);
    VertexId v = m.graph().add_node(
        {d.s("name"), NodeKind::Device, "dma", socket, static_cast<int>(iod), false, std::nullopt});
    m.graph().add_link(v, iod, "iod-dma", d.bw("engine_bw"), d.bw("engine_bw"), 0,
                       d.s("name") + ".out", d.s("name") + ".in");
  }
}

[[maybe_unused]] const bool kDmaSection = register_machine_section(
    {"dma", &dma_params, true, "DMA engines on the IO dies", &build_engines, 10});

}  // namespace

DmaEngines& DmaEngines::of(sim::RunContext& ctx) {
  if (auto* d = ctx.find<DmaEngines>()) return *d;
  return *ctx.keep(std::make_unique<DmaEngines>(ctx, Machine::of(ctx)));
}

DmaEngines::DmaEngines(sim::RunContext& ctx, Machine& pf) : ctx_(ctx), pf_(pf) {
  auto& st = ctx.sim().stats();
  for (const DmaSpec& s : dma_specs(pf)) {
    auto e = std::make_unique<Engine>();
    e->spec = s;
    e->queues.resize(static_cast<std::size_t>(s.queues));
    e->busy_avg = &st.time_average("dma." + s.name + ".busy_queues");
    e->ring_avg = &st.time_average("dma." + s.name + ".ring_occupancy");
    engines_.push_back(std::move(e));
  }
  irqs_ = &st.counter("dma.interrupts");
  submits_ = &st.counter("dma.submissions");
  bytes_ = &st.counter("dma.bytes");
  cpu_ps_ = &st.counter("dma.cpu_ps");
  // In a trace, each engine is a process of the viewer and each of its queues a track.
  if (sim::TraceWriter* tr = ctx.sim().trace())
    for (std::size_t e = 0; e < engines_.size(); ++e) {
      const DmaSpec& s = engines_[e]->spec;
      for (int q = 0; q < s.queues; ++q)
        tr->group(queue_track(static_cast<int>(e), q), static_cast<std::uint32_t>(1000 + e),
                  "DMA " + s.name, "queue " + std::to_string(q), q);
    }
  ctx.provide<DmaEngines>(this);
  ctx.at_finish([this, &ctx] {
    // Mean fraction of all queues busy over the run.
    double q = 0, busy = 0;
    for (const auto& e : engines_) {
      q += e->spec.queues;
      busy += e->busy_avg->mean(ctx.sim().now());
    }
    ctx.sim().stats().set_metric("dma.queue_occupancy", q > 0 ? busy / q : 0.0);
  });
}

int DmaEngines::on_socket(int socket) const {
  for (std::size_t i = 0; i < engines_.size(); ++i)
    if (engines_[i]->spec.socket == socket) return static_cast<int>(i);
  return -1;
}

void DmaEngines::copy(const DmaCopy& c, std::function<void()> done) {
  HETSIM_CHECK(c.engine >= 0 && c.engine < count(), "DMA copy on an unknown engine");
  HETSIM_CHECK(c.queue >= 0 && c.queue < queues(c.engine), "DMA copy on an unknown queue");
  HETSIM_CHECK(c.descriptors >= 1, "DMA copy without descriptors");
  const std::uint32_t slot = transfers_.take();
  Transfer& t = transfers_[slot];
  t.c = c;
  t.next_desc = 0;
  t.completed = 0;
  t.waiting = false;
  t.done = std::move(done);
  bytes_->add(c.bytes);
  submit_segment(slot);
}

namespace {
std::uint64_t dma_pack(std::uint32_t hi, int lo) {
  return static_cast<std::uint64_t>(hi) << 32 | static_cast<std::uint32_t>(lo);
}
std::uint32_t dma_hi(std::uint64_t arg) { return static_cast<std::uint32_t>(arg >> 32); }
int dma_lo(std::uint64_t arg) { return static_cast<int>(arg & 0xFFFFFFFFu); }
}  // namespace

// The driver fills the ring: a scatter-gather list is one submission the engine walks by
// itself; single descriptors are submitted in segments of half a ring, so the CPU prepares
// the next segment while the engine copies the previous one.
void DmaEngines::submit_segment(std::uint32_t ti) {
  Transfer& t = transfers_[ti];
  const DmaCopy& c = t.c;
  const DmaSpec& spec = engines_[static_cast<std::size_t>(c.engine)]->spec;
  Queue& q =
      engines_[static_cast<std::size_t>(c.engine)]->queues[static_cast<std::size_t>(c.queue)];
  const int left = c.descriptors - t.next_desc;
  if (left <= 0) return;
  const int seg = c.sg ? left : std::min(left, std::max(1, spec.ring / 2));
  if (!c.sg && q.in_ring + seg > spec.ring) {  // resumed when descriptors of the queue complete
    if (!t.waiting) {
      t.waiting = true;
      q.waiting.push_back(ti);
    }
    return;
  }
  t.next_desc += seg;
  q.in_ring += c.sg ? std::min(seg, spec.ring) : seg;
  const Tick cpu_work = c.sg ? spec.submit_cost + c.map_cost * static_cast<Tick>(seg)
                             : (spec.submit_cost + c.map_cost) * static_cast<Tick>(seg);
  submits_->add(c.sg ? 1.0 : seg);
  cpu_ps_->add(static_cast<double>(cpu_work));
  const std::uint64_t arg = dma_pack(ti, seg);
  pf_.exec().kernel(c.cpu, cpu_work, [this, arg] { segment_submitted(arg); });
}

// The segment is in the ring: the engine's queue takes it; the driver prepares the next.
void DmaEngines::segment_submitted(std::uint64_t arg) {
  const std::uint32_t ti = dma_hi(arg);
  const int seg = dma_lo(arg);
  const DmaCopy& c = transfers_[ti].c;
  const double seg_bytes = c.bytes * seg / c.descriptors;
  enqueue(c.engine, c.queue,
          Job{seg_bytes, seg, c.src, c.dst,
              engines_[static_cast<std::size_t>(c.engine)]->spec.desc_time, ti});
  submit_segment(ti);
}

// The engine has moved the segment's bytes.
void DmaEngines::segment_copied(std::uint32_t ti, int seg) {
  const DmaCopy& c = transfers_[ti].c;
  const int engine = c.engine, queue = c.queue;
  const DmaSpec& spec = engines_[static_cast<std::size_t>(engine)]->spec;
  Engine& e = *engines_[static_cast<std::size_t>(engine)];
  Queue& q = e.queues[static_cast<std::size_t>(queue)];
  q.in_ring -= c.sg ? std::min(seg, spec.ring) : seg;
  e.ring_avg->add(ctx_.sim().now(), -(c.sg ? std::min(seg, spec.ring) : seg));
  // One interrupt per scatter-gather list; per descriptor otherwise, and per descriptor when
  // the driver chains them through interrupts (accounted together at the end of the job).
  const int n_irq = c.sg && !spec.chain_irq ? 1 : seg;
  irqs_->add(n_irq);
  cpu_ps_->add(static_cast<double>(spec.irq_cost * static_cast<Tick>(n_irq)));
  submit_segment(ti);
  retry_waiting(engine, queue);
  // The last completion reaches its handler after the MSI's delivery.
  ctx_.sim().after<&DmaEngines::segment_irq>(spec.irq_latency, this, dma_pack(ti, seg));
}

void DmaEngines::segment_irq(std::uint64_t arg) {
  const Transfer& t = transfers_[dma_hi(arg)];
  const int seg = dma_lo(arg);
  const DmaSpec& spec = engines_[static_cast<std::size_t>(t.c.engine)]->spec;
  const int n_irq = t.c.sg && !spec.chain_irq ? 1 : seg;
  pf_.exec().irq(t.c.cpu, spec.irq_cost * static_cast<Tick>(n_irq),
                 [this, arg] { segment_handled(arg); });
}

void DmaEngines::segment_handled(std::uint64_t arg) {
  const std::uint32_t ti = dma_hi(arg);
  Transfer& t = transfers_[ti];
  t.completed += dma_lo(arg);
  if (t.completed != t.c.descriptors) return;
  // The transfer is over: its slot is free before `done` runs (which may copy again).
  std::function<void()> done = std::move(t.done);
  t.done = nullptr;
  transfers_.give_back(ti);
  if (done) done();
}

void DmaEngines::retry_waiting(int e, int qi) {
  Queue& q = engines_[static_cast<std::size_t>(e)]->queues[static_cast<std::size_t>(qi)];
  // The transfers waiting now, in order; those that find the ring full again queue behind
  // them, in the same order.
  for (std::size_t n = q.waiting.size(); n > 0; --n) {
    const std::uint32_t t = q.waiting.front();
    q.waiting.pop_front();
    transfers_[t].waiting = false;
    submit_segment(t);
  }
}

void DmaEngines::enqueue(int e, int qi, Job job) {
  Engine& eng = *engines_[static_cast<std::size_t>(e)];
  eng.ring_avg->add(ctx_.sim().now(), std::min(job.descriptors, eng.spec.ring));
  Queue& q = eng.queues[static_cast<std::size_t>(qi)];
  q.jobs.push_back(std::move(job));
  if (!q.running) run_next(e, qi);
}

std::string DmaEngines::queue_track(int e, int qi) const {
  return engines_[static_cast<std::size_t>(e)]->spec.name + ".q" + std::to_string(qi);
}

void DmaEngines::run_next(int e, int qi) {
  Engine& eng = *engines_[static_cast<std::size_t>(e)];
  Queue& q = eng.queues[static_cast<std::size_t>(qi)];
  if (q.jobs.empty()) {
    if (q.running) {
      q.running = false;
      --eng.busy;
      eng.busy_avg->set(ctx_.sim().now(), eng.busy);
    }
    return;
  }
  if (!q.running) {
    q.running = true;
    ++eng.busy;
    eng.busy_avg->set(ctx_.sim().now(), eng.busy);
  }
  q.current = q.jobs.front();
  q.jobs.pop_front();
  const Job& job = q.current;
  // The engine fetches each descriptor before moving its bytes: its rate is the queue's
  // rate diluted by the per-descriptor time. Chained through interrupts, the queue also
  // idles after each descriptor until the handler has started the next one.
  const Tick gap = eng.spec.chain_irq ? eng.spec.irq_latency + eng.spec.irq_cost : 0;
  const double per_desc = sim::to_seconds(job.desc_overhead) * job.descriptors +
                          sim::to_seconds(gap) * (job.descriptors - 1);
  const double cap = job.bytes / (job.bytes / eng.spec.queue_bw + per_desc);
  sim::FlowNetwork::Spec& spec = q.spec;
  spec.path = pf_.copy_path(eng.spec.vertex, job.src, job.dst);
  spec.bytes = job.bytes;
  spec.rate_cap = cap;
  spec.weight = 1;
  const std::uint64_t arg = dma_pack(static_cast<std::uint32_t>(e), qi);
  spec.on_done = [this, arg] { job_flow_done(arg); };
  q.started = ctx_.sim().now();
  ctx_.sim().after<&DmaEngines::job_setup_done>(eng.spec.setup_latency, this, arg);
}

void DmaEngines::job_setup_done(std::uint64_t arg) {
  Queue& q = engines_[dma_hi(arg)]->queues[static_cast<std::size_t>(dma_lo(arg))];
  pf_.flows().start(std::move(q.spec));
}

void DmaEngines::job_flow_done(std::uint64_t arg) {
  const int e = static_cast<int>(dma_hi(arg)), qi = dma_lo(arg);
  Queue& q = engines_[static_cast<std::size_t>(e)]->queues[static_cast<std::size_t>(qi)];
  const Job job = q.current;
  // The queue's track in a trace: one slice per job, setup included.
  if (sim::TraceWriter* tr = ctx_.sim().trace())
    tr->slice(queue_track(e, qi), "copy", q.started, ctx_.sim().now(),
              "{\"bytes\":" + std::to_string(static_cast<std::uint64_t>(job.bytes)) +
                  ",\"descriptors\":" + std::to_string(job.descriptors) + "}",
              "dma");
  segment_copied(job.t, job.descriptors);
  run_next(e, qi);
}

}  // namespace models
