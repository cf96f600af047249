// hetsim._hetsim: the thin C++ layer under the `hetsim` Python package. Documents cross the
// boundary as JSON text (one well-defined conversion, key order kept, numbers round-trip), so
// that the Python side can pickle, cache and ship them to other processes unchanged. Runs
// release the GIL; C++ failures arrive as hetsim.InputError / hetsim.InternalError, never as a
// crash of the interpreter.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "python/src/py_policies.h"
#include "sim/cli/commands.h"
#include "sim/error.h"
#include "sim/json.h"
#include "sim/log.h"
#include "sim/metric_catalog.h"
#include "sim/registry.h"
#include "sim/runner.h"
#include "sim/scenario.h"
#include "sim/units.h"

namespace py = pybind11;

namespace {

// Owned by the module for the life of the interpreter (never freed: exception types must
// outlive every exception object that refers to them).
PyObject* g_input_error = nullptr;
PyObject* g_internal_error = nullptr;

const char* kInputErrorDoc =
    "Bad input: a scenario, machine or override that hetsim rejects (the CLI exits with status "
    "2).\n"
    "Attributes: message, file, path (a JSON pointer), expected, found, kind ('input').";
const char* kInternalErrorDoc =
    "A broken invariant inside hetsim (the CLI exits with status 3). Attributes: message, kind "
    "('internal').";

void raise_input_error(const sim::InputError& e) {
  py::object cls = py::reinterpret_borrow<py::object>(g_input_error);
  py::object exc = cls(e.what());
  exc.attr("message") = py::str(e.what());
  exc.attr("file") = py::str(e.file());
  exc.attr("path") = py::str(e.path());
  exc.attr("expected") = py::str(e.expected());
  exc.attr("found") = py::str(e.found());
  exc.attr("kind") = py::str("input");
  exc.attr("exit_status") = py::int_(2);
  PyErr_SetObject(g_input_error, exc.ptr());
}

void raise_internal_error(const std::string& what) {
  py::object cls = py::reinterpret_borrow<py::object>(g_internal_error);
  py::object exc = cls(what);
  exc.attr("message") = py::str(what);
  exc.attr("kind") = py::str("internal");
  exc.attr("exit_status") = py::int_(3);
  PyErr_SetObject(g_internal_error, exc.ptr());
}

void translate(std::exception_ptr p) {
  try {
    if (p) std::rethrow_exception(p);
  } catch (const py::error_already_set&) {
    throw;  // a Python exception (e.g. from a Python-defined policy) passes through as itself
  } catch (const py::builtin_exception&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;  // pybind11 makes this a MemoryError
  } catch (const sim::InputError& e) {
    raise_input_error(e);
  } catch (const sim::InternalError& e) {
    raise_internal_error(e.what());
  } catch (const std::exception& e) {
    // The CLI treats any other C++ exception as an internal error (exit 3); so do we.
    raise_internal_error(e.what());
  }
}

// Input from the user nests at most kMaxJsonDepth deep; documents this module wrote itself
// (a scenario wrapped with its origin, a point) may nest a few levels more.
sim::Json parse(const std::string& text, const char* what,
                std::size_t max_depth = sim::kMaxJsonDepth) {
  return sim::parse_json_text(text, what, max_depth);
}
constexpr std::size_t kInternalDepth = 2 * sim::kMaxJsonDepth;

std::vector<sim::Setting> parse_sets(const std::string& sets_json) {
  sim::Json sets = parse(sets_json, "<overrides>");
  std::vector<sim::Setting> out;
  if (!sets.is_array())
    sim::Where{"<overrides>", ""}.fail("a list of [dotted path, value] pairs",
                                       sim::describe_value(sets));
  for (std::size_t i = 0; i < sets.size(); ++i) {
    const sim::Json& s = sets[i];
    if (!s.is_array() || s.size() != 2 || !s[0].is_string())
      sim::Where{"<overrides>", "/" + std::to_string(i)}.fail("a [dotted path, value] pair",
                                                              sim::describe_value(s));
    out.emplace_back(s[0].get<std::string>(), s[1]);
  }
  return out;
}

// A Scenario as JSON (what the Python side pickles): file, machine origin, resolved document.
sim::Json scenario_to_json(const sim::Scenario& sc) {
  sim::Json origins = sim::Json::array();
  for (const auto& o : sc.machine_origins)
    origins.push_back({o.pointer, o.written_at.file, o.written_at.pointer});
  return sim::Json{{"file", sc.file},
                   {"machine_file", sc.machine_file},
                   {"machine_pointer", sc.machine_pointer},
                   {"doc", sc.doc},
                   {"notes", sc.notes},
                   {"machine_origins", origins}};
}

sim::Scenario scenario_from_meta(const sim::Json& meta) {
  sim::Scenario sc;
  sc.file = meta.at("file").get<std::string>();
  sc.machine_file = meta.at("machine_file").get<std::string>();
  sc.machine_pointer = meta.at("machine_pointer").get<std::string>();
  sc.doc = meta.at("doc");
  for (const auto& o : meta.value("machine_origins", sim::Json::array()))
    sc.machine_origins.push_back(
        {o[0].get<std::string>(), sim::Where{o[1].get<std::string>(), o[2].get<std::string>()}});
  return sc;
}

// A sweep run in this process hands the same scenario text to every run; parsing it (a machine
// and maybe hundreds of workloads) can cost more than a small run, so the last one is kept.
std::shared_ptr<const sim::Scenario> scenario_of(const std::string& scenario_json) {
  static std::mutex mu;
  static std::string last_text;
  static std::shared_ptr<const sim::Scenario> last;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (last && last_text == scenario_json) return last;
  }
  auto sc = std::make_shared<const sim::Scenario>(
      scenario_from_meta(parse(scenario_json, "<scenario>", kInternalDepth)));
  std::lock_guard<std::mutex> lock(mu);
  last_text = scenario_json;
  last = sc;
  return sc;
}

