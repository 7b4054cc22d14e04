// Record structure: allowed bytes, known record types, record order (xx0110 / xx0111),
// sequence numbers (xx0210) and the trailer records after ET 90. Source: FORMAT.md §1.1, §1.3.
#include "rules/structure.h"

#include <array>

#include <fmt/format.h>

#include "mutua/byte_scan.h"

namespace mutua::rules {

namespace {

using K = RecordKind;

bool in(K k, std::initializer_list<K> set) {
  for (K s : set)
    if (s == k) return true;
  return false;
}

bool is_detail(K k) { return k >= K::Et10 && k <= K::Et90; }

// Which kinds may follow `k` inside the ET 10..90 part, with the code that says it.
struct OrderRule {
  K kind;
  const char* preceded_code;
  std::initializer_list<K> preceded_by;
  const char* followed_code;
  std::initializer_list<K> followed_by;
};

const OrderRule kOrder[] = {
    {K::Et10, "100110", {}, "100111", {K::Et20}},
    {K::Et20, "200110", {K::Et10, K::Et80}, "200111", {K::Et30, K::Et40, K::Et50}},
    {K::Et30, "300110", {K::Et20, K::Et30}, "300111", {K::Et30, K::Et40, K::Et50, K::Et80}},
    {K::Et40, "400110", {K::Et20, K::Et30, K::Et40}, "400111", {K::Et40, K::Et50, K::Et80}},
    {K::Et50, "500110", {K::Et20, K::Et30, K::Et40, K::Et50, K::Et51, K::Et52}, "500111",
     {K::Et50, K::Et51, K::Et52, K::Et80}},
    {K::Et51, "510110", {K::Et50}, "510111", {K::Et50, K::Et52, K::Et80}},
    {K::Et52, "520110", {K::Et50, K::Et51}, "520111", {K::Et50, K::Et80}},
    {K::Et80, "800110", {K::Et30, K::Et40, K::Et50, K::Et51, K::Et52}, "800111", {K::Et20, K::Et90}},
    {K::Et90, "900110", {K::Et80}, "900111", {K::Et95, K::Et91}},
};

const OrderRule* order_of(K k) {
  for (const auto& r : kOrder)
    if (r.kind == k) return &r;
  return nullptr;
}

std::string kinds_text(std::initializer_list<K> kinds) {
  std::string s;
  for (K k : kinds) {
    if (!s.empty()) s += ", ";
    s += record_kind_name(k);
  }
  return s;
}

}  // namespace

void StructureRule::begin(const FileContext& ctx, Findings& out) {
  FileRule::begin(ctx, out);
  if (ctx.framing != Framing::Flat) {
    Finding f;
    f.code = "Z00011";
    f.type = type_of(f.code);
    f.file = ctx.file;
    f.message = fmt::format("the file uses {}", framing_name(ctx.framing));
    out.add(std::move(f));
  }
}

void StructureRule::record(const RecordView& rec, Findings& out) {
  // Bytes: printable ASCII only; the position searched only when something is wrong.
  const bool clean = check::printable_ascii(rec.bytes);
  for (size_t i = 0; !clean && i < rec.bytes.size(); ++i) {
    auto c = static_cast<unsigned char>(rec.bytes[i]);
    if (c < 32 || c >= 127) {
      auto f = at(rec, "Z00006", fmt::format("byte 0x{:02X} at position {} of the record", c, i + 1));
      f.position = rec.offset + i + 1;
      f.value = printable(rec.bytes.substr(i, 1));
      out.add(std::move(f));
      break;
    }
  }
  const bool detailed = is_detailed_response(ctx_->message);
  const bool refusal = ctx_->message == MessageType::Refusal920999;
  bool allowed = rec.kind != K::Unknown && rec.kind != K::ResponseBlock;
  if (allowed && (detailed ? in(rec.kind, {K::Et95, K::Et96}) : in(rec.kind, {K::Et91, K::Et92}))) allowed = false;
  if (allowed && refusal && !in(rec.kind, {K::Et95, K::Et96})) allowed = false;
  if (!allowed) {
    out.add(at(rec, "Z00005",
               fmt::format("record type '{}' is not one of a {} message", printable(rec.bytes.substr(0, 2)),
                           message_type_name(ctx_->message))));
    prev_ = K::Unknown;
    if (expected_seq_) ++expected_seq_;  // it still holds a place in the numbering
    return;
  }

  const K k = rec.kind;
  if (is_detail(k)) {
    // The sequence-number zone of each kind, looked up once (this runs on every record).
    static const auto sequence_zones = [] {
      std::array<const Zone*, kRecordKindCount> zones{};
      for (int i = 0; i < kRecordKindCount; ++i) zones[i] = Layout::builtin().find(static_cast<K>(i), "2");
      return zones;
    }();
    const Zone& seq = sequence_zones[static_cast<int>(k)] ? *sequence_zones[static_cast<int>(k)] : ctx_->layout->at(k, "2");
    std::string_view s = seq.in(rec.bytes);
    if (is_digits(s)) {
      uint64_t n = digits_value(s);
      if (k == K::Et10) {
        if (n != 1 || rec.number != 1) out.add(at(rec, seq, "100110", "000001", "ET 10 must be record 000001"));
        n = 1;
        expected_seq_ = 1;
      } else if (expected_seq_ && n != expected_seq_ && n != alternative_seq_) {
        std::string code = fmt::format("{}0210", record_kind_name(k));
        if (official(code)) out.add(at(rec, seq, code, fmt::format("{:06d}", expected_seq_)));
        // Either this number is wrong (the next follows the old count) or a record is missing
        // (the next follows this one): accept both so one fault is reported once.
        alternative_seq_ = expected_seq_ + 1;
        expected_seq_ = n + 1;
        break_seq_ = true;
      }
      if (!break_seq_) {
        alternative_seq_ = 0;
        expected_seq_ = n + 1;
      }
      break_seq_ = false;
    } else if (expected_seq_) {
      ++expected_seq_;
    }
    if (k == K::Et10 && seen_et10_) out.add(at(rec, "100110", "a second ET 10"));
    if (k == K::Et10) seen_et10_ = true;
    if (after_et90_) out.add(at(rec, "Z00010", "a record of the invoice part after ET 90"));
  }

  // "Preceded by" of this record, "followed by" of the previous one.
  if (const OrderRule* mine = order_of(k); mine && k != K::Et10 && prev_ != K::Unknown) {
    if (!in(prev_, mine->preceded_by))
      out.add(at(rec, mine->preceded_code,
                 fmt::format("ET {} follows ET {}; it may follow {}", record_kind_name(k), record_kind_name(prev_),
                             kinds_text(mine->preceded_by))));
  } else if (mine && k != K::Et10 && prev_ == K::Unknown && rec.number == 1) {
    out.add(at(rec, "100110", "the first record must be ET 10"));
  }
  if (const OrderRule* before = order_of(prev_); before && prev_ != K::Et90) {
    if (!in(k, before->followed_by))
      out.add(at(rec, before->followed_code,
                 fmt::format("ET {} (record {}) is followed by ET {}; it may be followed by {}",
                             record_kind_name(prev_), rec.number - 1, record_kind_name(k),
                             kinds_text(before->followed_by))));
  }
  if (prev_ == K::Et90 && !in(k, {K::Et95, K::Et91}))
    out.add(at(rec, "900111", fmt::format("ET 90 is followed by ET {}", record_kind_name(k))));

  // Trailer: ET 90, then ET 95 (91) per mutuality, then one ET 96 (92).
  const K per_mutuality = detailed ? K::Et91 : K::Et95;
  const K total = detailed ? K::Et92 : K::Et96;
  if (k == K::Et90) after_et90_ = true;
  if (k == per_mutuality) {
    if ((!after_et90_ && !refusal) || seen_total_)
      out.add(at(rec, "Z00010", fmt::format("ET {} must come after ET 90 and before ET {}", record_kind_name(k),
                                            record_kind_name(total))));
  }
  if (k == total) {
    if (seen_total_) out.add(at(rec, detailed ? "Z00010" : "Z96002", "a second file-total record"));
    seen_total_ = true;
  } else if (seen_total_ && !in(k, {per_mutuality})) {
    out.add(at(rec, "Z00010", "a record after the file-total record"));
  }
  prev_ = k;
  last_number_ = rec.number;
}

void StructureRule::end(Findings& out) {
  const bool detailed = is_detailed_response(ctx_->message);
  const bool refusal = ctx_->message == MessageType::Refusal920999;
  auto file_finding = [&](std::string code, std::string message) {
    Finding f;
    f.code = std::move(code);
    f.type = type_of(f.code);
    f.file = ctx_->file;
    f.record = last_number_;
    f.message = std::move(message);
    out.add(std::move(f));
  };
  if (ctx_->message == MessageType::Ack931000) return;
  if (const OrderRule* last = order_of(prev_); last && prev_ != K::Et90)
    file_finding(last->followed_code, fmt::format("the file ends after ET {}", record_kind_name(prev_)));
  if (!refusal && !after_et90_) file_finding("900104", "no ET 90");
  if (!detailed && !seen_total_) file_finding(refusal ? "Z96002" : "Z96002", "no ET 96");
  if (!refusal && !seen_et10_) file_finding("Z00008", "no ET 10");
}

}  // namespace mutua::rules
