// The machine file's "uvm" section: the unified-memory driver's parameters.
#include <string>

#include "models/machine/section.h"
#include "models/uvm/prefetch.h"
#include "models/uvm/uvm.h"

namespace models {

const sim::ParamList& uvm_params() {
  static const sim::ParamList p = {
      sim::p_int("batch_limit", 256,
                 "faults the driver fetches per batch (NVIDIA UVM uvm_perf_fault_batch_count)", 1,
                 65536),
      sim::p_int("prefetch_threshold", 51,
                 "percent of a prefetch-tree region resident or faulted above which the whole "
                 "region migrates (UVM uvm_perf_prefetch_threshold)",
                 1, 100),
      sim::p_bool("prefetch", true, "density prefetching on faults (UVM uvm_perf_prefetch_enable)"),
      sim::p_size("va_block", "2MiB", "VA block: the unit of residency tracking (UVM)"),
      sim::p_size("big_page", "64KiB", "GPU big page: the unit of migration (UVM)"),
      sim::p_size("host_page", "4KiB", "CPU page size of host-resident managed memory"),
      sim::p_time("fault_irq", "2us",
                  "interrupt handler of the fault buffer's notification: ack, queue the bottom "
                  "half (est.)"),
      sim::p_time("batch_cost", "10us",
                  "driver CPU time per batch: buffer pointers, sort, replay method (est.)"),
      sim::p_time("fault_cost", "0.4us",
                  "driver CPU time per fault entry: read, decode, look up its VA block (est.)"),
      sim::p_time("block_cost", "4us",
                  "driver CPU time per VA block serviced or evicted: lock, residency, DMA "
                  "mappings, GPU page-table update (est.)"),
      sim::p_time("gpu_invalidate", "2us",
                  "GPU TLB invalidation and membar round trip (est., as the MMU notifier's "
                  "device flush)"),
      sim::p_time("replay", "1us", "from the replay method to the warps' retried accesses (est.)"),
      sim::p_time("cpu_fault", "3us",
                  "CPU page fault on a GPU-resident page before its copy back: exception, "
                  "handle_mm_fault, the driver's migrate_to_ram bookkeeping (est.)"),
      sim::p_size("hbm_limit", "0B",
                  "managed bytes a GPU may hold before evicting (0: its HBM capacity); set "
                  "below the HBM to study oversubscription at small sizes"),
      sim::p_int("driver_cpu", -1,
                 "CPU running the fault interrupt and bottom half (-1: the first CPU of the "
                 "GPU's socket)",
                 -1, 1 << 20),
  };
  return p;
}

namespace {

void check_uvm(Machine& m, const std::vector<sim::Params>& list) {
  const sim::Params& p = list.at(0);
  const std::uint64_t block = p.size("va_block"), page = p.size("big_page"),
                      host = p.size("host_page");
  const std::uint64_t n = page ? block / page : 0;
  if (page == 0 || block % page != 0 || n > static_cast<std::uint64_t>(kMaxBlockPages) ||
      (n & (n - 1)) != 0)
    p.where("va_block")
        .fail("a power-of-two multiple of big_page, at most " + std::to_string(kMaxBlockPages) +
                  " big pages",
              p.raw("va_block").dump());
  if (host == 0 || page % host != 0)
    p.where("host_page").fail("a divisor of big_page", p.raw("host_page").dump());
  const std::uint64_t limit = p.size("hbm_limit");
  if (limit != 0 && limit < 2 * block)
    p.where("hbm_limit")
        .fail("0 (the HBM's capacity) or at least two VA blocks", p.raw("hbm_limit").dump());
  if (p.i("driver_cpu") >= m.cpu_count())
    p.where("driver_cpu")
        .fail("-1 or a CPU of the machine (< " + std::to_string(m.cpu_count()) + ")",
              std::to_string(p.i("driver_cpu")));
}

[[maybe_unused]] const bool kUvm = register_machine_section(
    {"uvm", &uvm_params, false,
     "unified memory driver: fault batches, VA blocks, prefetch tree, eviction budget", &check_uvm,
     90});

}  // namespace

}  // namespace models
