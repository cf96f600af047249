#include "models/platform/platform.h"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <set>

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

const ParamList& Platform::params() {
  static const ParamList p = {
      sim::p_string("name", "", "machine name"),
      sim::p_string("description", "", "what this machine is and where its numbers come from"),
      sim::p_string("model", "platform", "machine model (only \"platform\" is registered)"),
      sim::p_any("cpu", Json::object(), "CPU topology and core costs (see machine.cpu)"),
      sim::p_any("fabric", Json::object(), "CCD and socket links (see machine.fabric)"),
      sim::p_any("memory", Json::array(), "memory nodes (see machine.memory)"),
      sim::p_any("dma", Json::array(), "DMA engines (see machine.dma)"),
      sim::p_any("tlb", Json::object(), "TLB and shootdown costs (see machine.tlb)"),
      sim::p_any("sched", Json::object(), "scheduler constants (see machine.sched)"),
      sim::p_any("iommu", Json::object(), "IOMMU and devices (see machine.iommu)"),
      sim::p_any("migration", Json::object(),
                 "page-migration kernel costs (see machine.migration)"),
  };
  return p;
}

const ParamList& Platform::cpu_params() {
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
      sim::p_time("ipi_latency", "1.5us", "IPI delivery, sender to handler entry (est.)"),
      sim::p_time("ipi_handler", "0.5us", "cost of an IPI handler on the target CPU (est.)"),
      sim::p_size("l3_per_ccx", "32MiB", "L3 cache per CCX"),
  };
  return p;
}

const ParamList& Platform::fabric_params() {
  static const ParamList p = {
      sim::p_bw("ccd_read_bw", "40.2GB/s", "CCD-to-IO-die read bandwidth, per CCD"),
      sim::p_bw("ccd_write_bw", "20GB/s", "IO-die-to-memory write bandwidth of a CCD (est.)"),
      sim::p_int("xgmi_links", 4, "xGMI links between each pair of sockets", 1, 8),
      sim::p_bw("xgmi_bw", "64GB/s", "bandwidth per xGMI link per direction"),
      sim::p_time("xgmi_latency", "90ns", "latency added by a socket crossing"),
  };
  return p;
}

const ParamList& Platform::memory_params() {
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
  };
  return p;
}

const ParamList& Platform::dma_params() {
  static const ParamList p = {
      sim::p_string("name", nullptr, "engine name"),
      sim::p_int("socket", 0, "socket whose IO die holds the engine"),
      sim::p_int("queues", 1, "hardware queues (channels)", 1, 64),
      sim::p_int("ring", 32, "descriptors per queue ring", 1, 4096),
      sim::p_bw("queue_bw", "10GB/s", "copy bandwidth of one queue (est.)"),
      sim::p_time("submit_cost", "0.5us",
                  "CPU time to prepare and submit a descriptor or SG batch (est.)"),
      sim::p_time("irq_cost", "0.3us", "CPU time of one completion interrupt (est.)"),
      sim::p_time("setup_latency", "0.5us", "engine time from doorbell to first byte (est.)"),
  };
  return p;
}

Platform::Platform(sim::RunContext& ctx, const Json& machine, const Where& where) {
  Params top = Params::parse(machine, params(), where, {});
  name_ = top.s("name");
  raw_ = machine;
  where_ = where;

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
    }

  flows_ = std::make_unique<sim::FlowNetwork>(ctx.sim(), "link");
  exec_ = std::make_unique<CpuExec>(ctx.sim(), cpu_count());
  Params f = Params::parse(top.raw("fabric"), fabric_params(), where.child("fabric"), {});
  build_links(f);

  Where mw = where.child("memory");
  const Json& mem = top.raw("memory");
  if (!mem.is_array() || mem.empty())
    mw.fail("a non-empty list of memory nodes", sim::describe_value(mem));
  std::set<std::string> names;
  for (std::size_t i = 0; i < mem.size(); ++i) {
    Params m = Params::parse(mem[i], memory_params(), mw.child(i), {});
    MemNode n;
    n.id = static_cast<int>(i);
    n.name = m.s("name");
    if (!names.insert(n.name).second)
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
    n.media = flows_->add_link(n.name + ".media", n.bandwidth, n.latency);
    n.attach = n.media;
    if (n.kind == MemKind::Cxl) {
      if (m.bw("link_bw") <= 0) m.where("link_bw").fail("a positive bandwidth", "0");
      n.attach = flows_->add_link(n.name + ".cxl", m.bw("link_bw"));
    }
    nodes_.push_back(n);
  }

  Where dw = where.child("dma");
  const Json& dma = top.raw("dma");
  if (!dma.is_array()) dw.fail("a list of DMA engines", sim::describe_value(dma));
  for (std::size_t i = 0; i < dma.size(); ++i) {
    Params d = Params::parse(dma[i], dma_params(), dw.child(i), {});
    DmaSpec s{d.s("name"),
              d.index("socket", static_cast<std::uint64_t>(cpu_.sockets), "socket"),
              static_cast<int>(d.i("queues")),
              static_cast<int>(d.i("ring")),
              d.bw("queue_bw"),
              d.time("submit_cost"),
              d.time("irq_cost"),
              d.time("setup_latency")};
    if (s.queue_bw <= 0) d.where("queue_bw").fail("a positive bandwidth", "0");
    dma_.push_back(s);
  }
  ctx.provide<Platform>(this);
}

