#include <gtest/gtest.h>

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "models/machine/machine.h"
#include "sim/error.h"
#include "sim/json.h"
#include "sim/run_context.h"

namespace test_machine_machine_graph {

namespace {

using models::Machine;
using models::MachineGraph;
using models::NodeKind;
using models::VertexId;
using sim::Json;

// A device that no model of hetsim knows: an accelerator with its own HBM, on a PCIe Gen4 x8
// link to socket 0's IO die. It exists only in this test, through a section of its own.
const sim::ParamList& accel_params() {
  static const sim::ParamList p = {
      sim::p_string("name", nullptr, "accelerator name"),
      sim::p_bw("hbm_bw", "800GB/s", "its memory's bandwidth"),
      sim::p_bw("link_bw", "15GB/s", "its host link, per direction"),
  };
  return p;
}

void build_accels(Machine& m, const std::vector<sim::Params>& list) {
  MachineGraph& g = m.graph();
  for (const sim::Params& a : list) {
    VertexId dev = g.add_node({a.s("name"), NodeKind::Device, "test-accelerator", 0,
                               static_cast<int>(m.iod_vertex(0)), false, std::nullopt});
    auto media = m.flows().add_link(a.s("name") + ".hbm.media", a.bw("hbm_bw"), 100'000);
    VertexId mem = g.add_node(
        {a.s("name") + ".hbm", NodeKind::Memory, "hbm", 0, static_cast<int>(dev), false, media});
    g.add_wire(mem, dev, "hbm");
    g.add_link(m.iod_vertex(0), dev, "pcie-gen4-x8", a.bw("link_bw"), a.bw("link_bw"), 500'000,
               a.s("name") + ".down", a.s("name") + ".up");
  }
}

[[maybe_unused]] const bool kAccel = models::register_machine_section(
    {"test_accel", &accel_params, true, "test-only accelerators", &build_accels, 50});

Json machine_json() {
  return sim::load_json_file(std::string(HETSIM_SOURCE_DIR) + "/configs/milan-2s.json");
}

struct Rig {
  explicit Rig(Json m) : sim(1), ctx(sim, Json::object(), sim::Where{"<test>", "/policies"}) {
    ctx.set_system(sim::SystemModel::Registry::make("platform", ctx, m, sim::Where{"m.json", ""}));
    pf = &Machine::of(ctx);
  }
  sim::Simulator sim;
  sim::RunContext ctx;
  Machine* pf = nullptr;
};

std::vector<std::string> names(Machine& m, const std::vector<sim::LinkId>& path) {
  std::vector<std::string> out;
  for (auto l : path) out.push_back(m.flows().link_name(l));
  return out;
}

TEST(MachineGraph, CopyToADeviceNoModelKnowsIsRoutedOverItsLink) {
  Json m = machine_json();
  m["test_accel"] = Json::array({Json{{"name", "acc0"}}});
  Rig r(m);
  const MachineGraph& g = r.pf->graph();
  VertexId node1 = r.pf->nodes()[1].vertex;  // socket 1: the copy also crosses xGMI
  VertexId hbm = *g.find("acc0.hbm");
  const auto& path = g.route(node1, hbm);
  EXPECT_EQ(names(*r.pf, path),
            (std::vector<std::string>{"node1.media", "xgmi.s1-s0", "acc0.down", "acc0.hbm.media"}));

  // The copy runs at the slowest link on that route: the accelerator's PCIe link.
  const double bytes = 1 << 30;
  sim::Tick done = 0;
  sim::FlowNetwork::Spec spec;
  spec.path = path;
  spec.bytes = bytes;
  spec.on_done = [&] { done = r.sim.now(); };
  r.pf->flows().start(std::move(spec));
  r.sim.run();
  ASSERT_GT(done, 0u);
  const double secs = sim::to_seconds(done);
  const double route_latency = sim::to_seconds(g.route_latency(node1, hbm));
  EXPECT_NEAR(bytes / (secs - route_latency), 15e9, 15e9 * 1e-6);
}

TEST(MachineGraph, CpuCopyCrossesItsCcdPortsAndXgmiWhereSocketsDiffer) {
  Rig r(machine_json());
  Machine& m = *r.pf;
  // CPU 0 sits on socket 0, CCD 0. node0 -> node1: read into the CCD, write out, cross.
  EXPECT_EQ(names(m, m.cpu_copy_path(0, 0, 1)),
            (std::vector<std::string>{"node0.media", "s0.ccd0.rd", "s0.ccd0.wr", "xgmi.s0-s1",
                                      "node1.media"}));
  // A CPU of socket 1 pulls the source across xGMI first.
  const int remote = m.cpu_count() / 2 - 1;  // last first-thread CPU of socket 1
  ASSERT_EQ(m.cpus()[remote].socket, 1);
  auto p = names(m, m.cpu_copy_path(remote, 0, 1));
  EXPECT_EQ(p.front(), "node0.media");
  EXPECT_EQ(p[1], "xgmi.s0-s1");
  EXPECT_EQ(p.back(), "node1.media");
  EXPECT_EQ(std::count(p.begin(), p.end(), "xgmi.s1-s0"), 0);
  // Load-to-use latency: the node's media latency, plus xGMI when the socket differs.
  EXPECT_GT(m.access_latency(remote, 0), m.access_latency(0, 0));
  EXPECT_EQ(m.access_latency(remote, 0) - m.access_latency(0, 0),
            m.flows().latency(m.graph().route(m.iod_vertex(0), m.iod_vertex(1)).front()));
}

TEST(MachineGraph, DevicesUnderOneSwitchTalkPeerToPeerWithoutTheRootPort) {
  Json m = machine_json();
  m["devices"] = Json::array({
      Json{{"name", "sw0"}, {"kind", "pcie_switch"}, {"attach", "s0.iod"}, {"gen", 4}},
      Json{{"name", "nvme0"}, {"kind", "nvme"}, {"attach", "sw0"}, {"gen", 4}, {"width", 4}},
      Json{{"name", "nvme1"}, {"kind", "nvme"}, {"attach", "sw0"}, {"gen", 4}, {"width", 4}},
  });
  Rig r(m);
  const MachineGraph& g = r.pf->graph();
  EXPECT_EQ(names(*r.pf, g.route(*g.find("nvme0"), *g.find("nvme1"))),
            (std::vector<std::string>{"nvme0.up", "nvme1.down"}));
  EXPECT_EQ(names(*r.pf, g.route(*g.find("nvme0"), r.pf->nodes()[0].vertex)),
            (std::vector<std::string>{"nvme0.up", "sw0.up", "node0.media"}));
  // Gen4 x4: 4 lanes of 1.969 GB/s, less packet overhead.
  const double bw = r.pf->flows().capacity(g.route(*g.find("nvme0"), *g.find("sw0")).front());
  EXPECT_GT(bw, 0.8 * 4 * 1.969e9);
  EXPECT_LT(bw, 4 * 1.969e9);
  // Traffic between the sockets never takes a detour through a device.
  for (auto l : g.route(r.pf->nodes()[0].vertex, r.pf->nodes()[1].vertex))
    EXPECT_EQ(r.pf->flows().link_name(l).find("nvme"), std::string::npos);
}

TEST(MachineGraph, EverySectionRejectsUnknownKeysWhenTheMachineLoads) {
  for (const auto& sec : models::machine_sections()) {
    Json m = machine_json();
    Json entry = Json{{"no_such_key", 1}};
    if (sec.list) {
      // Keep the required keys of a list entry so that the stray key is what fails.
      for (const auto& p : sec.params())
        if (p.default_value.is_null()) entry[p.name] = p.name == "attach" ? "s0.iod" : "x";
      m[sec.key] = Json::array({entry});
    } else {
      m[sec.key] = entry;
    }
    try {
      Rig r(m);
      ADD_FAILURE() << "section " << sec.key << " accepted an unknown key";
    } catch (const sim::InputError& e) {
      EXPECT_NE(std::string(e.what()).find("/" + sec.key), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("no_such_key"), std::string::npos) << e.what();
    }
  }
  Json m = machine_json();
  m["gpu_typo"] = Json::object();
  EXPECT_THROW(Rig r(m), sim::InputError);
}

TEST(MachineGraph, DescribeGroupsIdenticalLinksAndPrintsEveryFormat) {
  Rig r(machine_json());
  std::ostringstream text, dot, json;
  r.pf->describe(text, "text");
  r.pf->describe(dot, "dot");
  r.pf->describe(json, "json");
  // milan-2s: 8 CCDs, their ports on one line, not eight.
  EXPECT_NE(text.str().find("8 x ccd-iod"), std::string::npos) << text.str();
  EXPECT_NE(text.str().find("cpus 0-3,32-35"), std::string::npos) << text.str();
  EXPECT_NE(dot.str().find("graph \"milan-2s\""), std::string::npos);
  Json doc = Json::parse(json.str());
  EXPECT_EQ(doc["nodes"].size(), r.pf->graph().node_count());
  EXPECT_EQ(doc["links"].size(), r.pf->graph().links().size());
}

}  // namespace

}  // namespace test_machine_machine_graph
