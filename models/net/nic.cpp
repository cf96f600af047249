// A NIC receive queue with interrupt coalescing, NAPI polling and GRO (see nic.h).
#include "models/net/nic.h"

#include <algorithm>
#include <utility>

#include "sim/error.h"

namespace models {

NicRx::NicRx(sim::Simulator& sim, CpuExec& exec, int cpu, NetPath path, NetRxCosts costs,
             NapiConfig cfg, std::function<void(double)> deliver)
    : sim_(sim),
      exec_(exec),
      cpu_(cpu),
      path_(path),
      c_(costs),
      cfg_(cfg),
      deliver_(std::move(deliver)) {
  HETSIM_CHECK(
      cfg_.budget > 0 && cfg_.netdev_budget > 0 && cfg_.rx_frames > 0 && cfg_.gro_packets > 0,
      "NAPI configuration out of range");
  HETSIM_CHECK(path_ != NetPath::Rdma, "RDMA receives bypass the kernel: no NAPI queue");
}

void NicRx::arrive(int packets, double bytes) {
  if (packets <= 0) return;
  ring_.push_back({packets, bytes});
  pending_ += packets;
  if (!irq_masked_) maybe_interrupt();
}

void NicRx::tx_complete(int descriptors) {
  if (descriptors <= 0) return;
  tx_pending_ += descriptors;
  if (!irq_masked_) maybe_interrupt();
}

void NicRx::maybe_interrupt() {
  if (pending_ + tx_pending_ >= cfg_.rx_frames || cfg_.rx_usecs == 0) {
    fire_interrupt();
    return;
  }
  if (irq_timer_) return;
  irq_timer_ = true;
  const std::uint64_t gen = ++irq_gen_;
  sim_.call_after(cfg_.rx_usecs, [this, gen] {
    if (gen != irq_gen_ || !irq_timer_) return;
    irq_timer_ = false;
    if (!irq_masked_ && pending_ + tx_pending_ > 0) fire_interrupt();
  });
}

void NicRx::fire_interrupt() {
  irq_timer_ = false;
  ++irq_gen_;
  irq_masked_ = true;  // the handler masks the queue and schedules NAPI
  ++st_.interrupts;
  st_.cpu += c_.irq;
  exec_.irq(cpu_, c_.irq, [this] {
    softirq_packets_ = 0;
    run_poll();
  });
}

Tick NicRx::poll_cost(int n, int segments) const {
  const Tick per_packet = c_.driver + (path_ == NetPath::Tcp ? c_.skb + c_.gro : c_.xdp);
  return c_.poll + per_packet * n + c_.stack * segments;
}

void NicRx::run_poll() {
  const int n = std::min(cfg_.budget, pending_);
  double bytes = 0;
  for (int need = n; need > 0;) {
    Batch& b = ring_.front();
    const int k = std::min(need, b.packets);
    const double part = b.bytes * k / b.packets;
    bytes += part;
    b.bytes -= part;
    b.packets -= k;
    need -= k;
    if (b.packets == 0) ring_.pop_front();
  }
  pending_ -= n;
  // The poll that empties the ring ends NAPI: GRO is flushed then, unless gro_flush_timeout
  // holds the partial segment for its timer (a poll the timer scheduled flushes it).
  const bool last = pending_ == 0;
  const bool flush_all = last && (cfg_.gro_flush_timeout == 0 || timer_poll_);
  int segments = 0;
  double up = bytes;
  if (path_ == NetPath::Tcp) {
    const int total = gro_held_ + n;
    const double total_bytes = gro_bytes_ + bytes;
    int flushed = total - total % cfg_.gro_packets;
    segments = total / cfg_.gro_packets;
    if (flush_all && flushed < total) {
      flushed = total;
      ++segments;
    }
    up = total > 0 ? total_bytes * flushed / total : 0;
    gro_held_ = total - flushed;
    gro_bytes_ = total_bytes - up;
  }
  const int tx = tx_pending_;
  tx_pending_ = 0;
  st_.tx_completions += static_cast<std::uint64_t>(tx);
  const Tick cost = poll_cost(n, segments) + c_.tx_clean * tx;
  ++st_.polls;
  st_.packets += static_cast<std::uint64_t>(n);
  st_.gro_segments += static_cast<std::uint64_t>(segments);
  st_.max_poll = std::max(st_.max_poll, n);
  st_.cpu += cost;
  auto done = [this, up] {
    if (up > 0) deliver_(up);
    after_poll();
  };
  // net_rx_action polls in the softirq that follows the interrupt until it has processed
  // netdev_budget packets; the rest of the work is ksoftirqd's, a thread scheduled like others.
  if (softirq_packets_ < cfg_.netdev_budget) {
    softirq_packets_ += n;
    exec_.irq(cpu_, cost, std::move(done));
  } else {
    ++st_.ksoftirqd_polls;
    exec_.kernel(cpu_, cost, std::move(done));
  }
}

void NicRx::after_poll() {
  if (pending_ > 0 || tx_pending_ > 0) {
    run_poll();  // NAPI stays scheduled: more packets arrived or the budget ran out
    return;
  }
  irq_masked_ = false;  // napi_complete_done: the driver unmasks the interrupt
  timer_poll_ = false;
  softirq_packets_ = 0;
  if (gro_held_ > 0 && cfg_.gro_flush_timeout > 0 && !gro_timer_) {
    gro_timer_ = true;
    sim_.call_after(cfg_.gro_flush_timeout, [this] {
      gro_timer_ = false;
      if (gro_held_ == 0) return;
      timer_poll_ = true;
      if (irq_masked_) return;  // a poll is under way: its last one flushes
      irq_masked_ = true;
      softirq_packets_ = 0;
      run_poll();
    });
  }
}

}  // namespace models
