// Conversions of the declared structs between C++ and Python. Each field table (sim/fields.h)
// is expanded here three ways: the defaults and docs exported to the Python mirrors
// (_struct_fields), BatchInfo's read-only attributes, and the readers of a policy's answer.
// A reader is chosen by the member it fills (Field<&Struct::member>), so a field added to a
// table without a reader here does not compile.
#include "python/src/py_structs.h"

#include <pybind11/stl.h>

#include <string>
#include <vector>

#include "python/src/py_convert.h"
#include "sim/registry.h"

#if HETSIM_PY_MIGRATION
#include "models/migration/copy_agent.h"
#endif

namespace py = pybind11;

namespace hetsim_py {

namespace {

template <auto Member>
struct Field {};

// C++ value -> Python value, as the Python mirror holds it.
template <class T>
py::object to_py(const T& v) {
  return py::cast(v);
}

std::vector<std::string> names_of(const std::vector<sim::FieldInfo>& fields) {
  std::vector<std::string> out;
  for (const auto& f : fields) out.push_back(f.name);
  return out;
}

// [(name, C++ type, default, doc)] of a declared struct.
py::list describe(const std::vector<sim::FieldInfo>& fields, const py::list& defaults) {
  py::list out;
  for (std::size_t i = 0; i < fields.size(); ++i)
    out.append(py::make_tuple(fields[i].name, fields[i].type, defaults[i], fields[i].doc));
  return out;
}

#if HETSIM_PY_MIGRATION
py::object to_py(models::Placement p) { return py::str(models::placement_name(p)); }
py::object to_py(models::FlushMode f) { return py::str(models::flush_name(f)); }

// Copy streams a plan may ask for: threads or DMA channels (the declared `streams` parameter
// stops at 64; a plan may go beyond it, not without bound).
constexpr long long kMaxPlanStreams = 1024;

void read(Field<&models::CopyPlan::agent>, const py::handle& v, models::CopyPlan& p) {
  p.agent = str_of(v, "CopyPlan.agent");
  if (models::CopyAgent::Registry::known(p.agent)) return;
  std::string keys;
  for (const auto& k : sim::Catalog::get().keys(models::CopyAgent::kKind))
    keys += (keys.empty() ? "'" : ", '") + k + "'";
  throw py::value_error("CopyPlan.agent: expected a registered copy agent (" + keys + "), found '" +
                        p.agent + "'");
}
void read(Field<&models::CopyPlan::streams>, const py::handle& v, models::CopyPlan& p) {
  p.streams = static_cast<int>(int_in(v, "CopyPlan.streams", 1, kMaxPlanStreams));
}
void read(Field<&models::CopyPlan::placement>, const py::handle& v, models::CopyPlan& p) {
  const std::string s = str_of(v, "CopyPlan.placement");
  if (s != "spread" && s != "packed")
    throw py::value_error("CopyPlan.placement: expected 'spread' or 'packed', found '" + s + "'");
  p.placement = s == "packed" ? models::Placement::Packed : models::Placement::Spread;
}
void read(Field<&models::CopyPlan::flush>, const py::handle& v, models::CopyPlan& p) {
  const std::string s = str_of(v, "CopyPlan.flush");
  if (s != "per_batch" && s != "per_folio")
    throw py::value_error("CopyPlan.flush: expected 'per_batch' or 'per_folio', found '" + s + "'");
  p.flush = s == "per_folio" ? models::FlushMode::PerFolio : models::FlushMode::PerBatch;
}
void read(Field<&models::CopyPlan::sg>, const py::handle& v, models::CopyPlan& p) {
  p.sg = bool_of(v, "CopyPlan.sg");
}
void read(Field<&models::CopyPlan::avoid_busy>, const py::handle& v, models::CopyPlan& p) {
  p.avoid_busy = bool_of(v, "CopyPlan.avoid_busy");
}

py::list copy_plan_defaults() {
  const models::CopyPlan s;
  py::list d;
#define HETSIM_PY_DEFAULT(type, name, def, doc) d.append(to_py(s.name));
  HETSIM_COPY_PLAN_FIELDS(HETSIM_PY_DEFAULT)
#undef HETSIM_PY_DEFAULT
  return d;
}

py::list batch_info_defaults() {
  const models::BatchInfo s;
  py::list d;
#define HETSIM_PY_DEFAULT(type, name, def, doc) d.append(to_py(s.name));
  HETSIM_BATCH_INFO_FIELDS(HETSIM_PY_DEFAULT)
#undef HETSIM_PY_DEFAULT
  return d;
}

py::dict plan_to_dict(const models::CopyPlan& p) {
  py::dict d;
#define HETSIM_PY_TO_DICT(type, name, def, doc) d[#name] = to_py(p.name);
  HETSIM_COPY_PLAN_FIELDS(HETSIM_PY_TO_DICT)
#undef HETSIM_PY_TO_DICT
  return d;
}
#endif

#if HETSIM_PY_BALANCE
py::object to_py(const std::vector<models::Move>& moves) {
  py::list out;
  for (const auto& m : moves) out.append(py::make_tuple(m.task, m.from, m.to));
  return std::move(out);
}

// CPU time one balance decision may charge: beyond a second it is a policy bug, and near 2^64
// picoseconds it would wrap the clock.
constexpr long long kMaxDecisionCost = 1000000000000LL;

struct Bounds {
  long long cpu, task;
};

void read(Field<&models::BalanceDecision::moves>, const py::handle& v, models::BalanceDecision& d,
          const Bounds& b) {
  std::size_t i = 0;
  for (const py::handle& mv :
       list_of(v, "BalanceDecision.moves", "a list of (task, from_cpu, to_cpu)")) {
    const std::string at = "BalanceDecision.moves[" + std::to_string(i++) + "]";
    if (!py::isinstance<py::sequence>(mv) || py::isinstance<py::str>(mv) || py::len(mv) != 3)
      throw py::value_error(at + ": expected a (task, from_cpu, to_cpu) triple, found " +
                            repr_of(mv));
    auto t = py::reinterpret_borrow<py::sequence>(mv);
    d.moves.push_back({static_cast<int>(int_in(t[0], at + ".task", 0, b.task)),
                       static_cast<int>(int_in(t[1], at + ".from_cpu", 0, b.cpu)),
                       static_cast<int>(int_in(t[2], at + ".to_cpu", 0, b.cpu))});
  }
}
void read(Field<&models::BalanceDecision::cost>, const py::handle& v, models::BalanceDecision& d,
          const Bounds&) {
  d.cost = static_cast<sim::Tick>(seconds_in(v, "BalanceDecision.cost", 0, kMaxDecisionCost));
}
void read(Field<&models::BalanceDecision::kick>, const py::handle& v, models::BalanceDecision& d,
          const Bounds& b) {
  std::size_t i = 0;
  for (const py::handle& k : list_of(v, "BalanceDecision.kick", "a list of CPUs"))
    d.kick.push_back(
        static_cast<int>(int_in(k, "BalanceDecision.kick[" + std::to_string(i++) + "]", 0, b.cpu)));
}
void read(Field<&models::BalanceDecision::scanned>, const py::handle& v, models::BalanceDecision& d,
          const Bounds&) {
  d.scanned = static_cast<int>(int_in(v, "BalanceDecision.scanned", 0, 1LL << 30));
}
// Read after `cost` (the table's order): each offset lies within it, in ascending order.
void read(Field<&models::BalanceDecision::checkpoints>, const py::handle& v,
          models::BalanceDecision& d, const Bounds&) {
  std::size_t i = 0;
  long long last = 0;
  for (const py::handle& c :
       list_of(v, "BalanceDecision.checkpoints", "a list of offsets within cost")) {
    last = seconds_in(c, "BalanceDecision.checkpoints[" + std::to_string(i++) + "]", last,
                      static_cast<long long>(d.cost));
    d.checkpoints.push_back(static_cast<sim::Tick>(last));
  }
}

// A decision's field as Python holds it: times (cost, checkpoints) in seconds.
template <auto Member, class T>
py::object out(Field<Member>, const T& v) {
  return to_py(v);
}
py::object out(Field<&models::BalanceDecision::cost>, sim::Tick v) {
  return py::float_(seconds(v));
}
py::object out(Field<&models::BalanceDecision::checkpoints>, const std::vector<sim::Tick>& v) {
  py::list l;
  for (sim::Tick t : v) l.append(seconds(t));
  return std::move(l);
}

py::list balance_decision_defaults() {
  const models::BalanceDecision s;
  py::list d;
#define HETSIM_PY_DEFAULT(type, name, def, doc) \
  d.append(out(Field<&models::BalanceDecision::name>{}, s.name));
  HETSIM_BALANCE_DECISION_FIELDS(HETSIM_PY_DEFAULT)
#undef HETSIM_PY_DEFAULT
  return d;
}

py::dict decision_to_dict(const models::BalanceDecision& x) {
  py::dict d;
#define HETSIM_PY_TO_DICT(type, name, def, doc) \
  d[#name] = out(Field<&models::BalanceDecision::name>{}, x.name);
  HETSIM_BALANCE_DECISION_FIELDS(HETSIM_PY_TO_DICT)
#undef HETSIM_PY_TO_DICT
  return d;
}
#endif

}  // namespace

#if HETSIM_PY_MIGRATION
models::CopyPlan plan_from(const py::handle& o) {
  if (o.is_none())
    throw py::type_error("MigrationPolicy.decide() returned None; expected a hetsim.CopyPlan");
  static const std::vector<std::string> names = names_of(models::copy_plan_fields());
  check_answer(o, "CopyPlan", "MigrationPolicy.decide()", names);
  models::CopyPlan plan;
#define HETSIM_PY_READ(type, name, def, doc) \
  read(Field<&models::CopyPlan::name>{}, field(o, #name, to_py(plan.name)), plan);
  HETSIM_COPY_PLAN_FIELDS(HETSIM_PY_READ)
#undef HETSIM_PY_READ
  return plan;
}
#endif

#if HETSIM_PY_BALANCE
models::BalanceDecision decision_from(const py::handle& o, long long max_cpu, long long max_task,
                                      const char* hook) {
  models::BalanceDecision d;
  if (o.is_none()) return d;
  static const std::vector<std::string> names = names_of(models::balance_decision_fields());
  check_answer(o, "BalanceDecision", hook, names);
  const Bounds b{max_cpu, max_task};
#define HETSIM_PY_READ(type, name, def, doc)    \
  read(Field<&models::BalanceDecision::name>{}, \
       field(o, #name, out(Field<&models::BalanceDecision::name>{}, d.name)), d, b);
  HETSIM_BALANCE_DECISION_FIELDS(HETSIM_PY_READ)
#undef HETSIM_PY_READ
  return d;
}
#endif

void bind_structs(py::module_& m) {
  py::dict structs;
#if HETSIM_PY_MIGRATION
  py::class_<models::BatchInfo> b(m, "BatchInfo",
                                  "What the migration mechanism knows about a batch (read-only; "
                                  "fields: _struct_fields('BatchInfo')).");
#define HETSIM_PY_READONLY(type, name, def, doc) \
  b.def_readonly(#name, &models::BatchInfo::name, doc);
  HETSIM_BATCH_INFO_FIELDS(HETSIM_PY_READONLY)
#undef HETSIM_PY_READONLY
  b.def("__repr__", [](const models::BatchInfo& x) {
    return "<BatchInfo " + x.reason + ": " + std::to_string(x.folios) + " folios, " +
           std::to_string(x.bytes) + " B, node" + std::to_string(x.src_node) + " -> node" +
           std::to_string(x.dst_node) + ">";
  });
  structs["BatchInfo"] = describe(models::batch_info_fields(), batch_info_defaults());
  structs["CopyPlan"] = describe(models::copy_plan_fields(), copy_plan_defaults());
#endif
#if HETSIM_PY_BALANCE
  structs["BalanceDecision"] =
      describe(models::balance_decision_fields(), balance_decision_defaults());
#endif
  m.attr("_structs") = structs;
  // Test hook: an answer read as the simulation reads it, and given back field by field.
  m.def("_roundtrip", [](const std::string& name, const py::object& answer) -> py::dict {
#if HETSIM_PY_MIGRATION
    if (name == "CopyPlan") return plan_to_dict(plan_from(answer));
#endif
#if HETSIM_PY_BALANCE
    if (name == "BalanceDecision")
      return decision_to_dict(decision_from(answer, 1 << 20, 1 << 20, "_roundtrip"));
#endif
    throw py::value_error("_roundtrip: no answer struct named '" + name + "'");
  });
}

}  // namespace hetsim_py
