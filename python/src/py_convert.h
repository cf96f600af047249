#pragma once
// Checked conversions of what Python code hands to the simulation: a policy's answer (a dict
// or an object with attributes) and the ints inside it, validated before anything narrows
// them, with messages that name the field.
#include <pybind11/pybind11.h>

#include <cmath>
#include <string>
#include <vector>

namespace hetsim_py {

namespace py = pybind11;

// A field of a policy's answer: a dict key or an attribute.
inline py::object field(const py::handle& o, const char* name, py::object dflt) {
  if (py::isinstance<py::dict>(o)) {
    py::dict d = py::reinterpret_borrow<py::dict>(o);
    return d.contains(name) ? py::reinterpret_borrow<py::object>(d[name]) : dflt;
  }
  return py::getattr(o, name, dflt);
}

inline std::string repr_of(const py::handle& v) {
  std::string r = py::repr(v);
  return r.size() > 60 ? r.substr(0, 57) + "..." : r;
}

// An int field of a policy's answer, or an argument Python passes in: a Python int (or numpy
// integer; not a bool) within [lo, hi], checked before anything narrows it.
inline long long int_in(const py::handle& v, const std::string& name, long long lo, long long hi) {
  if (PyBool_Check(v.ptr()) || !PyIndex_Check(v.ptr()))
    throw py::type_error(name + ": expected an int, found " +
                         std::string(py::str(py::type::of(v).attr("__name__"))) + " " + repr_of(v));
  py::object i = py::reinterpret_steal<py::object>(PyNumber_Index(v.ptr()));
  if (!i) throw py::error_already_set();
  int overflow = 0;
  const long long x = PyLong_AsLongLongAndOverflow(i.ptr(), &overflow);
  if (overflow != 0 || x < lo || x > hi)
    throw py::value_error(name + ": expected an int in " + std::to_string(lo) + ".." +
                          std::to_string(hi) + ", found " + repr_of(v));
  return x;
}

// A time Python hands in, in seconds (an int or float; not a bool, not NaN), as picoseconds
// within [lo, hi]: Python speaks SI seconds, the simulation integer picoseconds.
inline long long seconds_in(const py::handle& v, const std::string& name, long long lo,
                            long long hi) {
  if (PyBool_Check(v.ptr()) || !(PyFloat_Check(v.ptr()) || PyIndex_Check(v.ptr())))
    throw py::type_error(name + ": expected a time in seconds (a float), found " +
                         std::string(py::str(py::type::of(v).attr("__name__"))) + " " + repr_of(v));
  const double s = PyFloat_AsDouble(v.ptr());
  if (s == -1.0 && PyErr_Occurred()) throw py::error_already_set();
  const double ps = s * 1e12;
  if (!(ps >= static_cast<double>(lo) - 0.5 && ps <= static_cast<double>(hi) + 0.5))
    throw py::value_error(name + ": expected seconds in " + repr_of(py::float_(lo * 1e-12)) + ".." +
                          repr_of(py::float_(hi * 1e-12)) + ", found " + repr_of(v));
  return std::llround(ps);
}

// Picoseconds as the seconds Python sees.
inline double seconds(unsigned long long ps) { return static_cast<double>(ps) / 1e12; }

inline bool bool_of(const py::handle& v, const std::string& name) {
  if (!PyBool_Check(v.ptr()))
    throw py::type_error(name + ": expected True or False, found " + repr_of(v));
  return v.ptr() == Py_True;
}

inline std::string str_of(const py::handle& v, const std::string& name) {
  if (!py::isinstance<py::str>(v))
    throw py::type_error(name + ": expected a string, found " + repr_of(v));
  return v.cast<std::string>();
}

// A sequence that is not a string (a list, a tuple), or a TypeError naming what was expected.
inline py::sequence list_of(const py::handle& v, const std::string& name, const char* what) {
  if (!py::isinstance<py::sequence>(v) || py::isinstance<py::str>(v))
    throw py::type_error(name + ": expected " + what + ", found " + repr_of(v));
  return py::reinterpret_borrow<py::sequence>(v);
}

// A policy's answer is None, a dict of known fields, or an object with at least one of them
// (the hetsim dataclass): anything else (a policy returning 42) is a TypeError, not an empty
// answer.
inline void check_answer(const py::handle& o, const char* what, const char* hook,
                         const std::vector<std::string>& fields) {
  std::string names;
  for (const auto& f : fields) names += (names.empty() ? "" : ", ") + f;
  if (py::isinstance<py::dict>(o)) {
    for (const auto& kv : py::reinterpret_borrow<py::dict>(o)) {
      bool known = false;
      if (py::isinstance<py::str>(kv.first))
        for (const auto& f : fields) known = known || py::str(kv.first).cast<std::string>() == f;
      if (!known)
        throw py::value_error(std::string(what) + ": unknown field " + repr_of(kv.first) +
                              " (fields: " + names + ")");
    }
    return;
  }
  for (const auto& f : fields)
    if (py::hasattr(o, f.c_str())) return;
  throw py::type_error(std::string(hook) + " returned " + repr_of(o) + "; expected a hetsim." +
                       what + ", a dict of its fields (" + names + ") or None");
}

}  // namespace hetsim_py
