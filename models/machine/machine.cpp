#include "models/machine/machine.h"

#include <algorithm>
#include <cmath>
#include <iomanip>

#include "sim/cpulist.h"
#include "sim/units.h"

namespace models {

using sim::Json;
using sim::ParamList;
using sim::Params;
using sim::Where;

const char* mem_kind_name(MemKind k) {
  switch (k) {
    case MemKind::Ddr:
      return "ddr";
    case MemKind::Cxl:
      return "cxl";
    case MemKind::Hbm:
      return "hbm";
  }
  return "?";
}

const char* distance_name(CpuDistance d) {
  switch (d) {
    case CpuDistance::Same:
      return "same";
    case CpuDistance::Smt:
      return "smt";
    case CpuDistance::Llc:
      return "llc";
    case CpuDistance::Ccd:
      return "ccd";
    case CpuDistance::Socket:
      return "socket";
    case CpuDistance::Remote:
      return "remote";
  }
  return "?";
}

ParamList Machine::params() {
  ParamList p = {
      sim::p_string("name", "", "machine name"),
      sim::p_string("description", "", "what this machine is and where its numbers come from"),
      sim::p_string("model", "platform", "machine model (only \"platform\", the machine graph)"),
      sim::p_any("cpu", Json::object(), "CPU topology and core costs (see machine.cpu)"),
      sim::p_any("fabric", Json::object(), "CCD and socket links (see machine.fabric)"),
      sim::p_any("memory", Json::array(), "memory nodes (see machine.memory[])"),
  };
  for (const MachineSection& s : machine_sections())
    p.push_back(sim::p_any(s.key, s.list ? Json::array() : Json::object(),
                           s.doc + " (see machine." + s.key + (s.list ? "[])" : ")")));
  return p;
}

Machine& Machine::of(sim::RunContext& ctx) {
  if (auto* m = ctx.find<Machine>()) return *m;
  throw sim::InternalError("the run has no machine");
}

const ParamList& Machine::cpu_params() {
  static const ParamList p = {
      sim::p_int("sockets", 2, "sockets", 1, 8),
      sim::p_int("ccds_per_socket", 4, "core complex dies per socket", 1, 16),
      sim::p_int("ccx_per_ccd", 1, "core complexes (L3 domains) per CCD", 1, 2),
      sim::p_int("cores_per_ccx", 8, "cores per CCX", 1, 32),
      sim::p_int("smt", 2, "hardware threads per core", 1, 2),
      sim::p_freq("freq", "2GHz", "core clock, converts kernel cycle costs to time"),
      sim::p_bw("memcpy_rate", "18GB/s", "one core's streaming copy rate (caps its copy flows)"),
      sim::p_time("c2c_smt", "9.8ns", "core-to-core latency between SMT siblings"),
      sim::p_time("c2c_llc", "23ns", "core-to-core latency within a CCX"),
      sim::p_time("c2c_ccd", "60ns", "core-to-core latency between CCXs of one CCD"),
      sim::p_time("c2c_socket", "107ns", "core-to-core latency across CCDs of one socket"),
      sim::p_time("c2c_remote", "197ns", "core-to-core latency across sockets"),
      sim::p_time("ipi_send", "50ns", "sender's cost per IPI target: the x2APIC ICR write (est.)"),
      sim::p_time("ipi_latency", "1.5us", "IPI delivery, sender to handler entry (est.)"),
      sim::p_time("ipi_handler", "0.5us", "cost of an IPI handler on the target CPU (est.)"),
      sim::p_size("l3_per_ccx", "32MiB", "L3 cache per CCX"),
  };
  return p;
}

const ParamList& Machine::fabric_params() {
  static const ParamList p = {
      sim::p_bw("ccd_read_bw", "40.2GB/s", "CCD-to-IO-die read bandwidth, per CCD"),
      sim::p_bw("ccd_write_bw", "20GB/s", "IO-die-to-memory write bandwidth of a CCD (est.)"),
      sim::p_int("xgmi_links", 4, "xGMI links between each pair of sockets", 1, 8),
      sim::p_bw("xgmi_bw", "64GB/s", "bandwidth per xGMI link per direction"),
      sim::p_time("xgmi_latency", "90ns", "latency added by a socket crossing"),
  };
  return p;
}

const ParamList& Machine::memory_params() {
  static const ParamList p = {
      sim::p_string("name", nullptr, "node name used by workloads (e.g. node0)"),
      sim::p_choice("kind", "ddr", {"ddr", "cxl", "hbm"}, "memory technology"),
      sim::p_int("socket", 0, "socket the node is attached to"),
      sim::p_int("channels", 8, "memory channels (ddr, hbm stacks)", 1, 64),
      sim::p_bw("channel_bw", "25.6GB/s", "peak bandwidth per channel"),
      sim::p_double("efficiency", 0.8, "sustained fraction of peak bandwidth", 0.05, 1.0),
      sim::p_time("latency", "110ns", "load-to-use latency from the local socket"),
      sim::p_size("capacity", "256GiB", "capacity"),
      sim::p_bw("link_bw", "36GB/s", "cxl: bandwidth of the expander's link (both directions)"),
      sim::p_time("link_latency", "0ns",
                  "cxl: latency the expander's link and its controller add to `latency` (the "
                  "media's own); 0: `latency` is the whole device latency"),
  };
  return p;
}

Machine::Machine(sim::RunContext& ctx, const Json& machine, const Where& where) : ctx_(ctx) {
  Params top = Params::parse(machine, params(), where, {});
  name_ = top.s("name");

  Params c = Params::parse(top.raw("cpu"), cpu_params(), where.child("cpu"), {});
  cpu_.sockets = static_cast<int>(c.i("sockets"));
  cpu_.ccds_per_socket = static_cast<int>(c.i("ccds_per_socket"));
  cpu_.ccx_per_ccd = static_cast<int>(c.i("ccx_per_ccd"));
  cpu_.cores_per_ccx = static_cast<int>(c.i("cores_per_ccx"));
  cpu_.smt = static_cast<int>(c.i("smt"));
  cpu_.freq_hz = c.freq("freq");
  if (cpu_.freq_hz < 1e8)
    where.child("cpu").child("freq").fail("a core clock of at least 100MHz",
                                          sim::describe_value(c.raw("freq")));
  cpu_.memcpy_rate = c.bw("memcpy_rate");
  if (cpu_.memcpy_rate <= 0) c.where("memcpy_rate").fail("a positive bandwidth", "0");
  cpu_.c2c_smt = c.time("c2c_smt");
  cpu_.c2c_llc = c.time("c2c_llc");
  cpu_.c2c_ccd = c.time("c2c_ccd");
  cpu_.c2c_socket = c.time("c2c_socket");
  cpu_.c2c_remote = c.time("c2c_remote");
  c2c_by_distance_ = {
      0, cpu_.c2c_smt, cpu_.c2c_llc, cpu_.c2c_ccd, cpu_.c2c_socket, cpu_.c2c_remote};
  cpu_.ipi_send = c.time("ipi_send");
  cpu_.ipi_latency = c.time("ipi_latency");
  cpu_.ipi_handler = c.time("ipi_handler");
  cpu_.l3_per_ccx = c.size("l3_per_ccx");
  if (core_count() * cpu_.smt > 8192)
    where.child("cpu").fail("at most 8192 logical CPUs", std::to_string(core_count() * cpu_.smt));

  const int cores = core_count();
  for (int t = 0; t < cpu_.smt; ++t)
    for (int core = 0; core < cores; ++core) {
      int ccx = core / cpu_.cores_per_ccx;
      int ccd = ccx / cpu_.ccx_per_ccd;
      int socket = ccd / cpu_.ccds_per_socket;
      cpus_.push_back({t * cores + core, socket, ccd, ccx, core, t});
      place_.push_back(std::uint64_t(socket) << 48 | std::uint64_t(ccd) << 32 |
                       std::uint64_t(ccx) << 16 | std::uint64_t(core));
    }

  flows_ = std::make_unique<sim::FlowNetwork>(ctx.sim(), "link");
  graph_ = std::make_unique<MachineGraph>(*flows_);
  build_cpus(Params::parse(top.raw("fabric"), fabric_params(), where.child("fabric"), {}));
  build_memory(top.raw("memory"), where.child("memory"));

  // Every subsystem's section, validated whether or not a model of this run uses it.
  for (const MachineSection& sec : machine_sections()) {
    Where sw = where.child(sec.key);
    const Json& raw = top.raw(sec.key);
    std::vector<Params>& parsed = sections_[sec.key];
    if (sec.list) {
      if (!raw.is_array()) sw.fail("a list of " + sec.key + " entries", sim::describe_value(raw));
      for (std::size_t i = 0; i < raw.size(); ++i)
        parsed.push_back(Params::parse(raw[i], sec.params(), sw.child(i), {}));
    } else {
      parsed.push_back(Params::parse(raw, sec.params(), sw, {}));
    }
    if (sec.build) sec.build(*this, parsed);
  }
  ctx.provide<Machine>(this);
}

void Machine::build_cpus(const Params& f) {
  // Vertices: per socket its IO die; per CCD, CCX and core their own, wired to the parent.
  std::vector<VertexId> ccd_v, ccx_v;
  for (int s = 0; s < cpu_.sockets; ++s) {
    std::string sn = "s" + std::to_string(s);
    VertexId sv = graph_->add_node({sn, NodeKind::Socket, "", s, -1, false, std::nullopt});
    iod_vertex_.push_back(graph_->add_node(
        {sn + ".iod", NodeKind::IoDie, "", s, static_cast<int>(sv), true, std::nullopt}));
    for (int d = 0; d < cpu_.ccds_per_socket; ++d) {
      int ccd = s * cpu_.ccds_per_socket + d;
      std::string dn = sn + ".ccd" + std::to_string(ccd);
      ccd_v.push_back(
          graph_->add_node({dn, NodeKind::Ccd, "", s, static_cast<int>(sv), true, std::nullopt}));
      for (int x = 0; x < cpu_.ccx_per_ccd; ++x) {
        int ccx = ccd * cpu_.ccx_per_ccd + x;
        std::string xn = dn + ".ccx" + std::to_string(ccx);
        ccx_v.push_back(graph_->add_node(
            {xn, NodeKind::Ccx, "", s, static_cast<int>(ccd_v.back()), true, std::nullopt}));
        graph_->add_wire(ccx_v.back(), ccd_v.back(), "ccx-ccd");
        for (int c = 0; c < cpu_.cores_per_ccx; ++c) {
          int core = ccx * cpu_.cores_per_ccx + c;
          core_vertex_.push_back(
              graph_->add_node({xn + ".core" + std::to_string(core), NodeKind::Core, "", s,
                                static_cast<int>(ccx_v.back()), false, std::nullopt}));
          graph_->add_wire(core_vertex_.back(), ccx_v.back(), "core-ccx");
        }
      }
    }
  }
  // A zero bandwidth would make a port without a limit on the graph: refuse it.
  for (const char* key : {"ccd_read_bw", "ccd_write_bw"})
    if (f.bw(key) <= 0) f.where(key).fail("a positive bandwidth", sim::describe_value(f.raw(key)));
  // Links with bandwidth, in a fixed order (it is the flow model's link order): each CCD's
  // read (IO die -> CCD) and write (CCD -> IO die) port, then xGMI between socket pairs.
  for (int d = 0; d < ccd_count(); ++d) {
    const std::string base = graph_->node(ccd_v[static_cast<std::size_t>(d)]).name;
    graph_->add_link(iod_vertex(d / cpu_.ccds_per_socket), ccd_v[static_cast<std::size_t>(d)],
                     "ccd-iod", f.bw("ccd_read_bw"), f.bw("ccd_write_bw"), 0, base + ".rd",
                     base + ".wr");
  }
  double bw = static_cast<double>(f.i("xgmi_links")) * f.bw("xgmi_bw");
  if (cpu_.sockets > 1 && bw <= 0) f.where("xgmi_bw").fail("a positive bandwidth", "0");
  for (int a = 0; a < cpu_.sockets; ++a)
    for (int b = a + 1; b < cpu_.sockets; ++b) {
      std::string sa = "s" + std::to_string(a), sb = "s" + std::to_string(b);
      graph_->add_link(iod_vertex(a), iod_vertex(b), "xgmi", bw, bw, f.time("xgmi_latency"),
                       "xgmi." + sa + "-" + sb, "xgmi." + sb + "-" + sa);
    }
}

void Machine::build_memory(const Json& mem, const Where& mw) {
  if (!mem.is_array() || mem.empty())
    mw.fail("a non-empty list of memory nodes", sim::describe_value(mem));
  for (std::size_t i = 0; i < mem.size(); ++i) {
    Params m = Params::parse(mem[i], memory_params(), mw.child(i), {});
    MemNode n;
    n.id = static_cast<int>(i);
    n.name = m.s("name");
    if (graph_->find(n.name))  // another memory node, or any other vertex
      m.where("name").fail("a unique node name", "\"" + n.name + "\" again");
    n.kind = m.s("kind") == "cxl"   ? MemKind::Cxl
             : m.s("kind") == "hbm" ? MemKind::Hbm
                                    : MemKind::Ddr;
    n.socket = m.index("socket", static_cast<std::uint64_t>(cpu_.sockets), "socket");
    n.bandwidth = static_cast<double>(m.i("channels")) * m.bw("channel_bw") * m.d("efficiency");
    if (n.bandwidth <= 0)
      m.where("channel_bw").fail("a positive bandwidth", sim::describe_value(m.raw("channel_bw")));
    n.latency = m.time("latency");
    n.capacity = m.size("capacity");
    if (n.capacity == 0) m.where("capacity").fail("a positive size", "0");
    // The media (channels or stacks) is the node's own: reads and writes share it.
    LinkId media = flows_->add_link(n.name + ".media", n.bandwidth, n.latency);
    n.vertex = graph_->add_node({n.name, NodeKind::Memory, mem_kind_name(n.kind), n.socket,
                                 static_cast<int>(iod_vertex(n.socket)), false, media});
    if (n.kind == MemKind::Cxl) {
      // A CXL expander hangs off a root port of the IO die through its own link.
      if (m.bw("link_bw") <= 0) m.where("link_bw").fail("a positive bandwidth", "0");
      graph_->add_shared_link(n.vertex, iod_vertex(n.socket), "cxl", m.bw("link_bw"),
                              m.time("link_latency"), n.name + ".cxl");
    } else {
      graph_->add_wire(n.vertex, iod_vertex(n.socket), mem_kind_name(n.kind));
    }
    nodes_.push_back(n);
  }
}

int Machine::add_memory_node(const std::string& name, MemKind kind, VertexId parent,
                             double bandwidth, Tick latency, std::uint64_t capacity) {
  if (bandwidth <= 0 || capacity == 0 || graph_->find(name))
    throw sim::InternalError("memory node " + name + ": checked by its section's builder");
  MemNode n;
  n.id = static_cast<int>(nodes_.size());
  n.name = name;
  n.kind = kind;
  n.socket = graph_->node(parent).socket;
  n.bandwidth = bandwidth;
  n.latency = latency;
  n.capacity = capacity;
  LinkId media = flows_->add_link(name + ".media", bandwidth, latency);
  n.vertex = graph_->add_node({name, NodeKind::Memory, mem_kind_name(kind), n.socket,
                               static_cast<int>(parent), false, media});
  graph_->add_wire(n.vertex, parent, mem_kind_name(kind));
  nodes_.push_back(n);
  return n.id;
}

const sim::Params& Machine::section(const std::string& key) const {
  auto it = sections_.find(key);
  if (it == sections_.end() || it->second.size() != 1)
    throw sim::InternalError("machine section " + key + " is not a registered object section");
  return it->second.front();
}

const std::vector<sim::Params>& Machine::section_list(const std::string& key) const {
  auto it = sections_.find(key);
  if (it == sections_.end())
    throw sim::InternalError("machine section " + key + " is not registered");
  return it->second;
}

Tick Machine::cycles(double n) const {
  return static_cast<Tick>(std::llround(n / cpu_.freq_hz * static_cast<double>(sim::kSec)));
}

int Machine::node_by_name(const std::string& name, const Where& where) const {
  for (const auto& n : nodes_)
    if (n.name == name) return n.id;
  std::string known;
  for (const auto& n : nodes_) known += (known.empty() ? "" : ", ") + n.name;
  where.fail("a memory node of this machine (" + known + ")", "\"" + name + "\"");
}

void Machine::describe(std::ostream& os, const std::string& format) const {
  if (format == "dot") return graph_->write_dot(os, name_);
  if (format == "json") return graph_->write_json(os);
  describe_text(os);
}

void Machine::describe_text(std::ostream& os) const {
  const CpuSpec& c = cpu_;
  os << "machine " << name_ << "\n";
  os << "  cpu: " << c.sockets << " sockets x " << c.ccds_per_socket << " CCDs x " << c.ccx_per_ccd
     << " CCX x " << c.cores_per_ccx << " cores x " << c.smt << " threads = " << core_count()
     << " cores, " << cpu_count() << " logical CPUs, " << c.freq_hz / 1e9 << " GHz\n";
  os << "  per core: memcpy " << sim::format_bandwidth(c.memcpy_rate) << ", L3 per CCX "
     << sim::format_size(static_cast<double>(c.l3_per_ccx)) << "\n";
  os << "  core-to-core: smt " << sim::format_time(c.c2c_smt) << ", llc "
     << sim::format_time(c.c2c_llc) << ", ccd " << sim::format_time(c.c2c_ccd) << ", socket "
     << sim::format_time(c.c2c_socket) << ", remote " << sim::format_time(c.c2c_remote)
     << "; IPI send " << sim::format_time(c.ipi_send) << ", delivery "
     << sim::format_time(c.ipi_latency) << " + handler " << sim::format_time(c.ipi_handler) << "\n";

  os << "  logical CPUs (cpulist per CCX):\n";
  for (int x = 0; x < ccx_count(); ++x) {
    std::vector<int> ids;
    int ccd = 0, socket = 0;
    for (const Cpu& cpu : cpus_)
      if (cpu.ccx == x) {
        ids.push_back(cpu.id);
        ccd = cpu.ccd;
        socket = cpu.socket;
      }
    os << "    s" << socket << ".ccd" << ccd << ".ccx" << x << "  cpus " << sim::format_cpulist(ids)
       << "\n";
  }

  os << "  memory nodes:\n";
  for (const auto& n : nodes_)
    os << "    " << std::left << std::setw(8) << n.name << " " << mem_kind_name(n.kind)
       << "  socket " << n.socket << "  " << sim::format_bandwidth(n.bandwidth) << " sustained  "
       << sim::format_time(n.latency) << "  " << sim::format_size(static_cast<double>(n.capacity))
       << "\n";

  // Links, identical ones (kind, bandwidths, latency) on one line with their endpoints listed.
  struct Group {
    std::string props;
    std::vector<std::string> ends;
  };
  std::vector<Group> groups;
  std::map<std::string, std::size_t> index;
  for (const GraphLink& l : graph_->links()) {
    if (!l.ab && !l.ba) continue;  // wires inside a CCD, memory controllers on the IO die
    std::string props = l.kind + "  ";
    auto bw = [&](const std::optional<LinkId>& x) {
      return x ? sim::format_bandwidth(flows_->capacity(*x)) : std::string("unlimited");
    };
    props += l.shared ? bw(l.ab) + " shared by both directions"
                      : bw(l.ab) + " forward / " + bw(l.ba) + " back";
    if (l.latency) props += ", " + sim::format_time(l.latency);
    auto [it, fresh] = index.emplace(props, groups.size());
    if (fresh) groups.push_back({props, {}});
    groups[it->second].ends.push_back(graph_->node(l.a).name + "-" + graph_->node(l.b).name);
  }
  os << "  links (" << graph_->links().size() << " in the graph, " << flows_->link_count()
     << " flow resources):\n";
  for (const Group& g : groups) {
    os << "    " << g.ends.size() << " x " << g.props << "\n      ";
    if (g.ends.size() <= 4) {
      for (std::size_t i = 0; i < g.ends.size(); ++i) os << (i ? ", " : "") << g.ends[i];
    } else {
      os << g.ends.front() << ", " << g.ends[1] << " ... " << g.ends.back();
    }
    os << "\n";
  }
  std::vector<std::string> devices;
  for (const GraphNode& n : graph_->nodes())
    if (n.kind == NodeKind::Device || n.kind == NodeKind::Switch)
      devices.push_back(n.name + " (" + (n.detail.empty() ? node_kind_name(n.kind) : n.detail) +
                        (n.parent >= 0
                             ? ", on " + graph_->node(static_cast<VertexId>(n.parent)).name
                             : std::string()) +
                        ")");
  if (!devices.empty()) {
    os << "  devices:\n";
    for (const auto& d : devices) os << "    " << d << "\n";
  }
  os << "  sections (effective values):\n";
  for (const MachineSection& sec : machine_sections()) {
    const auto& ps = sections_.at(sec.key);
    if (sec.list) {
      os << "    " << sec.key << ": " << ps.size() << " entr" << (ps.size() == 1 ? "y" : "ies")
         << "\n";
      for (const auto& p : ps) os << "      " << p.to_json().dump() << "\n";
    } else {
      os << "    " << sec.key << ": " << ps.front().to_json().dump() << "\n";
    }
    if (sec.describe) sec.describe(*this, os);
  }
}

HETSIM_REGISTER(sim::SystemModel, Machine, "platform");

namespace {

std::vector<MachineSection>& section_store() {
  static std::vector<MachineSection> s;
  return s;
}

}  // namespace

bool register_machine_section(MachineSection s) {
  auto& all = section_store();
  sim::Catalog::get().add({"machine." + s.key + (s.list ? "[]" : ""), "platform",
                           (s.list ? "each entry of the \"" : "the \"") + s.key +
                               (s.list ? "\" list" : "\" object") + " of a machine file: " + s.doc,
                           s.params()});
  all.push_back(std::move(s));
  std::stable_sort(all.begin(), all.end(), [](const MachineSection& a, const MachineSection& b) {
    return a.order != b.order ? a.order < b.order : a.key < b.key;
  });
  return true;
}

const std::vector<MachineSection>& machine_sections() { return section_store(); }

// The machine's own sections, listed by `hetsim list` beside the models.
[[maybe_unused]] static const bool kSectionsListed = [] {
  auto& c = sim::Catalog::get();
  c.add({"machine.cpu", "platform", "the \"cpu\" object of a machine file", Machine::cpu_params()});
  c.add({"machine.fabric", "platform", "the \"fabric\" object of a machine file",
         Machine::fabric_params()});
  c.add({"machine.memory[]", "platform", "each entry of the \"memory\" list",
         Machine::memory_params()});
  return true;
}();

}  // namespace models
