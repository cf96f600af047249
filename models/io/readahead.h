#pragma once
// The page cache of one file and its on-demand readahead (mm/readahead.c, mm/filemap.c's
// filemap_get_pages), in 4 KiB pages. A buffered read of pages [index, index + count) that
// misses at its first absent page calls the synchronous readahead: a read continuing the
// current window (at its async marker or its end) ramps it up (x4 while under max/16, x2 up
// to max/2, then max: get_next_ra_size); a read right after the previous one, or one larger
// than the maximum, starts an initial window (the request rounded up to a power of two, x4
// if <= max/32, x2 if <= max/4, else max: get_init_ra_size) with its async part beyond the
// request; anything else is a standalone random read of just the request, the window left
// alone. The page at start + size - async_size gets the PG_readahead marker; a read that
// finds it clears it and starts the next window asynchronously (the reader submits, does
// not wait). The maximum is the device's ra_pages, or the request up to the device's largest
// I/O (io_pages) when the request is larger. Pages are added to the cache (locked, being
// read) when their read is planned and become uptodate when it completes; the cache keeps
// them (no reclaim).
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace models {

class FileReadahead {
 public:
  // `ra_pages` and `io_pages` of the device, the file's size in pages (windows end there).
  FileReadahead(std::int64_t ra_pages, std::int64_t io_pages, std::int64_t file_pages);

  struct Range {
    std::int64_t first = 0, count = 0;  // pages
  };
  struct Plan {
    std::vector<Range> reads;  // page runs added to the cache, to be read from the drives
    std::int64_t hits = 0;     // pages of the request already in the cache (uptodate or not)
    bool async = false;        // an async readahead was triggered by a marker
  };
  // A buffered read of `len` bytes at byte `pos`.
  Plan read(std::int64_t pos, std::int64_t len);
  // The pages of `r` were read: they are uptodate.
  void completed(const Range& r);
  bool uptodate(std::int64_t index, std::int64_t count) const;
  // The window, for tests: start, size, async_size (pages).
  std::int64_t start() const { return start_; }
  std::int64_t size() const { return size_; }
  std::int64_t async_size() const { return async_; }
  bool marked(std::int64_t page) const;

 private:
  enum : std::uint8_t { kPresent = 1, kUptodate = 2, kMarker = 4 };
  std::int64_t max_pages(std::int64_t req) const;
  static std::int64_t init_size(std::int64_t req, std::int64_t max);
  std::int64_t next_size(std::int64_t max) const;
  void sync_ra(std::int64_t index, std::int64_t req, Plan& plan);
  void async_ra(std::int64_t index, std::int64_t req, Plan& plan);
  void read_window(std::int64_t index, std::int64_t max, Plan& plan);
  // Adds the absent pages of [first, first + count) to the cache as page runs to read; the
  // page `mark` gets the marker if it is added here.
  void add_pages(std::int64_t first, std::int64_t count, std::int64_t mark, Plan& plan);
  bool present(std::int64_t page) const;

  std::int64_t ra_pages_, io_pages_, file_pages_;
  std::int64_t start_ = 0, size_ = 0, async_ = 0;
  std::int64_t prev_ = -1;  // page of the previous read's end position (-1: none yet)
  std::unordered_map<std::int64_t, std::uint8_t> pages_;
};

}  // namespace models
