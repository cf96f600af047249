#include "sim/registry.h"

#include "sim/error.h"

namespace sim {

Catalog& Catalog::get() {
  static Catalog c;
  return c;
}

void Catalog::add(ComponentInfo info) {
  auto key = std::make_pair(info.kind, info.key);
  HETSIM_CHECK(entries_.count(key) == 0, info.kind + " '" + info.key + "' registered twice");
  entries_.emplace(key, std::move(info));
}

std::vector<const ComponentInfo*> Catalog::all() const {
  std::vector<const ComponentInfo*> out;
  for (const auto& [k, v] : entries_) out.push_back(&v);
  return out;
}

const ComponentInfo* Catalog::find(const std::string& kind, const std::string& key) const {
  auto it = entries_.find({kind, key});
  return it == entries_.end() ? nullptr : &it->second;
}

std::vector<std::string> Catalog::keys(const std::string& kind) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : entries_)
    if (k.first == kind) out.push_back(k.second);
  return out;
}

}  // namespace sim
