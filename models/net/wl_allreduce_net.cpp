// `allreduce_net`: a ring AllReduce between the machines of a cluster, run by host CPUs over
// one network path: the kernel socket path (TCP), AF_XDP sockets, or RDMA verbs. Many small
// AllReduces and a few large ones, one after another. Each of the 2(M-1) ring steps sends
// S/M bytes to the next machine and receives S/M from the previous; the cluster being
// symmetric, one flow stands for both (out through the NIC's transmit link, in through the
// mirror NIC's receive link, models/drm/cluster.h). A message is split into segments of
// `segment_packets` MTU-sized packets that cross the NIC as flows, at most `window` of them
// in flight (not yet delivered to the receiver).
//
// CPU work per path, all on the simulated CPUs through the scheduler (models/net/nic.h for the
// receive side): tcp: sendmsg (syscall, copy from user into sk_buffs with the core's memcpy
// rate over the memory links, TCP/IP transmit per TSO segment); receive through the NIC's
// interrupt and NAPI polls on `irq_cpu` (sk_buff, GRO, TCP/IP) and recvmsg's copy to user on
// `app_cpu`. af_xdp: TX descriptors into the umem ring and a kick per segment; receive
// through NAPI with the XDP program redirecting into the XSK ring (no sk_buff, zero-copy
// umem), the application consuming descriptors. rdma: kernel bypass, no interrupts
// (completions are polled): a post per message and a completion poll on each side; with
// `registration` per_op both buffers are registered before and deregistered after every
// message (ibv_reg_mr: pin_user_pages and IOMMU mappings; ibv_dereg_mr: unpin and an IOTLB
// invalidation through the IOMMU model), with `once` they were registered at setup.
#include <algorithm>
#include <cmath>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "models/drm/cluster.h"
#include "models/iommu/iommu.h"
#include "models/migration/cpu_copy.h"
#include "models/net/nic.h"
#include "sim/run_context.h"

