#pragma once
// The machine: CPU topology (sockets, CCDs, CCXs, cores, SMT threads), memory nodes (DDR per
// socket, CPU-less CXL expanders, HBM) and whatever devices the subsystems' sections add, as
// one graph (models/machine/graph.h). Every byte a core or a device moves follows a route on
// that graph through the flow model. Each subsystem owns its section of the machine file
// (models/machine/section.h); the machine validates them all when it loads.
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "models/cpu/cpu_exec.h"
#include "models/machine/graph.h"
#include "models/machine/section.h"
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
  VertexId vertex;
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
  Tick ipi_send, ipi_latency, ipi_handler;
  std::uint64_t l3_per_ccx;
};

class Machine : public sim::SystemModel {
 public:
  static constexpr const char* kDoc =
      "EPYC-style machine graph: sockets of CCDs of CCXs of cores around an IO die, DDR/CXL/HBM "
      "memory nodes, xGMI between sockets, and the devices and links that subsystem sections "
      "add (dma[], devices[]). Sections: see the machine.* entries.";
  // Top-level keys: the machine's own and one per registered section.
  static sim::ParamList params();
  static const sim::ParamList& cpu_params();
  static const sim::ParamList& fabric_params();
  static const sim::ParamList& memory_params();

  // The machine of a run (every model finds it here; none downcasts the run's system).
  static Machine& of(sim::RunContext& ctx);

  Machine(sim::RunContext& ctx, const sim::Json& machine, const sim::Where& where);
  void describe(std::ostream& os, const std::string& format) const override;

  const std::string& name() const { return name_; }
  const CpuSpec& cpu_spec() const { return cpu_; }
  const std::vector<Cpu>& cpus() const { return cpus_; }
  int cpu_count() const { return static_cast<int>(cpus_.size()); }
  int core_count() const {
    return cpu_.sockets * cpu_.ccds_per_socket * cpu_.ccx_per_ccd * cpu_.cores_per_ccx;
  }
  int ccd_count() const { return cpu_.sockets * cpu_.ccds_per_socket; }
  int ccx_count() const { return ccd_count() * cpu_.ccx_per_ccd; }
  // Inline: the scheduler asks these per CPU in its idle scans. 0 for the same CPU, then one
  // more for each of core, CCX, CCD and socket two CPUs differ at. Each level nests in the
  // next (a core in one CCX, a CCX in one CCD, a CCD in one socket) and their ids are global,
  // so the highest field at which their packed places differ says how many levels do.
  CpuDistance distance(int a, int b) const {
    const std::uint64_t x =
        place_[static_cast<std::size_t>(a)] ^ place_[static_cast<std::size_t>(b)];
    if (x == 0) return static_cast<CpuDistance>(a != b);
    return static_cast<CpuDistance>(2 + ((63 - __builtin_clzll(x)) >> 4));
  }
  Tick c2c_latency(int a, int b) const { return c2c_by_distance(distance(a, b)); }
  Tick c2c_by_distance(CpuDistance d) const {
    return c2c_by_distance_[static_cast<std::size_t>(d)];
  }
  // Cycles at the core clock -> time.
  Tick cycles(double n) const;

  const std::vector<MemNode>& nodes() const { return nodes_; }
  // Adds a memory node that a section's device owns (a GPU's HBM): a vertex contained in
  // `parent`, whose media every access crosses. Returns its index among nodes().
  int add_memory_node(const std::string& name, MemKind kind, VertexId parent, double bandwidth,
                      Tick latency, std::uint64_t capacity);
  // The node index named `name`, or a bad-input error at `where`.
  int node_by_name(const std::string& name, const sim::Where& where) const;

  sim::FlowNetwork& flows() { return *flows_; }
  const sim::FlowNetwork& flows() const { return *flows_; }
  const MachineGraph& graph() const { return *graph_; }
  MachineGraph& graph() { return *graph_; }
  VertexId core_vertex(int cpu) const {
    return core_vertex_[static_cast<std::size_t>(cpus_[cpu].core)];
  }
  VertexId iod_vertex(int socket) const { return iod_vertex_[static_cast<std::size_t>(socket)]; }
  // The run the machine belongs to.
  sim::RunContext& context() { return ctx_; }
  // Interrupt and kernel time on each logical CPU: the scheduler's, built on first use.
  CpuExec& exec() {
    if (!exec_) exec_ = &CpuExec::of(ctx_);
    return *exec_;
  }

  // A registered section's validated values (defaults filled in).
  const sim::Params& section(const std::string& key) const;
  const std::vector<sim::Params>& section_list(const std::string& key) const;

  // Links crossed when the agent at vertex `agent` (a core, a DMA engine, a device) copies
  // from memory node `src` to `dst`: the route from src to the agent, then to dst.
  const std::vector<LinkId>& copy_path(VertexId agent, int src, int dst) const {
    return graph_->route_via(nodes_[src].vertex, agent, nodes_[dst].vertex);
  }
  const std::vector<LinkId>& cpu_copy_path(int cpu, int src, int dst) const {
    return copy_path(core_vertex(cpu), src, dst);
  }
  // Links crossed when a core streams reads from `node`.
  const std::vector<LinkId>& read_path(int cpu, int node) const {
    return graph_->route(nodes_[node].vertex, core_vertex(cpu));
  }
  // Load-to-use latency from a CPU to a node (media latency plus the links on the route).
  Tick access_latency(int cpu, int node) const {
    return graph_->route_latency(nodes_[node].vertex, core_vertex(cpu));
  }

 private:
  void build_cpus(const sim::Params& fabric);
  void build_memory(const sim::Json& mem, const sim::Where& mw);
  void describe_text(std::ostream& os) const;

  sim::RunContext& ctx_;
  CpuExec* exec_ = nullptr;
  std::string name_;
  CpuSpec cpu_{};
  std::array<Tick, 6> c2c_by_distance_{};  // by CpuDistance
  std::vector<Cpu> cpus_;
  std::vector<std::uint64_t> place_;  // by CPU: socket, CCD, CCX, core; 16 bits each (<= 8192)
  std::vector<MemNode> nodes_;
  std::unique_ptr<sim::FlowNetwork> flows_;
  std::unique_ptr<MachineGraph> graph_;
  std::vector<VertexId> core_vertex_, iod_vertex_;
  std::map<std::string, std::vector<sim::Params>> sections_;
};

}  // namespace models
