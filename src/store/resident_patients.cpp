#include "store/resident_patients.h"

#include <algorithm>
#include <bit>

#include "store/shared_by_store.h"

namespace mutua::store {

namespace {

uint64_t hash_of(std::string_view niss) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a, then murmur3's finaliser
  for (char c : niss) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

}  // namespace

ResidentPatients::ResidentPatients(model::RefData rows) : rows_(std::move(rows)) {
  for (const auto& spec : model::ref_table_specs()) {
    if (!spec.per_patient) continue;
    Table t;
    t.spec = &spec;
    const size_t n = spec.rows(rows_);
    size_t patients = 0;
    for (size_t i = 0; i < n; ++i)
      if (i == 0 || spec.niss(rows_, i) != spec.niss(rows_, i - 1)) ++patients;
    t.slots.assign(std::bit_ceil(patients * 2 + 2), Slot{});
    const size_t mask = t.slots.size() - 1;
    for (size_t i = 0; i < n; ++i) {
      const std::string_view niss = spec.niss(rows_, i);
      if (i > 0 && niss == spec.niss(rows_, i - 1)) continue;
      const uint64_t h = hash_of(niss);
      size_t at = h & mask;
      while (t.slots[at].first != 0) at = (at + 1) & mask;
      t.slots[at] = Slot{static_cast<uint32_t>(h >> 32), static_cast<uint32_t>(i + 1)};
    }
    tables_.push_back(std::move(t));
  }
}

void ResidentPatients::append(const model::RefTableSpec& spec, const std::vector<std::string>& niss,
                              model::RefData& out) const {
  const Table* table = nullptr;
  for (const auto& t : tables_)
    if (t.spec->file == spec.file) table = &t;
  if (!table || table->slots.empty()) return;
  const size_t n = spec.rows(rows_);
  const size_t mask = table->slots.size() - 1;
  for (const auto& patient : niss) {
    const uint64_t h = hash_of(patient);
    const auto tag = static_cast<uint32_t>(h >> 32);
    for (size_t at = h & mask; table->slots[at].first != 0; at = (at + 1) & mask) {
      const Slot& slot = table->slots[at];
      if (slot.tag != tag || spec.niss(rows_, slot.first - 1) != patient) continue;
      size_t end = slot.first;
      while (end < n && spec.niss(rows_, end) == patient) ++end;
      spec.append(rows_, slot.first - 1, end, out);
      break;
    }
  }
}

uint64_t ResidentPatients::rows() const {
  uint64_t total = 0;
  for (const auto& t : tables_) total += t.spec->rows(rows_);
  return total;
}

namespace {
SharedByStore<const ResidentPatients>& held() {
  static SharedByStore<const ResidentPatients> h;
  return h;
}
}  // namespace

std::shared_ptr<const ResidentPatients> shared_resident_patients(
    const std::string& store_key, int64_t import, const std::function<std::shared_ptr<const ResidentPatients>()>& load) {
  return held().get(store_key, import, load);
}

size_t resident_patients_held() { return held().held(); }

}  // namespace mutua::store
