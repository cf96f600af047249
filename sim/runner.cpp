#include "sim/runner.h"

#include <chrono>
#include <iomanip>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <utility>

#include "sim/params.h"
#include "sim/run_context.h"
#include "sim/series.h"
#include "sim/simulator.h"
#include "sim/trace.h"
#include "sim/units.h"

#ifndef HETSIM_VERSION
#define HETSIM_VERSION "0.0.0"
#endif

namespace sim {

const char* const kVersion = HETSIM_VERSION;

namespace {

const ParamList& stop_params() {
  static const ParamList p = {
      p_time("time", "10s", "simulated time limit; finite workloads usually end the run sooner"),
      p_int("events", 2e9,
            "event budget: past it the run stops, marked incomplete (checked every 65,536 "
            "events; 0 = no budget)",
            0, 9e15),
  };
  return p;
}

struct Built {
  std::unique_ptr<Simulator> sim;
  std::unique_ptr<RunContext> ctx;
  Tick stop_time = 0;
  std::uint64_t event_budget = 0;  // 0: none
};

// Runaway guards, checked from the simulator's progress hook (every 65,536 events): the event
// budget, and simulated time that stops advancing (a workload whose bursts and sleeps are all
// zero, costs that are all zero) for kStuckChecks checks in a row.
constexpr int kStuckChecks = 16;  // 1,048,576 events at one instant

struct Guard {
  std::uint64_t budget = 0;
  Tick last = 0;
  int same = 0;
  std::string reason, detail;  // set when a guard stopped the run

