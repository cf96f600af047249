// Copy agents are a registry, not a closed list: an agent defined here, in a test file only,
// registers with one line, a policy names it, and the mechanism runs batches through it.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "models/migration/copy_agent.h"
#include "models/migration/migration_policy.h"
#include "sim/registry.h"
#include "tests/models/migration/migration_test_util.h"

namespace test_migration_copy_agents {

namespace {

using migration_test::metric;
using migration_test::run;
using sim::Json;

// A copy engine that takes a fixed time per batch and moves the bytes by itself, charging
// nothing to any CPU.
struct FixedTimeAgent : models::CopyAgent {
  static constexpr const char* kDoc = "test: every batch takes 7 us";
  static constexpr sim::Tick kPerBatch = 7 * sim::kUs;
  static const sim::ParamList& params() {
    static const sim::ParamList p;
    return p;
  }
  static inline int copies = 0;
  static inline double bytes = 0;
  explicit FixedTimeAgent(sim::RunContext&) {}
  void copy(const std::shared_ptr<const models::CopyBatch>& b,
            std::function<void()> done) override {
    ++copies;
    for (std::size_t i : b->folios) bytes += static_cast<double>(b->as->folio(i).bytes());
    b->sim().call_after(kPerBatch, std::move(done));
  }
};
HETSIM_REGISTER(models::CopyAgent, FixedTimeAgent, "test_fixed");

struct FixedTimePolicy : models::MigrationPolicy {
  static constexpr const char* kDoc = "test: every batch to the test_fixed agent";
  static const sim::ParamList& params() {
    static const sim::ParamList p = models::migration_policy_params();
    return p;
  }
  FixedTimePolicy(sim::RunContext&, const sim::Params&) {}
  models::CopyPlan decide(const models::BatchInfo&) override {
    models::CopyPlan plan;
    plan.agent = "test_fixed";
    return plan;
  }
};
HETSIM_REGISTER(models::MigrationPolicy, FixedTimePolicy, "test_fixed_policy");

TEST(CopyAgents, ATestOnlyAgentRegistersAndCopiesBatches) {
  FixedTimeAgent::copies = 0;
  FixedTimeAgent::bytes = 0;
  Json r = run(migration_test::move_pages_scenario("agent", "test_fixed_policy", "4KiB", "4MiB"));
  const double batches = metric(r, "migration.batches_test_fixed");
  EXPECT_EQ(batches, 2.0);  // 1024 pages in batches of 512
  EXPECT_EQ(FixedTimeAgent::copies, 2);
  EXPECT_EQ(FixedTimeAgent::bytes, 4.0 * 1024 * 1024);
  EXPECT_EQ(metric(r, "migration.bytes_moved"), 4.0 * 1024 * 1024);
  EXPECT_EQ(metric(r, "migration.batches_cpu"), 0.0);
  // The copy phase is the agent's time, nothing else.
  EXPECT_NEAR(metric(r, "migration.phase.copy_us"), batches * 7.0, 1e-9);
}

TEST(CopyAgents, TheBuiltInAgentsAreRegisteredAndListed) {
  for (const char* key : {"cpu", "mt", "dma"}) {
    EXPECT_TRUE(models::CopyAgent::Registry::known(key)) << key;
    const sim::ComponentInfo* info = sim::Catalog::get().find(models::CopyAgent::kKind, key);
    ASSERT_NE(info, nullptr) << key;
    EXPECT_FALSE(info->doc.empty());
  }
}

TEST(CopyAgents, EntryPointsAreListedWithTheCostsTheyPay) {
  // hetsim list shows each entry point with its machine.migration parameters, the same
  // declarations as the machine section's.
  const sim::ComponentInfo* section = sim::Catalog::get().find("machine.migration", "platform");
  ASSERT_NE(section, nullptr);
  for (const char* key : {"syscall", "fault", "promote", "demote"}) {
    const sim::ComponentInfo* info = sim::Catalog::get().find("migration_entry", key);
    ASSERT_NE(info, nullptr) << key;
    EXPECT_FALSE(info->params.empty()) << key;
    for (const sim::ParamSpec& p : info->params) {
      bool declared = false;
      for (const sim::ParamSpec& q : section->params)
        declared = declared || (q.name == p.name && q.doc == p.doc);
      EXPECT_TRUE(declared) << key << ": " << p.name;
    }
  }
}

}  // namespace

}  // namespace test_migration_copy_agents
