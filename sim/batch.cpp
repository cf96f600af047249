#include "sim/batch.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "sim/rng.h"

namespace sim {

namespace fs = std::filesystem;

namespace {

std::string cache_path(const std::string& dir, const RunPoint& p) {
  std::string seed = std::to_string(p.doc["seed"].get<std::uint64_t>());
  return (fs::path(dir) / (json_hash(p.doc) + "-s" + seed + ".json")).string();
}

// The scenario hash covers a run's inputs, not the models' code: a cached result is reused
// only by the very build that wrote it (identified by a hash of this executable).
const std::string& build_id() {
  static const std::string id = [] {
    std::ifstream in("/proc/self/exe", std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(fnv1a64(ss.str())));
    return std::string(buf);
  }();
  return id;
}

bool load_cached(const std::string& path, Json& out) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) return false;
  try {
    out = load_json_file(path);
  } catch (const InputError&) {
    return false;  // a damaged cache entry is simply recomputed
  }
  if (!out.is_object() || !out.contains("metrics") || !out.contains("cache") ||
      !out["cache"].is_object() || out["cache"].value("build", "") != build_id())
    return false;
  out.erase("cache");
  return true;
}

std::string csv_cell(const Json& v) {
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (s.find_first_of(",\"\n") != std::string::npos) {
    std::string q = "\"";
    for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
    return q + "\"";
  }
  return s;
}

}  // namespace

std::vector<std::pair<std::size_t, std::size_t>> start_order(
    const std::vector<BatchGroup>& groups) {
  struct Task {
    std::size_t g, i;
    bool known;
    double cost;
  };
  std::vector<Task> tasks;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    const BatchGroup& gr = groups[g];
    const bool known = gr.cost.size() == gr.points->size();
    for (std::size_t i = 0; i < gr.points->size(); ++i)
      tasks.push_back({g, i, known, known ? gr.cost[i] : 0.0});
  }
  std::stable_sort(tasks.begin(), tasks.end(), [](const Task& a, const Task& b) {
    if (a.known != b.known) return !a.known;
    return a.cost > b.cost;
  });
  std::vector<std::pair<std::size_t, std::size_t>> order;
  order.reserve(tasks.size());
  for (const Task& t : tasks) order.emplace_back(t.g, t.i);
  return order;
}

std::vector<std::vector<Json>> run_groups(const std::vector<BatchGroup>& groups,
                                          const BatchOptions& opts,
                                          std::vector<std::vector<bool>>* cached) {
  std::vector<std::vector<Json>> out(groups.size());
  std::vector<std::vector<char>> from_cache(groups.size());
  std::vector<std::vector<std::exception_ptr>> errors(groups.size());
  for (std::size_t g = 0; g < groups.size(); ++g) {
    out[g].resize(groups[g].points->size());
    from_cache[g].assign(groups[g].points->size(), 0);
    errors[g].resize(groups[g].points->size());
  }
  if (!opts.cache_dir.empty()) {
    std::error_code ec;
    fs::create_directories(opts.cache_dir, ec);
    if (ec)
      throw InputError(opts.cache_dir, "", "a cache directory that can be created", ec.message());
    remove_stale_temp_files(opts.cache_dir);
  }
  const auto order = start_order(groups);
  std::vector<std::size_t> offset(groups.size() + 1, 0);  // run (g, i) is offset[g] + i
  for (std::size_t g = 0; g < groups.size(); ++g)
    offset[g + 1] = offset[g] + groups[g].points->size();
  // The first failed run in group and point order so far: a run after it is not started, one
  // before it is, so the error reported is the same whatever the number of jobs.
  std::atomic<std::size_t> first_failed{SIZE_MAX};
  std::atomic<std::size_t> next{0};
  std::size_t done = 0;
  std::mutex mu;
  auto worker = [&] {
    for (;;) {
      const std::size_t k = next.fetch_add(1);
      if (k >= order.size()) return;
      const auto [g, i] = order[k];
      if (offset[g] + i > first_failed.load()) continue;
      const Scenario& sc = *groups[g].scenario;
      const RunPoint& point = (*groups[g].points)[i];
      try {
        Json r;
        std::string path = opts.cache_dir.empty() ? "" : cache_path(opts.cache_dir, point);
        bool hit = !path.empty() && load_cached(path, r);
        if (!hit) {
          r = run_point(sc, point).results;
          if (!path.empty()) {
            Json stored = r;
            stored["cache"] = {{"build", build_id()}};
            write_file_atomic(path, stored.dump() + "\n");
          }
        }
        if (opts.trim) opts.trim(r);
        // Each run writes only its own slots; the mutex orders the progress calls.
        out[g][i] = std::move(r);
        from_cache[g][i] = hit;
        std::lock_guard<std::mutex> lock(mu);
        ++done;
        if (opts.on_progress) opts.on_progress(done, order.size());
      } catch (...) {
        errors[g][i] = std::current_exception();
        std::size_t f = first_failed.load();
        while (offset[g] + i < f && !first_failed.compare_exchange_weak(f, offset[g] + i)) {
        }
      }
    }
  };
  int jobs = std::max(1, std::min<int>(opts.jobs, static_cast<int>(order.size())));
  std::vector<std::thread> pool;
  for (int j = 1; j < jobs; ++j) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  for (const auto& ge : errors)
    for (const auto& e : ge)
      if (e) std::rethrow_exception(e);
  if (cached) {
    cached->assign(groups.size(), {});
    for (std::size_t g = 0; g < groups.size(); ++g)
      (*cached)[g].assign(from_cache[g].begin(), from_cache[g].end());
  }
  return out;
}

std::vector<Json> run_batch(const Scenario& sc, const std::vector<RunPoint>& points,
                            const BatchOptions& opts, std::vector<bool>* cached) {
  std::vector<BatchGroup> groups(1);
  groups[0].scenario = &sc;
  groups[0].points = &points;
  std::vector<std::vector<bool>> c;
  auto out = run_groups(groups, opts, cached ? &c : nullptr);
  if (cached) *cached = std::move(c[0]);
  return std::move(out[0]);
}

std::string results_to_csv(const std::vector<Json>& results) {
  std::vector<std::string> axes;
  std::set<std::string> metrics;
  for (const Json& r : results) {
    for (auto it = r["scenario"]["point"].begin(); it != r["scenario"]["point"].end(); ++it)
      if (std::find(axes.begin(), axes.end(), it.key()) == axes.end()) axes.push_back(it.key());
    for (auto it = r["metrics"].begin(); it != r["metrics"].end(); ++it) metrics.insert(it.key());
  }
  std::ostringstream os;
  for (const auto& a : axes) os << csv_cell(a) << ",";
  os << "seed,status";
  for (const auto& m : metrics) os << "," << csv_cell(m);
  os << "\n";
  for (const Json& r : results) {
    for (const auto& a : axes)
      os << (r["scenario"]["point"].contains(a) ? csv_cell(r["scenario"]["point"][a]) : "") << ",";
    os << r["seed"].dump() << "," << csv_cell(r.value("status", "ok"));
    for (const auto& m : metrics)
      os << "," << (r["metrics"].contains(m) ? r["metrics"][m].dump() : "");
    os << "\n";
  }
  return os.str();
}

}  // namespace sim
