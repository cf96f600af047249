#pragma once
// The plain structs policies see and answer (BatchInfo, CopyPlan, BalanceDecision), converted
// field by field from their one declaration (the field tables of migration_policy.h and
// balance.h): the Python classes are generated from what bind_structs exports.
#include <pybind11/pybind11.h>

#if HETSIM_PY_MIGRATION
#include "models/migration/migration_policy.h"
#endif
#if HETSIM_PY_BALANCE
#include "models/sched/balance.h"
#endif

namespace hetsim_py {

#if HETSIM_PY_MIGRATION
// A migration policy's answer; `o` is a hetsim.CopyPlan, a dict of its fields or an object
// with them. Raises TypeError / ValueError naming the field.
models::CopyPlan plan_from(const pybind11::handle& o);
#endif
#if HETSIM_PY_BALANCE
// A balance hook's answer (None: nothing to do); task and CPU indices are checked against
// [0, max_task] and [0, max_cpu].
models::BalanceDecision decision_from(const pybind11::handle& o, long long max_cpu,
                                      long long max_task, const char* hook);
#endif

// hetsim.BatchInfo, and _struct_fields(name) / _roundtrip(name, answer) for the Python mirrors
// and their tests.
void bind_structs(pybind11::module_& m);

}  // namespace hetsim_py
