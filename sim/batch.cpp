#include "sim/batch.h"

#include <atomic>
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

std::vector<Json> run_batch(const Scenario& sc, const std::vector<RunPoint>& points,
                            const BatchOptions& opts, std::vector<bool>* cached) {
  std::vector<Json> out(points.size());
  std::vector<bool> from_cache(points.size(), false);
  if (!opts.cache_dir.empty()) {
    std::error_code ec;
    fs::create_directories(opts.cache_dir, ec);
    if (ec)
      throw InputError(opts.cache_dir, "", "a cache directory that can be created", ec.message());
    remove_stale_temp_files(opts.cache_dir);
  }
  std::atomic<std::size_t> next{0};
  std::size_t done = 0;
  std::mutex mu;
  std::exception_ptr error;
  auto worker = [&] {
    for (;;) {
      std::size_t i = next.fetch_add(1);
      if (i >= points.size()) return;
      {
        std::lock_guard<std::mutex> lock(mu);
        if (error) return;
      }
      try {
        Json r;
        std::string path = opts.cache_dir.empty() ? "" : cache_path(opts.cache_dir, points[i]);
        bool hit = !path.empty() && load_cached(path, r);
        if (!hit) {
          r = run_point(sc, points[i]).results;
          if (!path.empty()) {
            Json stored = r;
            stored["cache"] = {{"build", build_id()}};
            write_file_atomic(path, stored.dump() + "\n");
          }
        }
        std::lock_guard<std::mutex> lock(mu);
        out[i] = std::move(r);
        from_cache[i] = hit;
        ++done;
        if (opts.on_progress) opts.on_progress(done, points.size());
      } catch (...) {
        std::lock_guard<std::mutex> lock(mu);
        if (!error) error = std::current_exception();
      }
    }
  };
  int jobs = std::max(1, std::min<int>(opts.jobs, static_cast<int>(points.size())));
  std::vector<std::thread> pool;
  for (int j = 1; j < jobs; ++j) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  if (error) std::rethrow_exception(error);
  if (cached) *cached = from_cache;
  return out;
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
