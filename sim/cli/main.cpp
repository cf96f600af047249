// hetsim: the command-line front end. Exit status 0 on success, 2 on bad input, 3 on an
// internal error; results files are written whole or not at all.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "sim/batch.h"
#include "sim/bench/phold.h"
#include "sim/cli/commands.h"
#include "sim/error.h"
#include "sim/json.h"
#include "sim/log.h"
#include "sim/metric_catalog.h"
#include "sim/registry.h"
#include "sim/run_context.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/units.h"

namespace po = boost::program_options;

namespace {

const char* kUsage =
    "usage: hetsim COMMAND [options]\n"
    "commands:\n"
    "  run SCENARIO [--set path=value]... [--seed N] [--out FILE] [--trace FILE[.gz]]\n"
    "      [--trace-window FROM:TO] [--trace-categories LIST]\n"
    "      [--buckets FILE.csv] [--quiet] [-v|--verbose] [--log-level LEVEL]\n"
    "  check SCENARIO [--set path=value]... [-v|--verbose] [--log-level LEVEL]\n"
    "      validate a scenario (every sweep point and its report list) without running it\n"
    "  sweep SCENARIO [--jobs N] [--cache DIR] [--out FILE.csv] [--buckets FILE.csv]\n"
    "      [--set path=value]... [--quiet] [-v|--verbose] [--log-level LEVEL]\n"
    "  regress [--update] [--filter TEXT] [--full] [--jobs N] [--set path=value]...\n"
    "      [--root DIR] [--scenarios DIR] [--baselines DIR]\n"
    "  validate [--quick] [--out-dir DIR] [--claims DIR] [--root DIR] [--jobs N]\n"
    "  list [FILTER]                            models, workloads and policies with parameters\n"
    "  describe MACHINE [--format text|dot|json]  the machine graph, CPU map, sched domains\n"
    "  bench phold [--width W] [--height H] [--stop T] [--seed N]\n"
    "  help, version\n"
    "hetsim COMMAND --help describes a command's options.\n";

std::vector<sim::Setting> parse_sets(const std::vector<std::string>& raw) {
  std::vector<sim::Setting> out;
  for (const auto& s : raw) {
    auto eq = s.find('=');
    if (eq == std::string::npos || eq == 0)
      throw sim::InputError("--set", "", "path=value (e.g. policies.migration.channels=4)",
                            "\"" + s + "\"");
    out.emplace_back(s.substr(0, eq),
                     sim::parse_cli_value(s.substr(eq + 1), "--set " + s.substr(0, eq)));
  }
  return out;
}

// The help of the command being parsed, printed after an option error.
std::string g_command_help;

// Parses a command's options: `visible` (shown by --help), plus a positional SCENARIO when
// `scenario` is given (kept out of the help and of error messages). Returns false when
// --help was asked for (and printed).
bool parse_options(const std::vector<std::string>& args, const std::string& synopsis,
                   const std::string& doc, po::options_description& visible, po::variables_map& vm,
                   std::string* scenario = nullptr, bool required = true) {
  visible.add_options()("help,h", "print this help");
  std::ostringstream help;
  help << "usage: hetsim " << synopsis << "\n" << doc << "\n\n" << visible;
  g_command_help = help.str();
  po::options_description all;
  all.add(visible);
  po::positional_options_description pos;
  if (scenario) {
    all.add_options()("scenario", po::value(scenario));
    pos.add("scenario", 1);
  }
  po::store(po::command_line_parser(args).options(all).positional(pos).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << g_command_help;
    return false;
  }
  if (scenario && required && scenario->empty())
    throw sim::InputError("hetsim " + synopsis.substr(0, synopsis.find(' ')), "",
                          "a scenario file (hetsim " + synopsis + ")", "none");
  return true;
}

std::string g_log_level;

void add_log_options(po::options_description& opts) {
  opts.add_options()("verbose,v", "log the decisions policies take (--log-level debug)")(
      "log-level", po::value(&g_log_level)->value_name("LEVEL"),
      "off, error, warn, info, debug (policy decisions) or trace; on stderr");
}

void apply_log_options(const po::variables_map& vm) {
  if (vm.count("log-level"))
    sim::set_log_level(g_log_level);
  else if (vm.count("verbose"))
    sim::set_log_level("debug");
}

sim::TraceOptions trace_options(const std::string& path, const std::string& window,
                                const std::string& cats) {
  sim::TraceOptions t;
  t.path = path;
  if ((!window.empty() || !cats.empty()) && path.empty())
    throw sim::InputError("--trace-window / --trace-categories", "", "--trace FILE with them",
                          "no --trace");
  if (!window.empty()) {
    auto colon = window.find(':');
    auto time = [&](const std::string& text) {
      auto v = sim::parse_quantity(text, sim::Dimension::Time);
      if (!v)
        throw sim::InputError("--trace-window", "",
                              "FROM:TO, times with units (\"2ms:3ms\", \"5ms:\")",
                              "\"" + window + "\"");
      return static_cast<sim::Tick>(*v);
    };
    if (colon == std::string::npos)
      throw sim::InputError("--trace-window", "", "FROM:TO (\"2ms:3ms\", \"5ms:\")",
                            "\"" + window + "\"");
    if (colon > 0) t.from = time(window.substr(0, colon));
    if (colon + 1 < window.size()) t.to = time(window.substr(colon + 1));
    if (t.to < t.from)
      throw sim::InputError("--trace-window", "", "FROM before TO", "\"" + window + "\"");
  }
  static const std::set<std::string> known = {"sched", "cpu", "migration", "link", "dma", "gpu"};
  std::size_t start = 0;
  while (!cats.empty() && start <= cats.size()) {
    std::size_t comma = cats.find(',', start);
    std::string c =
        cats.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (!known.count(c))
      throw sim::InputError("--trace-categories", "",
                            "categories among sched, cpu, migration, link, dma, gpu", "\"" + c + "\"");
    t.categories.push_back(c);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return t;
}

void print_notes(const sim::Scenario& sc) {
  for (const auto& n : sc.notes) std::cerr << "hetsim: note: " << n << "\n";
}

// Runs that did not do what was asked say so on stderr too (the table may be --quiet).
void print_warnings(const std::vector<sim::Json>& results) {
  for (std::size_t i = 0; i < results.size(); ++i)
    for (const auto& w : results[i].value("warnings", sim::Json::array()))
      std::cerr << "hetsim: warning: "
                << (results.size() > 1 ? "run " + std::to_string(i + 1) + ": " : "")
                << w.get<std::string>() << "\n";
}

// Progress bar on stderr, only on a terminal and only once a run has taken a second.
class Progress {
 public:
  Progress() : tty_(::isatty(2)), t0_(std::chrono::steady_clock::now()) {}
  void update(double frac, const std::string& label) {
    if (!tty_) return;
    double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    if (wall < 1.0) return;
    int filled = static_cast<int>(std::min(1.0, frac) * 30);
    std::fprintf(stderr, "\r%s [%s%s] %3d%%  %.1fs", label.c_str(),
                 std::string(filled, '#').c_str(), std::string(30 - filled, ' ').c_str(),
                 static_cast<int>(std::min(1.0, frac) * 100), wall);
    shown_ = true;
  }
  void done() {
    if (shown_) std::fprintf(stderr, "\r%*s\r", 70, "");
    shown_ = false;
    t0_ = std::chrono::steady_clock::now();
  }

 private:
  bool tty_, shown_ = false;
  std::chrono::steady_clock::time_point t0_;
};

// --seed as written: a decimal unsigned 64-bit integer ("-1" would wrap to 2^64-1).
std::uint64_t parse_seed(const std::string& text) {
  auto v = sim::parse_u64(text);
  if (!v) throw sim::InputError("--seed", "", "a non-negative 64-bit integer", "\"" + text + "\"");
  return *v;
}

int cmd_run(const std::vector<std::string>& args, bool check_only) {
  po::options_description opts(check_only ? "check options" : "run options");
  std::vector<std::string> sets;
  std::string out_file, trace_file, scenario, buckets_file, trace_window, trace_cats;
  std::string seed;
  opts.add_options()("set", po::value(&sets)->composing()->value_name("PATH=VALUE"),
                     "path=value: set a scenario path (beats a sweep axis on it); repeatable");
  if (!check_only) {
    opts.add_options()("seed", po::value(&seed)->value_name("N"), "seed, replacing the scenario's")(
        "out", po::value(&out_file)->value_name("FILE"), "results JSON file")(
        "trace", po::value(&trace_file)->value_name("FILE"),
        "Chrome trace file (Perfetto), streamed; gzip when it ends in .gz; a run without a sweep")(
        "trace-window", po::value(&trace_window)->value_name("FROM:TO"),
        "only what overlaps this simulated time window (\"2ms:3ms\", \"5ms:\")")(
        "trace-categories", po::value(&trace_cats)->value_name("LIST"),
        "only these categories, comma-separated: sched, cpu, migration, link, dma, gpu")(
        "buckets", po::value(&buckets_file)->value_name("FILE.csv"),
        "histogram buckets CSV (for CDFs)")("quiet,q",
                                            "no summary table (warnings still go to stderr)");
  }
  add_log_options(opts);
  po::variables_map vm;
  if (!parse_options(args, check_only ? "check SCENARIO [options]" : "run SCENARIO [options]",
                     check_only ? "Validates a scenario (every sweep point and its report list) "
                                  "without running it."
                                : "Runs a scenario (every point of its sweep, one after another) "
                                  "and prints a summary.",
                     opts, vm, &scenario))
    return 0;
  apply_log_options(vm);

  sim::Scenario sc = sim::load_scenario(scenario, parse_sets(sets));
  print_notes(sc);
  std::vector<sim::RunPoint> points = sim::expand_sweep(sc);
  if (check_only) {
    // A zero-length run of each point gives the names of the figures it produces, against
    // which the scenario's "report" list is checked.
    sim::RunOptions zero;
    zero.stop = 0;
    std::vector<sim::Json> dry;
    for (const auto& p : points) dry.push_back(sim::run_point(sc, p, zero).results);
    hetsim::report_metrics(sc, dry, &std::cerr);
    std::cout << scenario << ": ok (" << points.size() << " run" << (points.size() == 1 ? "" : "s")
              << ")\n";
    return 0;
  }
  if (!trace_file.empty() && points.size() > 1)
    throw sim::InputError("--trace", "", "a scenario without a sweep (one trace per run)",
                          std::to_string(points.size()) + " runs");
  sim::RunOptions ro;
  if (vm.count("seed")) ro.seed = parse_seed(seed);
  ro.want_trace = !trace_file.empty();
  ro.trace = trace_options(trace_file, trace_window, trace_cats);
  Progress bar;
  std::vector<sim::Json> results;
  for (std::size_t i = 0; i < points.size(); ++i) {
    std::string label = points.size() > 1
                            ? "run " + std::to_string(i + 1) + "/" + std::to_string(points.size())
                            : "run";
    ro.progress = [&bar, label](double f) { bar.update(f, label); };
    sim::RunOutput out = sim::run_point(sc, points[i], ro);
    bar.done();
    results.push_back(std::move(out.results));
  }
  hetsim::report_metrics(sc, results,
                         &std::cerr);  // a bad "report" list fails before any file is written
  sim::Json doc = results.size() == 1 ? results[0] : sim::Json{{"runs", results}};
  if (!vm.count("quiet"))
    hetsim::print_summary(std::cout, sc, results);
  else
    print_warnings(results);
  if (!buckets_file.empty()) sim::write_file_atomic(buckets_file, hetsim::buckets_csv(results));
  if (!out_file.empty()) sim::write_file_atomic(out_file, doc.dump(2) + "\n");
  return 0;
}

int cmd_sweep(const std::vector<std::string>& args) {
  po::options_description opts("sweep options");
  std::vector<std::string> sets;
  std::string out_file, cache, scenario, buckets_file;
  int jobs = 1;
  opts.add_options()("set", po::value(&sets)->composing()->value_name("PATH=VALUE"),
                     "path=value: set a scenario path (beats a sweep axis on it); repeatable")(
      "jobs,j", po::value(&jobs)->value_name("N"), "parallel runs (threads)")(
      "cache", po::value(&cache)->value_name("DIR"),
      "cache directory: finished runs are kept and reused")(
      "out", po::value(&out_file)->value_name("FILE"), "CSV file, one row per run")(
      "buckets", po::value(&buckets_file)->value_name("FILE.csv"),
      "histogram buckets CSV (for CDFs)")("quiet,q", "no table (warnings still go to stderr)");
  add_log_options(opts);
  po::variables_map vm;
  if (!parse_options(args, "sweep SCENARIO [options]",
                     "Runs the product of a scenario's sweep axes in parallel and prints a table.",
                     opts, vm, &scenario))
    return 0;
  apply_log_options(vm);
  if (jobs < 1)
    throw sim::InputError("--jobs", "", "a positive number of jobs", std::to_string(jobs));
  sim::Scenario sc = sim::load_scenario(scenario, parse_sets(sets));
  print_notes(sc);
  auto points = sim::expand_sweep(sc);
  for (const auto& p : points) {  // bad input fails before any run, naming its point
    try {
      sim::check_point(sc, p);
    } catch (const sim::InputError& e) {
      if (points.size() == 1) throw;
      throw sim::InputError(e.file(), e.path(), e.expected(),
                            e.found() + " (in the sweep point " + p.point.dump() + ")");
    }
  }
  Progress bar;
  sim::BatchOptions bo;
  bo.jobs = jobs;
  bo.cache_dir = cache;
  bo.on_progress = [&bar](std::size_t done, std::size_t total) {
    bar.update(static_cast<double>(done) / static_cast<double>(total),
               std::to_string(done) + "/" + std::to_string(total) + " runs");
  };
  std::vector<bool> cached;
  auto results = sim::run_batch(sc, points, bo, &cached);
  bar.done();
  hetsim::report_metrics(sc, results, &std::cerr);
  if (!vm.count("quiet"))
    hetsim::print_summary(std::cout, sc, results);
  else
    print_warnings(results);
  std::size_t hits = static_cast<std::size_t>(std::count(cached.begin(), cached.end(), true));
  if (!cache.empty())
    std::cerr << "sweep: " << results.size() - hits << " run, " << hits << " from cache\n";
  if (!out_file.empty()) sim::write_file_atomic(out_file, sim::results_to_csv(results));
  if (!buckets_file.empty()) sim::write_file_atomic(buckets_file, hetsim::buckets_csv(results));
  return 0;
}

// The source tree regress and validate work in: --root, else the nearest folder at or above
// the current one with scenarios/ and configs/, else the tree this binary was built from.
// The process moves there so that scenario paths in baselines stay relative to it.
void enter_root(const std::string& given) {
  namespace fs = std::filesystem;
  auto is_root = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p / "scenarios", ec) && fs::is_directory(p / "configs", ec);
  };
  fs::path root;
  if (!given.empty()) {
    if (!is_root(given))
      throw sim::InputError("--root", "", "a hetsim source tree (with scenarios/ and configs/)",
                            "\"" + given + "\"");
    root = given;
  } else {
    for (fs::path p = fs::current_path(); !p.empty(); p = p.parent_path()) {
      if (is_root(p)) {
        root = p;
        break;
      }
      if (p == p.parent_path()) break;
    }
#ifdef HETSIM_SOURCE_DIR
    if (root.empty() && is_root(HETSIM_SOURCE_DIR)) root = HETSIM_SOURCE_DIR;
#endif
    if (root.empty())
      throw sim::InputError("--root", "",
                            "a hetsim source tree (scenarios/ and configs/) here or above, or "
                            "--root DIR",
                            "none from " + fs::current_path().string());
  }
  fs::current_path(root);
}

