// The (NISS, code) pairs of an SQLite store's recent history, as one connection has read them,
// caught up by the lines of larger id when a read finds that worth it (a line's id is larger
// than any before it: one writer at a time gives them, as the store's mark already relies on);
// a read that does not catch it up does not use it. A patient's code that
// is not there is not looked for in the recent history: on the SQL peer's data nine seeks in
// ten into it found nothing. Lines leave the recent history only (merge, retention), so a pair
// kept for a line gone only costs a seek; the set is emptied when the table is.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

namespace mutua::store {

class RecentPairs {
 public:
  void add(std::string_view niss, std::string_view code);
  bool may_hold(std::string_view niss, std::string_view code) const;
  void clear();
  size_t size() const { return size_; }

  int64_t seen_up_to = 0;  // the largest id of the recent history added
  bool ready = false;      // made (else not used)

 private:
  // Open addressing on the pair's 64-bit hash (HistoryFilter::hash); 0 marks an empty slot.
  static uint64_t key_of(std::string_view niss, std::string_view code);
  void grow();
  std::vector<uint64_t> slots_;
  size_t size_ = 0;
};

}  // namespace mutua::store
