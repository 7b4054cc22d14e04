#include "mutua/tsv.h"

namespace mutua::format {

int Table::column(std::string_view name) const {
  for (size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return static_cast<int>(i);
  return -1;
}

Table parse_table(std::string_view text, char sep) {
  Table table;
  skip_byte_order_mark(text);
  size_t pos = 0, line_no = 0;
  bool have_header = false;
  auto line_end = [&](size_t at) {
    // LF, CRLF or a CR alone (old Mac line ends): the position after it, or npos.
    if (text[at] == '\n') return at + 1;
    if (text[at] == '\r') return at + 1 < text.size() && text[at + 1] == '\n' ? at + 2 : at + 1;
    return std::string_view::npos;
  };
  while (pos < text.size()) {
    std::vector<std::string> fields;
    std::string field;
    bool in_quotes = false, quoted_field = false;
    size_t start_line = ++line_no, quote_line = 0, quote_column = 0;
    for (; pos < text.size(); ++pos) {
      char c = text[pos];
      if (in_quotes) {
        if (c == '"') {
          if (pos + 1 < text.size() && text[pos + 1] == '"') { field += '"'; ++pos; }
          else in_quotes = false;
        } else {
          if (c == '\n' || (c == '\r' && (pos + 1 >= text.size() || text[pos + 1] != '\n'))) ++line_no;
          field += c;
        }
      } else if (c == '"' && field.empty() && !quoted_field) {
        in_quotes = quoted_field = true;
        quote_line = line_no;
        quote_column = fields.size() + 1;
      } else if (c == sep) {
        fields.push_back(std::move(field));
        field.clear();
        quoted_field = false;
      } else if (size_t next = line_end(pos); next != std::string_view::npos) {
        pos = next;
        break;
      } else {
        field += c;
      }
    }
    if (in_quotes)
      table.problems.push_back({quote_line, quote_column, "a quote opened here is never closed: the rest of the file "
                                                          "would be one cell"});
    fields.push_back(std::move(field));
    if (fields.size() == 1 && fields[0].empty()) continue;
    if (!have_header && !fields[0].empty() && fields[0][0] == '#') continue;
    if (!have_header) {
      table.header = std::move(fields);
      have_header = true;
    } else {
      if (fields.size() > table.header.size())
        table.problems.push_back({start_line, table.header.size() + 1,
                                  "this row has " + std::to_string(fields.size()) + " cells where the header has " +
                                      std::to_string(table.header.size()) + " (a separator inside an unquoted value?)"});
      table.rows.push_back(std::move(fields));
      table.line_numbers.push_back(start_line);
    }
  }
  return table;
}

}  // namespace mutua::format