// A folder option given on the command line, made absolute before the move to the root.
void absolute_if_given(const po::variables_map& vm, const char* name, std::string& dir) {
  if (vm.count(name)) dir = std::filesystem::absolute(dir).string();
}

int cmd_regress(const std::vector<std::string>& args) {
  po::options_description opts("regress options");
  hetsim::RegressOptions ro;
  std::vector<std::string> sets;
  std::string root;
  opts.add_options()("update", "rewrite the baselines")("filter",
                                                        po::value(&ro.filter)->value_name("TEXT"),
                                                        "only scenarios whose path contains this")(
      "full", "full scenarios instead of their quick variants")(
      "jobs,j", po::value(&ro.jobs)->value_name("N"), "parallel runs")(
      "set", po::value(&sets)->composing()->value_name("PATH=VALUE"),
      "path=value applied to every scenario; repeatable")(
      "root", po::value(&root)->value_name("DIR"),
      "source tree (default: found from the current folder up)")(
      "scenarios", po::value(&ro.scenarios_dir)->value_name("DIR"),
      "scenario folder (default ROOT/scenarios)")(
      "baselines", po::value(&ro.baselines_dir)->value_name("DIR"),
      "baseline folder (default ROOT/results/baselines)");
  po::variables_map vm;
  if (!parse_options(args, "regress [options]",
                     "Reruns every scenario and compares its figures with the baselines; exit 1 "
                     "on a change beyond tolerance.",
                     opts, vm))
    return 0;
  absolute_if_given(vm, "scenarios", ro.scenarios_dir);
  absolute_if_given(vm, "baselines", ro.baselines_dir);
  enter_root(root);
  ro.update = vm.count("update") > 0;
  ro.full = vm.count("full") > 0;
  ro.sets = parse_sets(sets);
  return hetsim::regress(ro, std::cout);
}

