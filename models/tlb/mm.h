#pragma once
// Address spaces as arch/x86/mm/tlb.c tracks them: each mm has a cpumask of the CPUs that
// ran it (set at switch-in, not cleared at switch-out, so it over-approximates who may hold
// its translations), a flush generation (tlb_gen) bumped by every flush, and each CPU
// remembers the generation its TLB reflects for each mm. A CPU whose generation lags
// must flush before it uses the mm again; that is what lets lazy flushing skip it.
#include <cstdint>
#include <vector>

namespace models {

class AddressSpaces {
 public:
  explicit AddressSpaces(int ncpus) : ncpus_(ncpus), loaded_(static_cast<std::size_t>(ncpus), -1) {}

  // A new mm; its id doubles as its PCID.
  int create() {
    mms_.push_back(Mm{std::vector<char>(static_cast<std::size_t>(ncpus_), 0),
                      std::vector<std::uint64_t>(static_cast<std::size_t>(ncpus_), 0), 0});
    return static_cast<int>(mms_.size()) - 1;
  }
  int count() const { return static_cast<int>(mms_.size()); }
  bool valid(int mm) const { return mm >= 0 && mm < count(); }

  // The mm loaded on `cpu` (-1: none / another process the model does not track).
  int loaded(int cpu) const { return loaded_[static_cast<std::size_t>(cpu)]; }
  void set_loaded(int cpu, int mm) {
    loaded_[static_cast<std::size_t>(cpu)] = mm;
    if (mm >= 0) mms_[static_cast<std::size_t>(mm)].mask[static_cast<std::size_t>(cpu)] = 1;
  }
  bool in_mask(int mm, int cpu) const {
    return mms_[static_cast<std::size_t>(mm)].mask[static_cast<std::size_t>(cpu)] != 0;
  }
  std::vector<int> cpumask(int mm) const {
    std::vector<int> out;
    const Mm& m = mms_[static_cast<std::size_t>(mm)];
    for (int c = 0; c < ncpus_; ++c)
      if (m.mask[static_cast<std::size_t>(c)]) out.push_back(c);
    return out;
  }

  std::uint64_t gen(int mm) const { return mms_[static_cast<std::size_t>(mm)].gen; }
  std::uint64_t bump(int mm) { return ++mms_[static_cast<std::size_t>(mm)].gen; }
  std::uint64_t local_gen(int mm, int cpu) const {
    return mms_[static_cast<std::size_t>(mm)].local[static_cast<std::size_t>(cpu)];
  }
  void set_local_gen(int mm, int cpu, std::uint64_t g) {
    mms_[static_cast<std::size_t>(mm)].local[static_cast<std::size_t>(cpu)] = g;
  }

 private:
  struct Mm {
    std::vector<char> mask;
    std::vector<std::uint64_t> local;
    std::uint64_t gen;
  };
  int ncpus_;
  std::vector<int> loaded_;
  std::vector<Mm> mms_;
};

}  // namespace models
