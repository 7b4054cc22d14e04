#include "store/recent_pairs.h"

#include "store/history_filter.h"
#include "store/shared_by_store.h"

namespace mutua::store {

uint64_t RecentPairs::key_of(std::string_view niss, std::string_view code) {
  const uint64_t h = HistoryFilter::hash(niss, code);
  return h == 0 ? 1 : h;
}

void RecentPairs::grow() {
  std::vector<uint64_t> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, 0);
  const size_t mask = slots_.size() - 1;
  for (uint64_t k : old) {
    if (k == 0) continue;
    size_t at = k & mask;
    while (slots_[at] != 0) at = (at + 1) & mask;
    slots_[at] = k;
  }
}

void RecentPairs::add(std::string_view niss, std::string_view code) {
  if ((size_ + 1) * 2 > slots_.size()) grow();
  const uint64_t k = key_of(niss, code);
  const size_t mask = slots_.size() - 1;
  size_t at = k & mask;
  while (slots_[at] != 0) {
    if (slots_[at] == k) return;
    at = (at + 1) & mask;
  }
  slots_[at] = k;
  ++size_;
}

bool RecentPairs::may_hold(std::string_view niss, std::string_view code) const {
  if (slots_.empty()) return false;
  const uint64_t k = key_of(niss, code);
  const size_t mask = slots_.size() - 1;
  for (size_t at = k & mask; slots_[at] != 0; at = (at + 1) & mask)
    if (slots_[at] == k) return true;
  return false;
}

void RecentPairs::clear() {
  slots_.clear();
  size_ = 0;
}

namespace {
SharedByStore<SharedRecentPairs>& held() {
  static SharedByStore<SharedRecentPairs> h;
  return h;
}
}  // namespace

std::shared_ptr<SharedRecentPairs> shared_recent_pairs(const std::string& store_key) {
  return held().get(store_key, 0, [] { return std::make_shared<SharedRecentPairs>(); });
}

size_t recent_pairs_held() { return held().held(); }

}  // namespace mutua::store
