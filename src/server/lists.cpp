// Lists: a page of JSON with the total, or every matching row as CSV or .xlsx (?format=).
// Nested values (a line's codes) become one cell of JSON text in CSV and .xlsx.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>

#include <xlsxwriter.h>

#include "mutua/tsv.h"
#include "server/context.h"

namespace mutua::server {

namespace {

std::vector<std::string> columns_of(const std::vector<Json>& rows) {
  std::vector<std::string> cols;
  for (const auto& r : rows)
    for (const auto& [k, v] : r.items())
      if (std::find(cols.begin(), cols.end(), k) == cols.end()) cols.push_back(k);
  return cols;
}

std::string cell_text(const Json& v) {
  if (v.is_null()) return "";
  if (v.is_string()) return v.get<std::string>();
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string csv_of(const std::vector<Json>& rows) {
  const auto cols = columns_of(rows);
  std::string out;
  for (size_t i = 0; i < cols.size(); ++i) out += (i ? "," : "") + format::csv_text(cols[i], ",");
  out += "\r\n";
  for (const auto& r : rows) {
    for (size_t i = 0; i < cols.size(); ++i) out += (i ? "," : "") + format::csv_text(cell_text(r.value(cols[i], Json())), ",");
    out += "\r\n";
  }
  return out;
}

Result<std::string> xlsx_of(const std::vector<Json>& rows, const std::string& name) {
  // libxlsxwriter writes a file: a private temporary one, read back and removed.
  char path[] = "/tmp/mutua-export-XXXXXX";
  const int fd = mkstemp(path);
  if (fd < 0) return fail({.code = "Z00200", .message = "cannot make a temporary file for the export"});
  close(fd);
  const auto cols = columns_of(rows);
  lxw_workbook* wb = workbook_new(path);
  lxw_worksheet* ws = workbook_add_worksheet(wb, name.substr(0, 31).c_str());
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  for (size_t c = 0; c < cols.size(); ++c) worksheet_write_string(ws, 0, static_cast<lxw_col_t>(c), cols[c].c_str(), bold);
  for (size_t r = 0; r < rows.size(); ++r)
    for (size_t c = 0; c < cols.size(); ++c) {
      const Json v = rows[r].value(cols[c], Json());
      const auto row = static_cast<lxw_row_t>(r + 1);
      const auto col = static_cast<lxw_col_t>(c);
      if (v.is_number()) worksheet_write_number(ws, row, col, v.get<double>(), nullptr);
      else if (v.is_boolean()) worksheet_write_boolean(ws, row, col, v.get<bool>(), nullptr);
      else worksheet_write_string(ws, row, col, cell_text(v).c_str(), nullptr);
    }
  const lxw_error rc = workbook_close(wb);
  std::ifstream in(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  std::remove(path);
  if (rc != LXW_NO_ERROR) return fail({.code = "Z00200", .message = std::string("xlsx export: ") + lxw_strerror(rc)});
  return bytes;
}

}  // namespace

std::optional<std::pair<size_t, size_t>> shown_rows(Call& call, size_t total) {
  const std::string format = call.param("format", "json");
  if (format == "csv" || format == "xlsx") return std::make_pair(size_t{0}, total);
  if (format != "json") {
    call.error(400, "Z00224", "format is json, csv or xlsx");
    return std::nullopt;
  }
  auto page = page_of(call);
  if (!page) return std::nullopt;
  const size_t begin = std::min(total, static_cast<size_t>(page->offset()));
  return std::make_pair(begin, std::min(total, begin + static_cast<size_t>(page->per_page)));
}

void answer_shown(Call& call, const std::vector<Json>& shown, size_t total, const std::string& name) {
  const std::string format = call.param("format", "json");
  if (format == "csv") {
    call.res.set_header("Content-Disposition", "attachment; filename=\"" + name + ".csv\"");
    call.res.status = 200;  // set now: the audit entry records it (httplib would only later)
    call.res.set_content(csv_of(shown), "text/csv; charset=utf-8");
    return;
  }
  if (format == "xlsx") {
    auto bytes = xlsx_of(shown, name);
    if (!bytes) return call.error(500, bytes.error());
    call.res.set_header("Content-Disposition", "attachment; filename=\"" + name + ".xlsx\"");
    call.res.status = 200;
    call.res.set_content(*bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
    return;
  }
  auto page = page_of(call);
  if (!page) return;
  call.json(200, {{"total", total}, {"page", page->page}, {"per_page", page->per_page}, {"items", shown}});
}

void answer_list(Call& call, std::vector<Json> rows, const std::string& name) {
  if (std::string sort = call.param("sort"); !sort.empty()) {
    const bool descending = sort[0] == '-';
    if (descending) sort.erase(0, 1);
    const auto cols = columns_of(rows);
    if (!rows.empty() && std::find(cols.begin(), cols.end(), sort) == cols.end()) {
      std::string names;
      for (const auto& c : cols) names += (names.empty() ? "" : ", ") + c;
      return call.error(400, "Z00224", "sort by one of the columns: " + names);
    }
    std::stable_sort(rows.begin(), rows.end(), [&](const Json& a, const Json& b) {
      const Json& x = a.contains(sort) ? a[sort] : Json();
      const Json& y = b.contains(sort) ? b[sort] : Json();
      return descending ? y < x : x < y;
    });
  }
  auto range = shown_rows(call, rows.size());
  if (!range) return;
  answer_shown(call, std::vector<Json>(rows.begin() + static_cast<std::ptrdiff_t>(range->first),
                                       rows.begin() + static_cast<std::ptrdiff_t>(range->second)),
               rows.size(), name);
}

}  // namespace mutua::server
