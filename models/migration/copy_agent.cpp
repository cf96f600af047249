// The mechanism's services to copy agents (copy_agent.h).
#include "models/migration/copy_agent.h"

#include <algorithm>

#include "models/dma/dma_engine.h"
#include "models/migration/migrator.h"

namespace models {

std::vector<CopyShare> CopyBatch::split(int streams) const {
  std::vector<CopyShare> s;
  split(streams, s);
  return s;
}

void CopyBatch::split(int streams, std::vector<CopyShare>& s) const {
  s.assign(static_cast<std::size_t>(streams), CopyShare{});
  const int n = static_cast<int>(folios.size());
  const int chunks = std::max(1, streams / std::max(1, n));
  int u = 0;
  for (std::size_t i : folios) {
    const Folio& f = as->folio(i);
    for (int c = 0; c < chunks; ++c, ++u) {
      CopyShare& sh = s[static_cast<std::size_t>(u % streams)];
      sh.bytes += static_cast<double>(f.bytes()) / chunks;
      sh.overhead +=
          costs->copy_folio + costs->copy_page * (f.pages / chunks > 0 ? f.pages / chunks - 1 : 0);
      ++sh.units;
    }
  }
}

double CopyBatch::copy_rate(int core_cpu) const {
  return models::copy_rate(*pf, *costs, core_cpu, cpu, src, dst, source_cached);
}

int CopyBatch::socket_of(SocketFrom from) const {
  if (from == SocketFrom::Src) return pf->nodes()[static_cast<std::size_t>(src)].socket;
  if (from == SocketFrom::Dst) return pf->nodes()[static_cast<std::size_t>(dst)].socket;
  return pf->cpus()[static_cast<std::size_t>(cpu)].socket;
}

void CopyBatch::kernel(int on_cpu, Tick work, std::function<void()> done) const {
  cpu_ps->add(static_cast<double>(work));
  pf->exec().kernel(on_cpu, work, std::move(done));
}

void CopyBatch::fall_back(const std::string& agent, std::function<void()> done) const {
  plan->agent = agent;
  migrator->agent(agent).copy(shared_from_this(), std::move(done));
}

int migration_dma_engine(sim::RunContext& ctx, const Machine& pf, int socket) {
  if (pf.section_list("dma").empty()) return -1;
  const int e = DmaEngines::of(ctx).on_socket(socket);
  return e >= 0 ? e : 0;
}

}  // namespace models
