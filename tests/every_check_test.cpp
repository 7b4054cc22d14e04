// Every check of the families that are tables rather than one-off rules, each on its own file:
// the baseline envoi with that one zone broken must report that check's code, and the baseline
// itself none. Zone format: a letter in a numeric or date zone, a bad or inner sign in an
// amount, a digit in a reserved zone, a non-zero leading digit. Identifiers: a NISS, INAMI, BCE,
// IBAN or nomenclature code with wrong check digits in each zone that carries one. Zone links:
// a zone that must repeat another record's, made to differ. The checks are the rules' own lists
// (built from the layout, the official list and data/rules/zone-links.tsv), so a zone added to
// the layout is tested without a new case. MUTUA_LIST_CODES=1 prints the codes each test
// covered (to compare with docs/codes.md).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>

#include "baseline.h"
#include "format/embedded.h"
#include "mutua/tsv.h"
#include "mutua/model/dates.h"
#include "mutua/layout.h"
#include "mutua/preflight.h"
#include "mutua/writer.h"
#include "rules/identifiers.h"
#include "rules/zone_format.h"

namespace mutua {
namespace {

using K = RecordKind;

// The baseline as a header (segments 200 and 300) and 350-byte records.
struct Split {
  std::string header;
  std::vector<std::string> records;

