// `dma`: the copy offloaded to a DMA engine (models/dma) through the offload driver: each folio
// one descriptor (one dmaengine_prep_dma_memcpy), folios dealt to channels in turn, so never
// more channels than folios and a folio never split; the caller requests its channels for
// each batch and releases them after, and sleeps until the last channel's completion callback
// wakes it. On a machine without an engine the driver falls back to the CPU.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "models/dma/dma_engine.h"
#include "models/migration/copy_agent.h"
#include "sim/slot_pool.h"

namespace models {

class DmaAgent : public CopyAgent {
 public:
  static constexpr const char* kDoc =
      "A DMA engine of the socket machine.migration.dma_engine names copies over `streams` "
      "channels (one descriptor per folio, scatter-gather when the plan says `sg`); the driver's "
      "CPU costs are charged on the caller.";
  static const sim::ParamList& params() {
    static const sim::ParamList p;
    return p;
  }
  explicit DmaAgent(sim::RunContext& ctx) : ctx_(ctx) {}

  void copy(const std::shared_ptr<const CopyBatch>& b, std::function<void()> done) override {
    const int e = migration_dma_engine(ctx_, *b->pf, b->socket_of(b->costs->dma_socket_from));
    if (e < 0) return b->fall_back("cpu", std::move(done));
    DmaEngines& d = DmaEngines::of(ctx_);
    const std::uint32_t slot = copies_.take();
    Copy& c = copies_[slot];
    c.b = b;
    c.engine = e;
    c.channels = std::min({b->plan->streams, d.queues(e), static_cast<int>(b->folios.size())});
    b->split(c.channels, c.shares);
    int used = 0;
    for (const CopyShare& s : c.shares) used += s.units > 0;
    c.left = used;
    c.done = std::move(done);
    // The offload driver requests its channels for each batch (dma_request_channel) and
    // releases them once the batch is copied: a per-batch cost per channel on the caller.
    b->kernel(b->cpu, d.spec(e).chan_setup * static_cast<Tick>(used),
              [this, slot] { submit(slot); });
  }

 private:
  // A batch being copied. Pooled (the shares' storage is kept) and named by slot, so the
  // callbacks are two words and a batch allocates nothing in steady state.
  struct Copy {
    std::shared_ptr<const CopyBatch> b;
    std::vector<CopyShare> shares;
    int engine = 0, channels = 0;
    int left = 0;  // channels whose copy is not over
    std::function<void()> done;
  };

  void submit(std::uint32_t slot) {
    const Copy& c = copies_[slot];
    const CopyBatch& b = *c.b;
    DmaEngines& d = DmaEngines::of(ctx_);
    const int base = rr_queue_++;
    for (int ch = 0; ch < c.channels; ++ch) {
      const CopyShare& s = c.shares[static_cast<std::size_t>(ch)];
      if (s.units == 0) continue;
      DmaCopy dc;
      dc.engine = c.engine;
      dc.queue = (base + ch) % d.queues(c.engine);
      dc.cpu = b.cpu;
      dc.src = b.src;
      dc.dst = b.dst;
      dc.bytes = s.bytes;
      dc.descriptors = s.units;
      dc.sg = b.plan->sg;
      dc.map_cost = b.costs->dma_map;
      d.copy(dc, [this, slot] { channel_done(slot); });
    }
  }

  // The last channel's completion wakes the caller.
  void channel_done(std::uint32_t slot) {
    Copy& c = copies_[slot];
    if (--c.left > 0) return;
    const Tick wake = c.b->costs->worker_wakeup;
    sim::Simulator& sim = c.b->sim();
    std::function<void()> done = std::move(c.done);
    c.done = nullptr;
    c.b.reset();
    copies_.give_back(slot);
    sim.call_after(wake, std::move(done));
  }

  sim::RunContext& ctx_;
  int rr_queue_ = 0;  // channels are taken round-robin across batches
  sim::SlotPool<Copy> copies_;
};

HETSIM_REGISTER(CopyAgent, DmaAgent, "dma");

}  // namespace models
