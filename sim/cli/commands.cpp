#include "sim/cli/commands.h"

#include <iomanip>
#include <map>
#include <set>
#include <sstream>

#include "sim/run_context.h"
#include "sim/simulator.h"

namespace hetsim {

std::string describe_machine(const std::string& name_or_path) {
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
  os << "file " << file << "\n";
  sys->describe(os);
  return os.str();
}

namespace {

std::string fmt_num(double v) {
  std::ostringstream os;
  os << std::setprecision(6) << v;
  return os.str();
}

std::vector<std::string> report_metrics(const sim::Scenario& sc, const sim::Json& first) {
  std::vector<std::string> out;
  if (sc.doc.contains("report") && sc.doc["report"].is_array()) {
    for (const auto& m : sc.doc["report"])
      if (m.is_string()) out.push_back(m.get<std::string>());
    return out;
  }
  for (auto it = first["metrics"].begin(); it != first["metrics"].end();
       ++it) {  // all but link loads
    const std::string& k = it.key();
    if (k.rfind("link.", 0) == 0 || k.rfind("run.", 0) == 0) continue;
    out.push_back(k);
  }
  return out;
}

}  // namespace

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
  std::vector<std::string> metrics = report_metrics(sc, r0);
  if (results.size() == 1) {
    os << "seed " << r0["seed"] << ", simulated " << fmt_num(r0["sim_time_s"].get<double>() * 1e3)
       << " ms, " << r0["events"] << " events, " << fmt_num(r0["wall"]["wall_time_s"].get<double>())
       << " s wall\n";
    if (r0.contains("stopped"))
      os << "warning: stopped by a runaway guard: " << r0["stopped"]["why"].get<std::string>()
         << "\n";
    else if (r0["metrics"].value("run.incomplete", 0.0) != 0)
      os << "warning: the stop time came before the workloads finished\n";
    std::size_t w = 6;
    for (const auto& m : metrics) w = std::max(w, m.size());
    auto figures = flat_figures(r0);
    for (const auto& m : metrics)
      if (figures.count(m))
        os << "  " << std::left << std::setw(static_cast<int>(w)) << m << "  "
           << fmt_num(figures[m]) << "\n";
    for (auto it = r0["histograms"].begin(); it != r0["histograms"].end(); ++it) {
      const auto& h = it.value();
      if (h["count"].get<std::uint64_t>() == 0) continue;
      os << "  " << it.key() << " [" << h["unit"].get<std::string>() << "]  n=" << h["count"]
         << " p50=" << fmt_num(h["p50"]) << " p99=" << fmt_num(h["p99"])
         << " max=" << fmt_num(h["max"]) << "\n";
    }
    return;
  }
  // One row per run: the sweep axes, then the reported metrics.
  std::vector<std::string> axes;
  for (auto it = r0["scenario"]["point"].begin(); it != r0["scenario"]["point"].end(); ++it)
    axes.push_back(it.key());
  std::vector<std::string> header = axes;
  for (const auto& m : metrics) header.push_back(m);
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : results) {
    auto figures = flat_figures(r);
    std::vector<std::string> row;
    for (const auto& a : axes) {
      const auto& v = r["scenario"]["point"][a];
      row.push_back(point_value(v));
    }
    for (const auto& m : metrics) row.push_back(figures.count(m) ? fmt_num(figures[m]) : "-");
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
}

}  // namespace hetsim