  std::string join() const {
    std::string out = header;
    for (const auto& r : records) out += r;
    return out;
  }
};

Split baseline() {
  const std::string base = testing::baseline_file(Framing::Flat);
  Split s;
  s.header = base.substr(0, 227);
  for (size_t p = 227; p + 350 <= base.size(); p += 350) s.records.push_back(base.substr(p, 350));
  return s;
}

// The first ET 50 made an ET 30 or ET 40, as the hospital cases do (tests/cases/hospital_days.cases):
// the billing institution as place, no agreement date, a signed zero as ET 30's indicative amount.
void make_first_line(Split& s, K kind) {
  const Layout& L = Layout::builtin();
  for (auto& r : s.records) {
    if (r.compare(0, 2, "50") != 0) continue;
    r.replace(0, 2, kind == K::Et30 ? "30" : "40");
    const Zone& place = L.at(kind, "14");
    r.replace(place.pos - 1, place.len, "040765140401");
    if (kind == K::Et30) {
      const Zone& agreement = L.at(kind, "47");
      r.replace(agreement.pos - 1, agreement.len, std::string(agreement.len, '0'));
      const Zone& indicative = L.at(kind, "24");
      r.replace(indicative.pos - 1, indicative.len, "+" + std::string(indicative.len - 1, '0'));
    }
    seal_record(r);
    return;
  }
}

std::set<std::string> codes_of(const std::string& bytes) {
  std::string path = testing::temp_path("zone-format.efact");
  {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
  }
  engine::PreflightOptions options;
  options.today = 20261123;
  auto report = engine::preflight({path}, options);
  ::unlink(path.c_str());
  std::set<std::string> found;
  for (const auto& [code, slot] : report.findings.by_code()) found.insert(code);
  return found;
}

// The first record of the kind (an ET 30 / 40 made from the first ET 50 first), or null.
std::string* first_record(Split& s, K kind) {
  if (kind == K::Et30 || kind == K::Et40) make_first_line(s, kind);
  const std::string type(record_type_label(kind));
  auto it = std::find_if(s.records.begin(), s.records.end(), [&](const std::string& r) { return r.compare(0, 2, type) == 0; });
  return it == s.records.end() ? nullptr : &*it;
}

// Writes `value` at `offset` of the zone in the first record of the kind (an ET 30 / 40 made
// from the first ET 50) and seals the record again, but for its check digits themselves
// (zone 99) and the records that have none (ET 95 / 96). False when the baseline has none.
bool write_at(Split& s, K kind, const Zone& zone, size_t offset, const std::string& value) {
  const size_t at = static_cast<size_t>(zone.pos - 1) + offset;
  if (kind == K::Segment200) {
    s.header.replace(at, value.size(), value);
    return true;
  }
  if (kind == K::Segment300) {
    s.header.replace(67 + at, value.size(), value);
    return true;
  }
  std::string* it = first_record(s, kind);
  if (!it) return false;
  it->replace(at, value.size(), value);
  if (kind != K::Et95 && kind != K::Et96 && zone.id != "99") seal_record(*it);
  return true;
}

// One broken file: `value` written at `offset` of the zone, in the first record of the kind.
struct Break {
  K kind;
  const Zone* zone;
  size_t offset;
  char value;
  std::string code;
  std::string what;
};

std::vector<Break> breaks_of(const rules::ZoneFormatRule& rule, K kind) {
  std::vector<Break> out;
  for (const auto& c : rule.checks(kind)) {
    const Zone& z = *c.zone;
    const size_t last = static_cast<size_t>(z.len) - 1;
    switch (z.type) {
      case ZoneType::Numeric:
      case ZoneType::Date:
        out.push_back({kind, &z, last, 'A', c.not_numeric, "a letter"});
        if (c.leading_zeros) out.push_back({kind, &z, 0, '1', c.leading, "a non-zero first digit"});
        break;
      case ZoneType::Signed:
        out.push_back({kind, &z, 0, 'A', c.bad_sign, "no sign"});
        out.push_back({kind, &z, last, 'A', c.not_numeric, "a letter after the sign"});
        out.push_back({kind, &z, last, '+', c.inner_sign, "a sign inside"});
        break;
      case ZoneType::SignChar:
        out.push_back({kind, &z, 0, 'A', c.not_numeric, "no sign"});
        break;
      case ZoneType::ReservedZero:
        out.push_back({kind, &z, last, '1', c.not_numeric, "a digit in a reserved zone"});
        break;
      default:
        break;
    }
  }
  return out;
}

// The record kinds of a billing file (920000): those the baseline has, plus ET 30 / 40 made
// from its first ET 50.
const K kBillingKinds[] = {K::Segment200, K::Segment300, K::Et10, K::Et20, K::Et30, K::Et40, K::Et50,
                           K::Et51,       K::Et52,       K::Et80, K::Et90, K::Et95, K::Et96};

TEST(ZoneFormatAll, TheBaselineAndItsEt30And40VariantsPass) {
  EXPECT_EQ(codes_of(baseline().join()), std::set<std::string>{});
  for (K kind : {K::Et30, K::Et40}) {
    Split s = baseline();
    make_first_line(s, kind);
    // The ET 50 became another type: the control numbers sum the codes of all detail records,
    // unchanged; nothing else may be reported.
    EXPECT_EQ(codes_of(s.join()), std::set<std::string>{}) << record_kind_name(kind);
  }
}

TEST(ZoneFormatAll, EveryCheckReportsItsCodeOnAFileBreakingOnlyItsZone) {
  rules::ZoneFormatRule rule;
  size_t tested = 0;
  for (K kind : kBillingKinds) {
    for (const Break& b : breaks_of(rule, kind)) {
      // The message name: a file that is no 920000 is refused whole before any zone (Z00002,
      // tests/cases/reader.cases).
      if (kind == K::Segment200 && b.zone->id == "200") continue;
      Split s = baseline();
      ASSERT_TRUE(write_at(s, kind, *b.zone, b.offset, std::string(1, b.value)));
      const auto found = codes_of(s.join());
      EXPECT_TRUE(found.count(b.code)) << "ET/segment " << record_kind_name(kind) << " zone " << b.zone->id << ", "
                                        << b.what << ": expected " << b.code << ", got " << ::testing::PrintToString(found);
      ++tested;
      if (std::getenv("MUTUA_LIST_CODES")) std::printf("tested %s\n", b.code.c_str());
    }
  }
  // The family's size on the built-in layout (327 codes in docs/codes.md): a layout that lost
  // its zones would pass the loop above with nothing to test.
  EXPECT_GE(tested, 400u);
  std::printf("%zu broken files\n", tested);
}

// The zones that must repeat (or not fall before / after) a zone of another record
// (data/rules/zone-links.tsv): the first record of the kind is made to differ from the first
// ET 20 (or ET 10, or its ET 50), or for dates the other zone moved past it by a day. Rows
// limited to some billing periods or with an exemption are the cases' (tests/cases).
TEST(ZoneLinksAll, EveryLinkReportsItsCodeOnAFileBreakingIt) {
  const Layout& L = Layout::builtin();
  auto table = format::parse_table(embedded::zone_links(), '\t');
  const int code_c = table.column("code"), rec_c = table.column("record"), zone_c = table.column("zone"),
            other_c = table.column("other_record"), other_zone_c = table.column("other_zone"),
            relation_c = table.column("relation"), unless_c = table.column("unless"), period_c = table.column("period");
  auto cell = [](const std::vector<std::string>& row, int i) { return i >= 0 && static_cast<size_t>(i) < row.size() ? row[i] : ""; };
  size_t tested = 0;
  for (const auto& row : table.rows) {
    if (!cell(row, unless_c).empty() || !cell(row, period_c).empty()) continue;
    const std::string code = cell(row, code_c), relation = cell(row, relation_c);
    const K kind = record_kind_from_name(cell(row, rec_c)), other = record_kind_from_name(cell(row, other_c));
    const Zone& zone = L.at(kind, cell(row, zone_c));
    Split s = baseline();
    const std::string type(record_type_label(kind));
    std::string* it = first_record(s, kind);
    ASSERT_NE(it, nullptr) << code;
    const std::string own = it->substr(static_cast<size_t>(zone.pos - 1), static_cast<size_t>(zone.len));
    if (relation.empty() || relation == "same") {
      std::string changed = own;
      if (zone.type == ZoneType::Date && own == std::string(own.size(), '0')) changed = "20261001";
      else if (changed.back() >= '0' && changed.back() <= '9') changed.back() = static_cast<char>('0' + (changed.back() - '0' + 1) % 10);
      else changed.back() = changed.back() == 'X' ? 'Y' : 'X';
      it->replace(static_cast<size_t>(zone.pos - 1), changed.size(), changed);
      seal_record(*it);
    } else {
      // A date of the line against a date of its invoice: the invoice's moved to the wrong side.
      ASSERT_EQ(other, K::Et20) << code;
      const model::Date date = static_cast<model::Date>(std::stoul(own));
      const model::Date moved = model::add_days(date, relation == "not_before" ? 1 : -1);
      const Zone& other_zone = L.at(K::Et20, cell(row, other_zone_c));
      std::string* et20 = first_record(s, K::Et20);
      et20->replace(static_cast<size_t>(other_zone.pos - 1), static_cast<size_t>(other_zone.len), std::to_string(moved));
      seal_record(*et20);
    }
    const auto found = codes_of(s.join());
    EXPECT_TRUE(found.count(code)) << code << " (ET " << type << " zone " << zone.id << ", " << (relation.empty() ? "same" : relation)
                                   << "): got " << ::testing::PrintToString(found);
    ++tested;
    if (std::getenv("MUTUA_LIST_CODES")) std::printf("tested %s\n", code.c_str());
  }
  EXPECT_GE(tested, 50u);
}

// A value of the identifier's kind with wrong check digits, as the zone holds it: numbers
// right-aligned and zero-padded, an IBAN left-aligned and space-padded.
std::string wrong_identifier(rules::IdentifierRule::Id id, const Zone& zone) {
  using Id = rules::IdentifierRule::Id;
  auto right = [&](const std::string& v) { return std::string(static_cast<size_t>(zone.len) - v.size(), '0') + v; };
  switch (id) {
    case Id::Niss: return right("85073003329");          // 85073003328 is valid
    case Id::Inami: return right("40765141401");         // 40765140401 is valid
    case Id::Bce: return right("0123456748");            // 0123456749 is valid
    case Id::Nomenclature: return right("425015");       // 425014 is valid
    case Id::Iban: {
      std::string v = "BE72096123456769";                // BE71096123456769 is valid
      return v + std::string(static_cast<size_t>(zone.len) - v.size(), ' ');
    }
  }
  return {};
}

TEST(IdentifiersAll, EveryIdentifierZoneReportsWrongCheckDigits) {
  rules::IdentifierRule rule;
  size_t tested = 0;
  for (K kind : kBillingKinds) {
    for (const auto& c : rule.checks(kind)) {
      Split s = baseline();
      ASSERT_TRUE(write_at(s, kind, *c.zone, 0, wrong_identifier(c.id, *c.zone))) << record_kind_name(kind);
      const auto found = codes_of(s.join());
      EXPECT_TRUE(found.count(c.bad_digits)) << "ET " << record_kind_name(kind) << " zone " << c.zone->id << ": expected "
                                             << c.bad_digits << ", got " << ::testing::PrintToString(found);
      ++tested;
      if (std::getenv("MUTUA_LIST_CODES")) std::printf("tested %s\n", c.bad_digits.c_str());
    }
  }
  EXPECT_GE(tested, 30u);
}

TEST(IdentifiersAll, AMalformedIbanAndWrongRecordCheckDigitsAreReported) {
  const Layout& L = Layout::builtin();
  for (const char* zone : {"36", "49"}) {  // IBAN of account A, of account B
    Split s = baseline();
    const Zone& z = L.at(K::Et10, zone);
    std::string v = "BE7109612345676";  // one digit short
    ASSERT_TRUE(write_at(s, K::Et10, z, 0, v + std::string(static_cast<size_t>(z.len) - v.size(), ' ')));
    const std::string code = std::string("10") + (std::string(zone) == "36" ? "3605" : "4905");
    EXPECT_TRUE(codes_of(s.join()).count(code)) << code;
  }
  for (K kind : {K::Et10, K::Et20, K::Et30, K::Et40, K::Et50, K::Et51, K::Et52, K::Et80, K::Et90}) {
    Split s = baseline();
    const std::string type(record_type_label(kind));
    std::string* it = first_record(s, kind);
    ASSERT_NE(it, nullptr) << type;
    it->replace(348, 2, it->substr(348, 2) == "01" ? "02" : "01");  // not sealed again
    const std::string code = type + "9902";
    EXPECT_TRUE(codes_of(s.join()).count(code)) << code;
  }
}

}  // namespace
}  // namespace mutua
