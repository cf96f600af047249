#include "sim/scenario.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>

namespace sim {

namespace fs = std::filesystem;

const std::vector<std::string>& scenario_keys() {
  static const std::vector<std::string> keys = {
      "name", "description", "machine", "seed",      "overrides", "workloads", "policies",
      "stop", "sweep",       "quick",   "tolerance", "claim",     "report",    "sample"};
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

namespace {

// One sweep dimension: a plain axis (one path) or a zip group (several paths moving together).
struct Axis {
  std::vector<std::string> paths;
  std::vector<Where> wheres;
  std::vector<const Json*> lists;
  std::size_t n = 0;
};

bool inside(const std::string& path, const std::string& outer) {
  return path.size() > outer.size() && path.compare(0, outer.size(), outer) == 0 &&
         path[outer.size()] == '.';
}

bool overlaps(const std::string& a, const std::string& b) {
  return a == b || inside(a, b) || inside(b, a);
}

const char* const kZipExpected =
    "an object of dotted path -> list of values, the lists of one length (paths that move "
    "together)";

void add_zip_group(const Json& g, const Where& gw, std::vector<Axis>& out) {
  if (!g.is_object() || g.empty()) gw.fail(kZipExpected, describe_value(g));
  Axis a;
  for (auto it = g.begin(); it != g.end(); ++it) {
    Where w = gw.child(it.key());
    if (!it.value().is_array() || it.value().empty())
      w.fail("a non-empty list of values", describe_value(it.value()));
    if (!a.paths.empty() && it.value().size() != a.n)
      w.fail("a list of " + std::to_string(a.n) + " values, as long as \"" + a.paths[0] + "\"'s",
             "a list of " + std::to_string(it.value().size()) + " values");
    a.paths.push_back(it.key());
    a.wheres.push_back(w);
    a.lists.push_back(&it.value());
    a.n = it.value().size();
  }
  out.push_back(std::move(a));
}

std::vector<Axis> parse_axes(const Json& sw, const Where& w) {
  if (!sw.is_object()) w.fail("an object of dotted path -> list of values", describe_value(sw));
  std::vector<Axis> out;
  for (auto it = sw.begin(); it != sw.end(); ++it) {
    if (it.key() == "zip") {
      if (it.value().is_array()) {
        if (it.value().empty()) w.child("zip").fail(kZipExpected, "an empty list");
        for (std::size_t i = 0; i < it.value().size(); ++i)
          add_zip_group(it.value()[i], w.child("zip").child(i), out);
      } else {
        add_zip_group(it.value(), w.child("zip"), out);
      }
      continue;
    }
    if (!it.value().is_array() || it.value().empty())
      w.child(it.key()).fail("a non-empty list of values", describe_value(it.value()));
    out.push_back({{it.key()}, {w.child(it.key())}, {&it.value()}, it.value().size()});
  }
  // An axis inside another would be reset by it in some runs and its recorded value would
  // then name something never simulated. The machine axis is the exception: each point
  // reads its machine first and applies the machine.* axes to it (expand_sweep).
  std::vector<std::pair<std::string, Where>> seen;
  for (const Axis& a : out)
    for (std::size_t k = 0; k < a.paths.size(); ++k) {
      // Overrides are applied once, when the machine is read, before any axis: an axis there
      // would change nothing and its recorded values would name runs never simulated.
      const std::string top = a.paths[k].substr(0, a.paths[k].find('.'));
      if (top == "overrides")
        a.wheres[k].fail("a machine parameter swept as machine.PATH (overrides apply once, "
                         "before the sweep)",
                         "\"" + a.paths[k] + "\"");
      const auto& keys = scenario_keys();
      if (top == "sweep" || std::find(keys.begin(), keys.end(), top) == keys.end())
        a.wheres[k].fail("a path that starts with a scenario key (machine., workloads., "
                         "policies., ...)",
                         "\"" + a.paths[k] + "\"");
      for (const auto& [p, pw] : seen)
        if (overlaps(a.paths[k], p) && a.paths[k] != "machine" && p != "machine")
          a.wheres[k].fail(
              "an axis path that no other axis contains or is inside (use \"zip\" "
              "for paths that move together)",
              "\"" + a.paths[k] + "\", which overlaps the axis \"" + p + "\"");
      seen.emplace_back(a.paths[k], a.wheres[k]);
    }
  return out;
}

// Applies the precedence of settings over axes (see scenario.h); returns notes saying what moved.
std::vector<std::string> fold_settings_into_sweep(Json& doc, const std::vector<Setting>& sets) {
  std::vector<std::string> notes;
  for (const auto& [path, value] : sets) {
    if (path == "sweep" || inside(path, "sweep") || !doc.contains("sweep")) continue;
    Json& sw = doc["sweep"];
    // One list of values at `axis`: dropped (returns true) or amended.
    auto fold = [&, &path = path, &value = value](const std::string& axis, Json& list) {
      if (axis == path || inside(axis, path)) {
        notes.push_back("the setting " + path + " replaces the sweep axis " + axis + " (" +
                        std::to_string(list.size()) + " values)");
        return true;
      }
      if (inside(path, axis)) {
        for (Json& v : list)
          set_dotted(v, path.substr(axis.size() + 1), value, Where{"--set", path});
        notes.push_back("the setting " + path + " is applied to every value of the sweep axis " +
                        axis);
      }
      return false;
    };
    auto fold_group = [&](Json& g) {
      if (!g.is_object()) return;
      std::vector<std::string> drop;
      for (auto it = g.begin(); it != g.end(); ++it)
        if (fold(it.key(), it.value())) drop.push_back(it.key());
      for (const auto& k : drop) g.erase(k);
    };
    std::vector<std::string> drop;
    for (auto it = sw.begin(); it != sw.end(); ++it) {
      if (it.key() != "zip") {
        if (fold(it.key(), it.value())) drop.push_back(it.key());
        continue;
      }
      Json& zip = it.value();
      if (zip.is_array()) {
        for (Json& g : zip) fold_group(g);
        Json kept = Json::array();
        for (Json& g : zip)
          if (!g.empty()) kept.push_back(std::move(g));
        zip = std::move(kept);
        if (zip.empty()) drop.push_back("zip");
      } else {
        fold_group(zip);
        if (zip.empty()) drop.push_back("zip");
      }
    }
    for (const auto& k : drop) sw.erase(k);
    if (sw.empty()) doc.erase("sweep");
  }
  return notes;
}

}  // namespace

Scenario load_scenario(const std::string& path, const std::vector<Setting>& sets) {
  return scenario_from_json(load_json_file(path), path, sets);
}

Scenario scenario_from_json(Json doc, const std::string& origin, const std::vector<Setting>& sets) {
  Where root{origin, ""};
  check_keys(doc, scenario_keys(), root);
  Scenario sc;
  sc.file = origin;
  sc.settings = sets.size();
  if (!doc.contains("name")) doc["name"] = fs::path(origin).stem().string();
  if (!doc["name"].is_string()) root.child("name").fail("a string", describe_value(doc["name"]));
  // Settings of the machine itself or of its overrides apply before the machine is read:
  // `--set machine=dgx-h100` names another machine, `--set overrides={}` drops the overrides.
  for (const auto& [path, value] : sets)
    if (path == "machine" || path == "overrides" || path.rfind("overrides.", 0) == 0)
      set_dotted(doc, path, value, Where{"--set", path});
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
    if (path == "machine" || path == "overrides" || path.rfind("overrides.", 0) == 0) continue;
    set_dotted(doc, path, value, Where{"--set", path});
    // A path outside the scenario's keys ("dma.0.queues" without "machine.") would set nothing.
    const std::string top = path.substr(0, path.find('.'));
    const auto& keys = scenario_keys();
    if (std::find(keys.begin(), keys.end(), top) == keys.end())
      Where{origin, "--set " + path}.fail(
          "a path that starts with a scenario key (machine., workloads., policies., ...)",
          "\"" + top + "\"");
    if (path.rfind("machine.", 0) == 0) {
      sc.machine_origins.push_back(
          {dotted_to_pointer(path.substr(8)), Where{origin, "--set " + path}});
      sc.machine_sets.push_back({path.substr(8), value});
    }
  }

  if (!doc.contains("seed")) doc["seed"] = 1u;
  const Json& seed = doc["seed"];
  if (!seed.is_number_unsigned() && !(seed.is_number_integer() && seed.get<std::int64_t>() >= 0))
    root.child("seed").fail("a non-negative integer", describe_value(seed));
  doc["seed"] = seed.get<std::uint64_t>();
  if (doc.contains("sweep")) {
    sweep_paths(doc["sweep"], root.child("sweep"));
    sc.notes = fold_settings_into_sweep(doc, sets);
    // Sized before it is expanded: each run holds its own copy of the scenario.
    std::uint64_t runs = 1;
    const Json axes =
        doc.contains("sweep") ? doc["sweep"] : Json::object();  // settings may drop it
    for (const Axis& a : parse_axes(axes, root.child("sweep"))) {
      runs *= a.n;
      if (runs > kMaxSweepRuns)
        root.child("sweep").fail("a sweep of at most " + std::to_string(kMaxSweepRuns) + " runs",
                                 "more than that by axis " + a.paths.front());
    }
  }
  sc.doc = std::move(doc);
  return sc;
}

std::vector<std::string> sweep_paths(const Json& sweep, const Where& where) {
  std::vector<std::string> out;
  for (const Axis& a : parse_axes(sweep, where))
    out.insert(out.end(), a.paths.begin(), a.paths.end());
  return out;
}

std::vector<RunPoint> expand_sweep(const Scenario& sc) {
  Json base = sc.doc;
  Json axes_doc = base.contains("sweep") ? base["sweep"] : Json::object();
  base.erase("sweep");
  std::vector<Axis> axes = parse_axes(axes_doc, Where{sc.file, "/sweep"});
  std::vector<RunPoint> points{{base, Json::object()}};
  for (const Axis& axis : axes) {
    std::vector<RunPoint> next;
    for (const RunPoint& p : points) {
      for (std::size_t i = 0; i < axis.n; ++i) {
        RunPoint q = p;
        for (std::size_t k = 0; k < axis.paths.size(); ++k) {
          const Json& v = (*axis.lists[k])[i];
          // A machine name is read below; the other axes go into the document.
          if (axis.paths[k] != "machine") set_dotted(q.doc, axis.paths[k], v, axis.wheres[k]);
          q.point[axis.paths[k]] = v;
        }
        next.push_back(std::move(q));
      }
    }
    points = std::move(next);
  }
  // An axis over machine names: each point reads its machine, then the scenario's overrides,
  // the --set values under machine. and the point's own machine.* values are applied to it.
  for (RunPoint& q : points) {
    if (!q.point.contains("machine")) continue;
    const Where w{sc.file, "/sweep/machine"};
    const Json& name = q.point["machine"];
    if (!name.is_string()) w.fail("machine names (configs/ files)", describe_value(name));
    const std::string file = find_machine_file(name.get<std::string>(), sc.file);
    if (file.empty())
      w.fail("the name of a machine in configs/", "\"" + name.get<std::string>() + "\", which is not there");
    Json m = load_json_file(file);
    if (q.doc.contains("overrides"))
      for (auto it = q.doc["overrides"].begin(); it != q.doc["overrides"].end(); ++it)
        set_dotted(m, it.key(), it.value(), Where{sc.file, "/overrides/" + it.key()});
    for (const auto& [path, value] : sc.machine_sets) set_dotted(m, path, value, Where{"--set", path});
    for (auto it = q.point.begin(); it != q.point.end(); ++it)
      if (it.key().rfind("machine.", 0) == 0) set_dotted(m, it.key().substr(8), it.value(), w);
    q.doc["machine"] = std::move(m);
  }
  return points;
}

}  // namespace sim
