// The reference data as typed tables: one table per reference file, one column per field of its
// parsed row (dates as YYYYMMDD numbers, flags as 0/1, lists as "a;b"). Files are parsed and
// checked once, at import; a store keeps and gives back these values, never the CSV text, so
// an envoi's patients are read without parsing anything again. Every store writes and reads
// rows through these descriptions, so a column is named and typed in one place.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mutua/model/refdata.h"

namespace mutua::model {

enum class ColumnType { Integer, Text };

struct RefColumn {
  std::string name;
  ColumnType type = ColumnType::Text;
};

// Where a store puts one row's values, column after column.
class RowSink {
 public:
  virtual ~RowSink() = default;
  virtual void integer(int64_t value) = 0;
  virtual void text(std::string_view value) = 0;
};

// Where a store reads one row's values from, column after column.
class RowSource {
 public:
  virtual ~RowSource() = default;
  virtual int64_t integer() = 0;
  virtual std::string text() = 0;
};

struct RefTableSpec {
  std::string file;        // members.csv
  std::string table;       // ref_members
  bool per_patient = false;  // first column niss: read per patient, never whole for an envoi
  std::vector<RefColumn> columns;
  std::function<size_t(const RefData&)> rows;
  // Room for `n` rows in the file's vector in `data`.
  std::function<void(RefData&, size_t n)> reserve;
  // Row `i` of the file's vector in `data`, column after column.
  std::function<void(const RefData&, size_t i, RowSink&)> write;
  // One row, column after column, appended to the file's vector in `data`.
  std::function<void(RowSource&, RefData&)> read;
  // Per-patient files: the NISS of row `i` of the file's vector in `data`.
  std::function<std::string_view(const RefData&, size_t i)> niss;
  // Rows [first, last) of the file's vector in `from`, appended to the same vector in `to`.
  std::function<void(const RefData& from, size_t first, size_t last, RefData& to)> append;
};

// A list as a store keeps it in one cell: "a;b" (empty items dropped when read back).
std::string joined_list(const std::vector<std::string>& list);
std::vector<std::string> split_list(const std::string& text);

// Every reference file's table, in the order of refdata_files().
const std::vector<RefTableSpec>& ref_table_specs();
const RefTableSpec& ref_table_spec(const std::string& file);

// The rows of one file as cells (integers as their decimal text): to compare two RefData.
std::vector<std::vector<std::string>> ref_rows(const RefTableSpec& spec, const RefData& data);

}  // namespace mutua::model
