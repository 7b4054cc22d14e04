// One copy of something read from a store file (the large history's filter, the patient tables
// held in memory, the recent history's pairs), shared by every connection of this process that
// reads that file: a server's or a batch's connections would otherwise each hold their own. Kept
// while a connection holds it. `T` is const for a copy no one changes once made.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace mutua::store {

template <class T>
class SharedByStore {
 public:
  // The copy of `store_key` at `generation` held by some connection, else `make()`'s (made once:
  // a second connection asking meanwhile waits for it). A null from `make` is not kept. An empty
  // `store_key` (a store in memory) shares with nothing.
  std::shared_ptr<T> get(const std::string& store_key, int64_t generation,
                         const std::function<std::shared_ptr<T>()>& make) {
    if (store_key.empty()) return make();
    std::lock_guard lock(mutex_);
    std::erase_if(kept_, [](const auto& entry) { return entry.second.expired(); });
    auto& slot = kept_[{store_key, generation}];
    if (auto kept = slot.lock()) return kept;
    auto made = make();
    slot = made;
    return made;
  }

  // How many distinct copies are held (for tests).
  size_t held() {
    std::lock_guard lock(mutex_);
    return static_cast<size_t>(
        std::count_if(kept_.begin(), kept_.end(), [](const auto& entry) { return !entry.second.expired(); }));
  }

 private:
  std::mutex mutex_;
  std::map<std::pair<std::string, int64_t>, std::weak_ptr<T>> kept_;
};

}  // namespace mutua::store
