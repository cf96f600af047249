// The block layer and the NVMe drives' queues (see blk.h), and the machine's "io" section.
#include "models/io/blk.h"

#include <algorithm>
#include <sstream>

#include "models/cpu/cpu_exec.h"
#include "models/io/wbt.h"
#include "sim/error.h"

namespace models {

namespace {

const sim::ParamList& io_params() {
  static const sim::ParamList p = {
      sim::p_int("queues", 0,
                 "NVMe I/O queue pairs (SQ/CQ) per drive: 0 = one per CPU up to max_queues, "
                 "1 = one shared by every CPU",
                 0, 4096),
      sim::p_int("max_queues", 128, "I/O queue pairs a controller offers (est.)", 1, 4096),
      sim::p_int("queue_depth", 1023,
                 "driver tags per hardware queue (nvme io_queue_depth 1024, one entry kept "
                 "free)",
                 1, 65535),
      sim::p_int("internal_parallelism", 80,
                 "commands a drive serves at once: vendor 4 KiB random-read IOPS x command "
                 "latency (Little's law: ~1M x 80 us; est.)",
                 1, 65535),
      sim::p_size("max_request", "512KiB",
                  "largest request (max_sectors_kb; larger bios are split; est.)"),
      sim::p_size("read_ahead", "128KiB",
                  "largest readahead window of a buffered reader (read_ahead_kb; "
                  "VM_READAHEAD_PAGES default)"),
      sim::p_string("wbt", "all",
                    "drives with writeback throttling (blk-wbt; on by default for NVMe): names, "
                    "comma-separated, \"all\" or \"none\""),
      sim::p_time("wbt_lat", "2ms",
                  "blk-wbt read latency target (wbt_lat_usec; 2 ms for non-rotational drives)"),
      sim::p_time("wbt_window", "100ms", "blk-wbt monitoring window (RWB_WINDOW_NSEC)"),
      sim::p_int("dirty_ratio", 20,
                 "percent of dirtyable memory (the DDR nodes) that may be dirty or under "
                 "writeback before writers are throttled (vm.dirty_ratio)",
                 0, 100),
      sim::p_int("dirty_background_ratio", 10,
                 "percent of dirtyable memory above which the flusher writes back "
                 "(vm.dirty_background_ratio)",
                 0, 100),
      sim::p_size("dirty_bytes", "0B", "absolute dirty limit, replaces dirty_ratio when > 0"),
      sim::p_size("dirty_background_bytes", "0B",
                  "absolute background limit, replaces dirty_background_ratio when > 0"),
      sim::p_time("writeback_page", "50ns",
                  "writeback per 4 KiB page: clear_page_dirty_for_io, set and end "
                  "page writeback (est.)"),
      sim::p_time("dax_access", "50ns",
                  "DAX: one load/store access to a mapped file, besides the copy (locating "
                  "the mapping, bookkeeping; est.)"),
      sim::p_time("syscall", "100ns", "kernel entry and exit of one system call (est.)"),
      sim::p_time("vfs", "400ns", "VFS and filesystem path of one read or write call (est.)"),
      sim::p_time("blk_request", "300ns",
                  "blk-mq per request: bio, tag, nvme_queue_rq, doorbell (est.)"),
      sim::p_time("gup_base", "150ns",
                  "get_user_pages_fast and unpin of one I/O's user buffer (est.)"),
      sim::p_time("gup_page", "20ns", "... per 4 KiB page of the buffer (est.)"),
      sim::p_time("cache_page", "250ns",
                  "page cache: allocate, insert, account and later reclaim one 4 KiB page "
                  "(est.)"),
      sim::p_time("irq", "500ns",
                  "completion interrupt: nvme_irq, blk_mq_complete_request, bio end (est.)"),
      sim::p_time("uring_sqe", "100ns", "io_uring: consume and issue one SQE (est.)"),
      sim::p_time("uring_fget", "50ns",
                  "io_uring: file reference per SQE when files are not fixed (est.)"),
      sim::p_time("uring_cqe", "50ns", "io_uring: post one CQE (est.)"),
      sim::p_time("poll", "100ns",
                  "io_uring IOPOLL: nvme_poll finding one completion in a CQ (est.)"),
      sim::p_time("uring_user", "10ns",
                  "io_uring: user space fills one SQE or reaps one CQE (est.)"),
  };
  return p;
}

[[maybe_unused]] const bool kSection = register_machine_section(
    {"io", &io_params, false,
     "the kernel's I/O stack: NVMe queue pairs and depth, blk-mq and system-call costs, "
     "dirty limits of buffered writes and writeback throttling (blk-wbt)"});

// Default scheduler of NVMe request queues.
constexpr const char* kDefaultSched = "none";

}  // namespace

struct BioGroup {
  int left = 0, irqs = 0;  // requests still to complete; interrupts of its own requests
  int hctx = 0;
  bool polled = false, tracked = false;
  Tick irq_extra = 0;
  std::function<void(int, int)> done;
};

struct BlockLayer::Drive {
  std::unique_ptr<IoScheduler> sched;
  std::vector<std::int64_t> tags;  // free driver tags per hardware queue
  int busy = 0;                    // commands in the drive
  // Commands in each submission queue that the drive has not started: it fetches from the
  // queues round robin (NVMe's default arbitration, burst 1) when a slot frees.
  std::vector<std::deque<std::unique_ptr<IoRequest>>> sq;
  std::size_t waiting = 0, rr = 0;
  sim::LinkId media = 0;
  double read_bytes = 0, write_bytes = 0;
  std::uint64_t reads = 0, writes = 0;
  std::vector<std::vector<sim::LinkId>> read_path, write_path;  // by host node, built on use
};

BlockLayer& BlockLayer::of(sim::RunContext& ctx) {
  if (auto* b = ctx.find<BlockLayer>()) return *b;
  auto* b = ctx.keep(std::make_unique<BlockLayer>(ctx, Machine::of(ctx)));
  ctx.provide(b);
  return *b;
}

BlockLayer::BlockLayer(sim::RunContext& ctx, Machine& m)
    : ctx_(ctx), m_(m), cpu_(CpuExec::of(ctx)), drives_(nvme_drives(m)) {
  const sim::Params& p = m.section("io");
  costs_ = {p.time("syscall"),    p.time("vfs"),           p.time("blk_request"),
            p.time("gup_base"),   p.time("gup_page"),      p.time("cache_page"),
            p.time("irq"),        p.time("uring_sqe"),     p.time("uring_fget"),
            p.time("uring_cqe"),  p.time("uring_user"),    p.time("poll"),
            p.time("dax_access"), m.cpu_spec().memcpy_rate};
  const int cpus = m.cpu_count();
  nq_ = p.i("queues") == 0 ? std::min<int>(cpus, static_cast<int>(p.i("max_queues")))
                           : static_cast<int>(std::min<std::int64_t>(p.i("queues"), cpus));
  queue_depth_ = p.i("queue_depth");
  parallelism_ = static_cast<int>(p.i("internal_parallelism"));
  max_request_ = static_cast<std::int64_t>(p.size("max_request"));
  read_ahead_ = static_cast<std::int64_t>(p.size("read_ahead"));
  if (max_request_ < 4096)
    p.where("max_request").fail("at least 4KiB", std::to_string(max_request_));
  for (const NvmeDrive& d : drives_) {
    auto s = std::make_unique<Drive>();
    s->sched = ctx.make_policy<IoScheduler>("iosched", kDefaultSched);
    s->sched->attach(nq_);
    s->tags.assign(static_cast<std::size_t>(nq_), queue_depth_);
    s->sq.resize(static_cast<std::size_t>(nq_));
    s->media = m.flows().add_link(d.name + ".media", m.flows().capacity(d.read), 0);
    state_.push_back(std::move(s));
  }
  wbt_.resize(drives_.size());
  if (p.time("wbt_window") == 0) p.where("wbt_window").fail("a positive time", "0");
  // No drive, nothing to throttle ("all" of none).
  if (p.s("wbt") != "none" && !(drives_.empty() && p.s("wbt") == "all"))
    for (int d : parse_drives(p.s("wbt"), p.where("wbt")))
      wbt_[static_cast<std::size_t>(d)] =
          std::make_unique<Wbt>(ctx.sim(), queue_depth_, p.time("wbt_lat"), p.time("wbt_window"));
  auto& st = ctx.sim().stats();
  requests_ = &st.counter("io.requests");
  merges_ = &st.counter("io.merges");
  bios_ = &st.counter("io.bios");
  irqs_ = &st.counter("io.interrupts");
  irq_ps_ = &st.counter("io.irq_cpu_ps");
  sched_wait_ = &st.histogram("io.sched_wait", "us", static_cast<double>(sim::kUs));
  for (int c = 0; c < cpus; ++c) {
    const int socket = m.cpus()[static_cast<std::size_t>(c)].socket;
    int node = 0;
    for (const MemNode& n : m.nodes())
      if (n.kind == MemKind::Ddr && n.socket == socket) {
        node = n.id;
        break;
      }
    host_node_.push_back(node);
  }
  ctx.at_finish([this] { finish(); });
}

BlockLayer::~BlockLayer() = default;

std::vector<int> BlockLayer::parse_drives(const std::string& list, const sim::Where& w) const {
  std::vector<int> out;
  std::stringstream ss(list);
  for (std::string item; std::getline(ss, item, ',');) {
    item.erase(0, item.find_first_not_of(' '));
    item.erase(item.find_last_not_of(' ') + 1);
    bool found = false;
    for (std::size_t i = 0; i < drives_.size(); ++i)
      if (item == "all" || drives_[i].name == item) {
        if (std::find(out.begin(), out.end(), static_cast<int>(i)) == out.end())
          out.push_back(static_cast<int>(i));
        found = true;
      }
    if (!found)
      w.fail("NVMe drives of this machine's devices list, or \"all\"", "\"" + item + "\"");
  }
  if (out.empty()) w.fail("at least one NVMe drive", "\"" + list + "\"");
  return out;
}

int BlockLayer::requests_for(std::int64_t bytes) const {
  return static_cast<int>(std::max<std::int64_t>(1, (bytes + max_request_ - 1) / max_request_));
}

Tick BlockLayer::request_cost() const {
  return costs_.blk_request + (state_.empty() ? 0 : state_.front()->sched->cost());
}

Wbt* BlockLayer::wbt(int drive) const { return wbt_[static_cast<std::size_t>(drive)].get(); }

int BlockLayer::host_node(int cpu) const { return host_node_[static_cast<std::size_t>(cpu)]; }

void BlockLayer::submit(int cpu, int drive, bool write, std::int64_t offset, std::int64_t bytes,
                        Tick irq_extra, std::function<void(int, int)> done, bool polled,
                        bool tracked) {
  HETSIM_CHECK(drive >= 0 && static_cast<std::size_t>(drive) < drives_.size(),
               "I/O to a drive that does not exist");
  HETSIM_CHECK(bytes > 0, "an empty bio");
  bios_->add();
  auto g = std::make_shared<BioGroup>();
  g->left = requests_for(bytes);
  g->hctx = cpu % nq_;
  g->polled = polled;
  g->tracked = tracked;
  g->irq_extra = irq_extra;
  g->done = std::move(done);
  split_and_queue(cpu, drive, write, offset, bytes, g);
}

void BlockLayer::bio_done(BioGroup& g, bool own_request) {
  g.irqs += own_request && !g.polled ? 1 : 0;
  if (--g.left > 0) return;
  if (g.irq_extra > 0) cpu_.steal(g.hctx, g.irq_extra);
  g.done(g.hctx, g.irqs);
}

void BlockLayer::split_and_queue(int cpu, int drive, bool write, std::int64_t offset,
                                 std::int64_t bytes, const std::shared_ptr<BioGroup>& group) {
  Drive& d = *state_[static_cast<std::size_t>(drive)];
  const int hctx = cpu % nq_;
  const Tick now = ctx_.sim().now();
  for (std::int64_t at = 0; at < bytes; at += max_request_) {
    IoRequest bio;
    bio.drive = drive;
    bio.write = write;
    bio.offset = offset + at;
    bio.bytes = std::min(max_request_, bytes - at);
    bio.hctx = hctx;
    bio.polled = group->polled;
    bio.tracked = group->tracked;
    if (IoRequest* rq = d.sched->merge(bio, max_request_)) {
      merges_->add();
      rq->bios.push_back(BioRef{group, false});
      continue;
    }
    auto rq = std::make_unique<IoRequest>(std::move(bio));
    rq->id = next_id_++;
    rq->inserted = now;
    rq->bios.push_back(BioRef{group, true});
    d.sched->insert(std::move(rq), now);
  }
  run_queue(drive, hctx);
}

void BlockLayer::run_queue(int drive, int hctx) {
  Drive& d = *state_[static_cast<std::size_t>(drive)];
  auto& tags = d.tags[static_cast<std::size_t>(hctx)];
  const Tick now = ctx_.sim().now();
  while (tags > 0 && d.sched->has_work(hctx)) {
    auto rq = d.sched->dispatch(hctx, now);
    if (!rq) break;
    --tags;
    rq->hctx = hctx;  // it completes on the queue that dispatched it
    rq->issued = now;
    if (Wbt* w = wbt_[static_cast<std::size_t>(drive)].get())
      w->request_issued(rq->id, rq->write, rq->tracked);
    requests_->add();
    sched_wait_->record(now - rq->inserted);
    start_command(drive, std::move(rq));
  }
}

// The command waits in its submission queue for one of the drive's internal slots, then
// moves its data.
const std::vector<sim::LinkId>& BlockLayer::command_path(int drive, int node, bool write) {
  Drive& d = *state_[static_cast<std::size_t>(drive)];
  auto& paths = write ? d.write_path : d.read_path;
  if (paths.size() <= static_cast<std::size_t>(node))
    paths.resize(static_cast<std::size_t>(node) + 1);
  std::vector<sim::LinkId>& p = paths[static_cast<std::size_t>(node)];
  if (!p.empty()) return p;
  const NvmeDrive& nv = drives_[static_cast<std::size_t>(drive)];
  const VertexId host = m_.nodes()[static_cast<std::size_t>(node)].vertex;
  if (write) {
    const auto& r = m_.graph().route(host, nv.vertex);
    p.assign(r.begin(), r.end());
    p.push_back(nv.write);
    p.push_back(d.media);
  } else {
    p = {nv.read, d.media};
    const auto& r = m_.graph().route(nv.vertex, host);
    p.insert(p.end(), r.begin(), r.end());
  }
  return p;
}

// The command waits in its submission queue for one of the drive's internal slots, then
// moves its data.
void BlockLayer::start_command(int drive, std::unique_ptr<IoRequest> rq) {
  Drive& d = *state_[static_cast<std::size_t>(drive)];
  if (d.busy >= parallelism_) {
    d.sq[static_cast<std::size_t>(rq->hctx)].push_back(std::move(rq));
    ++d.waiting;
    return;
  }
  ++d.busy;
  sim::FlowNetwork::Spec spec;
  spec.path = command_path(drive, host_node(rq->hctx), rq->write);
  if (rq->write) {
    d.write_bytes += static_cast<double>(rq->bytes);
    ++d.writes;
  } else {
    d.read_bytes += static_cast<double>(rq->bytes);
    ++d.reads;
  }
  spec.bytes = static_cast<double>(rq->bytes);
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
    in_flight_[slot] = std::move(rq);
  } else {
    slot = static_cast<std::uint32_t>(in_flight_.size());
    in_flight_.push_back(std::move(rq));
  }
  spec.on_done = [this, drive, slot] { command_done(drive, slot); };
  m_.flows().start(std::move(spec));
}

