#include "sim/params.h"

#include <cmath>

#include "sim/cpulist.h"
#include "sim/units.h"

namespace sim {

namespace {
ParamSpec make(std::string name, ParamType t, Json def, std::string doc, double min = -INFINITY,
               double max = INFINITY) {
  ParamSpec s{std::move(name), t, std::move(def), std::move(doc)};
  s.min = min;
  s.max = max;
  return s;
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) out += (out.empty() ? "" : ", ") + x;
  return out;
}
}  // namespace

ParamSpec p_int(std::string n, Json d, std::string doc, double min, double max) {
  return make(std::move(n), ParamType::Int, std::move(d), std::move(doc), min, max);
}
ParamSpec p_double(std::string n, Json d, std::string doc, double min, double max) {
  return make(std::move(n), ParamType::Double, std::move(d), std::move(doc), min, max);
}
ParamSpec p_bool(std::string n, Json d, std::string doc) {
  return make(std::move(n), ParamType::Bool, std::move(d), std::move(doc));
}
ParamSpec p_string(std::string n, Json d, std::string doc) {
  return make(std::move(n), ParamType::String, std::move(d), std::move(doc));
}
ParamSpec p_choice(std::string n, Json d, std::vector<std::string> choices, std::string doc) {
  ParamSpec s = make(std::move(n), ParamType::Choice, std::move(d), std::move(doc));
  s.choices = std::move(choices);
  return s;
}
ParamSpec p_time(std::string n, Json d, std::string doc) {
  return make(std::move(n), ParamType::Time, std::move(d), std::move(doc), 0);
}
ParamSpec p_size(std::string n, Json d, std::string doc) {
  return make(std::move(n), ParamType::Size, std::move(d), std::move(doc), 0);
}
ParamSpec p_bw(std::string n, Json d, std::string doc) {
  return make(std::move(n), ParamType::Bandwidth, std::move(d), std::move(doc), 0);
}
ParamSpec p_freq(std::string n, Json d, std::string doc) {
  return make(std::move(n), ParamType::Frequency, std::move(d), std::move(doc), 0);
}
ParamSpec p_any(std::string n, Json d, std::string doc) {
  return make(std::move(n), ParamType::Any, std::move(d), std::move(doc));
}

std::string type_label(const ParamSpec& s) {
  auto range = [&](const char* base) {
    std::string r = base;
    bool lo = std::isfinite(s.min), hi = std::isfinite(s.max);
    if (lo && hi)
      r += " in [" + format_number(s.min, 12) + ", " + format_number(s.max, 12) + "]";
    else if (lo && s.min != 0)
      r += " >= " + format_number(s.min, 12);
    else if (lo)
      r += " >= 0";
    return r;
  };
  switch (s.type) {
    case ParamType::Int:
      return range("int");
    case ParamType::Double:
      return range("number");
    case ParamType::Bool:
      return "bool";
    case ParamType::String:
      return "string";
    case ParamType::Choice:
      return "one of " + join(s.choices);
    case ParamType::Time:
      return "time";
    case ParamType::Size:
      return "size";
    case ParamType::Bandwidth:
      return "bandwidth";
    case ParamType::Frequency:
      return "frequency";
    case ParamType::Any:
      return "json";
  }
  return "";
}

void check_keys(const Json& obj, const std::vector<std::string>& allowed, const Where& where) {
  if (!obj.is_object()) where.fail("an object", describe_value(obj));
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    bool ok = false;
    for (const auto& a : allowed) ok = ok || a == it.key();
    if (!ok)
      where.child(it.key()).fail("one of the known keys (" + join(allowed) + ")",
                                 "unknown key \"" + it.key() + "\"");
  }
}

