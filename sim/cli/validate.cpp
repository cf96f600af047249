// `hetsim validate`: runs the claim scenarios and writes a report with, for each claim of
// scenarios/claims/claims.json, the figure the model produces, under which conditions, and a
// verdict. A scenario states how it answers a claim in its "claim" object (or a list of them):
//   {"id": "M1", "metric": "migration.throughput_gbps", "kind": "speedup",
//    "baseline": {"policies.migration.kind": "serial"}, "candidate": {"policies.migration.kind":
//    "dma"}, "claimed": [1.5, 3.0], "conditions": "1 GiB between sockets on milan-2s"}
// kind: speedup (candidate / baseline), reduction (1 - candidate / baseline), factor
// (baseline / candidate), value (the metric at the candidate points). The figure is the best
// pair over the sweep; the verdict compares it with the claimed range.
#include <cmath>
#include <filesystem>
#include <sstream>

#include "sim/batch.h"
#include "sim/cli/commands.h"
#include "sim/units.h"

namespace hetsim {

namespace fs = std::filesystem;
using sim::Json;

namespace {

bool matches(const Json& point, const Json& selector) {
  for (auto it = selector.begin(); it != selector.end(); ++it)
    if (!point.contains(it.key()) || point[it.key()] != it.value()) return false;
  return true;
}

// Same values on every axis the selectors do not mention.
bool same_context(const Json& a, const Json& b, const Json& selector) {
  for (auto it = a.begin(); it != a.end(); ++it)
    if (!selector.contains(it.key()) && (!b.contains(it.key()) || b[it.key()] != it.value()))
      return false;
  return true;
}

std::string label(const Json& point, const Json& skip) {
  std::string s;
  for (auto it = point.begin(); it != point.end(); ++it) {
    if (skip.contains(it.key())) continue;
    std::string v = point_value(it.value());
    s += (s.empty() ? "" : ", ") + axis_label(it.key()) + "=" + v;
  }
  return s;
}

std::string sel_text(const Json& sel) {
  std::string s;
  for (auto it = sel.begin(); it != sel.end(); ++it)
    s += (s.empty() ? "" : ",") + point_value(it.value());
  return s;
}

struct Finding {
  double figure = NAN, worst = NAN;
  std::string at, worst_at, figure_text, verdict, reason;
};

Finding evaluate(const Json& spec, const std::vector<Json>& results, const sim::Where& where) {
  Finding f;
  std::string kind = spec.value("kind", "speedup");
  std::string metric = spec.value("metric", "");
  if (metric.empty()) where.child("metric").fail("the metric that answers the claim", "nothing");
  Json cand = spec.value("candidate", Json::object());
  Json base = spec.value("baseline", Json::object());
  Json sel_all = cand;
  for (auto it = base.begin(); it != base.end(); ++it) sel_all[it.key()] = it.value();
  auto value_of = [&](const Json& r) -> double {
    auto figures = flat_figures(r);
    auto it = figures.find(metric);
    if (it == figures.end())
      where.child("metric").fail("a metric the scenario produces (or hist.NAME.p99 and the like)",
                                 "\"" + metric + "\"");
    return it->second;
  };
  bool higher_better = spec.value("better", "higher") == "higher";
  for (const Json& c : results) {
    const Json& cp = c["scenario"]["point"];
    if (!matches(cp, cand)) continue;
    double fig;
    if (kind == "value") {
      fig = value_of(c);
    } else {
      const Json* b = nullptr;
      for (const Json& r : results)
        if (matches(r["scenario"]["point"], base) &&
            same_context(cp, r["scenario"]["point"], sel_all))
          b = &r;
      if (!b) continue;
      double bv = value_of(*b), cv = value_of(c);
      if (kind == "speedup")
        fig = cv / bv;
      else if (kind == "reduction")
        fig = 1 - cv / bv;
      else if (kind == "factor")
        fig = bv / cv;
      else
        where.child("kind").fail("speedup, reduction, factor or value", "\"" + kind + "\"");
    }
    if (std::isnan(f.figure) || (higher_better ? fig > f.figure : fig < f.figure)) {
      f.figure = fig;
      f.at = label(cp, sel_all);
    }
    if (std::isnan(f.worst) || (higher_better ? fig < f.worst : fig > f.worst)) {
      f.worst = fig;
      f.worst_at = label(cp, sel_all);
    }
  }
  if (std::isnan(f.figure)) {
    f.verdict = "not supported";
    f.reason = "no sweep point matched the claim's candidate/baseline";
    return f;
  }
  auto show = [&](double v) {
    if (kind == "reduction") return sim::format_number(v * 100, 3) + "%";
    if (kind == "value") return sim::format_number(v, 3);
    return sim::format_number(v, 3) + "x";
  };
  double low = std::min(f.figure, f.worst), high = std::max(f.figure, f.worst);
  f.figure_text =
      show(f.figure) + (low != high ? " (range " + show(low) + " .. " + show(high) + ")" : "");
  if (kind != "value") f.figure_text += ", " + sel_text(cand) + " vs " + sel_text(base);
  const Json claimed = spec.value("claimed", Json::array());
  if (!claimed.is_array() || claimed.size() != 2)
    where.child("claimed").fail("[low, high] of the claimed figure", sim::describe_value(claimed));
  double lo = claimed[0].get<double>(), hi = claimed[1].get<double>();
  double neutral = kind == "reduction" ? 0.0 : 1.0;
  std::string range = "claimed " + show(lo) + " .. " + show(hi);
  const std::string at = f.at.empty() ? "the only point" : f.at;
  if (kind == "value") {
    bool in = f.figure >= lo * 0.75 && f.figure <= hi * 1.25;
    bool worst_in = f.worst >= lo * 0.75 && f.worst <= hi * 1.25;
    f.verdict = in && worst_in ? "supported" : (in || worst_in) ? "partly" : "not supported";
    f.reason = range + "; model " + f.figure_text;
  } else if (f.figure >= lo && f.figure <= hi * 1.25) {
    f.verdict = "supported";
    f.reason = range + "; best at " + at;
  } else if (f.figure > hi * 1.25) {
    f.verdict = "partly";
    f.reason = "the model finds more than " + range + " (best at " + at + ")";
  } else if (f.figure > neutral) {
    f.verdict = "partly";
    f.reason = "same direction, smaller than " + range + " (best at " + at + ")";
  } else {
    f.verdict = "not supported";
    f.reason = "no gain anywhere in the sweep; " + range;
  }
  if (kind != "value" && f.worst < neutral && f.figure > neutral)
    f.reason += "; the effect reverses at " + (f.worst_at.empty() ? "another point" : f.worst_at) +
                " (" + show(f.worst) + ")";
  return f;
}

std::string md_escape(std::string s) {
  for (std::size_t i = 0; (i = s.find('|', i)) != std::string::npos; i += 2) s.replace(i, 1, "\\|");
  return s;
}

}  // namespace

int validate(const ValidateOptions& opts, std::ostream& out) {
  std::string claims_file = (fs::path(opts.claims_dir) / "claims.json").string();
  Json claims = sim::load_json_file(claims_file);
  if (!claims.is_array())
    sim::Where{claims_file, ""}.fail("a list of claims", sim::describe_value(claims));
  std::map<std::string, Json> rows;  // id -> row
  std::vector<std::string> order;
  for (std::size_t i = 0; i < claims.size(); ++i) {
    sim::Params::parse(
        claims[i],
        {sim::p_string("id", nullptr, "claim id"), sim::p_string("claim", nullptr, "text"),
         sim::p_string("source", "", "source document")},
        sim::Where{claims_file, "/" + std::to_string(i)}, {});
    std::string id = claims[i]["id"].get<std::string>();
    order.push_back(id);
    rows[id] = {{"id", id},
                {"claim", claims[i]["claim"]},
                {"source", claims[i].value("source", "")},
                {"verdict", "not modelled"},
                {"findings", Json::array()}};
  }
  // Every claim scenario is loaded first (bad input fails before any run), then all their runs
  // go through one pool, started longest expected first by the event counts of their quick
  // baselines where those have the same runs.
  struct Item {
    std::string file;
    Json raw;
    sim::Scenario sc;
    std::vector<sim::RunPoint> points;
  };
  std::vector<Item> items;
  for (const auto& file : scenario_files(opts.claims_dir, {})) {
    Json raw = sim::load_json_file(file);
    if (!raw.is_object() || !raw.contains("claim")) continue;
    const Json& claim = raw["claim"];
    for (std::size_t k = 0; k < (claim.is_array() ? claim.size() : 1); ++k) {
      const Json& spec = claim.is_array() ? claim[k] : claim;
      std::string id = spec.is_object() ? spec.value("id", "") : "";
      if (!rows.count(id))
        sim::Where{file, claim.is_array() ? "/claim/" + std::to_string(k) : "/claim"}
            .child("id")
            .fail("a claim id listed in " + claims_file, "\"" + id + "\"");
    }
    auto sets = opts.quick ? quick_settings(file, {}) : std::vector<sim::Setting>{};
    Item it{file, std::move(raw), sim::load_scenario(file, sets), {}};
    it.points = sim::expand_sweep(it.sc);
    items.push_back(std::move(it));
  }
  std::vector<sim::BatchGroup> groups;
  const fs::path claims_parent = fs::path(opts.claims_dir).lexically_normal().parent_path();
  for (const auto& it : items) {
    std::string name = fs::path(it.file).lexically_relative(claims_parent).string();
    for (char& c : name)
      if (c == '/') c = '_';
    const fs::path bfile = fs::path(opts.baselines_dir) / name;
    std::vector<double> cost;
    std::error_code ec;
    if (!name.empty() && fs::is_regular_file(bfile, ec)) {
      try {
        cost = expected_costs(sim::load_json_file(bfile.string()), it.points.size());
      } catch (const sim::InputError&) {
        // only the start order depends on it
      }
    }
    groups.push_back({&it.sc, &it.points, std::move(cost)});
  }
  sim::BatchOptions bo;
  bo.jobs = opts.jobs;
  bo.trim = [](Json& r) {  // the claims read the point and the figures (flat_figures)
    r.erase("series");
    for (auto it = r["histograms"].begin(); it != r["histograms"].end(); ++it)
      it.value().erase("buckets");
  };
  std::vector<std::vector<Json>> all = sim::run_groups(groups, bo);
  for (std::size_t g = 0; g < items.size(); ++g) {
    const std::string& file = items[g].file;
    const Json& raw = items[g].raw;
    const std::vector<Json>& results = all[g];
    Json specs = raw["claim"].is_array() ? raw["claim"] : Json::array({raw["claim"]});
    for (std::size_t k = 0; k < specs.size(); ++k) {
      sim::Where w{file, raw["claim"].is_array() ? "/claim/" + std::to_string(k) : "/claim"};
      const Json& spec = specs[k];
      std::string id = spec.value("id", "");  // listed: checked before the runs
      Finding f = evaluate(spec, results, w);
      rows[id]["findings"].push_back({{"scenario", file},
                                      {"metric", spec["metric"]},
                                      {"figure", f.figure},
                                      {"figure_text", f.figure_text},
                                      {"conditions", spec.value("conditions", "")},
                                      {"verdict", f.verdict},
                                      {"reason", f.reason},
                                      {"quick", opts.quick}});
      out << id << "  " << f.verdict << "  " << f.figure_text << "  (" << file << ")\n";
    }
  }
  // A claim's verdict: supported only if every finding supports it.
  Json report = Json::array();
  for (const auto& id : order) {
    Json& r = rows[id];
    if (!r["findings"].empty()) {
      int sup = 0, no = 0;
      for (const auto& f : r["findings"]) {
        sup += f["verdict"] == "supported";
        no += f["verdict"] == "not supported";
      }
      std::size_t n = r["findings"].size();
      r["verdict"] = sup == static_cast<int>(n)  ? "supported"
                     : no == static_cast<int>(n) ? "not supported"
                                                 : "partly";
    }
    report.push_back(r);
  }
  fs::create_directories(opts.out_dir);
  sim::write_file_atomic((fs::path(opts.out_dir) / "validation.json").string(),
                         report.dump(2) + "\n");
  std::ostringstream md;
  md << "# Validation report\n\nGenerated by `hetsim validate" << (opts.quick ? " --quick" : "")
     << "` from the scenarios in " << opts.claims_dir
     << "/. Each figure is what the model produces from its "
     << "mechanisms and calibrated parameters; the verdict compares it with the claimed range.\n\n"
     << "| id | claim | scenario | figure | conditions | verdict |\n|---|---|---|---|---|---|\n";
  for (const auto& r : report) {
    if (r["findings"].empty()) {
      md << "| " << r["id"].get<std::string>() << " | " << md_escape(r["claim"])
         << " | - | - | - | not modelled |\n";
      continue;
    }
    for (const auto& f : r["findings"])
      md << "| " << r["id"].get<std::string>() << " | " << md_escape(r["claim"]) << " | "
         << fs::path(f["scenario"].get<std::string>()).filename().string() << " ("
         << f["metric"].get<std::string>() << ") | " << md_escape(f["figure_text"]) << " | "
         << md_escape(f["conditions"]) << " | " << f["verdict"].get<std::string>() << ": "
         << md_escape(f["reason"]) << " |\n";
  }
  sim::write_file_atomic((fs::path(opts.out_dir) / "VALIDATION.md").string(), md.str());
  out << "validate: wrote " << (fs::path(opts.out_dir) / "VALIDATION.md").string() << "\n";
  return 0;
}

}  // namespace hetsim
