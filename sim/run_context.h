#pragma once
// What a run hands to its models: the simulator, the machine, the scenario's policy
// choices, a place for models to find each other's services, and the run's life cycle
// (finite activities hold the run open; when the last one releases it, the run ends).
#include <functional>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <typeindex>
#include <vector>

#include "sim/json.h"
#include "sim/params.h"
#include "sim/registry.h"
#include "sim/simulator.h"

namespace sim {

class RunContext;

// The machine being simulated. The run layer knows only this interface.
class SystemModel {
 public:
  static constexpr const char* kKind = "machine";
  using Registry = Factory<SystemModel, RunContext&, const Json&, const Where&>;
  virtual ~SystemModel() = default;
  // `format`: "text" for people, "dot" (Graphviz) or "json" for tools.
  virtual void describe(std::ostream& os, const std::string& format) const = 0;
};

// A workload drives the machine: it is built when the run is set up (validating its
// parameters), started at time zero, and asked for its figures when the run ends.
class Workload {
 public:
  static constexpr const char* kKind = "workload";
  using Registry = Factory<Workload, RunContext&, const Params&>;
  virtual ~Workload() = default;
  virtual void start() = 0;
  virtual void finish() {}
};

class RunContext {
 public:
  RunContext(Simulator& sim, Json policies, Where policies_where);
  ~RunContext();

  Simulator& sim() { return sim_; }
  void set_system(std::unique_ptr<SystemModel> s) { system_ = std::move(s); }
  SystemModel& system() { return *system_; }

  // Builds the policy chosen for `slot` (e.g. "migration") from the scenario's "policies"
  // object, or `default_key` when the scenario names none. Unknown keys exit with status 2.
  template <class Base, class... Extra>
  std::unique_ptr<Base> make_policy(const std::string& slot, const std::string& default_key,
                                    Extra&&... extra) {
    Where w = policies_where_.child(slot);
    Json cfg = take_policy(slot);
    std::string key = default_key;
    if (!cfg.is_null()) {
      if (!cfg.is_object()) w.fail("an object with a \"kind\"", describe_value(cfg));
      if (cfg.contains("kind")) {
        if (!cfg["kind"].is_string()) w.child("kind").fail("a string", describe_value(cfg["kind"]));
        key = cfg["kind"].template get<std::string>();
      }
    }
    if (!Base::Registry::known(key))
      w.child("kind").fail(
          "a registered " + std::string(Base::kKind) + " policy (" + join_keys(Base::kKind) + ")",
          "\"" + key + "\"");
    Params p = Params::parse(cfg, Base::Registry::params(key), w);
    return Base::Registry::make(key, *this, p, std::forward<Extra>(extra)...);
  }
  // Slots the scenario named that no model asked for (typos, or models not present).
  std::vector<std::string> unused_policy_slots() const;

  // Services: one model publishes itself, others find it by type.
  template <class T>
  void provide(T* service) {
    services_[std::type_index(typeid(T))] = service;
  }
  template <class T>
  T* find() const {
    auto it = services_.find(std::type_index(typeid(T)));
    return it == services_.end() ? nullptr : static_cast<T*>(it->second);
  }

  // Keeps the run going until every hold() has been matched by a release().
  void hold() { ++holds_; }
  void release();
  int holds() const { return holds_; }
  // Run at the end, in registration order, before statistics are collected.
  void at_finish(std::function<void()> fn) { finishers_.push_back(std::move(fn)); }
  void finish();

  void add_workload(std::unique_ptr<Workload> w) { workloads_.push_back(std::move(w)); }
  // The instance name of the workload being built ("oltp", "oltp1", or the scenario's "name"
  // for it; `kind` when built outside a scenario): it names the workload's RNG stream and
  // prefixes its metrics, so that two workloads of one kind neither share random numbers nor
  // overwrite each other's figures.
  void set_instance(std::string name) { instance_ = std::move(name); }
  std::string instance(const std::string& kind) const {
    return instance_.empty() ? kind : instance_;
  }
  // For workloads whose metrics a "label" (or "tag") parameter named before instances
  // existed: the label when one is given, else the instance name; a lone unnamed instance
  // keeps the label's old default (`lone`), so that its metrics keep their names.
  std::string instance_label(const std::string& kind, const std::string& label,
                             const std::string& lone) const {
    if (!label.empty()) return label;
    const std::string name = instance(kind);
    return name == kind ? lone : name;
  }
  const std::vector<std::unique_ptr<Workload>>& workloads() const { return workloads_; }

  // Owns objects whose lifetime is the run's (models built by other models).
  template <class T>
  T* keep(std::unique_ptr<T> obj) {
    T* raw = obj.get();
    owned_.push_back(std::shared_ptr<void>(std::move(obj)));
    return raw;
  }

 private:
  Json take_policy(const std::string& slot);
  static std::string join_keys(const std::string& kind);

  Simulator& sim_;
  Json policies_;
  Where policies_where_;
  std::set<std::string> taken_;
  std::unique_ptr<SystemModel> system_;
  std::map<std::type_index, void*> services_;
  std::vector<std::unique_ptr<Workload>> workloads_;
  std::vector<std::shared_ptr<void>> owned_;
  std::vector<std::function<void()>> finishers_;
  int holds_ = 0;
  std::string instance_;
};

}  // namespace sim
