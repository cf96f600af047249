// The pread path through a page cache with on-demand readahead (see io_workload.h and
// readahead.h): the reader's misses and windows, and their submission.
#include "models/io/io_workload.h"

namespace models {

namespace {

constexpr std::int64_t kRaPathPage = 4096;

}  // namespace

void IoWorkload::enable_readahead(const sim::Where& where) {
  if (path_ != Path::Pread) where.fail("false unless path is pread (a buffered read)", "true");
  const std::int64_t ra = blk_.read_ahead() / kRaPathPage, io = blk_.max_request() / kRaPathPage;
  ra_ = std::make_unique<FileReadahead>(ra, io, (file_ + kRaPathPage - 1) / kRaPathPage);
}

// filemap_read: the read's misses and its readahead windows are added to the page cache and
// submitted by the reader (system call, VFS, page-cache pages, blk-mq requests), then it waits
// for the pages it asked for (read by it or by an earlier readahead) and copies them.
Tick IoWorkload::ra_issue(Thread& th) {
  const Io& io = th.batch[0];
  FileReadahead::Plan plan = ra_->read(io.offset, record_);
  th.ra_first = io.offset / kRaPathPage;
  th.ra_count = (io.offset + record_ + kRaPathPage - 1) / kRaPathPage - th.ra_first;
  const auto& c = blk_.costs();
  Tick cost = c.syscall + c.vfs;
  for (const auto& r : plan.reads) {
    ra_pages_read_ += r.count;
    cost += c.cache_page * static_cast<Tick>(r.count);
    for (const Piece& pc : pieces(r.first * kRaPathPage,
                                  std::min(r.count * kRaPathPage, file_ - r.first * kRaPathPage)))
      cost += blk_.request_cost() * static_cast<Tick>(blk_.requests_for(pc.bytes));
  }
  ra_req_pages_ += th.ra_count;
  ra_hit_pages_ += plan.hits;
  ra_async_ += plan.async ? 1 : 0;
  th.ra_reads = std::move(plan.reads);
  return cost;
}

void IoWorkload::ra_submit(int idx, const FileReadahead::Range& r) {
  const int cpu = sched_.cpu_of(threads_[static_cast<std::size_t>(idx)].task);
  const std::vector<Piece> bios =
      pieces(r.first * kRaPathPage, std::min(r.count * kRaPathPage, file_ - r.first * kRaPathPage));
  auto left = std::make_shared<int>(static_cast<int>(bios.size()));
  for (const Piece& b : bios)
    blk_.submit(cpu, b.drive, false, b.offset, b.bytes, 0, [this, r, left](int, int irqs) {
      irqs_ += irqs;
      if (--*left > 0) return;
      ra_->completed(r);
      // Readers waiting on these pages (folio_wait_locked) go on once all theirs are uptodate.
      for (Thread& th : threads_)
        if (th.phase == Phase::Waiting && !th.io_done && ra_->uptodate(th.ra_first, th.ra_count)) {
          th.io_done = true;
          sched_.wake(th.task, -1);
        }
    });
}

}  // namespace models
