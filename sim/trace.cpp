#include "sim/trace.h"

#include "sim/json.h"

namespace sim {

std::uint32_t TraceWriter::track_id(const std::string& track) {
  auto it = tracks_.find(track);
  if (it != tracks_.end()) return it->second;
  auto id = static_cast<std::uint32_t>(tracks_.size() + 1);
  tracks_[track] = id;
  return id;
}

void TraceWriter::slice(const std::string& track, const std::string& name, Tick start, Tick end,
                        std::string args) {
  if (records_.size() >= limit_) {
    ++dropped_;
    return;
  }
  records_.push_back({'X', track_id(track), name, start, end, 0, 0, std::move(args)});
}

void TraceWriter::flow(const std::string& from_track, Tick sent, const std::string& to_track,
                       Tick arrives, const std::string& name) {
  if (records_.size() >= limit_) {
    ++dropped_;
    return;
  }
  records_.push_back({'s', track_id(from_track), name, sent, arrives, 0, track_id(to_track), {}});
}

void TraceWriter::counter(const std::string& track, const std::string& name, Tick at, double v) {
  if (records_.size() >= limit_) {
    ++dropped_;
    return;
  }
  records_.push_back({'C', track_id(track), name, at, at, v, 0, {}});
}

std::string TraceWriter::to_json() const {
  Json events = Json::array();
  std::vector<std::string> names(tracks_.size() + 1);
  for (const auto& [name, id] : tracks_) {
    names[id] = name;
    events.push_back({{"name", "thread_name"},
                      {"ph", "M"},
                      {"pid", 1},
                      {"tid", id},
                      {"args", {{"name", name}}}});
  }
  std::uint64_t flow_id = 0;
  for (const Record& r : records_) {
    if (r.phase == 's') {
      // Starts on the sender's enclosing slice, ends on the next slice of the target track.
      ++flow_id;
      events.push_back({{"name", r.name},
                        {"cat", "flow"},
                        {"ph", "s"},
                        {"id", flow_id},
                        {"pid", 1},
                        {"tid", r.track},
                        {"ts", static_cast<double>(r.start) / kUs}});
      events.push_back({{"name", r.name},
                        {"cat", "flow"},
                        {"ph", "f"},
                        {"id", flow_id},
                        {"pid", 1},
                        {"tid", r.to_track},
                        {"ts", static_cast<double>(r.end) / kUs}});
      continue;
    }
    // A counter is identified by its name in the viewer: use the track's.
    Json e = {{"name", r.phase == 'C' ? names[r.track] : r.name},
              {"ph", std::string(1, r.phase)},
              {"pid", 1},
              {"tid", r.track},
              {"ts", static_cast<double>(r.start) / kUs}};
    if (r.phase == 'X') e["dur"] = static_cast<double>(r.end - r.start) / kUs;
    if (r.phase == 'C') e["args"] = {{r.name, r.value}};
    if (r.phase == 'X' && !r.args.empty()) e["args"] = Json::parse(r.args);
    events.push_back(std::move(e));
  }
  Json doc = {{"traceEvents", std::move(events)},
              {"displayTimeUnit", "ns"},
              {"otherData", {{"dropped_records", dropped_}}}};
  return doc.dump();
}

}  // namespace sim
