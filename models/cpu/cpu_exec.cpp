#include "models/cpu/cpu_exec.h"

#include "sim/error.h"

namespace models {

namespace {
CpuExec::Provider g_provider = nullptr;  // constant-initialised: safe from static registration
}  // namespace

void CpuExec::set_provider(Provider p) { g_provider = p; }

CpuExec& CpuExec::of(sim::RunContext& ctx) {
  if (auto* e = ctx.find<CpuExec>()) return *e;
  HETSIM_CHECK(g_provider != nullptr, "no model owns CPU time");
  return g_provider(ctx);
}

}  // namespace models
