#include "mutua/layout.h"

#include <algorithm>

#include <fmt/format.h>

#include <stdexcept>

#include "format/embedded.h"
#include "mutua/tsv.h"

namespace mutua {

namespace {

RecordKind kind_from_name(std::string_view name) {
  for (int k = 0; k < kRecordKindCount; ++k) {
    auto kind = static_cast<RecordKind>(k);
    if (record_kind_name(kind) == name) return kind;
  }
  return RecordKind::Unknown;
}

bool parse_type(std::string_view s, ZoneType& out, bool& blank_ok) {
  blank_ok = !s.empty() && s.back() == '?';
  if (blank_ok) s.remove_suffix(1);
  if (s == "N") out = ZoneType::Numeric;
  else if (s == "A") out = ZoneType::Alpha;
  else if (s == "S") out = ZoneType::Signed;
  else if (s == "D") out = ZoneType::Date;
  else if (s == "DS") out = ZoneType::DateOrSigned;
  else if (s == "G") out = ZoneType::SignChar;
  else if (s == "Z") out = ZoneType::ReservedZero;
  else if (s == "X") out = ZoneType::ReservedFree;
  else return false;
  return true;
}

std::string code_zone_of(RecordKind kind, std::string_view id) {
  if (kind == RecordKind::Segment200 || kind == RecordKind::Segment300 ||
      kind == RecordKind::Segment300Response || kind == RecordKind::Segment300Ack ||
      kind == RecordKind::Et91 || kind == RecordKind::Et92 || kind == RecordKind::Et95 ||
      kind == RecordKind::Et96 || kind == RecordKind::ResponseBlock)
    return {};
  std::string digits;
  for (char c : id) {
    if (c < '0' || c > '9') break;
    digits += c;
  }
  if (digits.size() == 1) digits.insert(digits.begin(), '0');
  return digits;
}

}  // namespace

std::string_view zone_type_letter(ZoneType t) {
  switch (t) {
    case ZoneType::Numeric: return "N";
    case ZoneType::Alpha: return "A";
    case ZoneType::Signed: return "S";
    case ZoneType::Date: return "D";
    case ZoneType::DateOrSigned: return "DS";
    case ZoneType::SignChar: return "G";
    case ZoneType::ReservedZero: return "Z";
    case ZoneType::ReservedFree: return "X";
  }
  return "?";
}

Result<Layout> Layout::parse(std::string_view tsv) {
  auto table = format::parse_table(tsv, '\t');
  int c_record = table.column("record"), c_zone = table.column("zone"), c_pos = table.column("pos"),
      c_len = table.column("len"), c_type = table.column("type"), c_name = table.column("name"),
      c_conf = table.column("confidence");
  if (c_record < 0 || c_zone < 0 || c_pos < 0 || c_len < 0 || c_type < 0 || c_name < 0 || c_conf < 0)
    return fail({.code = "", .message = "layout table: missing column", .file = "records.tsv"});
  Layout layout;
  for (size_t i = 0; i < table.rows.size(); ++i) {
    const auto& row = table.rows[i];
    auto where = [&](std::string msg) {
      return Error{.code = "", .message = fmt::format("layout table line {}: {}", table.line_numbers[i], msg),
                   .file = "records.tsv"};
    };
    if (row.size() < table.header.size()) return fail(where("too few columns"));
    Zone z;
    z.record = kind_from_name(row[c_record]);
    if (z.record == RecordKind::Unknown) return fail(where("unknown record " + row[c_record]));
    z.id = row[c_zone];
    z.pos = static_cast<uint16_t>(std::stoi(row[c_pos]));
    z.len = static_cast<uint16_t>(std::stoi(row[c_len]));
    if (!parse_type(row[c_type], z.type, z.blank_ok)) return fail(where("unknown zone type " + row[c_type]));
    z.name = row[c_name];
    z.confidence = row[c_conf];
    z.code_zone = code_zone_of(z.record, z.id);
    auto& list = layout.by_kind_[static_cast<int>(z.record)];
    uint16_t expected = list.empty() ? (z.record == RecordKind::ResponseBlock ? 351 : 1)
                                     : static_cast<uint16_t>(list.back().pos + list.back().len);
    if (z.pos != expected)
      return fail(where(fmt::format("zone {} starts at {}, expected {} (gap or overlap)", z.id, z.pos, expected)));
    list.push_back(std::move(z));
  }
  layout.build_index();
  return layout;
}

const Layout& Layout::builtin() {
  static const Layout layout = [] {
    auto parsed = parse(embedded::record_layouts());
    if (!parsed) throw std::logic_error("built-in layout table is invalid: " + parsed.error().message);
    return std::move(*parsed);
  }();
  return layout;
}

std::span<const Zone> Layout::zones(RecordKind kind) const { return by_kind_[static_cast<int>(kind)]; }

namespace {
// Zone ids have at most 4 characters ("19", "8a", "111b"): packed into one integer.
bool pack_id(std::string_view id, uint32_t& key) {
  if (id.size() > 4) return false;
  key = 0;
  for (char c : id) key = key << 8 | static_cast<unsigned char>(c);
  key |= static_cast<uint32_t>(id.size()) << 30;  // "1" and "\01" never meet, but keep lengths apart
  return true;
}
}  // namespace

void Layout::build_index() {
  for (int k = 0; k < kRecordKindCount; ++k) {
    index_[k].clear();
    for (size_t i = 0; i < by_kind_[k].size(); ++i) {
      uint32_t key;
      if (pack_id(by_kind_[k][i].id, key)) index_[k].emplace_back(key, static_cast<uint16_t>(i));
    }
    std::sort(index_[k].begin(), index_[k].end());
  }
}

const Zone* Layout::find(RecordKind kind, std::string_view id) const {
  const int k = static_cast<int>(kind);
  uint32_t key;
  if (pack_id(id, key)) {
    const auto& idx = index_[k];
    auto it = std::lower_bound(idx.begin(), idx.end(), std::pair<uint32_t, uint16_t>(key, 0));
    return it != idx.end() && it->first == key ? &by_kind_[k][it->second] : nullptr;
  }
  for (const auto& z : by_kind_[k])
    if (z.id == id) return &z;
  return nullptr;
}

const Zone& Layout::at(RecordKind kind, std::string_view id) const {
  if (const Zone* z = find(kind, id)) return *z;
  throw std::logic_error(fmt::format("layout has no zone {} in record {}", id, record_kind_name(kind)));
}

uint16_t Layout::length(RecordKind kind) const {
  const auto& list = by_kind_[static_cast<int>(kind)];
  if (list.empty()) return 0;
  return static_cast<uint16_t>(list.back().pos + list.back().len - 1);
}

}  // namespace mutua