Params Params::parse(const Json& obj, const ParamList& spec, const Where& where,
                     const std::vector<std::string>& ignored) {
  std::vector<std::string> allowed = ignored;
  for (const auto& s : spec) allowed.push_back(s.name);
  check_keys(obj.is_null() ? Json::object() : obj, allowed, where);

  Params p;
  p.where_ = where;
  for (const ParamSpec& s : spec) {
    Where w = where.child(s.name);
    bool given = obj.is_object() && obj.contains(s.name);
    const Json& v = given ? obj.at(s.name) : s.default_value;
    if (v.is_null()) {
      if (s.type == ParamType::Any && !given) {
        p.values_[s.name] = {v, 0};
        p.order_.push_back(s.name);
        continue;
      }
      w.fail(type_label(s) + " (required: " + s.doc + ")", given ? "null" : "nothing");
    }
    Value out{v, 0};
    auto in_range = [&](double x) {
      if (x < s.min || x > s.max) w.fail(type_label(s), describe_value(v));
      return x;
    };
    switch (s.type) {
      case ParamType::Int:
        if (!v.is_number_integer() &&
            !(v.is_number_float() && std::floor(v.get<double>()) == v.get<double>()))
          w.fail(type_label(s), describe_value(v));
        if (std::fabs(v.get<double>()) > 9.0e15)
          w.fail(type_label(s) + " of a sensible magnitude", describe_value(v));
        out.number = in_range(v.get<double>());
        break;
      case ParamType::Double:
        if (!v.is_number()) w.fail(type_label(s), describe_value(v));
        out.number = in_range(v.get<double>());
        break;
      case ParamType::Bool:
        if (!v.is_boolean()) w.fail("true or false", describe_value(v));
        out.number = v.get<bool>() ? 1 : 0;
        break;
      case ParamType::String:
        if (!v.is_string()) w.fail("a string", describe_value(v));
        break;
      case ParamType::Choice: {
        bool ok = v.is_string();
        if (ok) {
          ok = false;
          for (const auto& c : s.choices) ok = ok || c == v.get<std::string>();
        }
        if (!ok) w.fail("one of " + join(s.choices), describe_value(v));
        break;
      }
      case ParamType::Time:
      case ParamType::Size:
      case ParamType::Bandwidth:
      case ParamType::Frequency: {
        Dimension d = s.type == ParamType::Time        ? Dimension::Time
                      : s.type == ParamType::Size      ? Dimension::Size
                      : s.type == ParamType::Bandwidth ? Dimension::Bandwidth
                                                       : Dimension::Frequency;
        if (!v.is_string()) {
          w.fail(dimension_example(d), v.is_number()
                                           ? "a bare number " + v.dump() + " (units are required)"
                                           : describe_value(v));
        }
        auto q = parse_quantity(v.get<std::string>(), d);
        if (!q) w.fail(std::string(dimension_example(d)) + ", not negative", describe_value(v));
        // Times and sizes must fit the 64-bit integers they become (213 days, 8 EiB).
        if ((d == Dimension::Time && *q >= 1.8e19) || (d == Dimension::Size && *q >= 9.2e18))
          w.fail(std::string(dimension_example(d)) + " within the simulator's 64-bit range",
                 describe_value(v));
        out.number = in_range(*q);
        break;
      }
      case ParamType::Any:
        break;
    }
    p.values_[s.name] = std::move(out);
    p.given_[s.name] = given;
    if (!given) p.given_.erase(s.name);
    p.order_.push_back(s.name);
  }
  return p;
}

const Params::Value& Params::get(const std::string& name) const {
  auto it = values_.find(name);
  HETSIM_CHECK(it != values_.end(), "parameter '" + name + "' read but never declared");
  return it->second;
}

std::int64_t Params::i(const std::string& n) const {
  return static_cast<std::int64_t>(get(n).number);
}
double Params::d(const std::string& n) const { return get(n).number; }
bool Params::b(const std::string& n) const { return get(n).number != 0; }
const std::string& Params::s(const std::string& n) const {
  return get(n).raw.get_ref<const std::string&>();
}
Tick Params::time(const std::string& n) const {
  return static_cast<Tick>(std::llround(get(n).number));
}
std::uint64_t Params::size(const std::string& n) const {
  return static_cast<std::uint64_t>(std::llround(get(n).number));
}
double Params::bw(const std::string& n) const { return get(n).number; }
double Params::freq(const std::string& n) const { return get(n).number; }
const Json& Params::raw(const std::string& n) const { return get(n).raw; }
int Params::index(const std::string& n, std::uint64_t count, const std::string& what) const {
  return checked_index(i(n), count, what, where(n));
}

Json Params::to_json() const {
  Json out = Json::object();
  for (const auto& n : order_) out[n] = values_.at(n).raw;
  return out;
}

}  // namespace sim
