#include "sim/cli/commands.h"

#include <algorithm>
#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "sim/run_context.h"
#include "sim/series.h"
#include "sim/simulator.h"
#include "sim/units.h"

namespace hetsim {

std::string describe_machine(const std::string& name_or_path, const std::string& format) {
  if (format != "text" && format != "dot" && format != "json")
    throw sim::InputError("describe", "--format", "text, dot or json", "\"" + format + "\"");
  std::string file = sim::find_machine_file(name_or_path, "");
  if (file.empty())
    throw sim::InputError(name_or_path, "", "a machine name in configs/ or a machine file",
                          "nothing there");
  sim::Json m = sim::load_json_file(file);
  sim::Simulator s(1);
  sim::RunContext ctx(s, sim::Json::object(), sim::Where{file, "/policies"});
  std::string model = m.is_object() && m.contains("model") && m["model"].is_string()
                          ? m["model"].get<std::string>()
                          : "platform";
  auto sys = sim::SystemModel::Registry::make(model, ctx, m, sim::Where{file, ""});
  if (!sys) sim::Where{file, "/model"}.fail("a registered machine model", "\"" + model + "\"");
  std::ostringstream os;
  if (format == "text") os << "file " << file << "\n";
  sys->describe(os, format);
  return os.str();
}

namespace {

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

}  // namespace

namespace {

// A figure for a table: "-" when the run has none, and for a histogram's statistics when it
// recorded nothing (its results say 0, which no sample gave).
std::string table_cell(const std::map<std::string, double>& figures, const std::string& m) {
  auto it = figures.find(m);
  if (it == figures.end()) return "-";
  if (m.rfind("hist.", 0) == 0) {
    const std::size_t dot = m.rfind('.');
    const std::string stat = m.substr(dot + 1);
    auto count = figures.find(m.substr(0, dot) + ".count");
    if (stat != "count" && count != figures.end() && count->second == 0) return "-";
  }
  return sim::format_number(it->second, 6);
}

}  // namespace

std::vector<std::string> close_names(const std::string& wanted, const std::set<std::string>& names,
                                     std::size_t max) {
  std::vector<std::pair<std::size_t, std::string>> scored;
  for (const auto& n : names) scored.emplace_back(edit_distance(wanted, n), n);
  std::sort(scored.begin(), scored.end());
  std::vector<std::string> out;
  for (std::size_t i = 0; i < scored.size() && i < max; ++i) out.push_back(scored[i].second);
  return out;
}

std::vector<std::string> report_metrics(const sim::Scenario& sc,
                                        const std::vector<sim::Json>& results, std::ostream* warn) {
  std::vector<std::string> out;
  if (results.empty()) return out;
  if (!sc.doc.contains("report")) {
    // Everything but link loads and run bookkeeping.
    for (auto it = results[0]["metrics"].begin(); it != results[0]["metrics"].end(); ++it) {
      const std::string& k = it.key();
      if (k.rfind("link.", 0) == 0 || k.rfind("run.", 0) == 0) continue;
      out.push_back(k);
    }
    return out;
  }
  std::set<std::string> names;
  for (const auto& r : results)
    for (const auto& [k, v] : flat_figures(r)) names.insert(k);
  sim::Where w{sc.file, "/report"};
  const sim::Json& rep = sc.doc["report"];
  if (!rep.is_array())
    w.fail("a list of metric names (wildcards allowed: \"migration.*\")", sim::describe_value(rep));
  for (std::size_t i = 0; i < rep.size(); ++i) {
    if (!rep[i].is_string()) w.child(i).fail("a metric name", sim::describe_value(rep[i]));
    std::string want = rep[i].get<std::string>();
    std::size_t before = out.size();
    for (const auto& n : names)
      if (sim::glob_match(want, n) && std::find(out.begin(), out.end(), n) == out.end())
        out.push_back(n);
    if (out.size() == before) {
      std::string close;
      for (const auto& n : close_names(want, names, 5)) close += (close.empty() ? "" : ", ") + n;
      std::string expected = "a metric this scenario produces" +
                             (close.empty() ? std::string() : " (close: " + close + ")");
      std::string found = "\"" + want + "\", which matches none";
      if (sc.settings == 0) w.child(i).fail(expected, found);
      if (warn)
        *warn << "hetsim: warning: " << sc.file << ": at /report/" << i << ": " << found
              << " in the runs these settings leave; expected " << expected << "\n";
    }
  }
  return out;
}

namespace {

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

}  // namespace

std::string buckets_csv(const std::vector<sim::Json>& results) {
  std::vector<std::string> axes;
  for (const auto& r : results)
    for (auto it = r["scenario"]["point"].begin(); it != r["scenario"]["point"].end(); ++it)
      if (std::find(axes.begin(), axes.end(), it.key()) == axes.end()) axes.push_back(it.key());
  std::ostringstream os;
  os << std::setprecision(12);
  for (const auto& a : axes) os << csv_cell(a) << ",";
  os << "seed,histogram,unit,low,high,count,cdf\n";
  for (const auto& r : results) {
    std::string lead;
    for (const auto& a : axes)
      lead += (r["scenario"]["point"].contains(a) ? csv_cell(point_value(r["scenario"]["point"][a]))
                                                  : "") +
              ",";
    lead += r["seed"].dump() + ",";
    for (auto it = r["histograms"].begin(); it != r["histograms"].end(); ++it) {
      const auto& h = it.value();
      const double n = h["count"].get<double>();
      double seen = 0;
      for (const auto& b : h.value("buckets", sim::Json::array())) {
        seen += b[2].get<double>();
        os << lead << csv_cell(it.key()) << "," << csv_cell(h["unit"].get<std::string>()) << ","
           << b[0].get<double>() << "," << b[1].get<double>() << "," << b[2].get<std::uint64_t>()
           << "," << seen / n << "\n";
      }
    }
  }
  return os.str();
}

std::string axis_label(const std::string& dotted) {
  std::size_t dot = dotted.rfind('.');
  if (dot == std::string::npos) return dotted;
  std::string last = dotted.substr(dot + 1);
  bool index = !last.empty() && last.find_first_not_of("0123456789") == std::string::npos;
  if (!index) return last;
  std::size_t prev = dot == 0 ? std::string::npos : dotted.rfind('.', dot - 1);
  return prev == std::string::npos ? dotted : dotted.substr(prev + 1);
}

std::string point_value(const sim::Json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_object()) return v.dump();
  // An object on a sweep axis (a whole workload or policy): its kind and what it sets.
  std::string s = v.contains("kind") && v["kind"].is_string() ? v["kind"].get<std::string>() : "";
  for (auto it = v.begin(); it != v.end(); ++it) {
    if (it.key() == "kind") continue;
    s += (s.empty() ? "" : " ") + it.key() + "=" +
         (it.value().is_string() ? it.value().get<std::string>() : it.value().dump());
  }
  return s;
}

