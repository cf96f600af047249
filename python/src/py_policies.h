#pragma once
// Policies written in Python: trampolines for the C++ policy interfaces, registered at run
// time under a name the scenario's "policies" object can choose.
#include <pybind11/pybind11.h>

namespace hetsim_py {

void bind_policies(pybind11::module_& m);

}  // namespace hetsim_py