void Platform::build_links(const Params& f) {
  for (const char* key : {"ccd_read_bw", "ccd_write_bw"})
    if (f.bw(key) <= 0) f.where(key).fail("a positive bandwidth", sim::describe_value(f.raw(key)));
  for (int d = 0; d < ccd_count(); ++d) {
    std::string base = "s" + std::to_string(d / cpu_.ccds_per_socket) + ".ccd" + std::to_string(d);
    ccd_read_.push_back(flows_->add_link(base + ".rd", f.bw("ccd_read_bw")));
    ccd_write_.push_back(flows_->add_link(base + ".wr", f.bw("ccd_write_bw")));
  }
  xgmi_latency_ = f.time("xgmi_latency");
  xgmi_.assign(cpu_.sockets, std::vector<LinkId>(cpu_.sockets, 0));
  double bw = static_cast<double>(f.i("xgmi_links")) * f.bw("xgmi_bw");
  if (cpu_.sockets > 1 && bw <= 0) f.where("xgmi_bw").fail("a positive bandwidth", "0");
  for (int a = 0; a < cpu_.sockets; ++a)
    for (int b = 0; b < cpu_.sockets; ++b)
      if (a != b)
        xgmi_[a][b] = flows_->add_link("xgmi.s" + std::to_string(a) + "-s" + std::to_string(b), bw,
                                       xgmi_latency_);
}

CpuDistance Platform::distance(int a, int b) const {
  const Cpu& x = cpus_[a];
  const Cpu& y = cpus_[b];
  if (a == b) return CpuDistance::Same;
  if (x.core == y.core) return CpuDistance::Smt;
  if (x.ccx == y.ccx) return CpuDistance::Llc;
  if (x.ccd == y.ccd) return CpuDistance::Ccd;
  if (x.socket == y.socket) return CpuDistance::Socket;
  return CpuDistance::Remote;
}

Tick Platform::c2c_latency(int a, int b) const {
  switch (distance(a, b)) {
    case CpuDistance::Same:
      return 0;
    case CpuDistance::Smt:
      return cpu_.c2c_smt;
    case CpuDistance::Llc:
      return cpu_.c2c_llc;
    case CpuDistance::Ccd:
      return cpu_.c2c_ccd;
    case CpuDistance::Socket:
      return cpu_.c2c_socket;
    case CpuDistance::Remote:
      return cpu_.c2c_remote;
  }
  return 0;
}

Tick Platform::cycles(double n) const {
  return static_cast<Tick>(std::llround(n / cpu_.freq_hz * static_cast<double>(sim::kSec)));
}

int Platform::node_by_name(const std::string& name, const Where& where) const {
  for (const auto& n : nodes_)
    if (n.name == name) return n.id;
  std::string known;
  for (const auto& n : nodes_) known += (known.empty() ? "" : ", ") + n.name;
  where.fail("a memory node of this machine (" + known + ")", "\"" + name + "\"");
}

int Platform::local_node(int socket) const {
  for (const auto& n : nodes_)
    if (n.socket == socket && n.kind == MemKind::Ddr) return n.id;
  return -1;
}

void Platform::append_socket_hop(std::vector<LinkId>& path, int from, int to) const {
  if (from != to) path.push_back(xgmi_[from][to]);
}

std::vector<LinkId> Platform::cpu_copy_path(int cpu, int src, int dst) const {
  const Cpu& c = cpus_[cpu];
  const MemNode& s = nodes_[src];
  const MemNode& d = nodes_[dst];
  std::vector<LinkId> p;
  p.push_back(s.media);
  if (s.attach != s.media) p.push_back(s.attach);
  append_socket_hop(p, s.socket, c.socket);
  p.push_back(ccd_read_[c.ccd]);
  p.push_back(ccd_write_[c.ccd]);
  append_socket_hop(p, c.socket, d.socket);
  if (d.attach != d.media) p.push_back(d.attach);
  p.push_back(d.media);
  return p;
}