void print_summary(std::ostream& os, const sim::Scenario& sc,
                   const std::vector<sim::Json>& results) {
  if (results.empty()) return;
  const sim::Json& r0 = results[0];
  os << "scenario " << r0["scenario"]["name"].get<std::string>() << "  (" << sc.file << ")\n";
  std::vector<std::string> metrics = report_metrics(sc, results);
  if (results.size() == 1) {
    os << "seed " << r0["seed"] << ", simulated "
       << sim::format_number(r0["sim_time_s"].get<double>() * 1e3, 6) << " ms, " << r0["events"]
       << " events, " << sim::format_number(r0["wall"]["wall_time_s"].get<double>(), 6)
       << " s wall\n";
    for (const auto& w : r0.value("warnings", sim::Json::array()))
      os << "warning: " << w.get<std::string>() << "\n";
    std::size_t w = 6;
    for (const auto& m : metrics) w = std::max(w, m.size());
    auto figures = flat_figures(r0);
    for (const auto& m : metrics)
      if (figures.count(m))
        os << "  " << std::left << std::setw(static_cast<int>(w)) << m << "  "
           << table_cell(figures, m) << "\n";
    for (auto it = r0["histograms"].begin(); it != r0["histograms"].end(); ++it) {
      const auto& h = it.value();
      if (h["count"].get<std::uint64_t>() == 0) continue;
      os << "  " << it.key() << " [" << h["unit"].get<std::string>() << "]  n=" << h["count"]
         << " mean=" << sim::format_number(h["mean"], 6)
         << " p50=" << sim::format_number(h["p50"], 6) << " p90=" << sim::format_number(h["p90"], 6)
         << " p99=" << sim::format_number(h["p99"], 6)
         << " p999=" << sim::format_number(h["p999"], 6)
         << " max=" << sim::format_number(h["max"], 6) << "\n";
    }
    return;
  }
  // One row per run: the sweep axes, then the reported metrics (and, without a report list,
  // each histogram's percentiles).
  if (!sc.doc.contains("report")) {
    std::set<std::string> hists;
    for (const auto& r : results)
      for (auto it = r["histograms"].begin(); it != r["histograms"].end(); ++it)
        if (it.value()["count"].get<std::uint64_t>() > 0) hists.insert(it.key());
    for (const auto& h : hists)
      for (const char* q : {"p50", "p90", "p99", "p999"}) metrics.push_back("hist." + h + "." + q);
  }
  std::vector<std::string> axes;
  for (auto it = r0["scenario"]["point"].begin(); it != r0["scenario"]["point"].end(); ++it)
    axes.push_back(it.key());
  std::vector<std::string> header = axes;
  header.push_back("status");
  for (const auto& m : metrics) header.push_back(m);
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : results) {
    auto figures = flat_figures(r);
    std::vector<std::string> row;
    for (const auto& a : axes) {
      const auto& v = r["scenario"]["point"][a];
      row.push_back(point_value(v));
    }
    row.push_back(r.value("status", "ok"));
    for (const auto& m : metrics) row.push_back(table_cell(figures, m));
    rows.push_back(std::move(row));
  }
  std::vector<std::size_t> width(header.size());
  for (std::size_t c = 0; c < header.size(); ++c) {
    width[c] = header[c].size();
    for (const auto& row : rows) width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    for (std::size_t c = 0; c < cells.size(); ++c)
      os << (c ? "  " : "") << std::left << std::setw(static_cast<int>(width[c])) << cells[c];
    os << "\n";
  };
  line(header);
  for (const auto& row : rows) line(row);
  for (std::size_t i = 0; i < results.size(); ++i)
    for (const auto& w : results[i].value("warnings", sim::Json::array()))
      os << "warning: run " << i + 1 << ": " << w.get<std::string>() << "\n";
}

}  // namespace hetsim
