// The patient tables of one reference-data import (members, insurability, stays...) held in
// memory, for a process that asks for so many patients that reading the tables once, in key
// order, costs less than looking each patient up: a batch of envois of a GP's month meets a
// large share of the fund's members. Shared by the connections of a process (one copy per store
// file and import), kept while one holds it; a new import is a new copy.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mutua/model/refdata.h"
#include "mutua/model/refdata_tables.h"

namespace mutua::store {

class ResidentPatients {
 public:
  // `rows`: the patient files' rows, each file's in (NISS, file order), as the tables' keys give them.
  explicit ResidentPatients(model::RefData rows);

  // Appends to `out` the rows of `spec`'s file for these patients (sorted, each once), in (NISS,
  // file order): what a look-up per patient gives. One hashed look-up a patient: a search in
  // sorted rows missed the cache at each of its twenty steps (0.2 s an envoi of 48k patients).
  void append(const model::RefTableSpec& spec, const std::vector<std::string>& niss, model::RefData& out) const;

  // Rows held, over every patient file.
  uint64_t rows() const;

 private:
  // Where each patient's first row is, per patient file: open addressing on the NISS's hash,
  // its high half kept as a tag so that a probe rarely reads a row.
  struct Slot {
    uint32_t tag = 0;
    uint32_t first = 0;  // the row + 1; 0: empty
  };
  struct Table {
    const model::RefTableSpec* spec = nullptr;
    std::vector<Slot> slots;
  };
  model::RefData rows_;
  std::vector<Table> tables_;
};

// A patient's look-ups cost about as much as reading this many rows in key order: on bench/peer's
// data 4.4 us a patient in each of the two million-row tables, against 0.45 us a row read in
// order and indexed here, so about twenty; sixteen, for the memory the copy then holds. The
// patient tables are read whole once the patients a process expects to ask for, times this,
// reach the rows the tables hold.
inline constexpr uint64_t kRowsReadPerLookup = 16;

// Whether `patients` looked up one by one would cost more than reading `rows` rows in order.
inline bool reading_whole_pays(uint64_t patients, uint64_t rows) {
  return rows > 0 && patients * kRowsReadPerLookup >= rows;
}

// The copy of `store_key` at `import` held by a connection of this process, else `load()`'s.
// An empty `store_key` (a store in memory) shares with nothing.
std::shared_ptr<const ResidentPatients> shared_resident_patients(
    const std::string& store_key, int64_t import, const std::function<std::shared_ptr<const ResidentPatients>()>& load);
// How many distinct copies the process holds (for tests).
size_t resident_patients_held();

}  // namespace mutua::store
