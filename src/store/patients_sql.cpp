#include "store/patients_sql.h"

#include <algorithm>

#include "mutua/model/refdata_tables.h"

namespace mutua::store {

Result<PatientColumn> patient_text_column(const std::string& file, const std::string& column) {
  const auto& specs = model::ref_table_specs();
  auto spec = std::find_if(specs.begin(), specs.end(), [&](const auto& s) { return s.file == file; });
  if (spec == specs.end() || !spec->per_patient)
    return fail({.code = "Z00224", .message = "'" + file + "' is not a patient reference file"});
  auto col = std::find_if(spec->columns.begin(), spec->columns.end(), [&](const auto& c) { return c.name == column; });
  if (col == spec->columns.end() || col->type != model::ColumnType::Text)
    return fail({.code = "Z00224", .message = file + " has no text column '" + column + "'"});
  return PatientColumn{&*spec, static_cast<size_t>(col - spec->columns.begin())};
}

Result<std::vector<std::string>> select_patients_where(SqlDb& db, const std::string& file, const std::string& column,
                                                       const std::string& value) {
  // The table and column come from the reference files' own description, never from the
  // caller's text: only the value is bound.
  auto found = patient_text_column(file, column);
  if (!found) return fail(found.error());
  const model::RefTableSpec* spec = found->spec;
  const model::RefColumn* col = &spec->columns[found->column];
  Query q(db, "SELECT DISTINCT niss FROM " + spec->table + " WHERE \"" + col->name + "\" = ?1 ORDER BY niss");
  q.bind(1, value);
  std::vector<std::string> out;
  int rc;
  while ((rc = q.step()) == kSqlRow) out.push_back(q.text(0));
  if (rc != kSqlDone) return fail(db.last_error("read the patients of " + file));
  return out;
}

}  // namespace mutua::store