namespace models {

namespace {

const sim::ParamList& allreduce_net_params() {
  static const sim::ParamList p = {
      sim::p_choice("path", "tcp", {"tcp", "af_xdp", "rdma"}, "the network path"),
      sim::p_string("nic", "", "the cluster NIC to use (\"\" = the first one)"),
      sim::p_string("memory", "node0", "memory node of the buffers"),
      sim::p_int("app_cpu", 2, "CPU of the communication thread", 0, 1 << 20),
      sim::p_int("irq_cpu", 4, "CPU the NIC queue's interrupt is affined to", 0, 1 << 20),
      sim::p_size("small_bytes", "64KiB", "size S of a small AllReduce"),
      sim::p_int("small_count", 200, "small AllReduces (run first)", 0, 1 << 24),
      sim::p_size("large_bytes", "64MiB", "size S of a large AllReduce"),
      sim::p_int("large_count", 2, "large AllReduces (after the small ones)", 0, 1 << 20),
      sim::p_int("mtu", 4096, "payload bytes per packet (4 KiB: InfiniBand/RoCE MTU)", 256, 65536),
      sim::p_int("segment_packets", 16,
                 "packets per segment (64 KiB at 4 KiB MTU: a TSO/GSO and GRO unit)", 1, 4096),
      sim::p_int("window", 8, "segments in flight per message", 1, 1 << 20),
      sim::p_int("napi_budget", 64, "packets per NAPI poll (NAPI_POLL_WEIGHT, net/core/dev.c)", 1,
                 1 << 20),
      sim::p_int("netdev_budget", 300,
                 "packets per net_rx_action before ksoftirqd takes over (net.core.netdev_budget)",
                 1, 1 << 20),
      sim::p_time("rx_usecs", "8us", "interrupt coalescing delay (mlx5 default)"),
      sim::p_int("rx_frames", 128, "interrupt coalescing packet count (mlx5 default)", 1, 1 << 20),
      sim::p_time("gro_flush_timeout", "0ns",
                  "hold a partial GRO segment this long after NAPI completes (0 = flush)"),
      sim::p_time("irq_cost", "1us", "hard interrupt handler (est.)"),
      sim::p_time("poll_cost", "300ns", "fixed cost of one NAPI poll (est.)"),
      sim::p_time("driver_cost", "50ns", "driver work per received packet (est.)"),
      sim::p_time("skb_cost", "80ns", "sk_buff allocation and free per packet (est.)"),
      sim::p_time("gro_cost", "40ns", "GRO per packet (est.)"),
      sim::p_time("stack_cost", "1500ns", "IP + TCP receive per GRO segment, ACK included (est.)"),
      sim::p_time("xdp_cost", "40ns", "XDP program and XSK redirect per packet (est.)"),
      sim::p_time("tx_clean_cost", "100ns",
                  "one TX completion cleaned in NAPI: a TSO sk_buff (tcp) or a packet "
                  "descriptor (af_xdp) (est.)"),
      sim::p_time("syscall_cost", "1us", "sendmsg or recvmsg entry per message (est.)"),
      sim::p_time("tcp_tx_cost", "1us", "TCP/IP transmit and driver xmit per TSO segment (est.)"),
      sim::p_time("xsk_packet_cost", "30ns",
                  "AF_XDP: application work per descriptor, each direction (est.)"),
      sim::p_time("xsk_kick_cost", "1us", "AF_XDP: sendto() kick per TX segment (est.)"),
      sim::p_int("rx_ring", 1024,
                 "tcp, af_xdp: RX buffers (4 KiB pages) the driver recycles, mlx5's ring size; "
                 "af_xdp: umem frames per direction",
                 1, 1 << 24),
      sim::p_choice("registration", "once", {"once", "per_op"},
                    "rdma: buffers registered at setup, or registered and deregistered around "
                    "every message"),
      sim::p_time("post_cost", "200ns", "rdma: ibv_post_send and doorbell per message (est.)"),
      sim::p_time("cq_cost", "100ns", "rdma: completion poll per message and side (est.)"),
      sim::p_time("reg_cost", "5us",
                  "rdma: ibv_reg_mr fixed cost (syscall, MR object, NIC key) (est.)"),
      sim::p_time("dereg_cost", "3us", "rdma: ibv_dereg_mr fixed cost (est.)"),
      sim::p_time("pin_cost", "100ns",
                  "rdma: pin_user_pages per 4 KiB page, unpin included (est.)"),
      sim::p_time("pte_cost", "10ns", "rdma: IOMMU PTE write per IOMMU page (est., as dma_map)"),
      sim::p_choice("iommu_page", "4KiB", {"4KiB", "2MiB"},
                    "rdma: IOMMU page size of the registered buffers (2MiB: huge-page backed)"),
  };
  return p;
}

NetPath allreduce_net_path(const std::string& s) {
  return s == "rdma" ? NetPath::Rdma : s == "af_xdp" ? NetPath::AfXdp : NetPath::Tcp;
}

}  // namespace

class AllreduceNet : public sim::Workload {
 public:
  static constexpr const char* kDoc =
      "ring AllReduce between cluster machines by host CPUs over tcp, af_xdp or rdma: NIC "
      "interrupts, NAPI, GRO, per-packet kernel costs, RDMA memory registration";
  static const sim::ParamList& params() { return allreduce_net_params(); }

