// Reference data held in memory (include/mutua/store/memory.h): the rows as parsed, each patient
// file indexed by NISS, read through the same table descriptions every store uses
// (model/refdata_tables.h), so a patient's rows come back as the SQLite store gives them: by
// patient in NISS order, each patient's in file order.
#include "mutua/store/memory.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <variant>

#include "mutua/model/refdata_tables.h"
#include "store/patients_sql.h"

namespace mutua::store {

namespace {

using model::RefData;
using model::RefTableSpec;

// One row's cells, written by a table's description and read back by it: a row copied from the
// whole data into a patient's.
class Cells final : public model::RowSink, public model::RowSource {
 public:
  void integer(int64_t value) override { cells_.emplace_back(value); }
  void text(std::string_view value) override { cells_.emplace_back(std::string(value)); }
  int64_t integer() override { return std::get<int64_t>(cells_[at_++]); }
  std::string text() override { return std::move(std::get<std::string>(cells_[at_++])); }
  const std::variant<int64_t, std::string>& cell(size_t i) const { return cells_[i]; }
  void clear() {
    cells_.clear();
    at_ = 0;
  }

 private:
  std::vector<std::variant<int64_t, std::string>> cells_;
  size_t at_ = 0;
};

bool wanted(const RefTableSpec& spec, const std::vector<std::string>* files) {
  return !files || std::find(files->begin(), files->end(), spec.file) != files->end();
}

class MemoryRefData final : public model::RefDataStore {
 public:
  explicit MemoryRefData(RefData data) { (void)put(std::move(data)); }

  Result<void> replace_refdata(const RefData& data) override { return put(data); }

  // As every store gives it: which files the fund keeps is said by shared_refdata().
  Result<RefData> load_refdata() override {
    RefData all = *data_;
    all.kept.clear();
    return all;
  }

  Result<std::map<std::string, uint64_t>> refdata_counts() override {
    std::map<std::string, uint64_t> out;
    for (const auto& spec : model::ref_table_specs()) out[spec.file] = spec.rows(*data_);
    return out;
  }

  Result<RefData> load_refdata_for(const std::vector<std::string>& niss) override { return patients(niss, nullptr); }

  Result<RefData> load_patient_files(const std::vector<std::string>& niss, const std::vector<std::string>& files) override {
    return patients(niss, &files);
  }

  Result<std::vector<std::string>> patients_where(const std::string& file, const std::string& column,
                                                  const std::string& value) override {
    auto where = patient_text_column(file, column);
    if (!where) return fail(where.error());
    const RefTableSpec* spec = where->spec;
    const size_t at = where->column;
    std::set<std::string> found;
    Cells cells;
    for (size_t i = 0; i < spec->rows(*data_); ++i) {
      cells.clear();
      spec->write(*data_, i, cells);
      if (std::get<std::string>(cells.cell(at)) == value) found.insert(std::get<std::string>(cells.cell(0)));
    }
    return std::vector<std::string>(found.begin(), found.end());
  }

  Result<std::shared_ptr<const RefData>> shared_refdata() override { return shared_; }

 private:
  Result<void> put(RefData data) {
    data_ = std::make_shared<const RefData>(std::move(data));
    by_niss_.clear();
    auto shared = std::make_shared<RefData>();
    Cells cells;
    for (const auto& spec : model::ref_table_specs()) {
      const size_t rows = spec.rows(*data_);
      if (!spec.per_patient) {
        for (size_t i = 0; i < rows; ++i) copy(spec, i, *shared, cells);
        continue;
      }
      // Patient files are read per patient; which of them the fund keeps at all is said here.
      if (rows) shared->kept.insert(spec.file);
      auto& index = by_niss_[spec.file];
      for (size_t i = 0; i < rows; ++i) {
        cells.clear();
        spec.write(*data_, i, cells);
        index[std::get<std::string>(cells.cell(0))].push_back(i);
      }
    }
    shared_ = std::move(shared);
    return {};
  }

  void copy(const RefTableSpec& spec, size_t row, RefData& into, Cells& cells) const {
    cells.clear();
    spec.write(*data_, row, cells);
    spec.read(cells, into);
  }

  Result<RefData> patients(const std::vector<std::string>& niss, const std::vector<std::string>* files) const {
    std::vector<std::string> keys = niss;
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    RefData out;
    Cells cells;
    for (const auto& spec : model::ref_table_specs()) {
      if (!spec.per_patient || !wanted(spec, files)) continue;
      auto index = by_niss_.find(spec.file);
      if (index == by_niss_.end()) continue;
      for (const auto& n : keys) {
        auto rows = index->second.find(n);
        if (rows == index->second.end()) continue;
        for (size_t i : rows->second) copy(spec, i, out, cells);
      }
    }
    return out;
  }

  std::shared_ptr<const RefData> data_;
  std::shared_ptr<const RefData> shared_;
  // Per patient file: each patient's rows, in file order.
  std::unordered_map<std::string, std::unordered_map<std::string, std::vector<size_t>>> by_niss_;
};

}  // namespace

std::unique_ptr<model::RefDataStore> memory_refdata(model::RefData data) {
  return std::make_unique<MemoryRefData>(std::move(data));
}

}  // namespace mutua::store