std::string load_path(const std::string& path, const std::string& sets_json) {
  py::gil_scoped_release nogil;
  return scenario_to_json(sim::load_scenario(path, parse_sets(sets_json))).dump();
}

std::string load_doc(const std::string& doc_json, const std::string& origin,
                     const std::string& sets_json) {
  py::gil_scoped_release nogil;
  sim::Json doc = parse(doc_json, origin.c_str());
  return scenario_to_json(sim::scenario_from_json(std::move(doc), origin, parse_sets(sets_json)))
      .dump();
}

// Every run of the scenario's sweep: its axis values, its hash (the key under which a sweep
// caches the run, equal to results["scenario"]["hash"]) and, if asked, its document.
std::string expand(const std::string& scenario_json, bool with_docs) {
  py::gil_scoped_release nogil;
  sim::Scenario sc = scenario_from_meta(parse(scenario_json, "<scenario>", kInternalDepth));
  sim::Json out = sim::Json::array();
  for (sim::RunPoint& p : sim::expand_sweep(sc)) {
    sim::Json e{{"hash", sim::json_hash(p.doc)}, {"point", std::move(p.point)}};
    if (with_docs) e["doc"] = std::move(p.doc);
    out.push_back(std::move(e));
  }
  return out.dump();
}

// The run of `sc` at sweep point `point` (axis -> value): the same document sim::expand_sweep
// builds (same settings in the same order), without expanding the whole product, so that a
// worker receives only the scenario once and a few axis values per run.
sim::RunPoint point_of(const sim::Scenario& sc, const sim::Json& point) {
  sim::RunPoint rp;
  rp.doc = sc.doc;
  rp.doc.erase("sweep");
  if (!point.is_object())
    sim::Where{"<point>", ""}.fail("an object of axis -> value", sim::describe_value(point));
  for (auto it = point.begin(); it != point.end(); ++it)
    sim::set_dotted(rp.doc, it.key(), it.value(), sim::Where{sc.file, "/sweep/" + it.key()});
  rp.point = point;
  return rp;
}

std::string run_point(const std::string& scenario_json, const std::string& point_json,
                      std::optional<std::uint64_t> seed, const std::string& trace_path) {
  py::gil_scoped_release nogil;
  auto sc = scenario_of(scenario_json);
  sim::RunOptions opts;
  opts.seed = seed;
  opts.want_trace = !trace_path.empty();
  opts.trace.path = trace_path;  // streamed there, gzip for .gz
  return sim::run_point(*sc, point_of(*sc, parse(point_json, "<point>", kInternalDepth)), opts)
      .results.dump();
}

// A quantity string in SI base units: (value, "s" | "B" | "B/s" | "Hz"), or None.
std::optional<std::pair<double, std::string>> quantity(const std::string& text) {
  if (auto t = sim::parse_quantity(text, sim::Dimension::Time))
    return std::make_pair(*t / static_cast<double>(sim::kSec), std::string("s"));
  if (auto b = sim::parse_quantity(text, sim::Dimension::Size))
    return std::make_pair(*b, std::string("B"));
  if (auto bw = sim::parse_quantity(text, sim::Dimension::Bandwidth))
    return std::make_pair(*bw, std::string("B/s"));
  if (auto f = sim::parse_quantity(text, sim::Dimension::Frequency))
    return std::make_pair(*f, std::string("Hz"));
  return std::nullopt;
}

