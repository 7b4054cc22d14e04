// The (NISS, code) pairs of an SQLite store's recent history, as this process's connections
// reading ahead for a batch have read them, caught up by the lines of larger id when a read
// finds that worth it (a line's id is larger than any before it: one writer at a time gives
// them, as the store's mark already relies on); a read that does not catch it up does not use
// it. A patient's code that is not there is not looked for in the recent history: on the SQL
// peer's data nine seeks in ten into it found nothing. Lines leave the recent history only
// (merge, retention), so a pair kept for a line gone only costs a seek.
#pragma once
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
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

// One store file's recent pairs, shared by the connections of this process that read it (the two
// that read a batch's envois ahead caught up the same lines each: a twentieth of the CPU on the
// peer's ten envois). Read under a shared lock, caught up under the unique one. Emptied when a
// connection's snapshot shows every line it holds gone (a merge): `valid_from` then says which
// lines it still answers for, so that a read in an older snapshot, which may still see the lines
// merged, does not take their absence from the set for their absence from the table.
struct SharedRecentPairs {
  std::shared_mutex mutex;
  RecentPairs pairs;
  int64_t valid_from = 0;  // a snapshot whose recent history starts below this id cannot use it
};
std::shared_ptr<SharedRecentPairs> shared_recent_pairs(const std::string& store_key);
// How many stores' pairs this process holds (for tests).
size_t recent_pairs_held();

}  // namespace mutua::store