  AllreduceNet(sim::RunContext& ctx, const sim::Params& p)
      : ctx_(ctx), name_(ctx.instance("allreduce_net")), m_(Machine::of(ctx)) {
    path_ = allreduce_net_path(p.s("path"));
    auto cl = machine_cluster(m_);
    if (!cl)
      p.where("path").fail("a machine with a cluster (machine.cluster.nodes > 1)",
                           "a single machine");
    nodes_ = cl->nodes;
    auto nic = find_cluster_nic(m_, p.s("nic"));
    if (!nic) p.where("nic").fail("the name of a cluster NIC", "\"" + p.s("nic") + "\"");
    mem_ = m_.node_by_name(p.s("memory"), p.where("memory"));
    const auto mv = m_.graph().find(p.s("memory"));
    if (!mv) p.where("memory").fail("a memory node of the machine graph", p.s("memory"));
    path_links_ = nic_remote_path(m_, *nic, *mv, *mv);
    line_rate_ = m_.flows().capacity(nic->tx);
    auto cpu = [&](const char* key) {
      const auto c = p.i(key);
      if (c >= m_.cpu_count())
        p.where(key).fail("a CPU below " + std::to_string(m_.cpu_count()), std::to_string(c));
      return static_cast<int>(c);
    };
    app_cpu_ = cpu("app_cpu");
    irq_cpu_ = cpu("irq_cpu");
    for (int i = 0; i < p.i("small_count"); ++i)
      ops_.push_back({static_cast<double>(p.size("small_bytes")), 0});
    for (int i = 0; i < p.i("large_count"); ++i)
      ops_.push_back({static_cast<double>(p.size("large_bytes")), 1});
    if (ops_.empty()) p.where("small_count").fail("at least one AllReduce", "0 small and 0 large");
    for (const char* k : {"small_bytes", "large_bytes"})
      if (p.size(k) < static_cast<std::uint64_t>(nodes_))
        p.where(k).fail("at least one byte per machine", std::to_string(p.size(k)));
    mtu_ = static_cast<int>(p.i("mtu"));
    seg_pkts_ = static_cast<int>(p.i("segment_packets"));
    window_ = static_cast<int>(p.i("window"));
    syscall_ = p.time("syscall_cost");
    tcp_tx_ = p.time("tcp_tx_cost");
    xsk_pkt_ = p.time("xsk_packet_cost");
    xsk_kick_ = p.time("xsk_kick_cost");
    per_op_ = p.s("registration") == "per_op";
    post_ = p.time("post_cost");
    cq_ = p.time("cq_cost");
    reg_ = p.time("reg_cost");
    dereg_ = p.time("dereg_cost");
    pin_ = p.time("pin_cost");
    pte_ = p.time("pte_cost");
    io_shift_ = p.s("iommu_page") == "2MiB" ? 21 : 12;
    auto& st = ctx.sim().stats();
    small_lat_ = &st.histogram(name_ + ".small_msg_latency", "us", static_cast<double>(sim::kUs));
    large_lat_ = &st.histogram(name_ + ".large_msg_latency", "us", static_cast<double>(sim::kUs));
    copy_ps_ = &st.counter(name_ + ".copy_cpu_ps");
    iommu_ = &Iommu::of(ctx);
    nic_dev_ = iommu_->add_device(false);
    rx_ring_ = static_cast<std::uint64_t>(p.i("rx_ring"));
    if (path_ == NetPath::Rdma) return;
    NetRxCosts c;
    c.driver = p.time("driver_cost");
    c.skb = p.time("skb_cost");
    c.gro = p.time("gro_cost");
    c.stack = p.time("stack_cost");
    c.xdp = p.time("xdp_cost");
    c.irq = p.time("irq_cost");
    c.poll = p.time("poll_cost");
    c.tx_clean = p.time("tx_clean_cost");
    NapiConfig n;
    n.budget = static_cast<int>(p.i("napi_budget"));
    n.netdev_budget = static_cast<int>(p.i("netdev_budget"));
    n.rx_usecs = p.time("rx_usecs");
    n.rx_frames = static_cast<int>(p.i("rx_frames"));
    n.gro_flush_timeout = p.time("gro_flush_timeout");
    n.gro_packets = seg_pkts_;
    rx_ = std::make_unique<NicRx>(ctx.sim(), m_.exec(), irq_cpu_, path_, c, n,
                                  [this](double b) { delivered(b); });
  }

  void start() override {
    ctx_.hold();
    next_op();
  }

