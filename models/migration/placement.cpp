// Where multi-threaded copy workers run, in the order they are taken.
#include <algorithm>

#include "models/migration/costs.h"
#include "models/migration/migration_policy.h"

namespace models {

std::vector<int> copy_worker_order(const Machine& pf, int socket, Placement pl) {
  const CpuSpec& s = pf.cpu_spec();
  const int per_ccd = s.ccx_per_ccd * s.cores_per_ccx;
  std::vector<int> order;
  for (const Cpu& c : pf.cpus())
    if (c.socket == socket) order.push_back(c.id);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    const Cpu& x = pf.cpus()[static_cast<std::size_t>(a)];
    const Cpu& y = pf.cpus()[static_cast<std::size_t>(b)];
    if (pl == Placement::Packed) {
      // packed (the RFC): every hardware thread of a CCD, SMT siblings included, before the
      // next CCD.
      if (x.ccd != y.ccd) return x.ccd < y.ccd;
      if (x.core != y.core) return x.core < y.core;
      return x.thread < y.thread;
    }
    // spread: the k-th core of every CCD before the (k+1)-th; SMT siblings after every core.
    if (x.thread != y.thread) return x.thread < y.thread;
    const int kx = x.core % per_ccd, ky = y.core % per_ccd;
    if (kx != ky) return kx < ky;
    return x.ccd < y.ccd;
  });
  return order;
}

}  // namespace models
