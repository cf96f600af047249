#pragma once
// Chrome trace-event output (opens in Perfetto / chrome://tracing). Models add complete
// ("X") slices on named tracks (with optional arguments, a JSON object's text), counter
// samples, and arrows from one track to another (flow events: a wakeup or an IPI from the
// sender's slice to the slice the target runs next); the writer keeps at most `limit`
// records so a long run cannot fill the disk.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sim/time.h"

namespace sim {

class TraceWriter {
 public:
  explicit TraceWriter(std::size_t limit = 2'000'000) : limit_(limit) {}
  void slice(const std::string& track, const std::string& name, Tick start, Tick end,
             std::string args = "");
  void flow(const std::string& from_track, Tick sent, const std::string& to_track, Tick arrives,
            const std::string& name);
  void counter(const std::string& track, const std::string& name, Tick at, double value);
  std::string to_json() const;
  std::size_t dropped() const { return dropped_; }
  std::size_t size() const { return records_.size(); }

 private:
  struct Record {
    char phase;
    std::uint32_t track;
    std::string name;
    Tick start, end;
    double value;
    std::uint32_t to_track = 0;  // flows: the target track
    std::string args;            // slices: a JSON object's text, or empty
  };
  std::uint32_t track_id(const std::string& track);
  std::map<std::string, std::uint32_t> tracks_;
  std::vector<Record> records_;
  std::size_t limit_, dropped_ = 0;
};

}  // namespace sim
