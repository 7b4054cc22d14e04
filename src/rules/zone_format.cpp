#include "rules/zone_format.h"

#include <fmt/format.h>

#include "mutua/byte_scan.h"
#include "mutua/catalog.h"

namespace mutua::rules {

namespace {

using K = RecordKind;

// "Premier chiffre de la zone différent de zéro" -> 1, "Deux premiers chiffres" -> 2...
int leading_zeros_from_label(std::string_view label) {
  if (label.find("Premier chiffre") != std::string_view::npos) return 1;
  if (label.find("Deux premiers") != std::string_view::npos || label.find("2 premiers") != std::string_view::npos) return 2;
  if (label.find("Trois premiers") != std::string_view::npos) return 3;
  if (label.find("Quatre premiers") != std::string_view::npos) return 4;
  return 0;
}

std::string fallback_code(K k) {
  switch (k) {
    case K::Segment200: return "Z20001";
    case K::Segment300: case K::Segment300Response: return "Z30001";
    case K::Et95: return "Z95001";
    case K::Et96: return "Z96001";
    default: return "Z00014";
  }
}

}  // namespace

ZoneFormatRule::ZoneFormatRule() {
  const Layout& layout = Layout::builtin();
  const Catalog& catalog = Catalog::builtin();
  for (int ki = 0; ki < kRecordKindCount; ++ki) {
    auto k = static_cast<K>(ki);
    if (k == K::ResponseBlock || k == K::Et91 || k == K::Et92 || k == K::Segment300Ack) continue;
    for (const Zone& z : layout.zones(k)) {
      if (z.type == ZoneType::Alpha || z.type == ZoneType::ReservedFree) continue;
      Check c{&z, {}, {}, {}, {}, 0};
      if (!z.code_zone.empty()) {
        std::string base = std::string(record_kind_name(k)) + z.code_zone;
        // A code whose label is limited to some billing periods ("et ET 10 Z 22-23 < 0201101")
        // belongs to the zone-conditions table, which knows the envoi's period and the code
        // of the other periods (data/rules/zone-conditions.tsv).
        // A reserved part of a zone ("8b", "43b") has its own code: "Contenu zone 8b différent de zéro".
        const CodeInfo* part = catalog.find(base + "09");
        if (z.type == ZoneType::ReservedZero && part && part->label_fr.find("zone " + z.id + " ") != std::string::npos) {
          c.not_numeric = base + "09";
        } else if (const CodeInfo* own = catalog.find(base + "01")) {
          // Likewise a code limited by the record's own service date ("et ET 50 Z 5 < 20150401").
          if (own->label_fr.find("Z 22-23") != std::string::npos || own->label_fr.find(" Z 5 <") != std::string::npos) continue;
          c.not_numeric = base + "01";
        }
        if (catalog.find(base + "05")) c.bad_sign = base + "05";
        if (catalog.find(base + "06")) c.inner_sign = base + "06";
        if (const CodeInfo* lead = catalog.find(base + "04")) {
          c.leading_zeros = leading_zeros_from_label(lead->label_fr);
          if (c.leading_zeros) c.leading = base + "04";
        }
      }
      if (c.not_numeric.empty()) {
        // Reserved zones are only checked where the official list has a code for them.
        if (z.type == ZoneType::ReservedZero) continue;
        c.not_numeric = fallback_code(k);
      }
      if (c.bad_sign.empty()) c.bad_sign = c.not_numeric;
      if (c.inner_sign.empty()) c.inner_sign = c.not_numeric;
      // The record type zone itself is checked by the structure rule.
      if (z.id == "1" || z.id == "400" || z.id == "500") continue;
      checks_[ki].push_back(std::move(c));
    }
    std::string& classes = classes_[ki];
    for (const Check& c : checks_[ki]) {
      const Zone& z = *c.zone;
      if (z.blank_ok) {
        // Blank or of its type: looked at on every record, outside the template.
        blank_ok_[ki].push_back(&c);
        continue;
      }
      const size_t from = static_cast<size_t>(z.pos - 1), end = from + static_cast<size_t>(z.len);
      if (classes.size() < end) classes.resize(end, check::kAny);
      auto mark = [&](size_t a, size_t b, check::ByteClass cls) {
        for (size_t i = a; i < b; ++i) classes[i] = cls;
      };
      switch (z.type) {
        case ZoneType::Numeric: case ZoneType::Date: mark(from, end, check::kDigit); break;
        case ZoneType::Signed: mark(from, from + 1, check::kSign); mark(from + 1, end, check::kDigit); break;
        case ZoneType::SignChar: mark(from, end, check::kSign); break;
        case ZoneType::ReservedZero: mark(from, end, check::kZero); break;
        case ZoneType::DateOrSigned: mark(from + 1, end, check::kDigit); break;
        default: break;
      }
      if (z.len && (c.leading_zeros || z.type == ZoneType::Date || z.type == ZoneType::DateOrSigned))
        after_scan_[ki].push_back(&c);
    }
  }
}

void ZoneFormatRule::record(const RecordView& rec, Findings& out) {
  if (rec.kind == K::Unknown) return;
  const int ki = static_cast<int>(rec.kind);
  for (const Check* c : blank_ok_[ki]) {
    const Zone& z = *c->zone;
    if (z.end() > rec.bytes.size()) continue;
    if (z.in(rec.bytes).find_first_not_of(' ') != std::string_view::npos) check_zone(*c, rec, out);
  }
  if (check::byte_classes_hold(rec.bytes, classes_[ki])) {
    // Every zone holds the characters of its type: only leading zeros and dates are left.
    for (const Check* c : after_scan_[ki]) {
      std::string_view v = c->zone->in(rec.bytes);
      if (c->zone->type == ZoneType::DateOrSigned) {
        check_zone(*c, rec, out);
      } else if (c->zone->type == ZoneType::Date) {
        if (v != "00000000" && !is_valid_date(v))
          out.add(at(rec, *c->zone, c->not_numeric, "a real date YYYYMMDD", "no such calendar date"));
      } else if (v.substr(0, c->leading_zeros).find_first_not_of('0') != std::string_view::npos) {
        out.add(at(rec, *c->zone, c->leading, std::string(c->leading_zeros, '0') + " in the first positions"));
      }
    }
    return;
  }
  for (const Check& c : checks_[ki]) {
    if (c.zone->blank_ok) continue;
    if (c.zone->end() > rec.bytes.size()) continue;
    check_zone(c, rec, out);
  }
}

void ZoneFormatRule::check_zone(const Check& c, const RecordView& rec, Findings& out) const {
  const Zone& z = *c.zone;
  std::string_view v = z.in(rec.bytes);
  {
    switch (z.type) {
      case ZoneType::Numeric:
        if (!is_digits(v)) out.add(at(rec, z, c.not_numeric, "digits only, zero-padded"));
        else if (c.leading_zeros && v.substr(0, c.leading_zeros).find_first_not_of('0') != std::string_view::npos)
          out.add(at(rec, z, c.leading, std::string(c.leading_zeros, '0') + " in the first positions"));
        break;
      case ZoneType::Date:
        if (!is_digits(v)) out.add(at(rec, z, c.not_numeric, "a date YYYYMMDD, or zeros"));
        else if (v != "00000000" && !is_valid_date(v))
          out.add(at(rec, z, c.not_numeric, "a real date YYYYMMDD", "no such calendar date"));
        break;
      case ZoneType::DateOrSigned: {
        if (v[0] == '+' || v[0] == '-') {
          if (!is_digits(v.substr(1))) out.add(at(rec, z, c.not_numeric, "digits after the sign"));
        } else if (!is_digits(v)) {
          out.add(at(rec, z, c.not_numeric, "a date YYYYMMDD, zeros, or a sign and digits"));
        } else if (v != std::string_view("00000000").substr(0, v.size()) && !is_valid_date(v)) {
          out.add(at(rec, z, c.not_numeric, "a real date YYYYMMDD", "no such calendar date"));
        }
        break;
      }
      case ZoneType::Signed: {
        if (v[0] != '+' && v[0] != '-') {
          out.add(at(rec, z, c.bad_sign, "+ or - then digits"));
          break;
        }
        std::string_view rest = v.substr(1);
        if (rest.find('+') != std::string_view::npos || rest.find('-') != std::string_view::npos) out.add(at(rec, z, c.inner_sign, "digits after the sign"));
        else if (!is_digits(rest)) out.add(at(rec, z, c.not_numeric, "digits after the sign"));
        break;
      }
      case ZoneType::SignChar:
        if (v != "+" && v != "-") out.add(at(rec, z, c.not_numeric, "+ or -"));
        break;
      case ZoneType::ReservedZero:
        if (v.find_first_not_of('0') != std::string_view::npos) out.add(at(rec, z, c.not_numeric, "zeros"));
        break;
      default:
        break;
    }
  }
}

}  // namespace mutua::rules
