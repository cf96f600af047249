#pragma once
// The receive side of a NIC queue and the kernel's network receive path, as in
// net/core/dev.c: packets DMAed into an RX ring raise an interrupt after interrupt
// coalescing (`rx_usecs` after the first pending packet, or at once with `rx_frames`
// pending); the handler masks the queue's interrupt and schedules NAPI; net_rx_action polls
// the queue in softirq context on the CPU the interrupt is affined to, at most `budget`
// (64, NAPI_POLL_WEIGHT) packets per poll and `netdev_budget` (300) packets per softirq run,
// after which the remaining polls go to ksoftirqd (the CPU's kernel worker). A poll that
// empties the ring completes NAPI and unmasks the interrupt.
//
// Per packet the poll pays the driver's descriptor work and, by path, the sk_buff
// allocation and GRO (socket path) or the XDP program and the AF_XDP ring redirect (no
// sk_buff). GRO merges the packets of the flow into segments of up to `gro_packets`; a full
// segment goes up the TCP/IP stack at once; a partial one is flushed at the end of the poll,
// or, with `gro_flush_timeout` > 0, held until that timer fires (the next poll merges more
// into it). Delivered bytes are handed to `deliver` (the socket queue or the XSK ring).
#include <cstdint>
#include <deque>
#include <functional>

#include "models/cpu/cpu_exec.h"
#include "sim/simulator.h"

namespace models {

enum class NetPath { Tcp, AfXdp, Rdma };

// Per-packet and per-segment CPU costs of the receive path (the costs of one poll).
struct NetRxCosts {
  Tick driver = 0;  // descriptor, DMA sync, buffer refill: every path through the driver
  Tick skb = 0;     // sk_buff allocation and free (socket path only)
  Tick gro = 0;     // GRO lookup and merge of one packet (socket path only)
  Tick stack = 0;   // IP + TCP receive of one GRO segment, ACK included (socket path)
  Tick xdp = 0;     // XDP program and redirect into the AF_XDP ring (AF_XDP only)
  Tick irq = 0;     // the hard interrupt handler
  Tick poll = 0;    // fixed cost of one NAPI poll (napi_poll, ring doorbell)
  // One completed TX descriptor: unmap and free the sk_buff, or post it to the AF_XDP
  // completion ring (cleaned in the queue's poll).
  Tick tx_clean = 0;
};

struct NapiConfig {
  int budget = 64;          // packets per poll (NAPI_POLL_WEIGHT)
  int netdev_budget = 300;  // packets per net_rx_action before ksoftirqd takes over
  Tick rx_usecs = 0;        // interrupt coalescing: delay after the first pending packet
  int rx_frames = 1;        // interrupt coalescing: pending packets that raise it at once
  Tick gro_flush_timeout = 0;
  int gro_packets = 16;  // packets of one GRO segment (64 KiB / MTU)
};

struct NicRxStats {
  std::uint64_t interrupts = 0, polls = 0, ksoftirqd_polls = 0, packets = 0, gro_segments = 0,
                tx_completions = 0;
  int max_poll = 0;  // most packets one poll processed
  Tick cpu = 0;      // CPU time of interrupts and polls
};

class NicRx {
 public:
  // `deliver(bytes)` runs when bytes reach the layer above the driver (after TCP/IP for the
  // socket path, after the XDP redirect for AF_XDP).
  NicRx(sim::Simulator& sim, CpuExec& exec, int cpu, NetPath path, NetRxCosts costs, NapiConfig cfg,
        std::function<void(double)> deliver);
  // `packets` packets carrying `bytes` in all land in the RX ring now.
  void arrive(int packets, double bytes);
  // The NIC completed `descriptors` TX descriptors: their completions are cleaned by the
  // queue's NAPI poll (the same interrupt and poll as receives, as mlx5 does).
  void tx_complete(int descriptors);
  const NicRxStats& stats() const { return st_; }

 private:
  struct Batch {
    int packets;
    double bytes;
  };
  void maybe_interrupt();
  void fire_interrupt();
  void run_poll();
  void after_poll();
  Tick poll_cost(int n, int segments) const;

  sim::Simulator& sim_;
  CpuExec& exec_;
  int cpu_;
  NetPath path_;
  NetRxCosts c_;
  NapiConfig cfg_;
  std::function<void(double)> deliver_;
  std::deque<Batch> ring_;
  int pending_ = 0;
  int tx_pending_ = 0;
  bool irq_masked_ = false;    // NAPI scheduled or running
  bool irq_timer_ = false;     // coalescing timer armed
  std::uint64_t irq_gen_ = 0;  // coalescing timer generation
  bool gro_timer_ = false;
  bool timer_poll_ = false;  // the running poll was scheduled by the GRO timer
  int softirq_packets_ = 0;  // packets of the current net_rx_action run
  int gro_held_ = 0;         // packets merged into the held GRO segment
  double gro_bytes_ = 0;
  NicRxStats st_;
};

}  // namespace models
