#pragma once
// Chrome trace-event output (opens in Perfetto / chrome://tracing). Models add complete
// ("X") slices on named tracks (with optional arguments, a JSON object's text), counter
// samples, and arrows from one track to another (flow events: a wakeup or an IPI from the
// sender's slice to the slice the target runs next). Each record has a category ("sched",
// "cpu", "migration", "link", "dma", "gpu") that TraceOptions can filter on, and a time window.
//
// With a path the writer streams: each record is written out as it comes (memory stays
// bounded whatever the run's length), to a temporary file renamed into place by finish() (a
// failed run leaves no file), gzip-compressed when the path ends in ".gz". Without a path it
// keeps the document in memory (to_json()). Either way at most `limit` records are kept; the
// count of the others is in otherData.dropped_records.
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "sim/time.h"

namespace sim {

struct TraceOptions {
  std::string path;                     // empty: in memory
  Tick from = 0, to = ~Tick{0};         // records that overlap [from, to] only
  std::vector<std::string> categories;  // empty: all
  std::size_t limit = 20'000'000;
};

class TraceWriter {
 public:
  explicit TraceWriter(std::size_t limit = 2'000'000);
  explicit TraceWriter(TraceOptions opts);  // throws InputError when the file cannot be made
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;
  TraceWriter& operator=(const TraceWriter&) = delete;

  void slice(const std::string& track, const std::string& name, Tick start, Tick end,
             std::string args = "", const char* cat = "sched");
  void counter(const std::string& track, const std::string& name, Tick at, double value,
               const char* cat = "link");
  void flow(const std::string& from_track, Tick sent, const std::string& to_track, Tick arrives,
            const std::string& name, const char* cat = "sched");

  // Puts `track` in a process of the viewer (e.g. pid = socket + 1, "socket 0") under a
  // label ("cpu12 ccd1"), ordered by `sort` within it; to be called before the track's first
  // record.
  void group(const std::string& track, std::uint32_t pid, const std::string& process,
             const std::string& label, int sort);

  // Streaming: completes the file and renames it into place. In memory: the document.
  void finish();
  std::string to_json() const;
  std::size_t dropped() const { return dropped_; }
  std::size_t size() const { return kept_; }

 private:
  bool admit(const char* cat, Tick start, Tick end);
  std::uint32_t track_id(const std::string& track);
  void emit(const std::string& event);
  void write(const std::string& text);
  std::string footer() const;

  TraceOptions opts_;
  std::uint32_t pid(std::uint32_t track) const { return pids_[track]; }
  std::map<std::string, std::uint32_t> tracks_;
  struct Group {
    std::uint32_t pid;
    std::string process, label;
    int sort;
  };
  std::map<std::string, Group> groups_;
  std::vector<std::uint32_t> pids_{0};  // by track id
  std::vector<bool> named_pid_;
  std::string memory_;  // in-memory mode: the events so far
  std::string tmp_path_;
  std::FILE* file_ = nullptr;
  void* gz_ = nullptr;
  bool first_ = true, finished_ = false;
  std::uint64_t flow_id_ = 0;
  std::size_t kept_ = 0, dropped_ = 0;
};

}  // namespace sim
