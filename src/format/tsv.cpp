#include "format/tsv.h"

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
  while (pos < text.size()) {
    std::vector<std::string> fields;
    std::string field;
    bool in_quotes = false, quoted_field = false;
    size_t start_line = ++line_no;
    for (; pos < text.size(); ++pos) {
      char c = text[pos];
      if (in_quotes) {
        if (c == '"') {
          if (pos + 1 < text.size() && text[pos + 1] == '"') { field += '"'; ++pos; }
          else in_quotes = false;
        } else {
          if (c == '\n') ++line_no;
          field += c;
        }
      } else if (c == '"' && field.empty() && !quoted_field) {
        in_quotes = quoted_field = true;
      } else if (c == sep) {
        fields.push_back(std::move(field));
        field.clear();
        quoted_field = false;
      } else if (c == '\n') {
        ++pos;
        break;
      } else if (c != '\r') {
        field += c;
      }
    }
    fields.push_back(std::move(field));
    if (fields.size() == 1 && fields[0].empty()) continue;
    if (!fields[0].empty() && fields[0][0] == '#') continue;
    if (!have_header) {
      table.header = std::move(fields);
      have_header = true;
    } else {
      table.rows.push_back(std::move(fields));
      table.line_numbers.push_back(start_line);
    }
  }
  return table;
}

}  // namespace mutua::format
