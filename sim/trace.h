#pragma once
// Chrome trace-event output (opens in Perfetto / chrome://tracing). Models add complete
// ("X") slices on named tracks and counter samples; the writer keeps at most `limit`
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
  void slice(const std::string& track, const std::string& name, Tick start, Tick end);
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
  };
  std::uint32_t track_id(const std::string& track);
  std::map<std::string, std::uint32_t> tracks_;
  std::vector<Record> records_;
  std::size_t limit_, dropped_ = 0;
};

}  // namespace sim
