#pragma once
// Plain structs that cross into another language (what a policy sees and what it answers) are
// declared once, as a field table: a macro TABLE(X) that applies X(type, name, default, doc) to
// each field in order. The same table declares the struct's members (HETSIM_FIELD_MEMBER),
// lists them for `hetsim list` and the Python bindings (HETSIM_FIELD_INFO), and drives the
// bindings' conversions, so a field added to the table reaches every side or fails to build.
#include <string>
#include <vector>

#include "sim/params.h"
#include "sim/registry.h"

namespace sim {

struct FieldInfo {
  std::string name;
  std::string type;           // the C++ type as declared
  std::string default_value;  // the C++ default as declared
  std::string doc;
};

// The fields of a declared struct as `hetsim list` shows them (kind "struct").
inline ParamList field_params(const std::vector<FieldInfo>& fields) {
  ParamList out;
  for (const auto& f : fields) {
    // A default that reads as JSON (0, true, "cpu", {}) shows as such, else as its C++ text.
    Json def = Json::parse(f.default_value, nullptr, false);
    if (def.is_discarded()) def = f.default_value;
    out.push_back(ParamSpec{f.name, ParamType::Any, def, f.type + ": " + f.doc});
  }
  return out;
}

// Lists a declared struct in the Catalog under kind "struct".
inline bool declare_struct(const std::string& name, const std::string& doc,
                           const std::vector<FieldInfo>& fields) {
  Catalog::get().add({"struct", name, doc, field_params(fields)});
  return true;
}

}  // namespace sim

#define HETSIM_FIELD_MEMBER(type, name, def, doc) type name = def;
#define HETSIM_FIELD_INFO(type, name, def, doc) sim::FieldInfo{#name, #type, #def, doc},
