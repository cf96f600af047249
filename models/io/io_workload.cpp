// The submission paths of the I/O workloads (see io_workload.h).
#include "models/io/io_workload.h"

#include <algorithm>
#include <memory>

#include "models/io/writeback.h"

namespace models {

namespace {

constexpr std::int64_t kPage = 4096;

Tick ticks_for(double bytes, double rate) {
  return rate > 0 ? static_cast<Tick>(bytes / rate * static_cast<double>(sim::kSec)) : 0;
}

}  // namespace

void IoWorkload::add_io_params(sim::ParamList& l, const char* record, const char* depth_doc) {
  l.push_back(sim::p_string("drives", "all",
                            "NVMe drives the file is striped over: names, comma-separated, or "
                            "\"all\""));
  l.push_back(sim::p_string("dax_node", "",
                            "dax: the memory node (CXL, or DDR standing in for PMEM) the DAX "
                            "file is on, by name"));
  l.push_back(sim::p_size("stripe", "128KiB", "stripe unit over the drives (RAID 0 chunk; est.)"));
  l.push_back(sim::p_size("file", "64GiB", "size of the file the records are in"));
  l.push_back(sim::p_size("record", record, "bytes per I/O (one call or one SQE)"));
  l.push_back(sim::p_int("depth", 1, depth_doc, 1, 65536));
  l.push_back(sim::p_int("threads", 1, "submitting threads", 1, 4096));
  l.push_back(
      sim::p_bool("fixed_files", true, "io_uring: registered file table (no fget per SQE)"));
  l.push_back(sim::p_bool("registered_buffers", true,
                          "io_uring: buffers registered once (pinned at setup, no "
                          "get_user_pages per I/O)"));
  l.push_back(sim::p_bool("sqpoll", false,
                          "io_uring: a kernel SQ thread polls the rings and submits (one thread "
                          "shared by the workload's rings)"));
  l.push_back(sim::p_bool("iopoll", false,
                          "io_uring: the waiting thread polls for completions "
                          "(IORING_SETUP_IOPOLL, polled queues): no interrupts, a spinning CPU"));
  l.push_back(
      sim::p_int("sqpoll_cpu", -1, "io_uring: the SQ thread's CPU (-1 = not pinned)", -1, 1 << 20));
  l.push_back(sim::p_time("sqpoll_idle", "1s",
                          "io_uring: the SQ thread spins this long without work before it "
                          "sleeps (sq_thread_idle)"));
}

IoWorkload::IoWorkload(sim::RunContext& ctx, const sim::Params& p, const std::string& kind,
                       bool write)
    : SchedWorkload(ctx, p, kind), blk_(BlockLayer::of(ctx)), write_(write) {
  const std::string path = p.s("path");
  path_ = path == "pread"      ? Path::Pread
          : path == "odirect"  ? Path::Odirect
          : path == "buffered" ? Path::Buffered
          : path == "dax"      ? Path::Dax
                               : Path::Uring;
  if (path_ == Path::Dax) {
    const Machine& m = Machine::of(ctx);
    for (const MemNode& n : m.nodes())
      if (n.name == p.s("dax_node") && n.kind != MemKind::Hbm) dax_node_ = n.id;
    if (dax_node_ < 0) {
      std::string names;
      for (const MemNode& n : m.nodes())
        if (n.kind != MemKind::Hbm) names += (names.empty() ? "" : ", ") + n.name;
      p.where("dax_node")
          .fail("a CXL or DDR memory node of the machine (" + names + ")",
                "\"" + p.s("dax_node") + "\"");
    }
  } else {
    if (!p.s("dax_node").empty())
      p.where("dax_node").fail("empty unless path is dax", "\"" + p.s("dax_node") + "\"");
    drives_ = blk_.parse_drives(p.s("drives"), p.where("drives"));
  }
  record_ = static_cast<std::int64_t>(p.size("record"));
  stripe_ = static_cast<std::int64_t>(p.size("stripe"));
  file_ = static_cast<std::int64_t>(p.size("file"));
  if (path_ == Path::Dax) {
    const MemNode& n = Machine::of(ctx).nodes()[static_cast<std::size_t>(dax_node_)];
    if (static_cast<std::uint64_t>(file_) > n.capacity)
      p.where("file").fail("at most the capacity of dax_node " + n.name + " (" +
                               std::to_string(n.capacity) + " bytes)",
                           std::to_string(file_));
  }
  depth_ = static_cast<int>(p.i("depth"));
  fixed_files_ = p.b("fixed_files");
  registered_ = p.b("registered_buffers");
  sqpoll_ = p.b("sqpoll");
  sq_idle_ = p.time("sqpoll_idle");
  iopoll_ = p.b("iopoll");
  if (record_ <= 0 || record_ % 512 != 0)
    p.where("record").fail("a positive multiple of 512 bytes", std::to_string(record_));
  if (path_ != Path::Pread && record_ % kPage != 0)
    p.where("record").fail("a multiple of 4KiB for O_DIRECT I/O", std::to_string(record_));
  if (stripe_ < kPage || stripe_ % kPage != 0)
    p.where("stripe").fail("a positive multiple of 4KiB", std::to_string(stripe_));
  if (file_ < record_)
    p.where("file").fail("at least one record (" + std::to_string(record_) + " bytes)",
                         std::to_string(file_));
  if (path_ != Path::Uring && depth_ != 1)
    p.where("depth").fail(
        "1 for a blocking " + path + " call (more threads give more I/Os in flight)",
        std::to_string(depth_));
  if (path_ != Path::Uring && sqpoll_)
    p.where("sqpoll").fail("false unless path is io_uring", "true");
  if (path_ != Path::Uring && iopoll_)
    p.where("iopoll").fail("false unless path is io_uring", "true");
  if (sqpoll_ && iopoll_)
    p.where("iopoll").fail("false with sqpoll (the SQ thread polling completions is not modelled)",
                           "true");
  nthreads_ = count(p, "threads", 1);
  const int cpus = sched_.platform().cpu_count();
  if (p.i("sqpoll_cpu") >= cpus)
    p.where("sqpoll_cpu")
        .fail("a CPU of the machine (0.." + std::to_string(cpus - 1) + ") or -1",
              std::to_string(p.i("sqpoll_cpu")));
  sq_spec_ = spec_;  // a kernel thread: not bound by the workload's affinity
  sq_spec_.allowed = sched_.parse_allowed("", p.where("sqpoll_cpu"), "", p.where("sqpoll_cpu"));
  if (p.i("sqpoll_cpu") >= 0) {
    sq_spec_.allowed = CpuMask(cpus);
    sq_spec_.allowed.set(static_cast<int>(p.i("sqpoll_cpu")));
  }
  latency_ =
      &ctx.sim().stats().histogram(instance_ + ".latency", "us", static_cast<double>(sim::kUs));
  if (path_ == Path::Buffered) {
    Writeback& wb = Writeback::of(ctx);
    if (record_ > wb.dirty_limit())
      p.where("record").fail("at most the dirty limit (" + std::to_string(wb.dirty_limit()) +
                                 " bytes, machine.io.dirty_bytes / dirty_ratio)",
                             std::to_string(record_));
    fsync_time_ = &ctx.sim().stats().histogram(instance_ + ".fsync_time", "ms",
                                               static_cast<double>(sim::kMs));
  }
}

void IoWorkload::start() {
  start_ = sched_.now();
  if (limit_ > 0) hold();
  for (int i = 0; i < nthreads_; ++i) {
    Thread th;
    th.task = sched_.spawn(spec_);
    if (static_cast<std::size_t>(th.task) >= by_task_.size())
      by_task_.resize(static_cast<std::size_t>(th.task) + 1, -1);
    by_task_[static_cast<std::size_t>(th.task)] = i;
    threads_.push_back(th);
  }
  live_ = nthreads_;
  if (path_ == Path::Buffered)
    wb_file_ = Writeback::of(ctx_).add_file(
        [this](std::int64_t off) {
          const Piece pc = pieces(off, 1).front();
          return WbPiece{pc.drive, pc.offset};
        },
        // One drive: the file is contiguous on it (no stripe unit splits its bios).
        drives_.size() == 1 ? file_ : stripe_);
  if (sqpoll_) {
    ring_.task = sched_.spawn(sq_spec_);
    if (static_cast<std::size_t>(ring_.task) >= by_task_.size())
      by_task_.resize(static_cast<std::size_t>(ring_.task) + 1, -1);
  }
}

int IoWorkload::thread_of(int task) const { return by_task_[static_cast<std::size_t>(task)]; }

std::int64_t IoWorkload::next_offset() {
  const std::int64_t records = file_ / record_;
  const std::int64_t k =
      random_ ? static_cast<std::int64_t>(rng_.below(static_cast<std::uint64_t>(records)))
              : seq_++ % records;
  return k * record_;
}

Tick IoWorkload::gup_cost() const {
  const auto& c = blk_.costs();
  return c.gup_base + c.gup_page * static_cast<Tick>((record_ + kPage - 1) / kPage);
}

Tick IoWorkload::issue_cost() const {
  const auto& c = blk_.costs();
  // Stripe pieces of one record, each split at max_request by the block layer.
  const std::int64_t pieces = std::max<std::int64_t>(1, (record_ + stripe_ - 1) / stripe_);
  const Tick blk = blk_.request_cost() *
                   static_cast<Tick>(pieces * blk_.requests_for(std::min(record_, stripe_)));
  switch (path_) {
    case Path::Pread:
      return c.syscall + c.vfs + blk +
             c.cache_page * static_cast<Tick>((record_ + kPage - 1) / kPage);
    case Path::Odirect:
      return c.syscall + c.vfs + gup_cost() + blk;
    case Path::Uring:
      return c.uring_sqe + c.vfs + blk + (fixed_files_ ? 0 : c.uring_fget) +
             (registered_ ? 0 : gup_cost());
    case Path::Dax:  // a mapped file: no system call, the copy is the core's loads/stores
      return c.dax_access;
    case Path::Buffered:  // generic_perform_write: pages looked up or added, copied, dirtied
      return c.syscall + c.vfs + c.cache_page * static_cast<Tick>((record_ + kPage - 1) / kPage) +
             std::max<Tick>(1, ticks_for(static_cast<double>(record_), c.memcpy_rate));
  }
  return 0;
}

void IoWorkload::kick() {
  for (Thread& th : threads_)
    if (th.stalled) {
      th.stalled = false;
      sched_.wake(th.task, -1);
    }
}

Action IoWorkload::next(int task) {
  if (task == ring_.task) return sq_next();
  const int idx = thread_of(task);
  return thread_next(threads_[static_cast<std::size_t>(idx)], idx);
}

Action IoWorkload::thread_next(Thread& th, int idx) {
  Action a = path_ == Path::Uring ? uring_next(th, idx) : sync_next(th, idx);
  if (a.kind == Action::Exit) {
    th.phase = Phase::Exited;
    if (--live_ == 0) {
      if (ring_.task >= 0) {  // the SQ thread goes when its rings do
        if (ring_.asleep)
          sched_.wake(ring_.task, -1);
        else if (ring_.spinning)
          sched_.set_burst_left(ring_.task, 1);
      }
      done();
    }
  }
  return a;
}

std::vector<IoWorkload::Piece> IoWorkload::pieces(std::int64_t off, std::int64_t len) const {
  std::vector<Piece> out;
  const auto nd = static_cast<std::int64_t>(drives_.size());
  for (std::int64_t at = off; at < off + len;) {
    const std::int64_t unit = at / stripe_, in = at % stripe_;
    const std::int64_t n = std::min(stripe_ - in, off + len - at);
    out.push_back(
        Piece{drives_[static_cast<std::size_t>(unit % nd)], (unit / nd) * stripe_ + in, n});
    at += n;
  }
  return out;
}

void IoWorkload::submit_io(int idx, const Io& io, Tick irq_extra) {
  // The submitting CPU: the thread's, or the SQ thread's when it submits.
  const int cpu =
      sched_.cpu_of(sqpoll_ ? ring_.task : threads_[static_cast<std::size_t>(idx)].task);
  // The record's stripe pieces, each a bio to its drive.
  struct Left {
    int n = 0;
  };
  auto left = std::make_shared<Left>();
  const std::vector<Piece> bios = pieces(io.offset, record_);
  left->n = static_cast<int>(bios.size());
  for (const Piece& b : bios)
    blk_.submit(
        cpu, b.drive, write_, b.offset, b.bytes, iopoll_ ? 0 : irq_extra,
        [this, idx, io, left](int, int irqs) {
          irqs_ += irqs;
          if (--left->n == 0) io_complete(idx, io);
        },
        iopoll_);
}

bool IoWorkload::buffered_dirty(Thread& th, int idx) {
  return Writeback::of(ctx_).dirty(
      wb_file_, sched_.cpu_of(th.task), th.batch[0].offset, record_,
      [this, idx] { sched_.wake(threads_[static_cast<std::size_t>(idx)].task, -1); });
}

void IoWorkload::io_complete(int idx, const Io& io) {
  Thread& th = threads_[static_cast<std::size_t>(idx)];
  if (path_ == Path::Uring) {
    th.cq.push_back(io);
    --th.inflight;
    if (th.polling) {  // the poller sees the CQE now
      th.polling = false;
      sched_.set_burst_left(th.task, 1);
    }
    if (th.waiting) {
      th.waiting = false;
      sched_.wake(th.task, -1);
    }
    return;
  }
  th.io_done = true;
  sched_.wake(th.task, -1);
}

Action IoWorkload::sync_next(Thread& th, int idx) {
  const Tick now = sched_.now();
  auto finish_io = [&](const Io& io) {
    latency_->record(now - io.submitted);
    ++completed_;
    bytes_done_ += static_cast<double>(record_);
    sched_.add_ops(1);
  };
  switch (th.phase) {
    case Phase::Throttled:
      throttled_ += now - th.slept;
      [[fallthrough]];
    case Phase::Submitting:
      if (path_ == Path::Dax) {  // the core copies, busy until the last byte arrived
        const int cpu = sched_.cpu_of(th.task);
        const Machine& m = Machine::of(ctx_);
        const int host = blk_.host_node(cpu);
        sim::FlowNetwork::Spec spec;
        spec.path =
            write_ ? m.cpu_copy_path(cpu, host, dax_node_) : m.cpu_copy_path(cpu, dax_node_, host);
        spec.bytes = static_cast<double>(record_);
        th.io_done = false;
        spec.on_done = [this, idx] {
          Thread& t = threads_[static_cast<std::size_t>(idx)];
          t.io_done = true;
          sched_.set_burst_left(t.task, 1);
        };
        Machine::of(ctx_).flows().start(std::move(spec));
        th.phase = Phase::DaxCopy;
        return Action::run(sim::kSec);
      }
      if (path_ == Path::Buffered) {
        if (!buffered_dirty(th, idx)) {
          th.phase = Phase::Throttled;
          th.slept = now;
          return Action::block();
        }
        finish_io(th.batch[0]);
        if (sync_due()) {  // fsync: system call and VFS, then the file's pages are written
          th.phase = Phase::Syncing;
          th.fsync_start = now;
          return Action::run(blk_.costs().syscall + blk_.costs().vfs);
        }
        record_done();
        break;
      }
      th.phase = Phase::Waiting;
      th.io_done = false;
      if (!ra_) {
        submit_io(idx, th.batch[0], 0);
        return Action::block();
      }
      for (const auto& r : th.ra_reads) ra_submit(idx, r);
      th.ra_reads.clear();
      th.io_done = ra_->uptodate(th.ra_first, th.ra_count);  // all cached: no wait
      [[fallthrough]];
    case Phase::Waiting:
      if (!th.io_done) return Action::block();
      if (path_ == Path::Pread) {  // copy_to_user from the page cache
        th.phase = Phase::Copying;
        return Action::run(
            std::max<Tick>(1, ticks_for(static_cast<double>(record_), blk_.costs().memcpy_rate)));
      }
      finish_io(th.batch[0]);
      record_done();
      break;
    case Phase::Copying:
      finish_io(th.batch[0]);
      record_done();
      break;
    case Phase::Syncing:
      th.io_done = false;
      if (!Writeback::of(ctx_).fsync(wb_file_, sched_.cpu_of(th.task), [this, idx] {
            Thread& t = threads_[static_cast<std::size_t>(idx)];
            t.io_done = true;
            sched_.wake(t.task, -1);
          })) {
        th.phase = Phase::FsyncWait;
        return Action::block();
      }
      fsync_time_->record(now - th.fsync_start);
      record_done();
      break;
    case Phase::DaxCopy:
      if (!th.io_done) return Action::run(sim::kSec);
      finish_io(th.batch[0]);
      record_done();
      break;
    case Phase::FsyncWait:
      if (!th.io_done) return Action::block();
      fsync_time_->record(now - th.fsync_start);
      record_done();
      break;
    default:
      break;
  }
  th.phase = Phase::Ready;
  if (finished()) return Action::exit();
  if (!may_issue()) {
    th.stalled = true;
    return Action::block();
  }
  ++issued_;
  th.batch = {Io{next_offset(), now}};
  th.phase = Phase::Submitting;
  return Action::run(ra_ ? ra_issue(th) : issue_cost());
}

void IoWorkload::finish() {
  auto& st = ctx_.sim().stats();
  const double t = sim::to_seconds(elapsed() - start_);
  Tick cpu = 0;
  for (const Thread& th : threads_) cpu += sched_.cpu_time_now(th.task);
  const Tick sq = ring_.task >= 0 ? sched_.cpu_time_now(ring_.task) : 0;
  const auto& c = blk_.costs();
  const double irq_ps = static_cast<double>(irqs_) * static_cast<double>(c.irq) +
                        (path_ == Path::Uring && !iopoll_
                             ? static_cast<double>(completed_) * static_cast<double>(c.uring_cqe)
                             : 0.0);
  const double n = static_cast<double>(completed_);
  st.set_metric(instance_ + ".ios", n);
  st.set_metric(instance_ + ".iops", t > 0 ? n / t : 0);
  st.set_metric(instance_ + ".gbps", t > 0 ? bytes_done_ / t / 1e9 : 0);
  st.set_metric(instance_ + ".interrupts", static_cast<double>(irqs_));
  st.set_metric(instance_ + ".thread_cpu_us_per_io",
                n > 0 ? static_cast<double>(cpu) / 1e6 / n : 0);
  st.set_metric(instance_ + ".irq_cpu_us_per_io", n > 0 ? irq_ps / 1e6 / n : 0);
  st.set_metric(instance_ + ".cpu_us_per_io",
                n > 0 ? (static_cast<double>(cpu + sq) + irq_ps) / 1e6 / n : 0);
  st.set_metric(instance_ + ".sqpoll_cpu_s", static_cast<double>(sq) / 1e12);
  if (path_ == Path::Buffered)
    st.set_metric(instance_ + ".dirty_throttle_ms", static_cast<double>(throttled_) / 1e9);
  if (ra_) {
    st.set_metric(instance_ + ".page_cache_hit_share",
                  ra_req_pages_ > 0
                      ? static_cast<double>(ra_hit_pages_) / static_cast<double>(ra_req_pages_)
                      : 0);
    st.set_metric(instance_ + ".pages_read", static_cast<double>(ra_pages_read_));
    st.set_metric(instance_ + ".async_readaheads", static_cast<double>(ra_async_));
  }
}

}  // namespace models
