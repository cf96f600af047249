#pragma once
// Parameters declared beside the class that uses them: name, type, default, doc. The one
// declaration validates JSON (unknown keys and wrong units rejected), feeds `hetsim list`
// and the Python view.
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "sim/json.h"
#include "sim/time.h"
#include "sim/units.h"

namespace sim {

enum class ParamType { Int, Double, Bool, String, Choice, Time, Size, Bandwidth, Frequency, Any };

struct ParamSpec {
  std::string name;
  ParamType type;
  Json default_value;  // as written in JSON ("110ns", 4, "dma"); null = required
  std::string doc;
  std::vector<std::string> choices = {};  // for Choice
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
};
using ParamList = std::vector<ParamSpec>;

// Builders that read like a declaration:  p_time("latency", "110ns", "load-to-use latency")
ParamSpec p_int(std::string name, Json def, std::string doc, double min = 0,
                double max = std::numeric_limits<double>::infinity());
ParamSpec p_double(std::string name, Json def, std::string doc, double min = 0,
                   double max = std::numeric_limits<double>::infinity());
ParamSpec p_bool(std::string name, Json def, std::string doc);
ParamSpec p_string(std::string name, Json def, std::string doc);
ParamSpec p_choice(std::string name, Json def, std::vector<std::string> choices, std::string doc);
ParamSpec p_time(std::string name, Json def, std::string doc);
ParamSpec p_size(std::string name, Json def, std::string doc);
ParamSpec p_bw(std::string name, Json def, std::string doc);
ParamSpec p_freq(std::string name, Json def, std::string doc);
ParamSpec p_any(std::string name, Json def, std::string doc);

std::string type_label(const ParamSpec& s);  // "time", "size", "int in [1, 64]", ...

class Params {
 public:
  Params() = default;
  // Validates `obj` against `spec`. Keys in `ignored` (e.g. "kind") are skipped.
  static Params parse(const Json& obj, const ParamList& spec, const Where& where,
                      const std::vector<std::string>& ignored = {"kind"});

  std::int64_t i(const std::string& name) const;
  double d(const std::string& name) const;
  bool b(const std::string& name) const;
  const std::string& s(const std::string& name) const;
  Tick time(const std::string& name) const;
  std::uint64_t size(const std::string& name) const;
  double bw(const std::string& name) const;    // bytes/s
  double freq(const std::string& name) const;  // Hz
  const Json& raw(const std::string& name) const;
  // An int parameter that indexes something (a CPU, an engine, a socket): checked against
  // `count` as the 64-bit value given, before it is narrowed; `what` names the thing indexed.
  int index(const std::string& name, std::uint64_t count, const std::string& what) const;
  bool given(const std::string& name) const { return given_.count(name) > 0; }
  Where where(const std::string& name) const { return where_.child(name); }
  const Where& where() const { return where_; }
  // The resolved values (defaults filled in), for results and describe output.
  Json to_json() const;

 private:
  struct Value {
    Json raw;
    double number = 0;  // converted to base units for numeric kinds
  };
  const Value& get(const std::string& name) const;
  std::map<std::string, Value> values_;
  std::map<std::string, bool> given_;
  std::vector<std::string> order_;
  Where where_;
};

// Checks that `obj` is an object whose keys are all in `allowed`; names the first stray key.
void check_keys(const Json& obj, const std::vector<std::string>& allowed, const Where& where);

}  // namespace sim
