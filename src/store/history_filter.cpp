#include "store/history_filter.h"

#include <algorithm>
#include <bit>
#include <cstring>
#include <utility>

#include "store/shared_by_store.h"

namespace mutua::store {

namespace {

// FNV-1a over the NISS, a separator no NISS or code holds, and the code; then murmur3's
// finaliser, so that the low bits (the block) and the high bits (the bits in it) both mix.
uint64_t fnv_mix(std::string_view niss, std::string_view code) {
  uint64_t h = 14695981039346656037ull;
  auto take = [&h](unsigned char c) { h = (h ^ c) * 1099511628211ull; };
  for (char c : niss) take(static_cast<unsigned char>(c));
  take(0xff);
  for (char c : code) take(static_cast<unsigned char>(c));
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h;
}

// The bits inside a block, from the hash mixed again: the block took its high half.
uint64_t in_block(uint64_t h) {
  h = (h ^ (h >> 31)) * 0xbf58476d1ce4e5b9ull;
  return h ^ (h >> 29);
}

}  // namespace

uint64_t HistoryFilter::hash(std::string_view niss, std::string_view code) { return fnv_mix(niss, code); }

HistoryFilter HistoryFilter::sized_for(uint64_t pairs) {
  const uint64_t blocks = std::max<uint64_t>(1, (pairs * kBitsPlannedPerPair + 511) / 512);
  HistoryFilter f;
  f.words_.assign(blocks * kWordsPerBlock, 0);
  return f;
}

HistoryFilter HistoryFilter::from_bits(std::string_view blob) {
  const size_t block_bytes = kWordsPerBlock * sizeof(uint64_t);
  if (blob.empty() || blob.size() % block_bytes != 0) return {};
  HistoryFilter f;
  f.words_.resize(blob.size() / sizeof(uint64_t));
  static_assert(std::endian::native == std::endian::little, "the stored bits are little-endian words");
  std::memcpy(f.words_.data(), blob.data(), blob.size());
  return f;
}

std::string HistoryFilter::bits() const {
  return std::string(reinterpret_cast<const char*>(words_.data()), words_.size() * sizeof(uint64_t));
}

// The block from the hash's high half scaled to the number of blocks (any number, not only a
// power of two); seven 9-bit slices of the hash mixed again choose the bits in it.
size_t HistoryFilter::block_of(uint64_t h) const {
  return static_cast<size_t>(((h >> 32) * blocks()) >> 32) * kWordsPerBlock;
}

void HistoryFilter::add_hash(uint64_t h) {
  uint64_t* block = &words_[block_of(h)];
  const uint64_t g = in_block(h);
  for (int i = 0; i < kBitsPerPair; ++i) {
    const unsigned bit = (g >> (9 * i)) & 511;
    block[bit >> 6] |= uint64_t{1} << (bit & 63);
  }
}

bool HistoryFilter::may_hold_hash(uint64_t h) const {
  if (words_.empty()) return true;
  const uint64_t* block = &words_[block_of(h)];
  const uint64_t g = in_block(h);
  for (int i = 0; i < kBitsPerPair; ++i) {
    const unsigned bit = (g >> (9 * i)) & 511;
    if (!(block[bit >> 6] & (uint64_t{1} << (bit & 63)))) return false;
  }
  return true;
}

namespace {
SharedByStore<const HistoryFilter>& held() {
  static SharedByStore<const HistoryFilter> h;
  return h;
}
}  // namespace

std::shared_ptr<const HistoryFilter> shared_history_filter(const std::string& store_key, int64_t generation,
                                                           const std::function<HistoryFilter()>& load) {
  return held().get(store_key, generation, [&]() -> std::shared_ptr<const HistoryFilter> {
    auto f = load();
    if (f.empty()) return nullptr;
    return std::make_shared<const HistoryFilter>(std::move(f));
  });
}

size_t history_filters_held() { return held().held(); }

}  // namespace mutua::store
