#include "sim/bench/phold.h"

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "sim/component.h"

namespace sim {

namespace {

class PholdNode : public Component {
 public:
  PholdNode(Simulator& s, std::string name) : Component(s, std::move(name)) {}
  void on_message(std::uint64_t msg) {
    ++received_;
    out_[rng().below(4)].send(sim(), msg);
  }
  Link out_[4];
  std::uint64_t received_ = 0;
};

}  // namespace

PholdResult run_phold(int width, int height, Tick stop, std::uint64_t seed, int messages,
                      Tick link_latency) {
  Simulator s(seed);
  std::vector<std::unique_ptr<PholdNode>> nodes;
  nodes.reserve(static_cast<std::size_t>(width) * height);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      nodes.push_back(
          std::make_unique<PholdNode>(s, "phold." + std::to_string(x) + "." + std::to_string(y)));
  auto at = [&](int x, int y) {
    return nodes[static_cast<std::size_t>((y + height) % height) * width + (x + width) % width]
        .get();
  };
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      PholdNode* n = at(x, y);
      n->out_[0] = Link::to<&PholdNode::on_message>(at(x + 1, y), link_latency);
      n->out_[1] = Link::to<&PholdNode::on_message>(at(x - 1, y), link_latency);
      n->out_[2] = Link::to<&PholdNode::on_message>(at(x, y + 1), link_latency);
      n->out_[3] = Link::to<&PholdNode::on_message>(at(x, y - 1), link_latency);
    }
  std::uint64_t id = 0;
  for (auto& n : nodes)
    for (int m = 0; m < messages; ++m) s.at<&PholdNode::on_message>(0, n.get(), id++);

  auto t0 = std::chrono::steady_clock::now();
  Tick end = s.run(stop);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {s.events_executed(), wall, wall > 0 ? static_cast<double>(s.events_executed()) / wall : 0,
          end};
}

}  // namespace sim