// Runs [(key, point_json, seed or None), ...] of one scenario; returns [(key, results_json)].
using Task = std::tuple<std::string, std::string, std::optional<std::uint64_t>>;
std::vector<std::pair<std::string, std::string>> run_batch(const std::string& scenario_json,
                                                           const std::vector<Task>& tasks) {
  py::gil_scoped_release nogil;
  auto sc = scenario_of(scenario_json);
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [key, point_json, seed] : tasks) {
    sim::RunOptions opts;
    opts.seed = seed;
    out.emplace_back(
        key, sim::run_point(*sc, point_of(*sc, parse(point_json, "<point>", kInternalDepth)), opts)
                 .results.dump());
  }
  return out;
}

void check_point(const std::string& scenario_json, const std::string& point_json) {
  py::gil_scoped_release nogil;
  auto sc = scenario_of(scenario_json);
  sim::check_point(*sc, point_of(*sc, parse(point_json, "<point>", kInternalDepth)));
}

std::string json_hash(const std::string& doc_json) {
  return sim::json_hash(parse(doc_json, "<json>"));
}

std::string list_components() {
  sim::Json out = sim::Json::array();
  for (const sim::ComponentInfo* c : sim::Catalog::get().all()) {
    sim::Json params = sim::Json::array();
    for (const auto& p : c->params) {
      sim::Json j = {{"name", p.name},
                     {"type", sim::type_label(p)},
                     {"default", p.default_value},
                     {"required", p.default_value.is_null()},
                     {"doc", p.doc}};
      if (!p.choices.empty()) j["choices"] = p.choices;
      params.push_back(std::move(j));
    }
    out.push_back(sim::Json{
        {"kind", c->kind}, {"key", c->key}, {"doc", c->doc}, {"params", std::move(params)}});
  }
  return out.dump();
}

std::string describe(const std::string& machine) {
  py::gil_scoped_release nogil;
  return hetsim::describe_machine(machine);
}

}  // namespace

PYBIND11_MODULE(_hetsim, m) {
  m.doc() = "hetsim's C++ core (use the `hetsim` package, not this module directly)";
  // Named hetsim.X so that tracebacks read naturally and pickling (process pools, dask)
  // finds the classes through the public package.
  g_input_error =
      PyErr_NewExceptionWithDoc("hetsim.InputError", kInputErrorDoc, PyExc_ValueError, nullptr);
  g_internal_error = PyErr_NewExceptionWithDoc("hetsim.InternalError", kInternalErrorDoc,
                                               PyExc_RuntimeError, nullptr);
  if (!g_input_error || !g_internal_error) throw py::error_already_set();
  m.add_object("InputError", py::handle(g_input_error).inc_ref());
  m.add_object("InternalError", py::handle(g_internal_error).inc_ref());
  py::register_exception_translator(&translate);

  m.attr("version") = sim::kVersion;
  m.def("load_path", &load_path, py::arg("path"), py::arg("sets_json") = "[]");
  m.def("load_doc", &load_doc, py::arg("doc_json"), py::arg("origin") = "<inline>",
        py::arg("sets_json") = "[]");
  m.def("expand", &expand, py::arg("scenario_json"), py::arg("with_docs") = false);
  m.def("run_point", &run_point, py::arg("scenario_json"), py::arg("point_json") = "{}",
        py::arg("seed") = py::none(), py::arg("trace_path") = "");
  m.def("quantity", &quantity, py::arg("text"));
  m.def("run_batch", &run_batch, py::arg("scenario_json"), py::arg("tasks"));
  m.def("check_point", &check_point, py::arg("scenario_json"), py::arg("point_json") = "{}");
  m.def("json_hash", &json_hash);
  m.def("list_components", &list_components);
  m.def("describe", &describe, py::arg("machine"));
  m.def(
      "metric_unit",
      [](const std::string& figure) -> py::object {
        const sim::MetricDecl* d = sim::MetricCatalog::get().match(figure);
        return d ? py::object(py::str(d->unit)) : py::object(py::none());
      },
      py::arg("figure"));
  m.def(
      "set_log_level", [](const std::string& level) { sim::set_log_level(level, "set_log_level"); },
      py::arg("level"));
  // A test hook: an internal error raised from C++, to check the translation end to end.
  m.def("_raise_internal", [] { HETSIM_CHECK(false, "test hook"); });
  hetsim_py::bind_policies(m);
}
