#include "rules/network_reference.h"

#include <array>

#include <fmt/format.h>

#include "mutua/network_reference.h"

namespace mutua::rules {

namespace {
using K = RecordKind;
}  // namespace

void NetworkReferenceRule::record(const RecordView& rec, Findings& out) {
  if (ctx_->message != MessageType::Billing920000 || (rec.kind != K::Et20 && rec.kind != K::Et51)) return;
  const Layout& L = *ctx_->layout;
  const K k = rec.kind;
  const Zone& nv_zone = L.at(k, "43");
  const Zone& a_zone = L.at(k, "45");
  if (rec.bytes.size() < a_zone.end()) return;
  const NetworkReference ref = read_network_reference(rec.bytes);
  const bool empty = ref.empty();
  const bool digits = is_digits(ref.parts_nv) && ref.part_a >= '0' && ref.part_a <= '9';
  const bool network = ref.network();
  if (k == K::Et20) {
    if (!empty && !digits)
      out.add(at(rec, nv_zone, "204209", "digits in parts N, V and A (zones 43-45)"));
    else if (!empty && ref.part_a > '2')
      out.add(at(rec, a_zone, "204533", "0, 1 or 2 in its first position (part A)"));
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
  if (!digits) {
    out.add(at(rec, nv_zone, "514201", "digits in parts N, V and A (zones 43-45; part A = 2)"));
  } else if (!network) {
    out.add(at(rec, a_zone, "514533", "2 in its first position (part A)"));
  } else if (ref.parts_nv.find_first_not_of('0') != std::string_view::npos) {
    out.add(at(rec, nv_zone, "514332", "zeros (parts N and V of a network reference)"));
  }
  if (!network && !blank_or_zero(c))
    out.add(at(rec, communicated, "515511", "zeros", "only with a network reference (part A = 2)"));
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
