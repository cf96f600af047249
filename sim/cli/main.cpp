// hetsim: the command-line front end. Exit status 0 on success, 2 on bad input, 3 on an
// internal error; results files are written whole or not at all.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "sim/batch.h"
#include "sim/bench/phold.h"
#include "sim/cli/commands.h"
#include "sim/error.h"
#include "sim/json.h"
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
    "  run SCENARIO [--set path=value]... [--seed N] [--out FILE] [--trace FILE] [--quiet]\n"
    "  check SCENARIO [--set path=value]...    validate without running\n"
    "  sweep SCENARIO [--jobs N] [--cache DIR] [--out FILE.csv] [--set path=value]...\n"
    "  regress [--update] [--filter TEXT] [--full] [--jobs N] [--set path=value]...\n"
    "  validate [--quick] [--out-dir DIR] [--jobs N]\n"
    "  list                                     models, workloads and policies with parameters\n"
    "  describe MACHINE                         topology, memory nodes, links, engines\n"
    "  bench phold [--width W] [--height H] [--stop T]\n"
    "  help\n";

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
  po::options_description opts("run options");
  std::vector<std::string> sets;
  std::string out_file, trace_file, scenario;
  std::string seed;
  opts.add_options()("scenario", po::value(&scenario)->required(), "scenario file")(
      "set", po::value(&sets)->composing(), "path=value override")(
      "seed", po::value(&seed), "seed")("out", po::value(&out_file), "results JSON")(
      "trace", po::value(&trace_file), "Chrome trace JSON")("quiet,q", "no summary table");
  po::positional_options_description pos;
  pos.add("scenario", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
  po::notify(vm);

  sim::Scenario sc = sim::load_scenario(scenario, parse_sets(sets));
  std::vector<sim::RunPoint> points = sim::expand_sweep(sc);
  if (check_only) {
    for (const auto& p : points) sim::check_point(sc, p);
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
    if (ro.want_trace) sim::write_file_atomic(trace_file, out.trace_json);
  }
  sim::Json doc = results.size() == 1 ? results[0] : sim::Json{{"runs", results}};
  if (!vm.count("quiet")) hetsim::print_summary(std::cout, sc, results);
  for (std::size_t i = 0; i < results.size(); ++i)  // said even with --quiet
    if (results[i].contains("stopped"))
      std::cerr << "hetsim: warning: "
                << (results.size() > 1 ? "run " + std::to_string(i + 1) + " " : "")
                << "stopped early: " << results[i]["stopped"]["why"].get<std::string>() << "\n";
  if (!out_file.empty()) sim::write_file_atomic(out_file, doc.dump(2) + "\n");
  return 0;
}

int cmd_sweep(const std::vector<std::string>& args) {
  po::options_description opts("sweep options");
  std::vector<std::string> sets;
  std::string out_file, cache, scenario;
  int jobs = 1;
  opts.add_options()("scenario", po::value(&scenario)->required(), "scenario file")(
      "set", po::value(&sets)->composing(), "path=value override")(
      "jobs,j", po::value(&jobs), "parallel runs")("cache", po::value(&cache), "cache directory")(
      "out", po::value(&out_file), "CSV file")("quiet,q", "no table");
  po::positional_options_description pos;
  pos.add("scenario", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).positional(pos).run(), vm);
  po::notify(vm);
  if (jobs < 1)
    throw sim::InputError("--jobs", "", "a positive number of jobs", std::to_string(jobs));
  sim::Scenario sc = sim::load_scenario(scenario, parse_sets(sets));
  auto points = sim::expand_sweep(sc);
  for (const auto& p : points) sim::check_point(sc, p);  // bad input fails before any run
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
  if (!vm.count("quiet")) hetsim::print_summary(std::cout, sc, results);
  std::size_t hits = static_cast<std::size_t>(std::count(cached.begin(), cached.end(), true));
  if (!cache.empty())
    std::cerr << "sweep: " << results.size() - hits << " run, " << hits << " from cache\n";
  if (!out_file.empty()) sim::write_file_atomic(out_file, sim::results_to_csv(results));
  return 0;
}

int cmd_regress(const std::vector<std::string>& args) {
  po::options_description opts("regress options");
  hetsim::RegressOptions ro;
  std::vector<std::string> sets;
  opts.add_options()("update", "rewrite the baselines")("filter", po::value(&ro.filter),
                                                        "only scenarios whose path contains this")(
      "full", "full scenarios instead of their quick variants")(
      "jobs,j", po::value(&ro.jobs), "parallel runs")("set", po::value(&sets)->composing(),
                                                      "path=value applied to every scenario")(
      "scenarios", po::value(&ro.scenarios_dir), "scenario folder")(
      "baselines", po::value(&ro.baselines_dir), "baseline folder");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).run(), vm);
  po::notify(vm);
  ro.update = vm.count("update") > 0;
  ro.full = vm.count("full") > 0;
  ro.sets = parse_sets(sets);
  return hetsim::regress(ro, std::cout);
}

int cmd_validate(const std::vector<std::string>& args) {
  po::options_description opts("validate options");
  hetsim::ValidateOptions vo;
  opts.add_options()("quick", "quick variants of the claim scenarios")(
      "out-dir", po::value(&vo.out_dir), "report folder")(
      "claims", po::value(&vo.claims_dir), "claim scenario folder")("jobs,j", po::value(&vo.jobs),
                                                                    "parallel runs");
  po::variables_map vm;
  po::store(po::command_line_parser(args).options(opts).run(), vm);
  po::notify(vm);
  vo.quick = vm.count("quick") > 0;
  return hetsim::validate(vo, std::cout);
}

int cmd_list() {
  std::string kind;
  for (const sim::ComponentInfo* c : sim::Catalog::get().all()) {
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
  }
  return 0;
}

int cmd_describe(const std::vector<std::string>& args) {
  if (args.size() != 1)
    throw sim::InputError("describe", "", "one machine name or file",
                          std::to_string(args.size()) + " arguments");
  std::cout << hetsim::describe_machine(args[0]);
  return 0;
}

int cmd_bench(const std::vector<std::string>& args) {
  if (args.empty() || args[0] != "phold")
    throw sim::InputError("bench", "", "a benchmark name (phold)",
                          args.empty() ? "nothing" : "\"" + args[0] + "\"");
  po::options_description opts("bench options");
  int w = 10, h = 10;
  std::string stop = "100us";
  std::string seed = "1";
  opts.add_options()("width", po::value(&w))("height", po::value(&h))("stop", po::value(&stop))(
      "seed", po::value(&seed));
  po::variables_map vm;
  po::store(po::command_line_parser(std::vector<std::string>(args.begin() + 1, args.end()))
                .options(opts)
                .run(),
            vm);
  po::notify(vm);
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
    if (cmd == "list") return cmd_list();
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
    std::cerr << "hetsim: error: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const sim::InternalError& e) {
    std::cerr << "hetsim: internal error: " << e.what() << "\n";
    return 3;
  } catch (const std::exception& e) {
    std::cerr << "hetsim: internal error: " << e.what() << "\n";
    return 3;
  }
}
