// Policies written in Python. A C++ trampoline per policy interface holds the Python instance
// and forwards each virtual call to it, taking the GIL first: runs release the GIL, so every
// entry into Python from the simulation goes through here. Registration adds a maker to the
// interface's Registry at run time (Factory's Maker is a std::function), so scenarios choose a
// Python policy by key like any C++ one.
#include "python/src/py_policies.h"

#include <pybind11/stl.h>

#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>

#include "python/src/py_convert.h"
#include "python/src/py_structs.h"
#include "sim/json.h"
#include "sim/params.h"
#include "sim/registry.h"
#include "sim/run_context.h"

#if HETSIM_PY_MIGRATION
#include "models/migration/copy_agent.h"
#include "models/migration/migration_policy.h"
#endif
#if HETSIM_PY_BALANCE
#include "models/sched/balance.h"
#endif

namespace py = pybind11;

namespace hetsim_py {

namespace {

#if HETSIM_PY_MIGRATION || HETSIM_PY_BALANCE
// The Python class behind each (kind, key). References are never dropped: the makers live in
// static registries that outlive the interpreter, and a re-registration (a notebook cell run
// twice) only swaps the class.
std::map<std::pair<std::string, std::string>, PyObject*>& classes() {
  static auto* m = new std::map<std::pair<std::string, std::string>, PyObject*>();
  return *m;
}

py::object class_of(const std::string& kind, const std::string& key) {
  return py::reinterpret_borrow<py::object>(classes().at({kind, key}));
}

sim::ParamSpec spec_from(const sim::Json& s) {
  // [name, type, default, doc, choices, min, max] as policies.py normalises them (null: unbounded).
  std::string name = s.at(0).get<std::string>(), type = s.at(1).get<std::string>(),
              doc = s.at(3).get<std::string>();
  const sim::Json& def = s.at(2);
  const double inf = std::numeric_limits<double>::infinity();
  const double lo = s.at(5).is_null() ? -inf : s.at(5).get<double>(),
               hi = s.at(6).is_null() ? inf : s.at(6).get<double>();
  if (type == "int") return sim::p_int(name, def, doc, lo, hi);
  if (type == "double") return sim::p_double(name, def, doc, lo, hi);
  if (type == "bool") return sim::p_bool(name, def, doc);
  if (type == "string") return sim::p_string(name, def, doc);
  if (type == "choice")
    return sim::p_choice(name, def, s.at(4).get<std::vector<std::string>>(), doc);
  if (type == "time") return sim::p_time(name, def, doc);
  if (type == "size") return sim::p_size(name, def, doc);
  if (type == "bw") return sim::p_bw(name, def, doc);
  if (type == "freq") return sim::p_freq(name, def, doc);
  if (type == "any") return sim::p_any(name, def, doc);
  throw py::value_error("parameter '" + name + "': unknown type '" + type +
                        "' (int, double, bool, string, choice, time, size, bw, freq, any)");
}

// Resolved parameter values in SI base units: time in seconds (float), size in bytes (int),
// bandwidth in bytes/s, frequency in Hz.
py::dict params_dict(const sim::Params& p, const sim::ParamList& specs) {
  py::dict d;
  py::module_ json = py::module_::import("json");
  for (const auto& s : specs) {
    const char* n = s.name.c_str();
    switch (s.type) {
      case sim::ParamType::Int:
        d[n] = p.i(s.name);
        break;
      case sim::ParamType::Double:
        d[n] = p.d(s.name);
        break;
      case sim::ParamType::Bool:
        d[n] = p.b(s.name);
        break;
      case sim::ParamType::String:
      case sim::ParamType::Choice:
        d[n] = p.s(s.name);
        break;
      case sim::ParamType::Time:
        d[n] = seconds(p.time(s.name));
        break;
      case sim::ParamType::Size:
        d[n] = p.size(s.name);
        break;
      case sim::ParamType::Bandwidth:
        d[n] = p.bw(s.name);
        break;
      case sim::ParamType::Frequency:
        d[n] = p.freq(s.name);
        break;
      case sim::ParamType::Any:
        d[n] = json.attr("loads")(p.raw(s.name).dump());
        break;
    }
  }
  return d;
}

// Holds the Python instance; drops it with the GIL held, whichever thread ends the run.
class PyInstance {
 public:
  explicit PyInstance(py::object o) : obj_(std::move(o)) {}
  ~PyInstance() {
    py::gil_scoped_acquire gil;
    obj_ = py::object();
  }
  PyInstance(const PyInstance&) = delete;
  PyInstance& operator=(const PyInstance&) = delete;
  const py::object& get() const { return obj_; }
  // True when the Python class defines `name` itself rather than inheriting hetsim's default.
  bool overrides(const char* name, const py::object& base) const {
    py::object mine = py::getattr(py::type::of(obj_), name, py::none());
    py::object theirs = py::getattr(base, name, py::none());
    return !mine.is(theirs);
  }

