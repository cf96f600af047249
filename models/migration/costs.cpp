// The migrate_pages mechanism's costs: the machine file's "migration" section (derivation in
// costs.h) and its conversion to times at the core clock.
#include "models/migration/costs.h"

#include <algorithm>
#include <string>

namespace models {

const sim::ParamList& migration_params() {
  static const sim::ParamList p = {
      sim::p_int("batch_pages", 512, "NR_MAX_BATCHED_MIGRATION: base pages per migration batch", 1,
                 1 << 20),
      sim::p_double("call_cycles", 3538,
                    "per move_pages() call: do_pages_move's fixed work besides "
                    "lru_cache_disable (derived, see costs.h)"),
      sim::p_time("rcu_expedited", "2us",
                  "lru_cache_disable: synchronize_rcu_expedited, a wait (est.)"),
      sim::p_double("lru_queue_cycles", 100,
                    "lru_cache_disable: caller's cost per online CPU to queue and flush its "
                    "LRU drain work (est.)"),
      sim::p_double("lru_work_cycles", 500,
                    "lru_cache_disable: the drain work each online CPU runs (est.)"),
      sim::p_double("lookup_cycles", 2200,
                    "per address passed: VMA lookup, walk, isolation, status (est. split)"),
      sim::p_double("unmap_cycles", 350,
                    "per folio: destination allocation, try_to_unmap of its first entry "
                    "(est. split)"),
      sim::p_double("remap_cycles", 296,
                    "per folio: mapping, flags, restoring its first entry (derived)"),
      sim::p_double("pte_unmap_cycles", 80,
                    "per further PTE of a PTE-mapped large folio, unmap side (est.)"),
      sim::p_double("pte_remap_cycles", 60,
                    "per further PTE of a PTE-mapped large folio, remap side (est.)"),
      sim::p_double("copy_folio_cycles", 40, "CPU copy work per folio beyond its bytes (est.)"),
      sim::p_double("copy_page_cycles", 20,
                    "CPU copy work per further base page of a folio: copy_highpage call, "
                    "cond_resched (est.)"),
      sim::p_double("copy_lines", 51.2,
                    "cache lines one core keeps in flight while copying (derived from the "
                    "Zen 3 cross-socket folio_copy, see costs.h)",
                    1, 4096),
      sim::p_time("l3_latency", "14ns", "load-to-use latency of a line in the core's L3"),
      sim::p_double("worker_dispatch_cycles", 1000,
                    "caller's cost to queue one copy thread's work (est.)"),
      sim::p_time("worker_wakeup", "3us",
                  "latency to wake a kernel copy thread or the waiting caller (est.)"),
      sim::p_double("dma_map_cycles", 200,
                    "offload driver's CPU cost per folio: dma_map_page of source and "
                    "destination, dmaengine_prep_dma_memcpy, tx_submit (est.)"),
      sim::p_choice("dma_engine", "src", {"src", "dst", "caller"},
                    "whose socket's DMA engine copies"),
      sim::p_choice("mt_socket", "caller", {"src", "dst", "caller"},
                    "socket whose cores run copy threads"),
      sim::p_double("fault_cycles", 4000,
                    "fault entry: a NUMA hint fault's trap, walk, do_numa_page checks and "
                    "return, on the faulting CPU (est. 2 us at 2 GHz, see costs.h)"),
      sim::p_double("isolate_cycles", 500,
                    "fault, promote, demote entries: folio_isolate_lru per folio, taken off its "
                    "LRU list before migrate_pages (est., see costs.h)"),
  };
  return p;
}

namespace {
SocketFrom socket_choice(const std::string& s) {
  return s == "src" ? SocketFrom::Src : s == "dst" ? SocketFrom::Dst : SocketFrom::Caller;
}
}  // namespace

MigrationCosts load_costs(const Machine& pf) {
  const sim::Params& p = pf.section("migration");
  auto cyc = [&](const char* k) { return pf.cycles(p.d(k)); };
  return {static_cast<int>(p.i("batch_pages")),
          cyc("call_cycles"),
          cyc("lookup_cycles"),
          cyc("unmap_cycles"),
          cyc("remap_cycles"),
          cyc("pte_unmap_cycles"),
          cyc("pte_remap_cycles"),
          cyc("copy_folio_cycles"),
          cyc("copy_page_cycles"),
          cyc("worker_dispatch_cycles"),
          p.time("worker_wakeup"),
          cyc("dma_map_cycles"),
          socket_choice(p.s("dma_engine")),
          socket_choice(p.s("mt_socket")),
          p.time("rcu_expedited"),
          cyc("lru_queue_cycles"),
          cyc("lru_work_cycles"),
          p.d("copy_lines"),
          p.time("l3_latency"),
          cyc("fault_cycles"),
          cyc("isolate_cycles")};
}

double copy_rate(const Machine& pf, const MigrationCosts& c, int cpu, int caller, int src, int dst,
                 bool source_cached) {
  const Tick l_src = source_cached ? std::max(c.l3_latency, pf.c2c_latency(cpu, caller))
                                   : pf.access_latency(cpu, src);
  const Tick l_dst = pf.access_latency(cpu, dst);
  const double lat = sim::to_seconds(l_src + l_dst);
  const double rate = lat > 0 ? c.copy_lines * 64.0 / lat : pf.cpu_spec().memcpy_rate;
  return std::min(rate, pf.cpu_spec().memcpy_rate);
}

// The machine file's "migration" section belongs here: validated when the machine loads.
[[maybe_unused]] static const bool kMigrationSection =
    register_machine_section({"migration", &migration_params, false, "migrate_pages kernel costs"});

}  // namespace models
