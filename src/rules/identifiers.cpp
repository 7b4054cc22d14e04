// Identifier check digits. Algorithms: DOMAIN.md "Identifiers"; NOMENCLATURE.md §6; zone 99:
// FORMAT.md §1.4 (taktik's writer, not checked against the official text: see docs/format.md).
#include "rules/identifiers.h"

#include <fmt/format.h>

#include "mutua/check_digits.h"

namespace mutua::rules {

namespace {

using K = RecordKind;

struct Place {
  K kind;
  const char* zone;
  int id;  // index into IdentifierRule::Id
};

// Where each identifier sits. A code is only raised where the official list has one.
const Place kPlaces[] = {
    {K::Et10, "14", 1}, {K::Et10, "27", 3}, {K::Et10, "36", 2}, {K::Et10, "49", 2},
    {K::Et20, "8", 0},  {K::Et20, "14", 1}, {K::Et20, "15", 1},
    {K::Et30, "4", 4},  {K::Et30, "8", 0},  {K::Et30, "14", 1}, {K::Et30, "15", 1}, {K::Et30, "24", 1},
    {K::Et40, "4", 4},  {K::Et40, "8", 0},  {K::Et40, "14", 1}, {K::Et40, "15", 1}, {K::Et40, "24", 1},
    {K::Et50, "4", 4},  {K::Et50, "8", 0},  {K::Et50, "14", 1}, {K::Et50, "15", 1}, {K::Et50, "24", 1},
    {K::Et50, "17", 4}, {K::Et50, "49", 1}, {K::Et30, "17", 4},
    {K::Et51, "4", 4},  {K::Et51, "8", 0},  {K::Et51, "15", 1},
    {K::Et52, "4", 4},  {K::Et52, "8", 0},  {K::Et52, "15", 1},
    {K::Et80, "8", 0},  {K::Et80, "14", 1},
    {K::Et90, "14", 1}, {K::Et90, "27", 3}, {K::Et90, "36", 2}, {K::Et90, "49", 2},
};


}  // namespace

IdentifierRule::IdentifierRule() {
  const Layout& layout = Layout::builtin();
  for (const Place& p : kPlaces) {
    const Zone& z = layout.at(p.kind, p.zone);
    std::string base = std::string(record_kind_name(p.kind)) + z.code_zone;
    Check c{&z, static_cast<Id>(p.id), base + "02", {}};
    if (c.id == Id::Iban) c.malformed = base + "05";
    if (!official(c.bad_digits)) continue;
    if (!c.malformed.empty() && !official(c.malformed)) c.malformed = c.bad_digits;
    checks_[static_cast<int>(p.kind)].push_back(c);
  }
  for (K k : {K::Et10, K::Et20, K::Et30, K::Et40, K::Et50, K::Et51, K::Et52, K::Et80, K::Et90}) {
    std::string code = std::string(record_kind_name(k)) + "9902";
    if (official(code)) check_digit_code_[static_cast<int>(k)] = code;
  }
}

void IdentifierRule::record(const RecordView& rec, Findings& out) {
  if (rec.kind == K::Unknown) return;
  const int ki = static_cast<int>(rec.kind);
  const std::string& cd_code = check_digit_code_[ki];
  if (!cd_code.empty() && rec.bytes.size() >= 350) {
    int expected = check::record_check_digits(rec.bytes.substr(0, 348));
    std::string_view given = rec.bytes.substr(348, 2);
    if (!is_digits(given) || static_cast<int>(digits_value(given)) != expected)
      out.add(at(rec, ctx_->layout->at(rec.kind, "99"), cd_code, fmt::format("{:02d}", expected)));
  }
  for (const Check& c : checks_[ki]) {
    std::string_view v = c.zone->in(rec.bytes);
    if (blank_or_zero(v)) continue;  // absent: whether it is required needs the fund's data
    check::Verdict verdict = check::Verdict::Valid;
    std::string_view shown = v;
    switch (c.id) {
      case Id::Niss:
        if (!is_digits(v)) continue;
        shown = v.substr(v.size() - 11);
        verdict = check::niss(shown);
        break;
      case Id::Inami:
        if (!is_digits(v)) continue;
        shown = v.substr(v.size() - 11);
        verdict = check::inami(shown);
        break;
      case Id::Bce:
        if (!is_digits(v)) continue;
        verdict = check::bce(v);
        break;
      case Id::Nomenclature:
        if (!is_digits(v)) continue;
        shown = v.substr(v.size() - 6);
        verdict = check::nomenclature(shown);
        break;
      case Id::Iban:
        verdict = check::iban(v);
        break;
    }
    if (verdict == check::Verdict::Valid || verdict == check::Verdict::NotNumeric) continue;
    std::string code = verdict == check::Verdict::Malformed && !c.malformed.empty() ? c.malformed : c.bad_digits;
    std::string expected;
    if (c.id == Id::Nomenclature && verdict == check::Verdict::BadCheckDigits) {
      auto five = static_cast<uint32_t>(digits_value(shown.substr(0, 5)));
      expected = fmt::format("{}{}", shown.substr(0, 5), check::nomenclature_check(five));
    } else if (c.id == Id::Inami && verdict == check::Verdict::BadCheckDigits) {
      auto base = static_cast<uint32_t>(digits_value(shown.substr(0, 6)));
      expected = fmt::format("{}{:02d}{}", shown.substr(0, 6), check::inami_check(base), shown.substr(8));
    } else if (c.id == Id::Iban) {
      expected = verdict == check::Verdict::Malformed ? "an IBAN (BE + 14 digits for Belgium)" : "valid IBAN check digits";
    } else {
      expected = "valid check digits";
    }
    out.add(at(rec, *c.zone, code, expected));
  }
}

}  // namespace mutua::rules