 private:
  py::object obj_;
};

std::set<std::pair<std::string, std::string>>& python_keys() {
  static auto* s = new std::set<std::pair<std::string, std::string>>();
  return *s;
}

// Adds (or, for a key this module added before, updates) a registry entry whose maker builds
// the Python class's instance and wraps it in Wrapper.
template <class Base, class Wrapper>
void add_policy(const std::string& key, const std::string& doc, sim::ParamList params,
                const py::object& cls, const py::object& base) {
  const std::string kind = Base::kKind;
  auto id = std::make_pair(kind, key);
  if (Base::Registry::known(key) && !python_keys().count(id))
    throw py::value_error("a C++ " + kind + " policy is already registered as '" + key +
                          "'; choose another name");
  PyObject*& slot = classes()[id];
  Py_XINCREF(cls.ptr());
  slot = cls.ptr();  // the old class (if any) stays referenced: runs in flight may still use it
  if (python_keys().count(id)) {
    // The Catalog entry is not declared const: updating it keeps validation and `list` in step
    // with the class most recently registered under this key.
    auto* info = const_cast<sim::ComponentInfo*>(sim::Catalog::get().find(kind, key));
    info->doc = doc;
    info->params = std::move(params);
    return;
  }
  python_keys().insert(id);
  py::object base_ref = base;
  PyObject* base_ptr = base_ref.release().ptr();  // kept for the life of the process
  Base::Registry::add(
      key, doc, std::move(params),
      [kind, key, base_ptr](sim::RunContext&, const sim::Params& p) -> std::unique_ptr<Base> {
        py::gil_scoped_acquire gil;
        py::object inst = class_of(kind, key)(params_dict(p, Base::Registry::params(key)));
        return std::make_unique<Wrapper>(std::move(inst),
                                         py::reinterpret_borrow<py::object>(base_ptr));
      });
}

#endif  // HETSIM_PY_MIGRATION || HETSIM_PY_BALANCE

#if HETSIM_PY_MIGRATION
class PyMigrationPolicy : public models::MigrationPolicy {
 public:
  PyMigrationPolicy(py::object inst, py::object) : inst_(std::move(inst)) {}
  models::CopyPlan decide(const models::BatchInfo& batch) override {
    py::gil_scoped_acquire gil;
    return plan_from(inst_.get().attr("decide")(batch));
  }

