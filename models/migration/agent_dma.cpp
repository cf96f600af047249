// `dma`: the copy offloaded to a DMA engine (models/dma) through the offload driver: each folio
// one descriptor (one dmaengine_prep_dma_memcpy), folios dealt to channels in turn, so never
// more channels than folios and a folio never split; the caller requests its channels for
// each batch and releases them after, and sleeps until the last channel's completion callback
// wakes it. On a machine without an engine the driver falls back to the CPU.
#include <algorithm>
#include <memory>
#include <vector>

#include "models/dma/dma_engine.h"
#include "models/migration/copy_agent.h"

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
    const int channels =
        std::min({b->plan->streams, d.queues(e), static_cast<int>(b->folios.size())});
    std::vector<CopyShare> shares = b->split(channels);
    int used = 0;
    for (const CopyShare& s : shares) used += s.units > 0;
    const Tick wake = b->costs->worker_wakeup;
    auto join = std::make_shared<Join>(
        Join{used, [b, wake, done = std::move(done)] { b->sim().call_after(wake, done); }});
    // The offload driver requests its channels for each batch (dma_request_channel) and
    // releases them once the batch is copied: a per-batch cost per channel on the caller.
    b->kernel(b->cpu, d.spec(e).chan_setup * static_cast<Tick>(used),
              [this, b, e, channels, shares, join] {
                DmaEngines& d = DmaEngines::of(ctx_);
                const int base = rr_queue_++;
                for (int c = 0; c < channels; ++c) {
                  const CopyShare& s = shares[static_cast<std::size_t>(c)];
                  if (s.units == 0) continue;
                  DmaCopy dc;
                  dc.engine = e;
                  dc.queue = (base + c) % d.queues(e);
                  dc.cpu = b->cpu;
                  dc.src = b->src;
                  dc.dst = b->dst;
                  dc.bytes = s.bytes;
                  dc.descriptors = s.units;
                  dc.sg = b->plan->sg;
                  dc.map_cost = b->costs->dma_map;
                  d.copy(dc, [join] {
                    if (--join->left == 0) join->done();
                  });
                }
              });
  }

 private:
  struct Join {
    int left;
    std::function<void()> done;
  };
  sim::RunContext& ctx_;
  int rr_queue_ = 0;  // channels are taken round-robin across batches
};

HETSIM_REGISTER(CopyAgent, DmaAgent, "dma");

}  // namespace models