  void finish() override {
    auto& st = ctx_.sim().stats();
    const double share = 2.0 * (nodes_ - 1) / nodes_;
    for (int k = 0; k < 2; ++k) {
      // NaN (null in results) when no AllReduce of the kind completed: a run cut short, or
      // the zero-length run of `hetsim check`.
      const double t = count_[k] > 0 ? sim::to_seconds(time_[k]) / count_[k] : std::nan("");
      const std::string pre = name_ + (k == 0 ? ".small" : ".large");
      st.set_metric(pre + "_time_us", t * 1e6);
      st.set_metric(pre + "_busbw_gbps", bytes_[k] / count_[k] / t * share / 1e9);
    }
    const NicRxStats rx = rx_ ? rx_->stats() : NicRxStats{};
    const double cpu = static_cast<double>(cpu_ + rx.cpu) + copy_ps_->value();
    const double pk = std::max<double>(1.0, static_cast<double>(packets_));
    st.set_metric(name_ + ".packets", static_cast<double>(packets_));
    st.set_metric(name_ + ".messages", static_cast<double>(messages_));
    st.set_metric(name_ + ".cpu_ns_per_packet", cpu / pk / static_cast<double>(sim::kNs));
    st.set_metric(name_ + ".rx_cpu_ns_per_packet",
                  static_cast<double>(rx.cpu) / pk / static_cast<double>(sim::kNs));
    st.set_metric(name_ + ".cpu_us_per_message",
                  cpu / std::max<double>(1.0, static_cast<double>(messages_)) /
                      static_cast<double>(sim::kUs));
    st.set_metric(name_ + ".interrupts", static_cast<double>(rx.interrupts));
    st.set_metric(name_ + ".napi_polls", static_cast<double>(rx.polls));
    st.set_metric(name_ + ".napi_max_packets", rx.max_poll);
    st.set_metric(name_ + ".ksoftirqd_polls", static_cast<double>(rx.ksoftirqd_polls));
    st.set_metric(name_ + ".gro_segments", static_cast<double>(rx.gro_segments));
    st.set_metric(name_ + ".tx_completions", static_cast<double>(rx.tx_completions));
    st.set_metric(name_ + ".pinned_pages", static_cast<double>(pinned_));
    st.set_metric(name_ + ".iommu_stall_us_per_message",
                  static_cast<double>(iommu_stall_) /
                      std::max<double>(1.0, static_cast<double>(messages_)) /
                      static_cast<double>(sim::kUs));
    st.set_metric(name_ + ".line_rate_gbps", line_rate_ / 1e9);
    st.set_metric(name_ + ".max_msg_gbps", max_rate_ / 1e9);
    st.set_metric(name_ + ".completed", done_ops_ == ops_.size() ? 1.0 : 0.0);
  }

 private:
  // One AllReduce: 2(M-1) ring steps, one message each.
  void next_op() {
    if (op_ >= ops_.size()) {
      ctx_.release();
      return;
    }
    op_start_ = ctx_.sim().now();
    step_ = 0;
    next_step();
  }

  void next_step() {
    if (step_ == 2 * (nodes_ - 1)) {
      const int k = ops_[op_].kind;
      time_[k] += ctx_.sim().now() - op_start_;
      bytes_[k] += ops_[op_].bytes;
      ++count_[k];
      ++done_ops_;
      ++op_;
      next_op();
      return;
    }
    ++step_;
    msg_bytes_ = std::ceil(ops_[op_].bytes / nodes_);
    msg_pkts_ = static_cast<int>(std::ceil(msg_bytes_ / mtu_));
    msg_segs_ = (msg_pkts_ + seg_pkts_ - 1) / seg_pkts_;
    sent_segs_ = 0;
    in_flight_ = 0;
    received_ = 0;
    msg_start_ = ctx_.sim().now();
    ++messages_;
    packets_ += static_cast<std::uint64_t>(msg_pkts_);
    // The message's fixed send-side work, then its segments.
    Tick fixed = path_ == NetPath::Tcp ? syscall_ : path_ == NetPath::Rdma ? post_ : 0;
    if (path_ == NetPath::Rdma && per_op_) {
      const auto pages = static_cast<std::uint64_t>(std::ceil(msg_bytes_ / 4096.0));
      // send and receive buffers: pin every base page, write the IOMMU PTEs
      fixed += 2 * (reg_ + static_cast<Tick>(pages) * pin_ + static_cast<Tick>(io_pages()) * pte_);
      pinned_ += 2 * pages;
    }
    if (path_ == NetPath::Rdma) {
      // A per-message registration maps fresh IOVAs (both buffers); a registered-once buffer
      // keeps its IOVAs, the ring step's chunk of it.
      const std::uint64_t pages = io_pages();
      msg_iova_ = per_op_ ? iova_ : static_cast<std::uint64_t>(step_ % nodes_) * pages;
      if (per_op_) iova_ += 2 * pages;
    }
    app(fixed, [this] { pump(); });
  }

