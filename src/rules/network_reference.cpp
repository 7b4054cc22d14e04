#include "rules/network_reference.h"

#include <array>

#include <fmt/format.h>

namespace mutua::rules {

namespace {
using K = RecordKind;

}  // namespace

void NetworkReferenceRule::record(const RecordView& rec, Findings& out) {
  if (ctx_->message != MessageType::Billing920000 || (rec.kind != K::Et20 && rec.kind != K::Et51)) return;
  const Layout& L = *ctx_->layout;
  static const Zone& et20_zone = Layout::builtin().at(K::Et20, "42");
  static const Zone& et51_zone = Layout::builtin().at(K::Et51, "42");
  const Zone& zone = rec.kind == K::Et20 ? et20_zone : et51_zone;
  if (rec.bytes.size() < static_cast<size_t>(zone.pos - 1 + zone.len)) return;
  std::string_view v = zone.in(rec.bytes);
  const char last = v.back(), first = v.front();
  const bool empty = blank_or_zero(v);
  // Part A last or first, or the number alone, left-aligned (FORMAT.md's ET 51: "commitment
  // number", type A): a network reference. A SIS card's data are digits to the end.
  const bool network = last == '2' || first == '2' || (last == ' ' && !empty);
  // Part A is not a digit: "parts N, V and A not numeric" (204209 / 514201, B) rather than a
  // part A of another value (only part A's place is known: the last byte).
  const bool letter_part_a = !empty && !network && (last < '0' || last > '9');
  if (rec.kind == K::Et20) {
    if (letter_part_a)
      out.add(at(rec, zone, "204209", "digits in parts N, V and A (part A, zone 45, the last position: 0, 1 or 2)"));
    else if (!empty && !network && last != '0' && last != '1')
      out.add(at(rec, zone, "204533", "0, 1 or 2 in its last position (part A, zone 45)"));
    if (network) return;
    // Looked up once: this runs on every invoice without a network reference, most of them.
    struct NeedsNetwork { const Zone* zone; const char* code; };
    static const std::array<NeedsNetwork, 6> needs_network = [] {
      const Layout& B = Layout::builtin();
      return std::array<NeedsNetwork, 6>{{{&B.at(K::Et20, "53"), "205311"}, {&B.at(K::Et20, "54"), "205411"},
                                         {&B.at(K::Et20, "55"), "205511"}, {&B.at(K::Et20, "56"), "205611"},
                                         {&B.at(K::Et20, "57"), "205711"}, {&B.at(K::Et20, "58"), "205811"}}};
    }();
    for (const auto& n : needs_network) {
      const Zone& z = *n.zone;
      if (!blank_or_zero(z.in(rec.bytes)))
        out.add(at(rec, z, n.code, "zeros", "only with a network reference (zones 42-45, part A = 2)"));
    }
    return;
  }
  // ET 51: a tariff or payment commitment, always a network reference.
  const Zone& communicated = L.at(K::Et51, "55");
  std::string_view c = communicated.in(rec.bytes);
  if (!network) {
    if (letter_part_a) out.add(at(rec, zone, "514201", "digits in parts N, V and A (part A, zone 45, the last position: 2)"));
    else out.add(at(rec, zone, "514533", "2 in its last position (part A, zone 45)"));
    if (!blank_or_zero(c)) out.add(at(rec, communicated, "515511", "zeros", "only with a network reference (part A = 2)"));
  }
  std::string_view service = L.at(K::Et51, "5").in(rec.bytes);
  if (is_valid_date(c) && is_valid_date(service)) {
    uint64_t s = digits_value(service), year = s / 10000, month = s / 100 % 100 + 2;
    if (month > 12) {
      month -= 12;
      ++year;
    }
    const uint64_t limit = year * 10000 + month * 100 + s % 100;
    if (digits_value(c) > limit)
      out.add(at(rec, communicated, "515525", fmt::format("at most {} (two months after the service)", limit),
                 fmt::format("the service (ET 51 zone 5) is of {}", service)));
  }
}

}  // namespace mutua::rules
