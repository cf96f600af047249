// On-demand readahead of one file's page cache (see readahead.h).
#include "models/io/readahead.h"

#include <algorithm>

namespace models {

namespace {

constexpr std::int64_t kRaPage = 4096;

std::int64_t roundup_pow2(std::int64_t v) {
  std::int64_t p = 1;
  while (p < v) p <<= 1;
  return p;
}

}  // namespace

FileReadahead::FileReadahead(std::int64_t ra_pages, std::int64_t io_pages, std::int64_t file_pages)
    : ra_pages_(ra_pages), io_pages_(io_pages), file_pages_(file_pages) {}

bool FileReadahead::present(std::int64_t page) const {
  auto it = pages_.find(page);
  return it != pages_.end() && (it->second & kPresent);
}

bool FileReadahead::marked(std::int64_t page) const {
  auto it = pages_.find(page);
  return it != pages_.end() && (it->second & kMarker);
}

bool FileReadahead::uptodate(std::int64_t index, std::int64_t count) const {
  for (std::int64_t p = index; p < index + count; ++p) {
    auto it = pages_.find(p);
    if (it == pages_.end() || !(it->second & kUptodate)) return false;
  }
  return true;
}

void FileReadahead::completed(const Range& r) {
  for (std::int64_t p = r.first; p < r.first + r.count; ++p) pages_[p] |= kUptodate;
}

std::int64_t FileReadahead::max_pages(std::int64_t req) const {
  // A request larger than the window may go up to the device's optimal I/O size.
  std::int64_t max = ra_pages_;
  if (req > max && io_pages_ > max) max = std::min(req, io_pages_);
  return max;
}

// get_init_ra_size
std::int64_t FileReadahead::init_size(std::int64_t req, std::int64_t max) {
  std::int64_t n = roundup_pow2(req);
  if (n <= max / 32)
    n *= 4;
  else if (n <= max / 4)
    n *= 2;
  else
    n = max;
  return n;
}

// get_next_ra_size
std::int64_t FileReadahead::next_size(std::int64_t max) const {
  if (size_ < max / 16) return 4 * size_;
  if (size_ <= max / 2) return 2 * size_;
  return max;
}

void FileReadahead::add_pages(std::int64_t first, std::int64_t count, std::int64_t mark,
                              Plan& plan) {
  const std::int64_t end = std::min(first + count, file_pages_);
  for (std::int64_t p = first; p < end; ++p) {
    if (present(p)) continue;  // a cached page ends the run being built
    std::uint8_t& st = pages_[p];
    st = kPresent | (p == mark ? kMarker : 0);
    if (!plan.reads.empty() && plan.reads.back().first + plan.reads.back().count == p)
      ++plan.reads.back().count;
    else
      plan.reads.push_back(Range{p, 1});
  }
}

// ondemand_readahead's readit: the window is read from its start; a read that would hit the
// marker of its own new window merges the next window into it at once.
void FileReadahead::read_window(std::int64_t index, std::int64_t max, Plan& plan) {
  if (index == start_ && size_ == async_) {
    const std::int64_t add = next_size(max);
    if (size_ + add <= max) {
      async_ = add;
      size_ += add;
    } else {
      size_ = max;
      async_ = max >> 1;
    }
  }
  add_pages(start_, size_, start_ + size_ - async_, plan);
}

void FileReadahead::sync_ra(std::int64_t index, std::int64_t req, Plan& plan) {
  const std::int64_t max = max_pages(req);
  const bool initial =
      index == 0 || req > max || (prev_ >= 0 && index >= prev_ && index - prev_ <= 1);
  if (index != 0 && size_ > 0 && (index == start_ + size_ - async_ || index == start_ + size_)) {
    start_ += size_;  // the expected index: a sequential stream, ramp the window up
    size_ = next_size(max);
    async_ = size_;
  } else if (initial) {
    start_ = index;
    size_ = init_size(req, max);
    async_ = size_ > req ? size_ - req : size_;
  } else {  // standalone random read: just the request, the window left alone
    add_pages(index, req, -1, plan);
    return;
  }
  read_window(index, max, plan);
}

void FileReadahead::async_ra(std::int64_t index, std::int64_t req, Plan& plan) {
  pages_[index] &= static_cast<std::uint8_t>(~kMarker);
  plan.async = true;
  const std::int64_t max = max_pages(req);
  if (size_ > 0 && (index == start_ + size_ - async_ || index == start_ + size_)) {
    start_ += size_;
    size_ = next_size(max);
    async_ = size_;
  } else {  // a marker without matching state (interleaved streams): find the cached run
    std::int64_t next = index + 1;
    while (next <= index + max && present(next)) ++next;
    if (next - index > max) return;
    start_ = next;
    size_ = next - index + req;
    size_ = next_size(max);
    async_ = size_;
  }
  read_window(index, max, plan);
}

FileReadahead::Plan FileReadahead::read(std::int64_t pos, std::int64_t len) {
  Plan plan;
  const std::int64_t index = pos / kRaPage;
  const std::int64_t last = (pos + len + kRaPage - 1) / kRaPage;  // exclusive
  std::int64_t missing = -1;
  for (std::int64_t p = index; p < last; ++p) {
    if (present(p))
      ++plan.hits;
    else if (missing < 0)
      missing = p;
  }
  if (missing >= 0) sync_ra(missing, last - missing, plan);
  // filemap_get_pages: a folio with PG_readahead starts the next window asynchronously.
  for (std::int64_t p = index; p < last; ++p)
    if (marked(p)) async_ra(p, last - p, plan);
  prev_ = (pos + len) / kRaPage;
  return plan;
}

}  // namespace models