std::vector<LinkId> Platform::dma_copy_path(int socket, int src, int dst) const {
  const MemNode& s = nodes_[src];
  const MemNode& d = nodes_[dst];
  std::vector<LinkId> p;
  p.push_back(s.media);
  if (s.attach != s.media) p.push_back(s.attach);
  append_socket_hop(p, s.socket, socket);
  append_socket_hop(p, socket, d.socket);
  if (d.attach != d.media) p.push_back(d.attach);
  p.push_back(d.media);
  return p;
}

std::vector<LinkId> Platform::cpu_stream_path(int cpu, int node) const {
  const Cpu& c = cpus_[cpu];
  const MemNode& n = nodes_[node];
  std::vector<LinkId> p{n.media};
  if (n.attach != n.media) p.push_back(n.attach);
  append_socket_hop(p, n.socket, c.socket);
  p.push_back(ccd_read_[c.ccd]);
  return p;
}

Tick Platform::access_latency(int cpu, int node) const {
  const MemNode& n = nodes_[node];
  return n.latency + (n.socket != cpus_[cpu].socket ? xgmi_latency_ : 0);
}

void Platform::describe(std::ostream& os) const {
  const CpuSpec& c = cpu_;
  os << "machine " << name_ << "\n";
  os << "  cpu: " << c.sockets << " sockets x " << c.ccds_per_socket << " CCDs x " << c.ccx_per_ccd
     << " CCX x " << c.cores_per_ccx << " cores x " << c.smt << " threads = " << core_count()
     << " cores, " << cpu_count() << " logical CPUs, " << c.freq_hz / 1e9 << " GHz\n";
  os << "  per core: memcpy " << sim::format_bandwidth(c.memcpy_rate) << ", L3 per CCX "
     << sim::format_size(static_cast<double>(c.l3_per_ccx)) << "\n";
  os << "  core-to-core: smt " << sim::format_time(c.c2c_smt) << ", llc "
     << sim::format_time(c.c2c_llc) << ", ccd " << sim::format_time(c.c2c_ccd) << ", socket "
     << sim::format_time(c.c2c_socket) << ", remote " << sim::format_time(c.c2c_remote) << "; IPI "
     << sim::format_time(c.ipi_latency) << " + handler " << sim::format_time(c.ipi_handler) << "\n";
  os << "  memory nodes:\n";
  for (const auto& n : nodes_)
    os << "    " << std::left << std::setw(8) << n.name << " " << mem_kind_name(n.kind)
       << "  socket " << n.socket << "  " << sim::format_bandwidth(n.bandwidth) << " sustained  "
       << sim::format_time(n.latency) << "  " << sim::format_size(static_cast<double>(n.capacity))
       << "\n";
  os << "  links (" << flows_->link_count() << "):\n";
  for (LinkId l = 0; l < flows_->link_count(); ++l)
    os << "    " << std::left << std::setw(20) << flows_->link_name(l) << " "
       << sim::format_bandwidth(flows_->capacity(l))
       << (flows_->latency(l) ? "  " + sim::format_time(flows_->latency(l)) : std::string())
       << "\n";
  os << "  dma engines (" << dma_.size() << "):\n";
  for (const auto& d : dma_)
    os << "    " << d.name << "  socket " << d.socket << "  " << d.queues << " queues x "
       << sim::format_bandwidth(d.queue_bw) << ", ring " << d.ring << ", submit "
       << sim::format_time(d.submit_cost) << ", irq " << sim::format_time(d.irq_cost) << "\n";
}

HETSIM_REGISTER(sim::SystemModel, Platform, "platform");

// The machine file's sections, listed by `hetsim list` beside the models.
[[maybe_unused]] static const bool kSectionsListed = [] {
  auto& c = sim::Catalog::get();
  c.add(
      {"machine.cpu", "platform", "the \"cpu\" object of a machine file", Platform::cpu_params()});
  c.add({"machine.fabric", "platform", "the \"fabric\" object of a machine file",
         Platform::fabric_params()});
  c.add({"machine.memory[]", "platform", "each entry of the \"memory\" list",
         Platform::memory_params()});
  c.add({"machine.dma[]", "platform", "each entry of the \"dma\" list", Platform::dma_params()});
  return true;
}();

}  // namespace models
