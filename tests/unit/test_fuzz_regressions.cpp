// Every input under tests/fuzz/regressions/ once made the parsers misbehave (or probes an
// edge of them): each must now build or fail with a bad-input error, nothing else.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/error.h"
#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_fuzz_regressions {

namespace {

namespace fs = std::filesystem;

TEST(FuzzRegressions, EachInputIsAcceptedOrRejectedCleanly) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("tests/fuzz/regressions")) {
    if (!e.is_regular_file()) continue;
    ++n;
    std::ifstream in(e.path(), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    try {
      sim::Scenario sc = sim::scenario_from_json(sim::parse_json_text(ss.str(), e.path().string()),
                                                 e.path().string());
      for (const auto& p : sim::expand_sweep(sc)) sim::check_point(sc, p);
    } catch (const sim::InputError& err) {
      EXPECT_NE(std::string(err.what()).find("expected"), std::string::npos) << e.path();
    } catch (const std::exception& other) {
      ADD_FAILURE() << e.path() << ": " << other.what();
    }
  }
  EXPECT_GT(n, 0);
}

}  // namespace

}  // namespace test_fuzz_regressions
