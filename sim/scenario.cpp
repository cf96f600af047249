#include "sim/scenario.h"

#include <cstdlib>
#include <filesystem>

namespace sim {

namespace fs = std::filesystem;

const std::vector<std::string>& scenario_keys() {
  static const std::vector<std::string> keys = {
      "name", "description", "machine", "seed",      "overrides", "workloads", "policies",
      "stop", "sweep",       "quick",   "tolerance", "claim",     "report"};
  return keys;
}

std::string find_machine_file(const std::string& name, const std::string& scenario_file) {
  fs::path base = scenario_file.empty() || scenario_file[0] == '<'
                      ? fs::current_path()
                      : fs::path(scenario_file).parent_path();
  std::vector<fs::path> candidates;
  if (name.find('/') != std::string::npos ||
      (name.size() > 5 && name.substr(name.size() - 5) == ".json")) {
    candidates = {base / name, fs::path(name)};
  } else {
    std::string file = name + ".json";
    if (const char* env = std::getenv("HETSIM_CONFIGS")) candidates.push_back(fs::path(env) / file);
    for (fs::path p = base; !p.empty(); p = p.parent_path()) {
      candidates.push_back(p / "configs" / file);
      if (p == p.parent_path()) break;
    }
    candidates.push_back(fs::path("configs") / file);
#ifdef HETSIM_SOURCE_DIR
    candidates.push_back(fs::path(HETSIM_SOURCE_DIR) / "configs" / file);
#endif
  }
  for (const auto& c : candidates) {
    std::error_code ec;
    if (fs::is_regular_file(c, ec)) return c.lexically_normal().string();
  }
  return "";
}

Scenario load_scenario(const std::string& path, const std::vector<Setting>& sets) {
  return scenario_from_json(load_json_file(path), path, sets);
}

Scenario scenario_from_json(Json doc, const std::string& origin, const std::vector<Setting>& sets) {
  Where root{origin, ""};
  check_keys(doc, scenario_keys(), root);
  Scenario sc;
  sc.file = origin;
  if (!doc.contains("name")) doc["name"] = fs::path(origin).stem().string();
  if (!doc["name"].is_string()) root.child("name").fail("a string", describe_value(doc["name"]));
  if (!doc.contains("machine")) root.child("machine").fail("a machine name or object", "nothing");

  Json& m = doc["machine"];
  if (m.is_string()) {
    std::string name = m.get<std::string>();
    sc.machine_file = find_machine_file(name, origin);
    if (sc.machine_file.empty())
      root.child("machine").fail("the name of a machine in configs/ (e.g. \"milan-2s\")",
                                 "\"" + name + "\", which is not there");
    m = load_json_file(sc.machine_file);
  } else if (m.is_object()) {
    sc.machine_file = origin;
    sc.machine_pointer = "/machine";
  } else {
    root.child("machine").fail("a machine name or object", describe_value(m));
  }

  if (doc.contains("overrides")) {
    const Json& ov = doc["overrides"];
    Where w = root.child("overrides");
    if (!ov.is_object()) w.fail("an object of dotted machine paths", describe_value(ov));
    for (auto it = ov.begin(); it != ov.end(); ++it) {
      set_dotted(m, it.key(), it.value(), w.child(it.key()));
      sc.machine_origins.push_back({dotted_to_pointer(it.key()), w.child(it.key())});
    }
  }
  for (const auto& [path, value] : sets) {
    set_dotted(doc, path, value, Where{"--set", path});
    if (path.rfind("machine.", 0) == 0)
      sc.machine_origins.push_back(
          {dotted_to_pointer(path.substr(8)), Where{origin, "--set " + path}});
  }

  if (!doc.contains("seed")) doc["seed"] = 1u;
  const Json& seed = doc["seed"];
  if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<std::int64_t>() >= 0))
    root.child("seed").fail("a non-negative integer", describe_value(seed));
  doc["seed"] = seed.get<std::uint64_t>();
  if (doc.contains("sweep")) {
    const Json& sw = doc["sweep"];
    Where w = root.child("sweep");
    if (!sw.is_object()) w.fail("an object of dotted path -> list of values", describe_value(sw));
    std::uint64_t runs = 1;
    for (auto it = sw.begin(); it != sw.end(); ++it) {
      if (!it.value().is_array() || it.value().empty())
        w.child(it.key()).fail("a non-empty list of values", describe_value(it.value()));
      // Sized before it is expanded: each run holds its own copy of the scenario.
      runs *= it.value().size();
      if (runs > kMaxSweepRuns)
        w.fail("a sweep of at most " + std::to_string(kMaxSweepRuns) + " runs",
               "more than that by axis " + it.key());
    }
  }
  sc.doc = std::move(doc);
  return sc;
}

std::vector<RunPoint> expand_sweep(const Scenario& sc) {
  Json base = sc.doc;
  Json axes = base.contains("sweep") ? base["sweep"] : Json::object();
  base.erase("sweep");
  std::vector<RunPoint> points{{base, Json::object()}};
  for (auto it = axes.begin(); it != axes.end(); ++it) {
    std::vector<RunPoint> next;
    for (const RunPoint& p : points) {
      for (const Json& v : it.value()) {
        RunPoint q = p;
        set_dotted(q.doc, it.key(), v, Where{sc.file, "/sweep/" + it.key()});
        q.point[it.key()] = v;
        next.push_back(std::move(q));
      }
    }
    points = std::move(next);
  }
  return points;
}

}  // namespace sim
