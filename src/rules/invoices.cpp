#include "rules/invoices.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "format/embedded.h"
#include "mutua/tsv.h"

namespace mutua::rules {

namespace {
using K = RecordKind;

}  // namespace

InvoiceRule::InvoiceRule() {
  const Layout& L = Layout::builtin();
  auto table = format::parse_table(embedded::zone_links(), '\t');
  int c_code = table.column("code"), c_rec = table.column("record"), c_zone = table.column("zone"),
      c_orec = table.column("other_record"), c_ozone = table.column("other_zone"),
      c_rel = table.column("relation"), c_unless = table.column("unless"), c_period = table.column("period");
  auto cell = [](const std::vector<std::string>& row, int c) {
    return c >= 0 && static_cast<size_t>(c) < row.size() ? row[c] : std::string();
  };
  for (auto& row : table.rows) {
    K k = record_kind_from_name(row[c_rec]), o = record_kind_from_name(row[c_orec]);
    Link link{row[c_code], L.find(k, row[c_zone]), o, L.find(o, row[c_ozone])};
    if (!link.zone || !link.other) throw std::logic_error("zone-links.tsv names an unknown zone: " + row[c_code]);
    const std::string rel = cell(row, c_rel);
    if (rel == "not_before") link.relation = Relation::NotBefore;
    else if (rel == "not_after") link.relation = Relation::NotAfter;
    else if (!rel.empty() && rel != "same") throw std::logic_error("zone-links.tsv: unknown relation " + rel);
    if (const std::string unless = cell(row, c_unless); !unless.empty()) {
      const size_t eq = unless.find('=');
      link.unless_zone = eq == std::string::npos ? nullptr : L.find(k, unless.substr(0, eq));
      if (!link.unless_zone) throw std::logic_error("zone-links.tsv: bad unless " + unless);
      link.unless_value = unless.substr(eq + 1);
    }
    link.period = PeriodLimit::parse(cell(row, c_period));
    links_[static_cast<int>(k)].push_back(std::move(link));
  }
  const K details[] = {K::Et30, K::Et40, K::Et50};
  for (int i = 0; i < 3; ++i)
    detail_[i] = {&L.at(details[i], "11"), &L.at(details[i], "33"), &L.at(details[i], "22"), &L.at(details[i], "19"),
                  &L.at(details[i], "5")};
}

void InvoiceRule::record(const RecordView& rec, Findings& out) {
  if (ctx_->message != MessageType::Billing920000 || rec.kind == K::Unknown) return;
  const Layout& L = *ctx_->layout;
  const K k = rec.kind;
  if (k == K::Et10) period_ = EnvoiPeriod::of_et10(rec.bytes, L);

  for (const Link& link : links_[static_cast<int>(k)]) {
    if (!link.period.holds(period_)) continue;
    const std::string* other = link.other_kind == K::Et10   ? &last_et10_
                               : link.other_kind == K::Et20 ? &last_et20_
                               : link.other_kind == K::Et50 ? &last_et50_
                                                            : nullptr;
    if (!other || other->empty()) continue;
    std::string_view mine = link.zone->in(rec.bytes);
    std::string_view theirs = link.other->in(*other);
    if (link.unless_zone && link.unless_zone->in(rec.bytes) == link.unless_value) continue;
    if (link.relation != Relation::Same) {
      // Dates only: an absent or malformed date is the format checks' business.
      if (!is_valid_date(mine) || !is_valid_date(theirs)) continue;
      const bool before = digits_value(mine) < digits_value(theirs);
      const bool after = digits_value(mine) > digits_value(theirs);
      if (link.relation == Relation::NotBefore ? before : after)
        out.add(at(rec, *link.zone, link.code,
                   fmt::format("{} {}", link.relation == Relation::NotBefore ? "on or after" : "on or before", theirs),
                   fmt::format("ET {} zone {} is {}", record_kind_name(link.other_kind), link.other->id, theirs)));
      continue;
    }
    // Zones of different lengths (ET 30 Z 47 vs ET 20 Z 20) compare by value.
    bool same = mine.size() == theirs.size() ? mine == theirs
                                             : (is_digits(mine) && is_digits(theirs) && digits_value(mine) == digits_value(theirs));
    if (!same) {
      out.add(at(rec, *link.zone, link.code, printable(theirs),
                 fmt::format("must repeat ET {} zone {}", record_kind_name(link.other_kind), link.other->id)));
      // The label lists ET 30, 40, 50, 51 and 80: an ET 52's patient has its own code (520812).
      if (link.other_kind == K::Et20 && link.zone->id == "8" && k != K::Et52) niss_varies_ = true;
    }
  }

  // An invoice whose records do not all carry its beneficiary's NISS (x0812) is said so once
  // more at its ET 20 (200812), when the invoice ends.
  if (k == K::Et20 || k == K::Et90) {
    if (niss_varies_) out.add(niss_finding_);
    niss_varies_ = false;
    if (k == K::Et20)
      niss_finding_ = at(rec, L.at(K::Et20, "8"), "200812", "", "another NISS in a record of this invoice (ET 30, 40, 50, 51, 52 or 80)");
  }

  switch (k) {
    case K::Et10:
      last_et10_.assign(rec.bytes);
      account_a_only_ = L.at(K::Et10, "3").in(rec.bytes) == "0";
      break;
    case K::Et20: {
      last_et20_.assign(rec.bytes);
      last_et50_.clear();
      const Zone& dest = L.at(k, "18");
      std::string d(dest.in(rec.bytes));
      if (!last_destination_.empty() && is_digits(d) && is_digits(last_destination_) && d < last_destination_)
        out.add(at(rec, dest, "201812", fmt::format(">= {} (the previous invoice's)", last_destination_)));
      if (is_digits(d)) last_destination_ = d;
      const Zone& number = L.at(k, "24");
      std::string_view n = number.in(rec.bytes);
      if (is_digits(n)) {
        const uint64_t record = rec.number;
        invoice_numbers_.push_back({.value = digits_value(n) & ((uint64_t{1} << 40) - 1),
                                    .record_high = (record >> 16) & 0xFFFFFF,
                                    .position = (rec.offset + number.pos) & ((uint64_t{1} << 48) - 1),
                                    .record_low = record & 0xFFFF});
      }
      const Zone& type = L.at(k, "11");
      credit_note_ = type.in(rec.bytes) == "3";
      invoice_type_ = L.at(K::Et20, "10").in(rec.bytes)[0];
      {
        std::string_view ct = L.at(K::Et20, "27").in(rec.bytes);
        ct2_900_ = ct.substr(ct.size() - 3) == "900" || ct.substr(ct.size() - 3) == "901";
      }
      // An envoi of content 030 (ET 10 zone 13) carries only corrective invoices and credit notes.
      if (!last_et10_.empty() && L.at(K::Et10, "13").in(last_et10_) == "030") {
        std::string_view t = type.in(rec.bytes);
        if (t != "1" && t != "3" && t != "4")
          out.add(at(rec, type, "201110", "1, 3 or 4", "the envoi's content (ET 10 zone 13) is 030"));
      }
      credit_reported_ = false;
      if (credit_note_) credit_template_ = at(rec, type, "201140", "every amount negative");
      break;
    }
    case K::Et30:
    case K::Et40:
    case K::Et50: {
      if (k == K::Et50) last_et50_.assign(rec.bytes);
      const DetailZones& z = detail_[k == K::Et30 ? 0 : k == K::Et40 ? 1 : 2];
      // Account B (zone 11 = 1) only when the envoi gives two accounts (ET 10 zone 3, code indice 1).
      if (k != K::Et40 && account_a_only_ && z.account->in(rec.bytes) == "1")
        out.add(at(rec, *z.account, k == K::Et30 ? "301110" : "501110", "0 (account A)",
                   "the envoi's code indice (ET 10 zone 3) is 0"));
      // A billing code 3 or 4 (zone 33: the maximum billing, MAF) belongs to invoices of type 1 or 5.
      if (k != K::Et40 && !last_et20_.empty()) {
        std::string_view b = z.billing->in(rec.bytes);
        if ((b == "3" || b == "4") && invoice_type_ != '1' && invoice_type_ != '5')
          out.add(at(rec, *z.billing, k == K::Et30 ? "303310" : "503310", "another billing code",
                     fmt::format("the invoice is of type {} (ET 20 zone 10), not 1 or 5", invoice_type_)));
      }
      // CT2 900 / 901 for a prestation from 2008 on: said, not rejected (x0551, E).
      if (ct2_900_) {
        std::string_view first = z.first->in(rec.bytes);
        if (is_valid_date(first) && digits_value(first) >= 20080101)
          out.add(at(rec, *z.first, k == K::Et30 ? "300551" : k == K::Et40 ? "400551" : "500551", "",
                     "the invoice's CT2 (ET 20 zone 27) is 900 or 901"));
      }
      if (credit_note_) {
        // A credit note takes back units (days) as well as amounts: their number is negative.
        std::string_view u = z.units->in(rec.bytes);
        if (u[0] == '+' && u.substr(1).find_first_not_of('0') != std::string_view::npos)
          out.add(at(rec, *z.units, k == K::Et30 ? "302248" : k == K::Et40 ? "402248" : "502248", "a negative number (-)",
                     "the invoice is a credit note (ET 20 zone 11 = 3)"));
      }
      if (credit_note_ && !credit_reported_) {
        std::string_view amount = z.amount->in(rec.bytes);
        if (amount[0] != '-' && amount.substr(1).find_first_not_of('0') != std::string_view::npos) {
          Finding f = credit_template_;
          f.message = fmt::format("credit note: record {} (ET {}) has amount {}", rec.number, record_kind_name(k),
                                  printable(amount));
          out.add(std::move(f));
          credit_reported_ = true;
        }
      }
      break;
    }
    default:
      break;
  }
}

void InvoiceRule::end(Findings& out) {
  auto& v = invoice_numbers_;
  // In place (no merge buffer); ties in file order, as the records are unique.
  std::sort(v.begin(), v.end(), [](const Number& a, const Number& b) {
    return a.value != b.value ? a.value < b.value : a.record() < b.record();
  });
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i].value != v[i - 1].value) continue;
    Finding f;
    f.code = "202420";
    f.type = type_of(f.code);
    f.file = ctx_->file;
    f.record = v[i].record();
    f.record_type = "20";
    f.zone = "24";
    f.position = v[i].position;
    f.value = fmt::format("{:012d}", uint64_t{v[i].value});
    f.expected = "a number no other invoice of the envoi has";
    f.message = fmt::format("record {} has the same invoice number", v[i - 1].record());
    out.add(std::move(f));
  }
  v.clear();
  v.shrink_to_fit();
}

}  // namespace mutua::rules
