#pragma once
// The block layer in front of the machine's NVMe drives (block/blk-mq.c, drivers/nvme/host):
// per drive, hardware queues (one per CPU up to the controller's queue count, or one shared)
// with `queue_depth` driver tags each, the scenario's I/O scheduler ("iosched" policy), and
// the drive itself, which serves up to `internal_parallelism` commands at once and fetches
// waiting commands from its submission queues round robin. A command
// moves its data as a flow: a read crosses the drive's media and its PCIe route to host
// memory, a write the route from host memory and the media; reads and writes share the flash
// (`<drive>.media`). Completions are interrupts on the CPU the hardware queue belongs to.
// The CPU cost of submission is the caller's: it runs it on its own CPU before submit().
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/io/iosched.h"
#include "models/machine/devices.h"
#include "models/machine/machine.h"
#include "sim/stats.h"

namespace models {

class CpuExec;
class Wbt;

// The kernel's per-operation CPU costs of the I/O paths (the machine's "io" section).
struct IoCosts {
  Tick syscall;        // kernel entry and exit of one system call
  Tick vfs;            // read/write through VFS and the filesystem's direct-I/O or buffered path
  Tick blk_request;    // blk-mq: bio, tag, nvme_queue_rq (command, PRPs), doorbell
  Tick gup_base;       // get_user_pages_fast + unpin of one I/O's buffer
  Tick gup_page;       // ... per 4 KiB page of it
  Tick cache_page;     // page cache: allocate, insert, account and later reclaim a 4 KiB page
  Tick irq;            // completion interrupt: nvme_irq, blk_mq_complete_request, bio end
  Tick uring_sqe;      // io_uring: consume one SQE and issue it (io_submit_sqes, io_read)
  Tick uring_fget;     // io_uring: file reference per SQE without fixed files
  Tick uring_cqe;      // io_uring: post one CQE (in the completion path)
  Tick uring_user;     // io_uring: user space writes one SQE or reaps one CQE
  Tick poll;           // io_uring IOPOLL: nvme_poll finding one completion
  Tick dax_access;     // DAX: per access to a mapped file (user-space bookkeeping)
  double memcpy_rate;  // one core's copy rate (copy_to_user from the page cache)
};

class BlockLayer {
 public:
  // The run's block layer, built on first use with the scenario's "iosched" policy.
  static BlockLayer& of(sim::RunContext& ctx);
  BlockLayer(sim::RunContext& ctx, Machine& m);
  ~BlockLayer();

  const IoCosts& costs() const { return costs_; }
  const std::vector<NvmeDrive>& drives() const { return drives_; }
  // Drives named in a comma-separated list ("all" = every drive); fails at `w` otherwise.
  std::vector<int> parse_drives(const std::string& list, const sim::Where& w) const;
  // Requests a bio of `bytes` becomes (split at the queue's max_request).
  int requests_for(std::int64_t bytes) const;
  // blk-mq's and the I/O scheduler's CPU time for one request on the submitting CPU.
  Tick request_cost() const;
  // The DDR node of `cpu`'s socket (where a thread's buffers are).
  int host_node(int cpu) const;
  std::int64_t queue_depth() const { return queue_depth_; }
  std::int64_t max_request() const { return max_request_; }
  std::int64_t read_ahead() const { return read_ahead_; }
  int hw_queues() const { return nq_; }
  int parallelism() const { return parallelism_; }

  // A bio from `cpu` to `drive`, after its submitter paid request_cost() per request. `done`
  // runs when its last request completed, after the interrupt handler (its cost plus
  // `irq_extra`) on the hardware queue's CPU; it is given that CPU and the interrupts the
  // bio's own requests took (a bio merged into another request takes none of its own). A
  // `polled` bio takes no interrupt: `done` runs when the command completes, and whoever polls
  // pays for finding it.
  void submit(int cpu, int drive, bool write, std::int64_t offset, std::int64_t bytes,
              Tick irq_extra, std::function<void(int cpu, int irqs)> done, bool polled = false,
              bool tracked = false);
  // The drive's writeback throttling, or nullptr when it is off (machine.io.wbt). Bios
  // submitted with `tracked` are writeback writes it counted in flight.
  Wbt* wbt(int drive) const;

 private:
  struct Drive;
  void split_and_queue(int cpu, int drive, bool write, std::int64_t offset, std::int64_t bytes,
                       const std::shared_ptr<BioGroup>& group);
  void run_queue(int drive, int hctx);
  void start_command(int drive, std::unique_ptr<IoRequest> rq);
  void command_done(int drive, std::uint32_t slot);
  void complete_request(int drive, std::uint32_t slot);
  void bio_done(BioGroup& g, bool own_request);
  // The links a command's data crosses between `drive` and host memory node `node`.
  const std::vector<sim::LinkId>& command_path(int drive, int node, bool write);
  void finish();

  sim::RunContext& ctx_;
  Machine& m_;
  CpuExec& cpu_;
  IoCosts costs_;
  std::vector<NvmeDrive> drives_;
  std::vector<std::unique_ptr<Drive>> state_;
  std::vector<std::unique_ptr<Wbt>> wbt_;  // per drive, null when off
  std::int64_t queue_depth_ = 0, max_request_ = 0, read_ahead_ = 0;
  int nq_ = 1, parallelism_ = 1;
  std::uint64_t next_id_ = 1;
  std::vector<int> host_node_;  // per CPU: the DDR node of its socket
  // Commands from their start on the drive to their completion, owned here (a run may end
  // with commands still moving); a free slot is reused.
  std::vector<std::unique_ptr<IoRequest>> in_flight_;
  std::vector<std::uint32_t> free_slots_;
  sim::Counter *requests_, *merges_, *irqs_, *irq_ps_, *bios_;
  sim::Histogram* sched_wait_;
};

}  // namespace models
