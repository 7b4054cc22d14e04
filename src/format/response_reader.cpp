#include "mutua/response_reader.h"

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "format/embedded.h"
#include "mutua/tsv.h"
#include "mutua/catalog.h"
#include "mutua/layout.h"

namespace mutua {

namespace {

using K = RecordKind;

constexpr uint64_t kMaxResponseBytes = 1ULL << 30;  // a 920900 of the largest billing file is ~800 MB

const std::vector<ZoneErrorCode>& zone_error_table() {
  static const std::vector<ZoneErrorCode> table = [] {
    std::vector<ZoneErrorCode> out;
    auto t = format::parse_table(embedded::zone_error_codes(), '\t');
    const int z = t.column("zone"), c = t.column("code"), fr = t.column("label_fr"), nl = t.column("label_nl"),
              en = t.column("label_en");
    for (const auto& row : t.rows) {
      if (row.size() < t.header.size()) continue;
      ZoneErrorCode e;
      e.data_zone = row[z];
      e.code = row[c];
      e.label_fr = row[fr];
      e.label_nl = row[nl];
      e.label_en = row[en];
      out.push_back(std::move(e));
    }
    return out;
  }();
  return table;
}

bool digits_only(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

uint64_t digits_of(std::string_view s) {
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

std::string trimmed(std::string_view s) {
  const size_t end = s.find_last_not_of(' ');
  return end == std::string_view::npos ? std::string() : std::string(s.substr(0, end + 1));
}

// Funds fill zones of echoed records with masks of one repeated digit (1s, 9s).
bool masked(std::string_view s) {
  return s.size() > 1 && (s.find_first_not_of('1') == std::string_view::npos ||
                          s.find_first_not_of('9') == std::string_view::npos);
}

// A zone of the layout in `bytes`, or empty when the record is cut before its end.
std::string_view zone_in(const Layout& L, K kind, std::string_view id, std::string_view bytes) {
  const Zone* z = L.find(kind, id);
  if (!z || static_cast<size_t>(z->pos - 1) >= bytes.size()) return {};
  return bytes.substr(z->pos - 1, std::min<size_t>(z->len, bytes.size() - (z->pos - 1)));
}

// "+00000002375" (a signed 12-character zone): cents; nothing for a blank, a mask or a cut zone.
std::optional<int64_t> signed_zone(std::string_view z) {
  if (z.size() < 2 || (z[0] != '+' && z[0] != '-') || !digits_only(z.substr(1))) return std::nullopt;
  const auto v = static_cast<int64_t>(digits_of(z.substr(1)));
  return z[0] == '-' ? -v : v;
}

// A sign zone and its amount zone (segments 400 / 500).
std::optional<int64_t> sign_and_amount(std::string_view sign, std::string_view amount) {
  if ((sign != "+" && sign != "-") || !digits_only(amount)) return std::nullopt;
  const auto v = static_cast<int64_t>(digits_of(amount));
  return sign == "-" ? -v : v;
}

std::vector<ZoneErrorCode> zone_errors(K kind, std::string_view bytes) {
  std::vector<ZoneErrorCode> out;
  const Layout& L = Layout::builtin();
  for (const Zone& z : L.zones(kind)) {
    // The error zone follows its data zone and is named after it: 5011 after 501.
    if (z.id.size() != 4 || z.id.back() != '1' || z.len != 2) continue;
    const std::string data_zone = z.id.substr(0, 3);
    const Zone* data = L.find(kind, data_zone);
    if (!data) continue;
    std::string_view code = zone_in(L, kind, z.id, bytes);
    if (code.size() != 2 || code == "00" || code == "  ") continue;
    ZoneErrorCode e;
    if (const ZoneErrorCode* m = zone_error_meaning(data_zone, code)) e = *m;
    e.zone = z.id;
    e.data_zone = data_zone;
    e.code = std::string(code);
    e.value = trimmed(zone_in(L, kind, data_zone, bytes));
    out.push_back(std::move(e));
  }
  return out;
}

ResponseTotals totals_of(K kind, std::string_view bytes) {
  const Layout& L = Layout::builtin();
  const int base = kind == K::Et91 || kind == K::Et95 ? 400 : 500;
  auto z = [&](int offset) { return zone_in(L, kind, std::to_string(base + offset), bytes); };
  auto pair = [&](int sign_offset) { return sign_and_amount(z(sign_offset), z(sign_offset + 1)); };
  ResponseTotals t;
  t.mutuality = std::string(z(1));
  t.asked_a = pair(3);
  t.asked_b = pair(5);
  t.asked_total = pair(7);
  if (digits_only(z(9))) t.records = digits_of(z(9));
  if (kind == K::Et91 || kind == K::Et92) {
    t.accepted_a = pair(11);
    t.refused_a = pair(13);
    t.accepted_b = pair(15);
    t.refused_b = pair(17);
    t.accepted_total = pair(19);
    t.refused_total = pair(21);
    if (kind == K::Et91) {
      t.payment_reference_a = trimmed(z(23));
      t.payment_reference_b = trimmed(z(24));
    }
  }
  return t;
}

void read_block(ResponseRecord& r) {
  const Layout& L = Layout::builtin();
  const Catalog& catalog = Catalog::builtin();
  std::string_view b = r.bytes;
  for (const char* id : {"111", "112", "113"}) {
    std::string_view letter = zone_in(L, K::ResponseBlock, std::string(id) + "a", b);
    std::string_view code = zone_in(L, K::ResponseBlock, std::string(id) + "b", b);
    // No code: zeros, spaces, or a mix of both (" 0000 " from one fund).
    if (code.find_first_not_of("0 ") == std::string_view::npos) continue;
    RejectionCode c;
    c.letter = letter.empty() ? ' ' : letter[0];
    c.code = std::string(code);
    if (const CodeInfo* info = catalog.find(c.code)) {
      c.label_fr = info->label_fr;
      c.label_nl = info->label_nl;
    }
    r.codes.push_back(std::move(c));
  }
  if (r.kind == K::Et10 || r.kind == K::Et90) return;  // their block is a mask of 1s and 9s
  r.amount_accepted = signed_zone(zone_in(L, K::ResponseBlock, "114", b));
  r.amount_refused = signed_zone(zone_in(L, K::ResponseBlock, "115", b));
  std::string_view comment = zone_in(L, K::ResponseBlock, "149", b);
  if (!masked(trimmed(comment))) r.comment = trimmed(comment);
  std::string_view ref_a = zone_in(L, K::ResponseBlock, "109", b), ref_b = zone_in(L, K::ResponseBlock, "110", b);
  if (!masked(ref_a) && ref_a.find_first_not_of("0 ") != std::string_view::npos) r.oa_reference_a = trimmed(ref_a);
  if (!masked(ref_b) && ref_b.find_first_not_of("0 ") != std::string_view::npos) r.oa_reference_b = trimmed(ref_b);
}

void read_detail(ResponseRecord& r) {
  const Layout& L = Layout::builtin();
  std::string_view b = r.bytes;
  std::string_view code = zone_in(L, r.kind, "4", b);
  if (code.size() == 7 && code[0] == '0') code.remove_prefix(1);
  r.nomenclature = std::string(code);
  r.date = std::string(zone_in(L, r.kind, "5", b));
  std::string_view niss = zone_in(L, r.kind, "8", b);
  if (niss.size() == 13) niss.remove_prefix(2);
  r.niss = std::string(niss);
  std::string_view provider = zone_in(L, r.kind, "15", b);
  if (provider.size() == 12 && provider[0] == '0') provider.remove_prefix(1);
  r.provider = std::string(provider);
  if (r.kind != K::Et52) r.amount_billed = signed_zone(zone_in(L, r.kind, "19", b));
}

// The records after the header, as (offset, bytes): fixed-width when the file is flat, one per
// line when it has line separators.
std::vector<std::pair<uint64_t, std::string_view>> cut_records(std::string_view body, uint64_t at, size_t length) {
  std::vector<std::pair<uint64_t, std::string_view>> out;
  if (body.find('\n') != std::string_view::npos) {
    size_t pos = 0;
    while (pos < body.size()) {
      size_t end = body.find('\n', pos);
      if (end == std::string_view::npos) end = body.size();
      std::string_view line = body.substr(pos, end - pos);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!line.empty()) out.emplace_back(at + pos, line);
      pos = end + 1;
    }
    return out;
  }
  for (size_t pos = 0; pos < body.size(); pos += length) out.emplace_back(at + pos, body.substr(pos, length));
  return out;
}

}  // namespace

const ZoneErrorCode* zone_error_meaning(std::string_view data_zone, std::string_view code) {
  const ZoneErrorCode* any = nullptr;
  for (const auto& e : zone_error_table()) {
    if (e.code != code) continue;
    if (e.data_zone == data_zone) return &e;
    if (e.data_zone == "*") any = &e;
  }
  return any;
}

bool ResponseRecord::rejected() const {
  return std::any_of(codes.begin(), codes.end(), [](const RejectionCode& c) {
    return c.letter == 'B' || c.letter == 'F' || c.letter == 'R';
  });
}

std::vector<RejectionCode> Response::all_codes() const {
  std::vector<RejectionCode> out;
  std::set<std::string> seen;
  for (const auto& r : records)
    for (const auto& c : r.codes)
      if (seen.insert(std::string(1, c.letter) + c.code).second) out.push_back(c);
  return out;
}

Result<Response> read_response(std::string_view bytes, const std::string& name) {
  auto fail_with = [&](std::string code, std::string message) {
    return fail({.code = std::move(code), .message = std::move(message), .file = name});
  };
  Response out;
  out.file = name;
  if (bytes.size() < 6) return fail_with("Z00001", fmt::format("{} bytes: too short for a message name", bytes.size()));
  out.message = std::string(bytes.substr(0, 6));
  out.type = message_type_from_name(out.message);
  if (out.type == MessageType::Unknown)
    return fail_with("Z00002", fmt::format("unknown message '{}' (a response starts with 931000, 920999, 920098, "
                                           "920099 or 920900)", trimmed(out.message)));
  const bool detailed = is_detailed_response(out.type);
  const K s300 = detailed ? K::Segment300Response : out.type == MessageType::Ack931000 ? K::Segment300Ack : K::Segment300;
  const Layout& L = Layout::builtin();
  const size_t s300_len = L.length(s300);
  const size_t record_length = detailed ? 800 : 350;

  // The header: segment 200 then segment 300, on one line, two lines, or flat.
  std::string_view rest = bytes;
  auto take_line = [&](size_t expected) -> std::string_view {
    std::string_view seg = rest.substr(0, std::min(expected, rest.size()));
    const size_t nl = seg.find('\n');
    if (nl != std::string_view::npos) seg = seg.substr(0, nl);
    rest.remove_prefix(seg.size());
    if (!seg.empty() && seg.back() == '\r') seg.remove_suffix(1);
    if (!rest.empty() && rest[0] == '\r') rest.remove_prefix(1);
    if (!rest.empty() && rest[0] == '\n') rest.remove_prefix(1);
    return seg;
  };
  std::string_view s200 = take_line(67);
  std::string_view s3 = take_line(s300_len);
  if (s200.size() < 67)
    return fail_with("Z00003", fmt::format("the file ends inside its segment 200 ({} of 67 bytes)", s200.size()));
  out.version = std::string(zone_in(L, K::Segment200, "201", s200));
  out.test = zone_in(L, K::Segment200, "202", s200) == "92";
  out.status = std::string(zone_in(L, K::Segment200, "203", s200));
  out.provider_reference = std::string(zone_in(L, K::Segment200, "204", s200));
  out.oa_reference = std::string(zone_in(L, K::Segment200, "205", s200));
  out.header_errors = zone_errors(K::Segment200, s200);
  if (s3.size() < s300_len)
    out.problems.push_back({.code = "Z00003",
                            .message = fmt::format("segment 300 has {} of its {} bytes", s3.size(), s300_len),
                            .file = name,
                            .position = 68});
  if (out.type == MessageType::Ack931000) {
    out.acknowledged = trimmed(zone_in(L, s300, "300", s3));
  } else {
    out.billing_month = std::string(zone_in(L, s300, "300", s3));
    out.sending_number = std::string(zone_in(L, s300, "301", s3));
    out.creation_date = std::string(zone_in(L, s300, "302", s3));
    if (detailed) {
      std::string_view rate = zone_in(L, s300, "310", s3);
      if (rate.size() == 5 && digits_only(rate)) out.error_rate_bp = static_cast<int>(digits_of(rate));
      out.refusal_type = std::string(zone_in(L, s300, "311", s3));
    }
  }
  for (auto& e : zone_errors(s300, s3)) out.header_errors.push_back(std::move(e));

  const uint64_t body_at = static_cast<uint64_t>(bytes.size() - rest.size());
  uint64_t number = 0;
  for (const auto& [offset, rec] : cut_records(rest, body_at, record_length)) {
    ResponseRecord r;
    r.number = ++number;
    r.offset = offset;
    r.bytes = std::string(rec);
    r.record_type = std::string(rec.substr(0, 2));
    r.kind = record_kind_from_type(r.record_type);
    const size_t want = r.kind == K::Et95 || r.kind == K::Et96 ? 350 : record_length;
    if (rec.size() < want) {
      r.cut_short = true;
      out.problems.push_back({.code = "Z00003",
                              .message = fmt::format("record {} (ET {}) has {} of its {} bytes: its last zones are "
                                                     "missing", r.number, r.record_type, rec.size(), want),
                              .file = name,
                              .record = r.number,
                              .record_type = r.record_type,
                              .position = offset + 1});
    }
    switch (r.kind) {
      case K::Et91: case K::Et92: case K::Et95: case K::Et96: {
        r.zone_errors = zone_errors(r.kind, rec);
        ResponseTotals t = totals_of(r.kind, rec);
        if (r.kind == K::Et91 || r.kind == K::Et95) out.mutualities.push_back(std::move(t));
        else out.total = std::move(t);
        break;
      }
      case K::Unknown:
        out.problems.push_back({.code = "Z00005",
                                .message = fmt::format("record {} starts with '{}', no record type", r.number,
                                                       trimmed(r.record_type)),
                                .file = name,
                                .record = r.number,
                                .position = offset + 1});
        break;
      default:
        if (r.kind == K::Et30 || r.kind == K::Et40 || r.kind == K::Et50 || r.kind == K::Et51 || r.kind == K::Et52)
          read_detail(r);
        if (detailed) read_block(r);
        break;
    }
    out.records.push_back(std::move(r));
  }
  return out;
}

Result<Response> read_response_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return fail({.code = "Z00001", .message = "cannot open the file", .file = path});
  const auto size = static_cast<uint64_t>(in.tellg());
  if (size > kMaxResponseBytes)
    return fail({.code = "Z00001",
                 .message = fmt::format("{} bytes: larger than any response to a billing file", size),
                 .file = path});
  std::string bytes(size, '\0');
  in.seekg(0);
  in.read(bytes.data(), static_cast<std::streamsize>(size));
  if (!in) return fail({.code = "Z00001", .message = "read error", .file = path});
  return read_response(bytes, path);
}

}  // namespace mutua