int cmd_validate(const std::vector<std::string>& args) {
  po::options_description opts("validate options");
  hetsim::ValidateOptions vo;
  std::string root;
  opts.add_options()("quick", "quick variants of the claim scenarios")(
      "out-dir", po::value(&vo.out_dir)->value_name("DIR"), "report folder (default ROOT/results)")(
      "claims", po::value(&vo.claims_dir)->value_name("DIR"),
      "claim scenario folder (default ROOT/scenarios/claims)")(
      "root", po::value(&root)->value_name("DIR"),
      "source tree (default: found from the current folder up)")(
      "jobs,j", po::value(&vo.jobs)->value_name("N"), "parallel runs");
  po::variables_map vm;
  if (!parse_options(args, "validate [options]",
                     "Runs the claim scenarios and writes VALIDATION.md and validation.json.", opts,
                     vm))
    return 0;
  absolute_if_given(vm, "out-dir", vo.out_dir);
  absolute_if_given(vm, "claims", vo.claims_dir);
  enter_root(root);
  vo.quick = vm.count("quick") > 0;
  return hetsim::validate(vo, std::cout);
}

// The metric declarations of one group, one per line: name, kind, unit, doc.
void print_metrics(const sim::MetricGroup& g, const std::string& indent) {
  std::size_t wn = 0, wk = 0, wu = 0;
  for (const auto& d : g.metrics) {
    wn = std::max(wn, d.name.size());
    wk = std::max(wk, std::string(sim::MetricCatalog::kind_label(d.kind)).size());
    wu = std::max(wu, d.unit.size());
  }
  for (const auto& d : g.metrics)
    std::cout << indent << std::left << std::setw(static_cast<int>(wn + 2)) << d.name
              << std::setw(static_cast<int>(wk + 2)) << sim::MetricCatalog::kind_label(d.kind)
              << std::setw(static_cast<int>(wu + 2)) << d.unit << d.doc << "\n";
}

