#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace mutua::store {

// Which (NISS, code) pairs the large history may hold: a blocked Bloom filter. It never says
// "absent" for a pair that was added; it says "may hold" for about one absent pair in a hundred
// at its planned size. A patient's read then skips the codes it has never had: on the SQL
// peer's data four seeks in five into the large history found nothing (docs/performance.md).
//
// Each pair sets kBitsPerPair bits inside one 512-bit block (one cache line), so a question
// costs one memory access. The hash is this file's own, never std::hash: the filter is kept in
// the store, and a filter made by one build must answer the same in every other.
class HistoryFilter {
 public:
  // Bumped whenever the hash or the layout changes: a stored filter of another format is not used.
  static constexpr int kFormat = 1;
  static constexpr int kBitsPerPair = 7;
  // About 1 % of absent pairs answer "may hold" at this many bits per pair.
  static constexpr uint64_t kBitsPlannedPerPair = 12;

  // Room for `pairs` pairs at about 1 % of absent pairs said to be there (at least one block).
  static HistoryFilter sized_for(uint64_t pairs);
  // From a stored blob (bits()); empty when the blob cannot be a filter of this format.
  static HistoryFilter from_bits(std::string_view blob);

  static uint64_t hash(std::string_view niss, std::string_view code);

  void add(std::string_view niss, std::string_view code) { add_hash(hash(niss, code)); }
  bool may_hold(std::string_view niss, std::string_view code) const { return may_hold_hash(hash(niss, code)); }
  void add_hash(uint64_t h);
  bool may_hold_hash(uint64_t h) const;

  bool empty() const { return words_.empty(); }
  uint64_t blocks() const { return words_.size() / kWordsPerBlock; }
  // How many pairs it was planned for: past it, answers "may hold" grow more frequent.
  uint64_t planned_pairs() const { return blocks() * 512 / kBitsPlannedPerPair; }
  // The bits as stored (little-endian words).
  std::string bits() const;

 private:
  static constexpr size_t kWordsPerBlock = 8;
  size_t block_of(uint64_t h) const;  // its first word
  std::vector<uint64_t> words_;
};

// The filter of one store file at one generation, shared by every connection of this process
// that reads it (a server's connections would otherwise each hold tens of megabytes): the one
// held if any, else `load()`'s, kept while a connection holds it. Null when `load` gives an
// empty filter. An empty `store_key` (a store in memory) shares with nothing.
std::shared_ptr<const HistoryFilter> shared_history_filter(const std::string& store_key, int64_t generation,
                                                           const std::function<HistoryFilter()>& load);
// How many distinct filters the process holds (for tests).
size_t history_filters_held();

}  // namespace mutua::store
