#include "rules/file_rule.h"

#include "mutua/catalog.h"

namespace mutua::rules {

Finding FileRule::at(const RecordView& rec, const Zone& zone, std::string code, std::string expected,
                     std::string message) const {
  Finding f;
  f.type = type_of(code);
  f.code = std::move(code);
  f.file = ctx_ ? ctx_->file : std::string();
  f.record = rec.number;
  f.record_type = std::string(record_type_label(zone.record == RecordKind::ResponseBlock ? rec.kind : zone.record));
  f.zone = zone.id;
  f.position = rec.offset + zone.pos;
  if (zone.end() <= rec.bytes.size()) f.value = printable(zone.in(rec.bytes));
  f.expected = std::move(expected);
  f.message = std::move(message);
  return f;
}

Finding FileRule::at(const RecordView& rec, std::string code, std::string message) const {
  Finding f;
  f.type = type_of(code);
  f.code = std::move(code);
  f.file = ctx_ ? ctx_->file : std::string();
  f.record = rec.number;
  f.record_type = printable(rec.bytes.substr(0, 2));
  f.position = rec.offset + 1;
  f.message = std::move(message);
  return f;
}

bool is_valid_date(std::string_view d) {
  if (d.size() != 8 || !is_digits(d)) return false;
  int y = static_cast<int>(digits_value(d.substr(0, 4)));
  int m = static_cast<int>(digits_value(d.substr(4, 2)));
  int day = static_cast<int>(digits_value(d.substr(6, 2)));
  if (y < 1900 || m < 1 || m > 12 || day < 1) return false;
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int max = days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 1 : 0);
  return day <= max;
}

bool official(std::string_view code) { return Catalog::builtin().find(code) != nullptr; }

ZoneOfEachKind::ZoneOfEachKind(std::string_view id) {
  for (int k = 0; k < kRecordKindCount; ++k) zones_[k] = Layout::builtin().find(static_cast<RecordKind>(k), id);
}

}  // namespace mutua::rules
