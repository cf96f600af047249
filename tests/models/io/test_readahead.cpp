// The page cache's on-demand readahead (models/io/readahead.h, after mm/readahead.c): a
// sequential reader's window starts from its request, ramps up (x4, x2) to the maximum and
// never beyond it; each window's async marker starts the next one before the reader gets
// there, so every read after the first finds its pages in the cache; a random reader's reads
// take just their pages and leave the window alone; no page is read twice. Through whole
// runs: readahead never makes a sequential small-record reader slower, gives a random
// small-record reader exactly the results of a cold cache, and a read whose pages are cached
// waits for no drive.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "models/io/readahead.h"
#include "sim/json.h"
#include "sim/runner.h"
#include "sim/scenario.h"

namespace test_io_readahead {

namespace {

using models::FileReadahead;
using sim::Json;

constexpr std::int64_t kPg = 4096;

// Reads `n` records of `rec` bytes in file order; returns the window sizes seen after each.
std::vector<std::int64_t> sequential(FileReadahead& ra, std::int64_t rec, int n, std::int64_t* hits,
                                     std::int64_t* requested, std::set<std::int64_t>* read) {
  std::vector<std::int64_t> sizes;
  for (int i = 0; i < n; ++i) {
    FileReadahead::Plan p = ra.read(i * rec, rec);
    for (const auto& r : p.reads) {
      for (std::int64_t pg = r.first; pg < r.first + r.count; ++pg)
        EXPECT_TRUE(read->insert(pg).second) << "page " << pg << " read twice";
      ra.completed(r);
    }
    if (i > 0) *hits += p.hits;
    if (i > 0) *requested += (rec + kPg - 1) / kPg;
    sizes.push_back(ra.size());
  }
  return sizes;
}

TEST(Readahead, ASequentialWindowRampsUpToItsMaximumAndNeverBeyond) {
  for (std::int64_t ra_pages : {8, 32, 128})
    for (std::int64_t rec : {kPg, 4 * kPg, 16 * kPg}) {
      SCOPED_TRACE(std::to_string(ra_pages) + " pages, record " + std::to_string(rec));
      FileReadahead ra(ra_pages, 128, 1 << 20);
      std::int64_t hits = 0, requested = 0;
      std::set<std::int64_t> read;
      const auto sizes = sequential(ra, rec, 200, &hits, &requested, &read);
      const std::int64_t max = std::max(ra_pages, std::min(rec / kPg, std::int64_t{128}));
      std::int64_t prev = 0;
      for (std::int64_t s : sizes) {
        EXPECT_LE(s, max);
        EXPECT_GE(s, prev);  // a sequential stream's window never shrinks
        prev = s;
      }
      EXPECT_EQ(sizes.back(), max);  // it reaches the maximum
      // A record within the window: every read after the first finds its pages in the cache
      // (read, or being read ahead). A larger one sizes the async windows its marker hits by
      // what is left of it (filemap_readahead), so some of it is read synchronously.
      if (rec / kPg <= ra_pages)
        EXPECT_EQ(hits, requested);
      else
        EXPECT_GT(hits, 0);
      // What was read is what the reader asked for plus at most two windows ahead of it.
      EXPECT_LE(static_cast<std::int64_t>(read.size()), 200 * rec / kPg + 2 * max);
    }
}

TEST(Readahead, TheFirstWindowFollowsTheRequestSize) {
  // get_init_ra_size with a 32-page maximum: the request rounded up to a power of two, x4 up
  // to max/32, x2 up to max/4, else the maximum.
  for (auto [req, want] :
       {std::pair<std::int64_t, std::int64_t>{1, 4}, {2, 4}, {3, 8}, {8, 16}, {9, 32}, {16, 32}}) {
    FileReadahead ra(32, 128, 1 << 20);
    ra.read(0, req * kPg);
    EXPECT_EQ(ra.start(), 0) << req;
    EXPECT_EQ(ra.size(), want) << req;
    EXPECT_GT(ra.async_size(), 0) << req;  // an async part to start the next window
  }
}

TEST(Readahead, RandomReadsTakeJustTheirPagesAndLeaveTheWindowAlone) {
  FileReadahead ra(32, 128, 1 << 20);
  ra.read(0, kPg);  // a window at the start of the file
  const std::int64_t start = ra.start(), size = ra.size();
  for (std::int64_t i = 0; i < 15; ++i) {
    const std::int64_t at = 10000 + i * 104729 % 900000, n = 1 + i % 8;  // far apart
    FileReadahead::Plan p = ra.read(at * kPg, n * kPg);
    std::int64_t pages = 0;
    for (const auto& r : p.reads) pages += r.count;
    EXPECT_LE(pages, n);  // only the request (less what is cached)
    EXPECT_FALSE(p.async);
    for (const auto& r : p.reads) ra.completed(r);
  }
  EXPECT_EQ(ra.start(), start);
  EXPECT_EQ(ra.size(), size);
}

TEST(Readahead, AMarkerHitStartsTheNextWindowAheadOfTheReader) {
  FileReadahead ra(32, 128, 1 << 20);
  auto p = ra.read(0, kPg);
  ASSERT_FALSE(p.reads.empty());
  const std::int64_t mark = ra.start() + ra.size() - ra.async_size();
  EXPECT_TRUE(ra.marked(mark));
  const std::int64_t end = ra.start() + ra.size();
  // Reading up to the marker page: it is cleared and the next window begins at the old end.
  FileReadahead::Plan q;
  for (std::int64_t pg = 1; pg <= mark; ++pg) q = ra.read(pg * kPg, kPg);
  EXPECT_TRUE(q.async);
  EXPECT_FALSE(ra.marked(mark));
  EXPECT_EQ(ra.start(), end);
  ASSERT_FALSE(q.reads.empty());
  EXPECT_EQ(q.reads.front().first, end);
}

Json run_loader(const std::string& pattern, bool readahead, const std::string& record) {
  Json doc{{"machine", "a100-pcie-8"},
           {"seed", 1},
           {"stop", {{"time", "30ms"}}},
           {"workloads", Json::array({Json{{"kind", "data_loader"},
                                           {"path", "pread"},
                                           {"pattern", pattern},
                                           {"record", record},
                                           {"readahead", readahead},
                                           {"cpus", "0"}}})}};
  sim::Scenario sc = sim::scenario_from_json(std::move(doc), "<test>", {});
  return sim::run_point(sc, sim::expand_sweep(sc)[0]).results;
}
double mt(const Json& r, const std::string& k) { return r["metrics"].at(k).get<double>(); }

TEST(Readahead, ASequentialReaderIsNeverSlowerAndARandomOneUnchanged) {
  for (const char* rec : {"4KiB", "16KiB", "64KiB"}) {
    SCOPED_TRACE(rec);
    const Json seq_cold = run_loader("sequential", false, rec);
    const Json seq_ra = run_loader("sequential", true, rec);
    EXPECT_GE(mt(seq_ra, "data_loader.gbps"), mt(seq_cold, "data_loader.gbps"));
    EXPECT_GT(mt(seq_ra, "data_loader.page_cache_hit_share"), 0.9);
    EXPECT_GT(mt(seq_ra, "data_loader.async_readaheads"), 0);
    // Cached pages need no drive: the median read is far below a command's 80 us.
    EXPECT_LT(seq_ra["histograms"]["data_loader.latency"]["p50"].get<double>(), 80);
    const Json rnd_cold = run_loader("random", false, rec);
    const Json rnd_ra = run_loader("random", true, rec);
    EXPECT_EQ(mt(rnd_ra, "data_loader.ios"), mt(rnd_cold, "data_loader.ios"));
    EXPECT_EQ(mt(rnd_ra, "data_loader.gbps"), mt(rnd_cold, "data_loader.gbps"));
    EXPECT_EQ(mt(rnd_ra, "data_loader.async_readaheads"), 0);
    EXPECT_LE(mt(rnd_ra, "data_loader.page_cache_hit_share"), 0.01);
  }
}

}  // namespace

}  // namespace test_io_readahead
