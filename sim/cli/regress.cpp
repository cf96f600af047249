// `hetsim regress`: re-runs every scenario (its quick variant where it has one) and compares
// each figure with the stored baseline under the scenario's tolerances (exact by default,
// since runs are deterministic).
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>

#include "sim/batch.h"
#include "sim/cli/commands.h"
#include "sim/units.h"

namespace hetsim {

namespace fs = std::filesystem;
using sim::Json;

std::vector<std::string> scenario_files(const std::string& dir,
                                        const std::vector<std::string>& skip) {
  std::vector<std::string> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw sim::InputError(dir, "", "a directory of scenarios", "no such directory");
  for (auto it = fs::recursive_directory_iterator(dir); it != fs::recursive_directory_iterator();
       ++it) {
    if (it->is_directory() &&
        std::find(skip.begin(), skip.end(), it->path().filename().string()) != skip.end()) {
      it.disable_recursion_pending();
      continue;
    }
    if (!it->is_regular_file() || it->path().extension() != ".json") continue;
    if (it->path().filename() == "claims.json") continue;  // the claims list, not a scenario
    out.push_back(it->path().lexically_normal().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<sim::Setting> quick_settings(const std::string& file,
                                         const std::vector<sim::Setting>& extra) {
  Json doc = sim::load_json_file(file);
  std::vector<sim::Setting> sets;
  if (doc.is_object() && doc.contains("quick")) {
    const Json& q = doc["quick"];
    if (!q.is_object())
      sim::Where{file, "/quick"}.fail("an object of dotted path -> value", sim::describe_value(q));
    for (auto it = q.begin(); it != q.end(); ++it) sets.emplace_back(it.key(), it.value());
  }
  sets.insert(sets.end(), extra.begin(), extra.end());
  return sets;
}

std::map<std::string, double> flat_figures(const Json& r) {
  std::map<std::string, double> f;
  for (auto it = r["metrics"].begin(); it != r["metrics"].end(); ++it)
    f[it.key()] = it.value().is_number() ? it.value().get<double>() : NAN;
  f["run.events"] = r["events"].get<double>();
  f["run.sim_time_s"] = r["sim_time_s"].get<double>();
  for (auto it = r["histograms"].begin(); it != r["histograms"].end(); ++it)
    for (const char* k : {"count", "mean", "p50", "p90", "p99", "p999", "max"}) {
      const Json& v = it.value()[k];  // null: a histogram that recorded nothing
      f["hist." + it.key() + "." + k] = v.is_number() ? v.get<double>() : NAN;
    }
  return f;
}

namespace {

// Relative tolerance for a metric: an exact name wins, then the longest "prefix*" pattern.
double tolerance_for(const Json& tol, const std::string& metric) {
  if (!tol.is_object()) return 0;
  if (tol.contains(metric) && tol[metric].is_number()) return tol[metric].get<double>();
  double best = tol.contains("*") && tol["*"].is_number() ? tol["*"].get<double>() : 0;
  std::size_t best_len = 0;
  for (auto it = tol.begin(); it != tol.end(); ++it) {
    const std::string& k = it.key();
    if (k.size() > 1 && k.back() == '*' && metric.rfind(k.substr(0, k.size() - 1), 0) == 0 &&
        k.size() > best_len && it.value().is_number()) {
      best = it.value().get<double>();
      best_len = k.size();
    }
  }
  return best;
}

std::string baseline_name(const std::string& scenarios_dir, const std::string& file) {
  std::string rel = fs::path(file).lexically_relative(scenarios_dir).string();
  for (char& c : rel)
    if (c == '/') c = '_';
  return rel;
}

std::string point_label(const Json& point) {
  std::string s;
  for (auto it = point.begin(); it != point.end(); ++it) {
    std::string v = point_value(it.value());
    s += (s.empty() ? "" : " ") + axis_label(it.key()) + "=" + v;
  }
  return s.empty() ? "-" : s;
}

}  // namespace

std::vector<double> expected_costs(const Json& baseline, std::size_t runs) {
  std::vector<double> cost;
  if (!baseline.is_object() || !baseline.contains("runs") || !baseline["runs"].is_array() ||
      baseline["runs"].size() != runs)
    return cost;
  for (const Json& r : baseline["runs"]) {
    const Json* ev = r.is_object() && r.contains("figures") && r["figures"].is_object() &&
                             r["figures"].contains("run.events")
                         ? &r["figures"]["run.events"]
                         : nullptr;
    if (!ev || !ev->is_number()) return {};
    cost.push_back(ev->get<double>());
  }
  return cost;
}

int regress(const RegressOptions& opts, std::ostream& out) {
  std::vector<std::string> files = scenario_files(opts.scenarios_dir, {"bench"});
  struct Row {
    std::string scenario, point, metric, base, now, change;
  };
  std::vector<Row> rows;
  int compared = 0, runs = 0;
  if (opts.update) fs::create_directories(opts.baselines_dir);
  // Every scenario is loaded (bad input fails here, before any run) and its baseline read,
  // then all runs of all scenarios go through one pool.
  struct Item {
    std::string file, bfile;
    sim::Scenario sc;
    std::vector<sim::RunPoint> points;
    Json base;  // null when there is no baseline
  };
  std::vector<Item> items;
  for (const auto& file : files) {
    if (!opts.filter.empty() && file.find(opts.filter) == std::string::npos) continue;
    auto sets = opts.full ? opts.sets : quick_settings(file, opts.sets);
    Item it;
    it.file = file;
    it.sc = sim::load_scenario(file, sets);
    it.points = sim::expand_sweep(it.sc);
    it.bfile = (fs::path(opts.baselines_dir) / baseline_name(opts.scenarios_dir, file)).string();
    std::error_code ec;
    if (fs::is_regular_file(it.bfile, ec)) {
      try {
        it.base = sim::load_json_file(it.bfile);
      } catch (const sim::InputError&) {
        if (!opts.update) throw;  // a damaged baseline is simply rewritten by --update
      }
    }
    items.push_back(std::move(it));
  }
  std::vector<sim::BatchGroup> groups;
  for (const auto& it : items)
    groups.push_back(
        {&it.sc, &it.points,
         it.base.is_null() ? std::vector<double>{} : expected_costs(it.base, it.points.size())});
  sim::BatchOptions bo;
  bo.jobs = opts.jobs;
  bo.trim = [](Json& r) {  // what the comparison reads: the point, the seed, the figures
    Json figures = Json::object();
    for (const auto& [k, v] : flat_figures(r)) figures[k] = v;
    r = Json{{"point", r["scenario"]["point"]}, {"seed", r["seed"]}, {"figures", figures}};
  };
  std::vector<std::vector<Json>> all = sim::run_groups(groups, bo);
  for (std::size_t g = 0; g < items.size(); ++g) {
    const std::string& file = items[g].file;
    const std::string& bfile = items[g].bfile;
    const sim::Scenario& sc = items[g].sc;
    std::vector<Json>& results = all[g];
    runs += static_cast<int>(results.size());
    Json now_runs = Json::array();
    for (auto& r : results) now_runs.push_back(std::move(r));
    if (opts.update) {
      Json doc = {
          {"scenario", file}, {"variant", opts.full ? "full" : "quick"}, {"runs", now_runs}};
      sim::write_file_atomic(bfile, doc.dump(1) + "\n");
      out << "updated " << bfile << " (" << results.size() << " runs)\n";
      continue;
    }
    if (items[g].base.is_null()) {
      rows.push_back({file, "-", "(no baseline)", "-", "-", "run hetsim regress --update"});
      continue;
    }
    const Json& base = items[g].base;
    const Json tol = sc.doc.contains("tolerance") ? sc.doc["tolerance"] : Json::object();
    if (base["runs"].size() != now_runs.size()) {
      rows.push_back({file, "-", "(runs)", std::to_string(base["runs"].size()),
                      std::to_string(now_runs.size()), "sweep changed"});
      continue;
    }
    for (std::size_t i = 0; i < now_runs.size(); ++i) {
      const Json& b = base["runs"][i]["figures"];
      const Json& n = now_runs[i]["figures"];
      std::string label = point_label(now_runs[i]["point"]);
      std::set<std::string> names;
      for (auto it = b.begin(); it != b.end(); ++it) names.insert(it.key());
      for (auto it = n.begin(); it != n.end(); ++it) names.insert(it.key());
      for (const auto& m : names) {
        ++compared;
        if (!b.contains(m) || !n.contains(m)) {
          rows.push_back({file, label, m,
                          b.contains(m) ? sim::format_number(b[m].get<double>(), 8) : "(absent)",
                          n.contains(m) ? sim::format_number(n[m].get<double>(), 8) : "(absent)",
                          "added/removed"});
          continue;
        }
        double bv = b[m].is_number() ? b[m].get<double>() : NAN,
               nv = n[m].is_number() ? n[m].get<double>() : NAN;
        if (bv == nv || (std::isnan(bv) && std::isnan(nv))) continue;
        double rel = std::fabs(nv - bv) / std::max(std::fabs(bv), 1e-300);
        if (rel <= tolerance_for(tol, m)) continue;
        std::ostringstream ch;
        ch << std::showpos << std::setprecision(4)
           << (bv != 0 ? (nv - bv) / std::fabs(bv) * 100 : INFINITY) << "%";
        rows.push_back(
            {file, label, m, sim::format_number(bv, 8), sim::format_number(nv, 8), ch.str()});
      }
    }
  }
  if (opts.update) return 0;
  if (rows.empty()) {
    out << "regress: " << runs << " runs, " << compared << " figures compared, no change\n";
    return 0;
  }
  std::size_t w[5] = {8, 5, 6, 8, 3};
  for (const auto& r : rows) {
    w[0] = std::max(w[0], r.scenario.size());
    w[1] = std::max(w[1], r.point.size());
    w[2] = std::max(w[2], r.metric.size());
    w[3] = std::max(w[3], r.base.size());
    w[4] = std::max(w[4], r.now.size());
  }
  auto line = [&](const std::string& a, const std::string& b, const std::string& c,
                  const std::string& d, const std::string& e, const std::string& f) {
    out << std::left << std::setw(static_cast<int>(w[0])) << a << "  "
        << std::setw(static_cast<int>(w[1])) << b << "  " << std::setw(static_cast<int>(w[2])) << c
        << "  " << std::setw(static_cast<int>(w[3])) << d << "  "
        << std::setw(static_cast<int>(w[4])) << e << "  " << f << "\n";
  };
  line("scenario", "point", "metric", "baseline", "now", "change");
  for (const auto& r : rows) line(r.scenario, r.point, r.metric, r.base, r.now, r.change);
  out << "regress: " << rows.size() << " change(s) beyond tolerance in " << runs << " runs\n";
  return 1;
}

}  // namespace hetsim