  bool check(Simulator& sim, Tick now) {
    if (budget && sim.events_executed() >= budget) {
      reason = "events";
      detail = "the event budget (stop.events = " + std::to_string(budget) + ") was spent at " +
               format_time(now);
    } else if (now == last && ++same >= kStuckChecks) {
      reason = "time_not_advancing";
      detail = "simulated time stayed at " + format_time(now) + " for " +
               std::to_string(kStuckChecks * 65536) + " events";
    } else {
      if (now != last) same = 0;
      last = now;
      return false;
    }
    sim.stop();
    return true;
  }
};

Built build(const Scenario& sc, const RunPoint& point, std::uint64_t seed,
            TraceWriter* trace = nullptr) {
  const Json& doc = point.doc;
  Where root{sc.file, ""};
  Built b;
  b.sim = std::make_unique<Simulator>(seed);
  b.sim->set_trace(trace);  // before the models are built: they may lay out their tracks
  b.ctx = std::make_unique<RunContext>(
      *b.sim, doc.contains("policies") ? doc["policies"] : Json::object(), root.child("policies"));
  Params stop = Params::parse(doc.contains("stop") ? doc["stop"] : Json::object(), stop_params(),
                              root.child("stop"), {});
  b.stop_time = stop.time("time");
  b.event_budget = static_cast<std::uint64_t>(stop.i("events"));

  const Json& machine = doc["machine"];
  Where mw{sc.machine_file, sc.machine_pointer};
  std::string model = "platform";
  if (machine.contains("model") && machine["model"].is_string())
    model = machine["model"].get<std::string>();
  auto system = SystemModel::Registry::make(model, *b.ctx, machine, mw);
  if (!system) mw.child("model").fail("a registered machine model", "\"" + model + "\"");
  b.ctx->set_system(std::move(system));

  Where ww = root.child("workloads");
  const Json& wls = doc.contains("workloads") ? doc["workloads"] : Json::array();
  if (!wls.is_array() || wls.empty()) ww.fail("a non-empty list of workloads", describe_value(wls));
  // Instance names: the scenario's "name", else the kind when the scenario has one workload of
  // that kind, else kind + list index ("copy0", "copy1").
  std::map<std::string, int> of_kind;
  for (const auto& wl : wls)
    if (wl.is_object() && wl.contains("kind") && wl["kind"].is_string())
      ++of_kind[wl["kind"].get<std::string>()];
  std::set<std::string> instances;
  for (std::size_t i = 0; i < wls.size(); ++i) {
    Where w = ww.child(i);
    const Json& wl = wls[i];
    if (!wl.is_object()) w.fail("a workload object with a \"kind\"", describe_value(wl));
    if (!wl.contains("kind") || !wl["kind"].is_string())
      w.child("kind").fail("a workload kind",
                           wl.contains("kind") ? describe_value(wl["kind"]) : "nothing");
    std::string kind = wl["kind"].get<std::string>();
    if (!Workload::Registry::known(kind)) {
      std::string keys;
      for (const auto& k : Catalog::get().keys("workload")) keys += (keys.empty() ? "" : ", ") + k;
      w.child("kind").fail("a registered workload (" + keys + ")", "\"" + kind + "\"");
    }
    std::string instance = of_kind[kind] > 1 ? kind + std::to_string(i) : kind;
    if (wl.contains("name")) {
      const Json& n = wl["name"];
      if (!n.is_string() || n.get<std::string>().empty() ||
          n.get<std::string>().find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") !=
              std::string::npos)
        w.child("name").fail("an instance name of lower-case letters, digits and _",
                             describe_value(n));
      instance = n.get<std::string>();
    }
    if (!instances.insert(instance).second)
      w.child("name").fail("an instance name that no other workload of the scenario has",
                           "\"" + instance + "\" again");
    Params p = Params::parse(wl, Workload::Registry::params(kind), w, {"kind", "name"});
    b.ctx->set_instance(instance);
    b.ctx->add_workload(Workload::Registry::make(kind, *b.ctx, p));
    b.ctx->set_instance("");
  }
  for (const auto& slot : b.ctx->unused_policy_slots())
    root.child("policies")
        .child(slot)
        .fail("a policy slot that a model of this scenario uses",
              "\"" + slot + "\", which none uses");
  return b;
}

// An error in a value that an override or --set put into the machine is reported where that
// value was written (the scenario's /overrides/KEY, or --set PATH), not in the machine file.
[[noreturn]] void rethrow_located(const Scenario& sc, const InputError& e) {
  const Scenario::Origin* hit = nullptr;
  std::string rest;
  for (const auto& o : sc.machine_origins) {
    const std::string prefix = sc.machine_pointer + o.pointer;
    if (e.file() != sc.machine_file || e.path().compare(0, prefix.size(), prefix) != 0) continue;
    if (e.path().size() > prefix.size() && e.path()[prefix.size()] != '/') continue;
    hit = &o;  // the last one applied wins, as it did when the value was set
    rest = e.path().substr(prefix.size());
  }
  if (!hit) throw e;
  throw InputError(hit->written_at.file, hit->written_at.pointer + rest, e.expected(), e.found());
}

Built build_located(const Scenario& sc, const RunPoint& point, std::uint64_t seed,
                    TraceWriter* trace = nullptr) {
  try {
    return build(sc, point, seed, trace);
  } catch (const InputError& e) {
    rethrow_located(sc, e);
  }
}

Json summary_json(const HistogramSummary& h) {
  Json buckets = Json::array();
  for (const auto& b : h.buckets) buckets.push_back(Json::array({b.low, b.high, b.count}));
  return Json{{"unit", h.unit}, {"count", h.count},
              {"mean", h.mean}, {"min", h.min},
              {"p50", h.p50},   {"p90", h.p90},
              {"p99", h.p99},   {"p999", h.p999},
              {"max", h.max},   {"buckets", std::move(buckets)}};
}

// What a run did not do that was asked of it: a status word per problem ("ok" when none) and
// a sentence each, so that no output (table, CSV, JSON, DataFrame) shows such a run as normal.
std::pair<std::string, Json> run_status(const Json& metrics, Tick end, const Json& series,
                                        const std::string& stopped_why) {
  std::string status;
  Json warnings = Json::array();
  auto add = [&](const std::string& word, const std::string& text) {
    status += (status.empty() ? "" : "+") + word;
    warnings.push_back(text);
  };
  if (!stopped_why.empty()) {
    add("incomplete", "stopped early: " + stopped_why);
  } else if (metrics.value("run.incomplete", 0) != 0) {
    std::ostringstream ms;
    ms << std::setprecision(6) << to_seconds(end) * 1e3;
    add("incomplete", "the run reached stop.time (" + ms.str() +
                          " ms) before its workloads finished: figures cover only that part");
  }
  double failed = metrics.value("migration.folios_failed", 0.0);
  if (failed > 0)
    add("folios_failed", std::to_string(static_cast<std::uint64_t>(failed)) +
                             " folios were not migrated (no room on the destination node)");
  if (series.is_object())
    for (const auto& pat : series["unmatched"])
      add("sample_unmatched", "sample.metrics \"" + pat.get<std::string>() +
                                  "\" matched no statistic while the run went on");
  return {status.empty() ? "ok" : status, warnings};
}

}  // namespace

void check_point(const Scenario& sc, const RunPoint& point) {
  Built b = build_located(sc, point, point.doc["seed"].get<std::uint64_t>());
  Series::from_scenario(point.doc, Where{sc.file, ""}, *b.sim);
}

RunOutput run_point(const Scenario& sc, const RunPoint& point, const RunOptions& opts) {
  auto wall0 = std::chrono::steady_clock::now();
  std::uint64_t seed = opts.seed ? *opts.seed : point.doc["seed"].get<std::uint64_t>();
  TraceWriter trace = opts.trace.path.empty() ? TraceWriter() : TraceWriter(opts.trace);
  Built b = build_located(sc, point, seed, opts.want_trace ? &trace : nullptr);
  Simulator& sim = *b.sim;
  Guard guard;
  guard.budget = b.event_budget;
  {
    Tick stop = b.stop_time;
    auto cb = opts.progress;
    Simulator* s = &sim;
    sim.set_progress_hook([stop, cb, s, &guard](Tick now) {
      if (guard.check(*s, now)) return;
      if (cb) cb(static_cast<double>(now) / static_cast<double>(stop));
    });
  }
  auto series = Series::from_scenario(point.doc, Where{sc.file, ""}, sim);
  if (series) series->start();
  for (const auto& w : b.ctx->workloads()) w->start();
  bool finite = b.ctx->holds() > 0;
  Tick end = sim.run(opts.stop ? *opts.stop : b.stop_time);
  const bool guarded = !guard.reason.empty();
  bool incomplete = (finite && b.ctx->holds() > 0) || guarded;
  Json series_json = series ? series->finish(end) : Json();  // before end-of-run figures
  b.ctx->finish();

  Json metrics = Json::object();
  for (const auto& [k, v] : sim.stats().metrics(end)) metrics[k] = v;
  metrics["run.incomplete"] = incomplete ? 1 : 0;
  Json hists = Json::object();
  for (const auto& [k, h] : sim.stats().histograms()) hists[k] = summary_json(h);
  auto [status, warnings] = run_status(metrics, end, series_json, guard.detail);

  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  RunOutput out;
  out.results = Json{
      {"hetsim_version", kVersion},
      {"scenario",
       {{"name", point.doc["name"]},
        {"file", sc.file},
        {"hash", json_hash(point.doc)},
        {"point", point.point}}},
      {"seed", seed},
      {"status", status},
      {"warnings", std::move(warnings)},
      {"sim_time_s", to_seconds(end)},
      {"events", sim.events_executed()},
      {"metrics", std::move(metrics)},
      {"histograms", std::move(hists)},
      {"wall",
       {{"wall_time_s", wall},
        {"events_per_sec", wall > 0 ? static_cast<double>(sim.events_executed()) / wall : 0.0}}},
  };
  if (series) out.results["series"] = std::move(series_json);
  if (guarded) out.results["stopped"] = {{"by", guard.reason}, {"why", guard.detail}};
  if (opts.want_trace) {
    trace.finish();
    if (opts.trace.path.empty()) out.trace_json = trace.to_json();
  }
  return out;
}

Json comparable(const Json& results) {
  Json r = results;
  r.erase("wall");
  return r;
}

}  // namespace sim