void BlockLayer::command_done(int drive, std::uint32_t slot) {
  Drive& d = *state_[static_cast<std::size_t>(drive)];
  --d.busy;
  if (d.waiting > 0) {
    for (std::size_t k = 1; k <= d.sq.size(); ++k) {
      const std::size_t q = (d.rr + k) % d.sq.size();
      if (d.sq[q].empty()) continue;
      auto next = std::move(d.sq[q].front());
      d.sq[q].pop_front();
      --d.waiting;
      d.rr = q;
      start_command(drive, std::move(next));
      break;
    }
  }
  // The CQE is posted. A polled request is completed by its poller; otherwise the queue's
  // interrupt runs on its CPU. Either completes the request, frees its tag and reruns the queue.
  // The request keeps its slot until then.
  const IoRequest& rq = *in_flight_[slot];
  if (rq.polled) {
    complete_request(drive, slot);
    return;
  }
  irqs_->add();
  irq_ps_->add(static_cast<double>(costs_.irq));
  cpu_.irq(rq.hctx, costs_.irq, [this, drive, slot] { complete_request(drive, slot); });
}

void BlockLayer::complete_request(int drive, std::uint32_t slot) {
  std::unique_ptr<IoRequest> rq = std::move(in_flight_[slot]);
  free_slots_.push_back(slot);
  const int hctx = rq->hctx;
  Drive& d = *state_[static_cast<std::size_t>(drive)];
  ++d.tags[static_cast<std::size_t>(hctx)];
  if (Wbt* w = wbt_[static_cast<std::size_t>(drive)].get())
    w->request_done(rq->id, rq->write, rq->tracked, ctx_.sim().now() - rq->issued);
  std::vector<BioRef> bios = std::move(rq->bios);
  rq.reset();
  for (BioRef& b : bios) bio_done(*b.group, b.own);
  run_queue(drive, hctx);
}

void BlockLayer::finish() {
  auto& st = ctx_.sim().stats();
  const double t = sim::to_seconds(ctx_.sim().now());
  for (std::size_t i = 0; i < drives_.size(); ++i) {
    const Drive& d = *state_[i];
    const std::string n = "io." + drives_[i].name;
    st.set_metric(n + ".read_iops", t > 0 ? static_cast<double>(d.reads) / t : 0);
    st.set_metric(n + ".write_iops", t > 0 ? static_cast<double>(d.writes) / t : 0);
    st.set_metric(n + ".read_gbps", t > 0 ? d.read_bytes / t / 1e9 : 0);
    st.set_metric(n + ".write_gbps", t > 0 ? d.write_bytes / t / 1e9 : 0);
  }
  std::uint64_t expired = 0;
  for (const auto& d : state_) expired += d->sched->expired();
  st.set_metric("io.expired_dispatches", static_cast<double>(expired));
  st.set_metric("io.hw_queues", nq_);
}

}  // namespace models
