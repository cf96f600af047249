#pragma once
// One-line registration of models, workloads and policies by string key. Each kind of
// pluggable thing has one interface with a nested Registry; every entry also lands in the
// Catalog, which `hetsim list` and the Python bindings print.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "sim/params.h"

namespace sim {

struct ComponentInfo {
  std::string kind;  // "workload", "migration", "balance", "machine", ...
  std::string key;   // "move_pages", "dma", "push", ...
  std::string doc;
  ParamList params;
};

class Catalog {
 public:
  static Catalog& get();
  void add(ComponentInfo info);
  // Sorted by (kind, key).
  std::vector<const ComponentInfo*> all() const;
  const ComponentInfo* find(const std::string& kind, const std::string& key) const;
  std::vector<std::string> keys(const std::string& kind) const;

 private:
  std::map<std::pair<std::string, std::string>, ComponentInfo> entries_;
};

template <class Base, class... Args>
class Factory {
 public:
  // A std::function so that entries can also be added at run time (e.g. from Python).
  using Maker = std::function<std::unique_ptr<Base>(Args...)>;

  template <class C>
  static std::unique_ptr<Base> construct(Args... args) {
    return std::make_unique<C>(args...);
  }
  static bool add(const std::string& key, std::string doc, ParamList params, Maker m) {
    Catalog::get().add({Base::kKind, key, std::move(doc), std::move(params)});
    makers()[key] = m;
    return true;
  }
  // nullptr when the key is unknown.
  static std::unique_ptr<Base> make(const std::string& key, Args... args) {
    auto it = makers().find(key);
    if (it == makers().end()) return nullptr;
    return it->second(args...);
  }
  static const ParamList& params(const std::string& key) {
    static const ParamList none;
    const ComponentInfo* info = Catalog::get().find(Base::kKind, key);
    return info ? info->params : none;
  }
  static bool known(const std::string& key) { return makers().count(key) > 0; }

 private:
  static std::map<std::string, Maker>& makers() {
    static std::map<std::string, Maker> m;
    return m;
  }
};

#define HETSIM_CONCAT_INNER(a, b) a##b
#define HETSIM_CONCAT(a, b) HETSIM_CONCAT_INNER(a, b)
// Registers Class (with static kDoc and params()) under `key` in Base's registry.
#define HETSIM_REGISTER(Base, Class, key)                                          \
  [[maybe_unused]] static const bool HETSIM_CONCAT(hetsim_registered_, __COUNTER__) = \
      Base::Registry::add(key, Class::kDoc, Class::params(),                       \
                          &Base::Registry::template construct<Class>)

}  // namespace sim