  // The NIC's DMA of a segment (bytes from `offset` of the message) through the IOMMU: it
  // reads the send buffer and (on the mirror machine) writes the receive buffer. tcp sends
  // from sk_buff pages mapped per send (fresh IOVAs) and receives into the driver's recycled
  // RX ring pages; af_xdp uses its umem's frames for both; rdma the registered buffers.
  Tick nic_translate(double offset, double bytes) {
    const int shift = path_ == NetPath::Rdma ? io_shift_ : 12;
    const double unit = static_cast<double>(1ULL << shift);
    const auto off = static_cast<std::uint64_t>(offset / unit);
    const auto pages = static_cast<std::uint64_t>(std::ceil((offset + bytes) / unit)) - off;
    std::uint64_t tx = 0, rx = 0;
    if (path_ == NetPath::Rdma) {
      tx = msg_iova_ + off;
      rx = msg_iova_ + (per_op_ ? io_pages() : kRecvIova) + off;
    } else if (path_ == NetPath::Tcp) {
      tx = kSkbIova + skb_iova_;
      skb_iova_ += pages;
      rx = kRxIova + rx_cursor_ % rx_ring_;
    } else {
      tx = kRxIova + rx_cursor_ % rx_ring_;  // the umem's TX half
      rx = kRxIova + rx_ring_ + rx_cursor_ % rx_ring_;
    }
    rx_cursor_ += pages;
    const Tick wire = sim::transfer_time(bytes, line_rate_);
    Tick ctx_tx = 0, ctx_rx = 0;
    const Tick stall = iommu_->translate(nic_dev_, 0, true, tx, pages, shift, wire, ctx_tx) +
                       iommu_->translate(nic_dev_, 0, true, rx, pages, shift, wire, ctx_rx);
    iommu_stall_ += stall + ctx_tx + ctx_rx;
    return stall + ctx_tx + ctx_rx;
  }

  std::uint64_t io_pages() const {
    return static_cast<std::uint64_t>(
        std::ceil(msg_bytes_ / static_cast<double>(1ULL << io_shift_)));
  }

  void app(Tick work, std::function<void()> done) {
    cpu_ += work;
    m_.exec().kernel(app_cpu_, work, std::move(done));
  }

  void pump() {
    while (sent_segs_ < msg_segs_ && in_flight_ < window_) {
      const int first = sent_segs_ * seg_pkts_;
      const int pkts = std::min(seg_pkts_, msg_pkts_ - first);
      const double bytes = std::min(static_cast<double>(pkts) * mtu_,
                                    msg_bytes_ - static_cast<double>(first) * mtu_);
      ++sent_segs_;
      ++in_flight_;
      const double offset = static_cast<double>(first) * mtu_;
      auto send = [this, pkts, bytes, offset] {
        ctx_.sim().call_after(nic_translate(offset, bytes), [this, pkts, bytes] {
          sim::FlowNetwork::Spec f;
          f.path = path_links_;
          f.bytes = bytes;
          f.on_done = [this, pkts, bytes] { arrived(pkts, bytes); };
          m_.flows().start(std::move(f));
        });
      };
      if (path_ == NetPath::Tcp) {
        // sendmsg: copy from the user buffer into sk_buffs, then TCP/IP transmit.
        cpu_ += tcp_tx_;
        thread_copy(bytes, [this, send] { m_.exec().kernel(app_cpu_, tcp_tx_, send); });
      } else if (path_ == NetPath::AfXdp) {
        app(xsk_kick_ + xsk_pkt_ * pkts, send);
      } else {
        send();  // the NIC segments the posted message itself
      }
    }
  }

  // The communication thread copies one buffer at a time (sendmsg and recvmsg alike).
  void thread_copy(double bytes, std::function<void()> done) {
    copies_.push_back({bytes, std::move(done)});
    if (!copying_) next_copy();
  }

  void next_copy() {
    if (copies_.empty()) {
      copying_ = false;
      return;
    }
    copying_ = true;
    CpuCopyRequest r;
    r.cpu = app_cpu_;
    r.src = r.dst = mem_;
    r.bytes = copies_.front().first;
    r.cpu_ps = copy_ps_;
    cpu_copy(m_, r, [this] {
      auto done = std::move(copies_.front().second);
      copies_.pop_front();
      done();
      next_copy();
    });
  }

  void arrived(int pkts, double bytes) {
    if (rx_) {
      rx_->tx_complete(path_ == NetPath::Tcp ? 1 : pkts);  // our segment left the NIC
      rx_->arrive(pkts, bytes);  // the mirror machine's segment reached it
      return;
    }
    delivered(bytes);  // RDMA: the NIC writes into the registered receive buffer
  }