 private:
  PyInstance inst_;
};

void bind_migration(py::module_& m) {
  m.def("_register_migration",
        [](const std::string& key, const std::string& doc, const std::string& params_json,
           const py::object& cls, const py::object& base) {
          sim::ParamList own;
          for (const auto& s : sim::parse_json_text(params_json, "<params>"))
            own.push_back(spec_from(s));
          add_policy<models::MigrationPolicy, PyMigrationPolicy>(
              key, doc, models::migration_policy_params(own), cls, base);
        });
}
#endif

#if HETSIM_PY_BALANCE
py::list mask_list(const models::CpuMask& mask) {
  py::list out;
  for (int c = mask.next(0); c >= 0; c = mask.next(c + 1)) out.append(c);
  return out;
}

// What Python holds instead of the SchedView itself: the view lives only as long as its run,
// a Python object may live longer (kept in a list, a class attribute...). The policy's end
// clears the pointer, and any later use raises instead of reading freed memory.
struct ViewRef {
  const models::SchedView* view = nullptr;
  const models::SchedView& get() const {
    if (!view) throw py::value_error("this SchedView belongs to a run that has ended");
    return *view;
  }
};
struct TopoRef {
  std::shared_ptr<ViewRef> ref;
  const models::SchedTopology& get() const { return ref->get().topo(); }
};

class PyBalancePolicy : public models::BalancePolicy {
 public:
  PyBalancePolicy(py::object inst, const py::object& base) : inst_(std::move(inst)) {
    // Hooks the class leaves alone are answered here without entering Python: the tick hook
    // alone runs on every busy CPU every millisecond.
    has_[0] = inst_.overrides("on_tick", base);
    has_[1] = inst_.overrides("on_idle", base);
    has_[2] = inst_.overrides("on_context_switch", base);
    has_[3] = inst_.overrides("on_kick", base);
  }
  ~PyBalancePolicy() override { ref_->view = nullptr; }
  void attach(const models::SchedView& view) override {
    BalancePolicy::attach(view);
    ref_->view = &view;
    py::gil_scoped_acquire gil;
    inst_.get().attr("attach")(ref_);
  }
  models::BalanceDecision on_tick(int cpu) override { return call(0, "on_tick", cpu); }
  models::BalanceDecision on_idle(int cpu) override { return call(1, "on_idle", cpu); }
  models::BalanceDecision on_context_switch(int cpu) override {
    return call(2, "on_context_switch", cpu);
  }
  models::BalanceDecision on_kick(int cpu) override { return call(3, "on_kick", cpu); }

