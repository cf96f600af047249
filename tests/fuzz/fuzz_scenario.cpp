// libFuzzer target for the scenario and machine parsers and the models they build: any byte
// string is read as a scenario document, expanded and built, and a small one is run for a few
// simulated microseconds under an event budget. The only acceptable outcomes are success or
// sim::InputError; anything else (a crash, another exception, a sanitizer report) is a bug.
#include <cstddef>
#include <cstdint>
#include <string>

#include "sim/error.h"
#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string text(reinterpret_cast<const char*>(data), size);
  try {
    sim::Json doc = sim::parse_json_text(text, "<fuzz>");
    // A machine document is fuzzed through a scenario that inlines it.
    if (doc.is_object() && doc.contains("cpu") && !doc.contains("workloads"))
      doc = sim::Json{
          {"machine", doc},
          {"workloads", sim::Json::array({sim::Json{{"kind", "copy"}, {"bytes", "1MiB"}}})}};
    sim::Scenario sc = sim::scenario_from_json(doc, "<fuzz>");
    auto points = sim::expand_sweep(sc);
    if (points.size() > 64) return 0;  // a legal but large sweep: building each adds nothing
    for (const auto& p : points) sim::check_point(sc, p);
    if (points.size() > 4) return 0;
    for (auto p : points) {
      p.doc["stop"] = sim::Json{{"time", "5us"}, {"events", 65536}};
      sim::run_point(sc, p);
    }
  } catch (const sim::InputError&) {
  }
  return 0;
}