  // Bytes reach the layer above the driver (the socket queue, the XSK ring, the MR).
  void delivered(double bytes) {
    auto land = [this, bytes] {
      received_ += bytes;
      const int whole = static_cast<int>(received_ / (static_cast<double>(seg_pkts_) * mtu_));
      in_flight_ = sent_segs_ - std::min(sent_segs_, whole);
      if (received_ + 0.5 >= msg_bytes_) {
        message_done();
        return;
      }
      pump();
    };
    if (path_ == NetPath::Tcp) {
      thread_copy(bytes, land);  // recvmsg: copy from sk_buffs to the user buffer
    } else if (path_ == NetPath::AfXdp) {
      const auto pkts = static_cast<Tick>(std::ceil(bytes / mtu_));
      app(xsk_pkt_ * pkts, land);
    } else {
      land();
    }
  }

  void message_done() {
    const Tick now = ctx_.sim().now();
    const double rate = msg_bytes_ / sim::to_seconds(std::max<Tick>(1, now - msg_start_));
    max_rate_ = std::max(max_rate_, rate);
    auto finish_msg = [this] {
      const Tick lat = ctx_.sim().now() - msg_start_;
      (ops_[op_].kind == 0 ? small_lat_ : large_lat_)->record(static_cast<std::uint64_t>(lat));
      next_step();
    };
    if (path_ == NetPath::Tcp) {
      app(syscall_, finish_msg);  // recvmsg returns
      return;
    }
    if (path_ == NetPath::AfXdp) {
      finish_msg();
      return;
    }
    if (!per_op_) {
      app(2 * cq_, finish_msg);  // send and receive completions
      return;
    }
    // ibv_dereg_mr of both buffers: unpin, clear the IOMMU PTEs, invalidate the IOTLB.
    const std::uint64_t pages = io_pages();
    app(2 * cq_ + 2 * (dereg_ + static_cast<Tick>(pages) * pte_), [this, pages, finish_msg] {
      const std::uint64_t first = msg_iova_;
      iommu_->invalidate_range(nic_dev_, first, pages, io_shift_, [this, first, pages, finish_msg] {
        iommu_->invalidate_range(nic_dev_, first + pages, pages, io_shift_, finish_msg);
      });
    });
  }

  sim::RunContext& ctx_;
  const std::string name_;
  Machine& m_;
  NetPath path_;
  int nodes_ = 2, mem_ = 0, app_cpu_ = 0, irq_cpu_ = 0;
  std::vector<LinkId> path_links_;
  double line_rate_ = 0;
  struct Op {
    double bytes;
    int kind;  // 0 small, 1 large
  };
  std::vector<Op> ops_;
  int mtu_ = 4096, seg_pkts_ = 16, window_ = 8;
  Tick syscall_, tcp_tx_, xsk_pkt_, xsk_kick_, post_, cq_, reg_, dereg_, pin_, pte_;
  bool per_op_ = false;
  int io_shift_ = 12;
  Iommu* iommu_ = nullptr;
  int nic_dev_ = -1;
  std::uint64_t iova_ = 0, msg_iova_ = 0;
  // IOVA page offsets: a registered receive buffer, sk_buff pages, the RX ring or umem
  static constexpr std::uint64_t kRecvIova = 1ULL << 28, kSkbIova = 1ULL << 32,
                                 kRxIova = 1ULL << 30;
  std::uint64_t skb_iova_ = 0, rx_cursor_ = 0, rx_ring_ = 1024;
  Tick iommu_stall_ = 0;
  std::unique_ptr<NicRx> rx_;
  std::deque<std::pair<double, std::function<void()>>> copies_;
  bool copying_ = false;
  sim::Histogram *small_lat_, *large_lat_;
  sim::Counter* copy_ps_;
  // progress
  std::size_t op_ = 0, done_ops_ = 0;
  int step_ = 0;
  Tick op_start_ = 0, msg_start_ = 0;
  double msg_bytes_ = 0, received_ = 0;
  int msg_pkts_ = 0, msg_segs_ = 0, sent_segs_ = 0, in_flight_ = 0;
  // results
  Tick time_[2] = {0, 0};
  double bytes_[2] = {0, 0};
  int count_[2] = {0, 0};
  std::uint64_t messages_ = 0, packets_ = 0, pinned_ = 0;
  Tick cpu_ = 0;
  double max_rate_ = 0;
};

HETSIM_REGISTER(sim::Workload, AllreduceNet, "allreduce_net");

}  // namespace models
