#pragma once
// The machine: CPU topology (sockets, CCDs, CCXs, cores, SMT threads), memory nodes (DDR per
// socket, CPU-less CXL expanders, HBM), the fabric links between them in the flow model, and
// the DMA engines' specifications. Every byte a core or an engine moves crosses these links.
#include <cstdint>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "models/cpu/cpu_exec.h"
#include "sim/flow.h"
#include "sim/params.h"
#include "sim/run_context.h"

namespace models {

using sim::LinkId;
using sim::Tick;

struct Cpu {
  int id;  // logical CPU, Linux order: first threads of all cores, then the SMT siblings
  int socket, ccd, ccx, core, thread;  // ccd and ccx are global indices; core is global
};

enum class MemKind { Ddr, Cxl, Hbm };
const char* mem_kind_name(MemKind k);

struct MemNode {
  int id;
  std::string name;
  MemKind kind;
  int socket;        // the socket it hangs off
  double bandwidth;  // sustained bytes/s of the node's own media
  Tick latency;
  std::uint64_t capacity;
  LinkId media;   // the DRAM/HBM channels (reads and writes share them)
  LinkId attach;  // CXL: the expander's link; otherwise == media
};

struct DmaSpec {
  std::string name;
  int socket;
  int queues;
  int ring;
  double queue_bw;
  Tick submit_cost;    // CPU time to prepare and submit one descriptor or SG batch
  Tick irq_cost;       // CPU time of the completion interrupt
  Tick setup_latency;  // engine time from doorbell to first byte
};

// Distances a task or a message can travel, nearest first.
// Llc: same CCX; Ccd: same CCD, other CCX; Socket: other CCD of the socket; Remote: other socket.
enum class CpuDistance { Same, Smt, Llc, Ccd, Socket, Remote };
const char* distance_name(CpuDistance d);

struct CpuSpec {
  int sockets, ccds_per_socket, ccx_per_ccd, cores_per_ccx, smt;
  double freq_hz;
  double memcpy_rate;  // one core's streaming copy rate
  Tick c2c_smt, c2c_llc, c2c_ccd, c2c_socket, c2c_remote;
  Tick ipi_latency, ipi_handler;
  std::uint64_t l3_per_ccx;
};

class Platform : public sim::SystemModel {
 public:
  static constexpr const char* kDoc =
      "EPYC-style machine: sockets of CCDs of CCXs of cores, DDR/CXL/HBM memory nodes, "
      "CCD-to-IO-die and xGMI links, DMA engines. Sections: cpu, fabric, memory[], dma[].";
  static const sim::ParamList& params();  // top-level keys (documented in `hetsim list`)
  static const sim::ParamList& cpu_params();
  static const sim::ParamList& fabric_params();
  static const sim::ParamList& memory_params();
  static const sim::ParamList& dma_params();

  Platform(sim::RunContext& ctx, const sim::Json& machine, const sim::Where& where);
  void describe(std::ostream& os) const override;

  const std::string& name() const { return name_; }
  const CpuSpec& cpu_spec() const { return cpu_; }
  const std::vector<Cpu>& cpus() const { return cpus_; }
  int cpu_count() const { return static_cast<int>(cpus_.size()); }
  int core_count() const {
    return cpu_.sockets * cpu_.ccds_per_socket * cpu_.ccx_per_ccd * cpu_.cores_per_ccx;
  }
  int ccd_count() const { return cpu_.sockets * cpu_.ccds_per_socket; }
  int ccx_count() const { return ccd_count() * cpu_.ccx_per_ccd; }
  CpuDistance distance(int a, int b) const;
  Tick c2c_latency(int a, int b) const;
  // Cycles at the core clock -> time.
  Tick cycles(double n) const;

  const std::vector<MemNode>& nodes() const { return nodes_; }
  // The node index named `name`, or a bad-input error at `where`.
  int node_by_name(const std::string& name, const sim::Where& where) const;
  // The DDR node of a socket (its local memory), -1 if it has none.
  int local_node(int socket) const;

  const std::vector<DmaSpec>& dma_specs() const { return dma_; }

  sim::FlowNetwork& flows() { return *flows_; }
  // Interrupt and kernel time on each logical CPU.
  CpuExec& exec() { return *exec_; }
  // The machine file's "tlb" section, parsed by the TLB model that uses it.
  const sim::Json& section(const std::string& key) const {
    return raw_.contains(key) ? raw_[key] : null_;
  }
  const sim::Where& where() const { return where_; }
  // Links crossed when a core on `cpu` copies from node `src` to node `dst`: read into the
  // CCD, write out of it, and xGMI wherever a socket boundary is crossed.
  std::vector<LinkId> cpu_copy_path(int cpu, int src, int dst) const;
  // Links crossed when a DMA engine on the IO die of `socket` copies src -> dst.
  std::vector<LinkId> dma_copy_path(int socket, int src, int dst) const;
  // Links crossed when a core streams reads (and writes back `write_share` of them) to `node`.
  std::vector<LinkId> cpu_stream_path(int cpu, int node) const;
  // Load-to-use latency from a CPU to a node (media latency plus fabric hops).
  Tick access_latency(int cpu, int node) const;

 private:
  void append_socket_hop(std::vector<LinkId>& path, int from_socket, int to_socket) const;
  void build_links(const sim::Params& fabric);

  std::string name_;
  CpuSpec cpu_{};
  std::vector<Cpu> cpus_;
  std::vector<MemNode> nodes_;
  std::vector<DmaSpec> dma_;
  std::unique_ptr<sim::FlowNetwork> flows_;
  std::unique_ptr<CpuExec> exec_;
  sim::Json raw_;
  sim::Json null_;
  sim::Where where_;
  std::vector<LinkId> ccd_read_, ccd_write_;
  std::vector<std::vector<LinkId>> xgmi_;  // [from][to]
  Tick xgmi_latency_ = 0;
};

}  // namespace models
