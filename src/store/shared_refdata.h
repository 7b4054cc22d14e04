// The fund's shared reference data as a store keeps them parsed, with the version they were read
// at (both backends). Internal to src/store/.
#pragma once
#include <cstdint>
#include <memory>
#include <utility>

#include "mutua/model/refdata.h"

namespace mutua::store {

// Takes `offered` (read on another connection to the same store: an envoi's reading ahead) as
// the store's own copy when its version is the store's `current()` one; a copy already of that
// version is left as it is, and an older one never replaces anything.
template <class Current>
void adopt_if_current(std::shared_ptr<const model::RefData>& kept, int64_t& kept_version,
                      std::shared_ptr<const model::RefData> offered, Current&& current) {
  if (!offered || (kept && kept_version == offered->version)) return;
  auto version = current();
  if (!version || *version != offered->version) return;
  kept = std::move(offered);
  kept_version = *version;
}

}  // namespace mutua::store
