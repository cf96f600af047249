#include "sim/trace.h"

#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "sim/error.h"
#include "sim/json.h"

namespace sim {

TraceWriter::TraceWriter(std::size_t limit) { opts_.limit = limit; }

TraceWriter::TraceWriter(TraceOptions opts) : opts_(std::move(opts)) {
  if (opts_.path.empty()) return;
  namespace fs = std::filesystem;
  fs::path target(opts_.path);
  fs::path dir = target.parent_path().empty() ? fs::path(".") : target.parent_path();
  std::string pattern = (dir / ("." + target.filename().string() + ".XXXXXX")).string();
  std::vector<char> buf(pattern.begin(), pattern.end());
  buf.push_back('\0');
  int fd = ::mkstemp(buf.data());
  if (fd < 0)
    throw InputError("--trace", "", "a trace file that can be written", std::strerror(errno));
  tmp_path_ = buf.data();
  const mode_t mask = ::umask(0);  // mkstemp makes 0600; a trace is an ordinary file
  ::umask(mask);
  ::fchmod(fd, 0666 & ~mask);
  const std::string& p = opts_.path;
  if (p.size() > 3 && p.compare(p.size() - 3, 3, ".gz") == 0) {
    gz_ = gzdopen(fd, "wb6");
  } else {
    file_ = ::fdopen(fd, "wb");
  }
  if (!gz_ && !file_) {
    ::close(fd);
    std::remove(tmp_path_.c_str());
    throw InputError("--trace", "", "a trace file that can be written", opts_.path);
  }
  write("{\"traceEvents\":[\n");
}

TraceWriter::~TraceWriter() {
  if (!tmp_path_.empty() && !finished_) {  // abandoned (the run failed): leave nothing behind
    if (gz_) gzclose(static_cast<gzFile>(gz_));
    if (file_) std::fclose(file_);
    std::remove(tmp_path_.c_str());
  }
}

void TraceWriter::write(const std::string& text) {
  if (gz_)
    gzwrite(static_cast<gzFile>(gz_), text.data(), static_cast<unsigned>(text.size()));
  else if (file_)
    std::fwrite(text.data(), 1, text.size(), file_);
  else
    memory_ += text;
}

void TraceWriter::emit(const std::string& event) {
  write(first_ ? event : ",\n" + event);
  first_ = false;
}

bool TraceWriter::admit(const char* cat, Tick start, Tick end) {
  if (end < opts_.from || start > opts_.to) return false;
  if (!opts_.categories.empty() &&
      std::find(opts_.categories.begin(), opts_.categories.end(), cat) == opts_.categories.end())
    return false;
  if (kept_ >= opts_.limit) {
    ++dropped_;
    return false;
  }
  ++kept_;
  return true;
}

void TraceWriter::group(const std::string& track, std::uint32_t pid, const std::string& process,
                        const std::string& label, int sort) {
  groups_[track] = {pid, process, label, sort};
}

std::uint32_t TraceWriter::track_id(const std::string& track) {
  auto it = tracks_.find(track);
  if (it != tracks_.end()) return it->second;
  auto id = static_cast<std::uint32_t>(tracks_.size() + 1);
  tracks_[track] = id;
  std::uint32_t p = 1;
  std::string label = track;
  std::int64_t sort = id;
  auto g = groups_.find(track);
  if (g != groups_.end()) {
    p = g->second.pid;
    label = g->second.label;
    sort = g->second.sort;
    if (named_pid_.size() <= p) named_pid_.resize(p + 1, false);
    if (!named_pid_[p]) {
      named_pid_[p] = true;
      emit(Json{{"name", "process_name"},
                {"ph", "M"},
                {"pid", p},
                {"args", {{"name", g->second.process}}}}
               .dump());
    }
  }
  pids_.push_back(p);
  emit(Json{
      {"name", "thread_name"}, {"ph", "M"}, {"pid", p}, {"tid", id}, {"args", {{"name", label}}}}
           .dump());
  emit(Json{{"name", "thread_sort_index"},
            {"ph", "M"},
            {"pid", p},
            {"tid", id},
            {"args", {{"sort_index", sort}}}}
           .dump());
  return id;
}

void TraceWriter::slice(const std::string& track, const std::string& name, Tick start, Tick end,
                        std::string args, const char* cat) {
  if (!admit(cat, start, end)) return;
  const std::uint32_t tid = track_id(track);
  Json e = {{"name", name},
            {"cat", cat},
            {"ph", "X"},
            {"pid", pid(tid)},
            {"tid", tid},
            {"ts", static_cast<double>(start) / kUs},
            {"dur", static_cast<double>(end - start) / kUs}};
  if (!args.empty()) e["args"] = Json::parse(args);
  emit(e.dump());
}

void TraceWriter::counter(const std::string& track, const std::string& name, Tick at, double v,
                          const char* cat) {
  if (!admit(cat, at, at)) return;
  // A counter is identified by its name in the viewer: use the track's.
  const std::uint32_t tid = track_id(track);
  emit(Json{{"name", track},
            {"cat", cat},
            {"ph", "C"},
            {"pid", pid(tid)},
            {"tid", tid},
            {"ts", static_cast<double>(at) / kUs},
            {"args", {{name, v}}}}
           .dump());
}

void TraceWriter::flow(const std::string& from_track, Tick sent, const std::string& to_track,
                       Tick arrives, const std::string& name, const char* cat) {
  if (!admit(cat, sent, arrives)) return;
  // Starts on the sender's enclosing slice, ends on the next slice of the target track.
  ++flow_id_;
  std::uint32_t from = track_id(from_track), to = track_id(to_track);
  emit(Json{{"name", name},
            {"cat", cat},
            {"ph", "s"},
            {"id", flow_id_},
            {"pid", pid(from)},
            {"tid", from},
            {"ts", static_cast<double>(sent) / kUs}}
           .dump());
  emit(Json{{"name", name},
            {"cat", cat},
            {"ph", "f"},
            {"id", flow_id_},
            {"pid", pid(to)},
            {"tid", to},
            {"ts", static_cast<double>(arrives) / kUs}}
           .dump());
}

std::string TraceWriter::footer() const {
  Json other = {{"dropped_records", dropped_}};
  if (opts_.from > 0 || opts_.to != ~Tick{0})
    other["window_us"] = {static_cast<double>(opts_.from) / kUs,
                          opts_.to == ~Tick{0} ? -1.0 : static_cast<double>(opts_.to) / kUs};
  if (!opts_.categories.empty()) other["categories"] = opts_.categories;
  return "\n],\"displayTimeUnit\":\"ns\",\"otherData\":" + other.dump() + "}\n";
}

void TraceWriter::finish() {
  if (tmp_path_.empty() || finished_) return;
  write(footer());
  bool ok = gz_ ? gzclose(static_cast<gzFile>(gz_)) == Z_OK : std::fclose(file_) == 0;
  gz_ = nullptr;
  file_ = nullptr;
  finished_ = true;
  if (!ok || std::rename(tmp_path_.c_str(), opts_.path.c_str()) != 0) {
    std::remove(tmp_path_.c_str());
    throw InputError("--trace", "", "a trace file that can be written", opts_.path);
  }
}

std::string TraceWriter::to_json() const { return "{\"traceEvents\":[\n" + memory_ + footer(); }

}  // namespace sim