// `hetsim list metrics`: every declared metric, by the component that produces it; as a
// Markdown table with --markdown (the README's tables are this output).
void list_metrics(bool markdown) {
  if (markdown) {
    std::cout << "| metric | kind | unit | produced by | meaning |\n|---|---|---|---|---|\n";
    for (const sim::MetricGroup* g : sim::MetricCatalog::get().all())
      for (const auto& d : g->metrics)
        std::cout << "| `" << d.name << "` | " << sim::MetricCatalog::kind_label(d.kind) << " | "
                  << d.unit << " | " << g->owner << " | " << d.doc << " |\n";
    return;
  }
  std::cout << "Metrics, by the component that produces them. {x} stands for a name part; a time "
               "average NAME yields NAME.mean and NAME.max, a histogram NAME yields "
               "hist.NAME.{count,mean,max,p50,p90,p99,p999}.\n";
  for (const sim::MetricGroup* g : sim::MetricCatalog::get().all()) {
    std::cout << "\n[" << g->owner << "]\n";
    print_metrics(*g, "  ");
  }
}

int cmd_list(const std::vector<std::string>& args) {
  po::options_description opts("list options");
  opts.add_options()("markdown", "with `metrics`: print the metric catalogue as a Markdown table");
  std::string filter;
  po::variables_map vm;
  if (!parse_options(args, "list [FILTER | metrics]",
                     "Prints every machine model, workload and policy with its parameters and the "
                     "metrics it produces; FILTER keeps the sections, keys or metrics that contain "
                     "it (\"balance\", \"dma\"); `metrics` prints the metric catalogue.",
                     opts, vm, &filter, false))
    return 0;
  if (filter == "metrics") {
    list_metrics(vm.count("markdown") > 0);
    return 0;
  }
  const auto groups = sim::MetricCatalog::get().all();
  std::set<const sim::MetricGroup*> printed;
  std::string kind;
  std::size_t shown = 0;
  for (const sim::ComponentInfo* c : sim::Catalog::get().all()) {
    if (!filter.empty() && c->kind.find(filter) == std::string::npos &&
        c->key.find(filter) == std::string::npos)
      continue;
    ++shown;
    if (c->kind != kind) {
      kind = c->kind;
      std::cout << "\n[" << kind << "]\n";
    }
    std::cout << "  " << c->key << "\n      " << c->doc << "\n";
    // Columns as wide as this component's widest entry, two spaces apart.
    std::size_t wn = 0, wt = 0, wd = 0;
    std::vector<std::string> defs;
    for (const auto& p : c->params) {
      std::string def = p.default_value.is_null() ? "(required)" : p.default_value.dump();
      if (def.size() > 24) def = def.substr(0, 21) + "...";
      wn = std::max(wn, p.name.size());
      wt = std::max(wt, sim::type_label(p).size());
      wd = std::max(wd, def.size());
      defs.push_back(def);
    }
    for (std::size_t i = 0; i < c->params.size(); ++i) {
      const auto& p = c->params[i];
      std::cout << "      " << std::left << std::setw(static_cast<int>(wn + 2)) << p.name
                << std::setw(static_cast<int>(wt + 2)) << sim::type_label(p)
                << std::setw(static_cast<int>(wd + 2)) << defs[i] << p.doc << "\n";
    }
    for (const sim::MetricGroup* g : groups)
      if ((g->owner == c->kind + "/" + c->key || g->owner == c->kind) && printed.insert(g).second) {
        std::cout << "      metrics:\n";
        print_metrics(*g, "        ");
      }
  }
  // Metrics whose name contains the filter, from components not shown above.
  if (!filter.empty()) {
    bool header = false;
    for (const sim::MetricGroup* g : groups) {
      if (printed.count(g)) continue;
      sim::MetricGroup hits{g->owner, {}};
      for (const auto& d : g->metrics)
        if (d.name.find(filter) != std::string::npos || g->owner.find(filter) != std::string::npos)
          hits.metrics.push_back(d);
      if (hits.metrics.empty()) continue;
      if (!header) std::cout << "\n[metrics]\n";
      header = true;
      ++shown;
      std::cout << "  " << g->owner << "\n";
      print_metrics(hits, "      ");
    }
  }
  if (!filter.empty() && shown == 0) {
    std::set<std::string> kinds;
    for (const sim::ComponentInfo* c : sim::Catalog::get().all()) kinds.insert(c->kind);
    std::string k;
    for (const auto& x : kinds) k += (k.empty() ? "" : ", ") + x;
    throw sim::InputError("hetsim list", "", "a section, key or metric (sections: " + k + ")",
                          "\"" + filter + "\", which matches none");
  }
  return 0;
}

