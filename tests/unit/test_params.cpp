#include <gtest/gtest.h>

#include "sim/params.h"
#include "sim/rng.h"
#include "sim/units.h"

namespace test_params {

namespace {

using sim::Json;

TEST(Units, ParseEachDimension) {
  EXPECT_DOUBLE_EQ(*sim::parse_quantity("110ns", sim::Dimension::Time), 110e3);
  EXPECT_DOUBLE_EQ(*sim::parse_quantity("2.5us", sim::Dimension::Time), 2.5e6);
  EXPECT_DOUBLE_EQ(*sim::parse_quantity("2MiB", sim::Dimension::Size), 2097152);
  EXPECT_DOUBLE_EQ(*sim::parse_quantity("1GB", sim::Dimension::Size), 1e9);
  EXPECT_DOUBLE_EQ(*sim::parse_quantity("64GB/s", sim::Dimension::Bandwidth), 64e9);
  EXPECT_DOUBLE_EQ(*sim::parse_quantity("2GHz", sim::Dimension::Frequency), 2e9);
}

TEST(Units, RejectBareNumbersWrongUnitsAndNegatives) {
  EXPECT_FALSE(sim::parse_quantity("110", sim::Dimension::Time));
  EXPECT_FALSE(sim::parse_quantity("110GB", sim::Dimension::Time));
  EXPECT_FALSE(sim::parse_quantity("-4KiB", sim::Dimension::Size));
  EXPECT_FALSE(sim::parse_quantity("ns", sim::Dimension::Time));
  EXPECT_FALSE(sim::parse_quantity("1e999s", sim::Dimension::Time));
}

const sim::ParamList& spec() {
  static const sim::ParamList p = {
      sim::p_int("channels", 4, "channels", 1, 64),
      sim::p_time("latency", "110ns", "latency"),
      sim::p_choice("kind", "dma", {"cpu", "dma"}, "agent"),
      sim::p_size("bytes", nullptr, "bytes to move"),
  };
  return p;
}

TEST(Params, DefaultsAndConversions) {
  auto p = sim::Params::parse(Json{{"bytes", "1MiB"}}, spec(), {"f.json", "/w"}, {});
  EXPECT_EQ(p.i("channels"), 4);
  EXPECT_EQ(p.time("latency"), sim::ns(110));
  EXPECT_EQ(p.s("kind"), "dma");
  EXPECT_EQ(p.size("bytes"), 1048576u);
  EXPECT_TRUE(p.given("bytes"));
  EXPECT_FALSE(p.given("channels"));
}

void expect_error(const Json& obj, const std::string& path, const std::string& needle) {
  try {
    sim::Params::parse(obj, spec(), {"f.json", "/w"}, {});
    FAIL() << "no error for " << obj.dump();
  } catch (const sim::InputError& e) {
    EXPECT_EQ(e.file(), "f.json");
    EXPECT_EQ(e.path(), path);
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(Params, BadInputNamesFilePathExpectedAndFound) {
  expect_error(Json{{"bytes", "1MiB"}, {"chanels", 4}}, "/w/chanels", "unknown key \"chanels\"");
  expect_error(Json{{"bytes", 4096}}, "/w/bytes", "bare number 4096");
  expect_error(Json{{"bytes", "-4KiB"}}, "/w/bytes", "not negative");
  expect_error(Json{{"bytes", "1MiB"}, {"channels", 0}}, "/w/channels", "int in [1, 64]");
  expect_error(Json{{"bytes", "1MiB"}, {"channels", 2.5}}, "/w/channels", "int");
  expect_error(Json{{"bytes", "1MiB"}, {"kind", "gpu"}}, "/w/kind", "one of cpu, dma");
  expect_error(Json{{"bytes", "1MiB"}, {"latency", "110GB"}}, "/w/latency", "time");
  expect_error(Json::object(), "/w/bytes", "required");
  expect_error(Json::array(), "/w", "an object");
}

TEST(Rng, StreamsDependOnSeedAndName) {
  sim::Rng a(1, "socket0.core1"), b(1, "socket0.core1"), c(1, "socket0.core2"),
      d(2, "socket0.core1");
  std::uint64_t va = a.next();
  EXPECT_EQ(va, b.next());
  EXPECT_NE(va, c.next());
  EXPECT_NE(va, d.next());
  sim::Rng u(7, "u");
  double sum = 0;
  for (int i = 0; i < 100000; ++i) {
    std::uint64_t k = u.below(4);
    ASSERT_LT(k, 4u);
    sum += static_cast<double>(k);
  }
  EXPECT_NEAR(sum / 100000, 1.5, 0.02);
}

}  // namespace

}  // namespace test_params
