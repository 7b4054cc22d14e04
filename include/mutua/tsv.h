// A small reader for the tab- and comma-separated reference files mutua ships and imports.
// Handles CSV-style quoting ("" inside quotes), CRLF line ends and '#' comment lines.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace mutua::format {

struct Table {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> line_numbers;  // 1-based source line of each row
  // What could not be read as written (a quote never closed, a row with more cells than the
  // header): the file is not read whole, and its reader must say so.
  struct Problem {
    size_t line = 0, column = 0;  // 1-based
    std::string message;
  };
  std::vector<Problem> problems;

  // Index of a column by name, or -1.
  int column(std::string_view name) const;
};

// Drops a UTF-8 byte-order mark, as spreadsheet programs write before a CSV header.
inline void skip_byte_order_mark(std::string_view& text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
}

// A text cell for a CSV file people open in a spreadsheet: quoted when it holds a separator, a
// quote or a line end; and a cell a spreadsheet would take for a formula (=, +, -, @, tab, CR
// first) gets a leading apostrophe, so =HYPERLINK(...) from a billing file stays text.
inline std::string csv_text(std::string_view v, std::string_view separators = ",;") {
  std::string cell;
  if (!v.empty() && std::string_view("=+-@\t\r").find(v.front()) != std::string_view::npos) cell += '\'';
  cell += v;
  if (cell.find_first_of(std::string(separators) + "\"\n\r") == std::string::npos) return cell;
  std::string q = "\"";
  for (char c : cell) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// Parses text into a table (a byte-order mark skipped). Lines starting with '#' before the header
// are comments; after it, every line is a row. Line ends are LF, CRLF or CR alone.
Table parse_table(std::string_view text, char separator);

}  // namespace mutua::format