 private:
  models::BalanceDecision call(int i, const char* hook, int cpu) {
    if (!has_[i]) return {};
    py::gil_scoped_acquire gil;
    const models::SchedView& v = ref_->get();
    return decision_from(inst_.get().attr(hook)(cpu), v.topo().cpu_count() - 1, v.task_count() - 1,
                         hook);
  }
  PyInstance inst_;
  std::shared_ptr<ViewRef> ref_ = std::make_shared<ViewRef>();
  bool has_[4] = {false, false, false, false};
};

void bind_balance(py::module_& m) {
  using models::SchedTopology;
  using models::SchedView;
  using R = const ViewRef&;
  using T = const TopoRef&;
  using A = const py::object&;  // an index from Python, checked before use
  auto cpu = [](const SchedTopology& t, A v, const char* fn) {
    return static_cast<int>(
        int_in(v, std::string("SchedView.") + fn + ": cpu", 0, t.cpu_count() - 1));
  };
  auto llc = [](const SchedTopology& t, A v, const char* fn) {
    return static_cast<int>(
        int_in(v, std::string("SchedView.") + fn + ": llc", 0, t.llc_count() - 1));
  };
  auto node = [](const SchedTopology& t, A v, const char* fn) {
    return static_cast<int>(
        int_in(v, std::string("SchedView.") + fn + ": node", 0, t.node_count() - 1));
  };
  auto task = [](const SchedView& w, A v, const char* fn) {
    return static_cast<int>(
        int_in(v, std::string("SchedView.") + fn + ": task", 0, w.task_count() - 1));
  };
  py::class_<TopoRef>(m, "SchedTopology",
                      "Scheduling domains of the machine (valid during its run).")
      .def("cpu_count", [](T t) { return t.get().cpu_count(); })
      .def("llc", [cpu](T t, A c) { return t.get().llc(cpu(t.get(), c, "topo.llc")); })
      .def("node", [cpu](T t, A c) { return t.get().node(cpu(t.get(), c, "topo.node")); })
      .def("llc_count", [](T t) { return t.get().llc_count(); })
      .def("node_count", [](T t) { return t.get().node_count(); })
      .def("llc_cpus",
           [llc](T t, A l) { return t.get().llc_cpus(llc(t.get(), l, "topo.llc_cpus")); })
      .def("node_llcs",
           [node](T t, A n) { return t.get().node_llcs(node(t.get(), n, "topo.node_llcs")); })
      .def("housekeeping", [](T t) { return mask_list(t.get().housekeeping()); })
      .def("scan_cost",
           [cpu](T t, A c, A level) {
             const int i = cpu(t.get(), c, "topo.scan_cost");
             const auto levels = static_cast<long long>(t.get().domains(i).size());
             return seconds(t.get().scan_cost(
                 i, static_cast<std::size_t>(
                        int_in(level, "SchedView.topo.scan_cost: level_ix", 0, levels - 1))));
           })
      .def("domains", [cpu](T t, A c) {
        py::list out;
        for (const models::SchedDomain* d : t.get().domains(cpu(t.get(), c, "topo.domains"))) {
          py::dict e;
          e["level"] = models::sd_level_name(d->level);
          e["id"] = d->id;
          e["span"] = d->span;
          e["min_interval"] = seconds(d->min_interval);
          e["max_interval"] = seconds(d->max_interval);
          e["imbalance_pct"] = d->imbalance_pct;
          e["newidle_cost"] = seconds(d->newidle_cost);
          out.append(std::move(e));
        }
        return out;
      });
  py::class_<ViewRef, std::shared_ptr<ViewRef>>(
      m, "SchedView",
      "Read-only run queues for a balance policy (valid during its run; "
      "times in seconds).")
      .def("now", [](R r) { return seconds(r.get().now()); })
      .def("topo", [](const std::shared_ptr<ViewRef>& r) { return TopoRef{r}; })
      .def("costs",
           [](R r) {
             const models::SchedCosts& c = r.get().costs();
             py::dict d;
             d["migration_cost"] = seconds(c.migration_cost);
             d["task_move"] = seconds(c.task_move);
             d["ipi_send"] = seconds(c.ipi_send);
             d["tick"] = seconds(c.tick);
             d["busy_factor"] = c.busy_factor;
             d["cache_nice_tries"] = c.cache_nice_tries;
             return d;
           })
      .def("task_count", [](R r) { return r.get().task_count(); })
      .def("nr_running",
           [cpu](R r, A c) { return r.get().nr_running(cpu(r.get().topo(), c, "nr_running")); })
      .def("queued", [cpu](R r, A c) { return r.get().queued(cpu(r.get().topo(), c, "queued")); })
      .def("allowed",
           [cpu, task](R r, A t, A c) {
             return r.get().allowed(task(r.get(), t, "allowed"), cpu(r.get().topo(), c, "allowed"));
           })
      .def("cache_hot",
           [task](R r, A t) { return r.get().cache_hot(task(r.get(), t, "cache_hot")); })
      .def(
          "avg_idle",
          [cpu](R r, A c) { return seconds(r.get().avg_idle(cpu(r.get().topo(), c, "avg_idle"))); })
      .def("idle_cpus",
           [llc](R r, A l) {
             return mask_list(r.get().idle_mask(llc(r.get().topo(), l, "idle_cpus")));
           })
      .def(
          "overloaded_cpus_in",
          [llc](R r, A l) {
            return mask_list(r.get().overloaded_mask(llc(r.get().topo(), l, "overloaded_cpus_in")));
          })
      .def("llc_nr", [llc](R r, A l) { return r.get().llc_nr(llc(r.get().topo(), l, "llc_nr")); })
      .def("node_nr",
           [node](R r, A n) { return r.get().node_nr(node(r.get().topo(), n, "node_nr")); })
      .def("overloaded_cpus", [](R r) { return r.get().overloaded_cpus(); })
      .def("c2c", [cpu](R r, A a, A b) {
        return seconds(r.get().c2c(cpu(r.get().topo(), a, "c2c"), cpu(r.get().topo(), b, "c2c")));
      });
  m.def("_register_balance",
        [](const std::string& key, const std::string& doc, const std::string& params_json,
           const py::object& cls, const py::object& base) {
          sim::ParamList own;
          for (const auto& s : sim::parse_json_text(params_json, "<params>"))
            own.push_back(spec_from(s));
          add_policy<models::BalancePolicy, PyBalancePolicy>(key, doc, std::move(own), cls, base);
        });
}
#endif

}  // namespace

void bind_policies(py::module_& m) {
  bind_structs(m);
  py::list kinds;
#if HETSIM_PY_MIGRATION
  bind_migration(m);
  kinds.append("migration");
#endif
#if HETSIM_PY_BALANCE
  bind_balance(m);
  kinds.append("balance");
#endif
  m.attr("policy_kinds") = kinds;
}

}  // namespace hetsim_py