int cmd_describe(const std::vector<std::string>& args) {
  if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
    std::cout << "usage: hetsim describe MACHINE [--format text|dot|json]\nPrints what a machine "
                 "(a name in configs/ or a file) builds: the graph's links (identical ones on one "
                 "line), the logical CPUs per CCX, memory nodes, devices, every section's "
                 "effective values and the sched domains. --format dot prints the graph for "
                 "Graphviz, --format json its vertices and links.\n";
    return 0;
  }
  std::string format = "text";
  std::vector<std::string> names;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--format" && i + 1 < args.size())
      format = args[++i];
    else if (args[i].rfind("--format=", 0) == 0)
      format = args[i].substr(9);
    else
      names.push_back(args[i]);
  }
  if (names.size() != 1)
    throw sim::InputError("describe", "", "one machine name or file [--format text|dot|json]",
                          std::to_string(names.size()) + " machine arguments");
  std::cout << hetsim::describe_machine(names[0], format);
  return 0;
}

int cmd_bench(std::vector<std::string> args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) args = {"phold", "--help"};
  if (args.empty() || args[0] != "phold")
    throw sim::InputError("bench", "", "a benchmark name (phold)",
                          args.empty() ? "nothing" : "\"" + args[0] + "\"");
  po::options_description opts("bench options");
  int w = 10, h = 10;
  std::string stop = "100us";
  std::string seed = "1";
  opts.add_options()("width", po::value(&w)->value_name("N"), "grid width (default 10)")(
      "height", po::value(&h)->value_name("N"), "grid height (default 10)")(
      "stop", po::value(&stop)->value_name("TIME"), "simulated time (default 100us)")(
      "seed", po::value(&seed)->value_name("N"), "seed (default 1)");
  po::variables_map vm;
  if (!parse_options(
          std::vector<std::string>(args.begin() + 1, args.end()), "bench phold [options]",
          "Measures the engine's event rate on the PHOLD benchmark; prints JSON.", opts, vm))
    return 0;
  if (w < 1 || h < 1 || w > 4096 || h > 4096)
    throw sim::InputError("bench phold", "", "width and height in [1, 4096]",
                          std::to_string(w) + "x" + std::to_string(h));
  auto t = sim::parse_quantity_u64(stop, sim::Dimension::Time);
  if (!t)
    throw sim::InputError("bench phold", "--stop",
                          std::string(sim::dimension_example(sim::Dimension::Time)) +
                              " within the simulator's 64-bit range",
                          "\"" + stop + "\"");
  sim::PholdResult r = sim::run_phold(w, h, *t, parse_seed(seed));
  sim::Json out = {{"bench", "phold"},
                   {"width", w},
                   {"height", h},
                   {"stop", stop},
                   {"events", r.events},
                   {"wall_s", r.wall_seconds},
                   {"events_per_sec", r.events_per_sec}};
  std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  std::string cmd = args[0];
  std::vector<std::string> rest(args.begin() + 1, args.end());
  try {
    if (cmd == "run") return cmd_run(rest, false);
    if (cmd == "check") return cmd_run(rest, true);
    if (cmd == "list") return cmd_list(rest);
    if (cmd == "sweep") return cmd_sweep(rest);
    if (cmd == "regress") return cmd_regress(rest);
    if (cmd == "validate") return cmd_validate(rest);
    if (cmd == "describe") return cmd_describe(rest);
    if (cmd == "bench") return cmd_bench(rest);
    if (cmd == "--version" || cmd == "version") {
      std::cout << "hetsim " << sim::kVersion << "\n";
      return 0;
    }
    std::cerr << "hetsim: unknown command '" << cmd << "'\n" << kUsage;
    return 2;
  } catch (const sim::InputError& e) {
    std::cerr << "hetsim: error: " << e.what() << "\n";
    return 2;
  } catch (const po::error& e) {
    std::cerr << "hetsim: error: " << e.what() << "\n"
              << (g_command_help.empty() ? kUsage : g_command_help.c_str());
    return 2;
  } catch (const sim::InternalError& e) {
    std::cerr << "hetsim: internal error: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "hetsim: internal error: " << e.what() << "\n";
    return 3;
  }
}
