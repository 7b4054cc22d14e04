#include "rules/totals.h"

#include <fmt/format.h>

#include <optional>

#include "mutua/check_digits.h"

namespace mutua::rules {

namespace {
using K = RecordKind;

std::string money(int64_t cents) {
  return fmt::format("{}{}.{:02d}", cents < 0 ? "-" : "", (cents < 0 ? -cents : cents) / 100,
                     (cents < 0 ? -cents : cents) % 100);
}
}  // namespace

void TotalsRule::record(const RecordView& rec, Findings& out) {
  if (ctx_->message != MessageType::Billing920000) return;
  const Layout& L = *ctx_->layout;
  const K k = rec.kind;
  static const ZoneOfEachKind z4("4"), z11("11"), z18("18"), z19("19"), z27("27"), z30("30");
  auto zone = [&](const char* id) { return L.at(k, id).in(rec.bytes); };

  switch (k) {
    case K::Et20:
      invoice_ = {};
      in_invoice_ = true;
      mutuality_ = std::string(z18[k].in(rec.bytes));
      break;
    case K::Et30:
    case K::Et40:
    case K::Et50: {
      int64_t amount = signed_value(z19[k].in(rec.bytes));
      const bool b = z11[k].in(rec.bytes) == "1";
      (b ? invoice_.b : invoice_.a) += amount;
      (b ? detail_file_.b : detail_file_.a) += amount;
      invoice_.personal += signed_value(z27[k].in(rec.bytes));
      invoice_.supplement += signed_value(z30[k].in(rec.bytes));
      invoice_.code_sum += digits_value(z4[k].in(rec.bytes));
      break;
    }
    case K::Et51:
    case K::Et52:
      invoice_.code_sum += digits_value(z4[k].in(rec.bytes));
      break;
    case K::Et80: {
      auto compare = [&](const char* id, int64_t expected, const char* code) {
        std::string_view v = zone(id);
        if (v.empty() || (v[0] != '+' && v[0] != '-') || !is_digits(v.substr(1))) return;  // zone format says it
        if (signed_value(v) != expected)
          out.add(at(rec, L.at(k, id), code, fmt::format("{:+d} ({} EUR)", expected, money(expected))));
      };
      compare("19", invoice_.a, "801910");
      compare("15", invoice_.b, "801510");
      compare("27", invoice_.personal, "802710");
      compare("30", invoice_.supplement, "803010");
      int control = check::control_mod97(invoice_.code_sum);
      std::string_view cd = zone("98");
      if (is_digits(cd) && static_cast<int>(digits_value(cd)) != control)
        out.add(at(rec, L.at(k, "98"), "809802", fmt::format("{:02d}", control)));
      trailer_file_.a += signed_value(zone("19"));
      trailer_file_.b += signed_value(zone("15"));
      detail_file_.code_sum += invoice_.code_sum;
      Sums& m = by_mutuality_[mutuality_];
      m.a += signed_value(zone("19"));
      m.b += signed_value(zone("15"));
      m.code_sum += invoice_.code_sum;
      in_invoice_ = false;
      break;
    }
    case K::Et90: {
      auto compare = [&](const char* id, int64_t expected, const char* code, const char* what) {
        std::string_view v = zone(id);
        if (v.empty() || (v[0] != '+' && v[0] != '-') || !is_digits(v.substr(1))) return;
        if (signed_value(v) != expected)
          out.add(at(rec, L.at(k, id), code, fmt::format("{:+d} ({} EUR, {})", expected, money(expected), what)));
      };
      compare("19", trailer_file_.a, "901910", "total of the ET 80 records");
      compare("19", detail_file_.a, "901911", "total of the ET 30/40/50 records");
      compare("15", trailer_file_.b, "901510", "total of the ET 80 records");
      compare("15", detail_file_.b, "901511", "total of the ET 30/40/50 records");
      int control = check::control_mod97(detail_file_.code_sum);
      std::string_view cd = zone("98");
      if (is_digits(cd) && static_cast<int>(digits_value(cd)) != control)
        out.add(at(rec, L.at(k, "98"), "909802", fmt::format("{:02d}", control)));
      break;
    }
    case K::Et95:
    case K::Et96: {
      const bool per_mutuality = k == K::Et95;
      const int base = per_mutuality ? 400 : 500;
      auto id = [&](int offset) { return std::to_string(base + offset); };
      auto zone_at = [&](int offset) -> const Zone& { return L.at(k, id(offset)); };
      auto signed_pair = [&](int sign_offset) -> std::optional<int64_t> {
        std::string_view s = zone_at(sign_offset).in(rec.bytes), v = zone_at(sign_offset + 1).in(rec.bytes);
        if ((s != "+" && s != "-") || !is_digits(v)) return std::nullopt;
        auto n = static_cast<int64_t>(digits_value(v));
        return s == "-" ? -n : n;
      };
      std::string mutuality(zone_at(1).in(rec.bytes));
      Sums expected;
      if (per_mutuality) {
        if (!last_95_.empty() && mutuality <= last_95_)
          out.add(at(rec, zone_at(1), "Z95008", fmt::format("after {}", last_95_)));
        last_95_ = mutuality;
        mutualities_in_95_.insert(mutuality);
        auto it = by_mutuality_.find(mutuality);
        if (it == by_mutuality_.end()) {
          out.add(at(rec, zone_at(1), "Z95002", "a destination mutuality of the file's invoices",
                     fmt::format("no invoice of the file goes to mutuality {}", mutuality)));
          break;
        }
        expected = it->second;
      } else {
        expected = trailer_file_;
        expected.code_sum = detail_file_.code_sum;
      }
      const char* prefix = per_mutuality ? "Z95" : "Z96";
      auto a = signed_pair(3), b = signed_pair(5), ab = signed_pair(7);
      if (a && *a != expected.a)
        out.add(at(rec, zone_at(4), fmt::format("{}003", prefix), fmt::format("{:+d}", expected.a)));
      if (b && *b != expected.b)
        out.add(at(rec, zone_at(6), fmt::format("{}004", prefix), fmt::format("{:+d}", expected.b)));
      if (a && b && ab && *ab != *a + *b)
        out.add(at(rec, zone_at(8), fmt::format("{}005", prefix), fmt::format("{:+d}", *a + *b)));
      // Zones 409 / 509 (number of records) are not judged: the CIN's own files give 6 and 8
      // whatever they hold, a count no source explains (docs/format.md); Z95006 / Z96006 retired.
      std::string_view control = zone_at(10).in(rec.bytes);
      int want = check::control_mod97(expected.code_sum);
      if (is_digits(control) && static_cast<int>(digits_value(control)) != want)
        out.add(at(rec, zone_at(10), fmt::format("{}007", prefix), fmt::format("{:02d}", want)));
      break;
    }
    default:
      break;
  }
}

void TotalsRule::end(Findings& out) {
  if (ctx_->message != MessageType::Billing920000) return;
  for (const auto& [mutuality, sums] : by_mutuality_) {
    if (mutualities_in_95_.count(mutuality) || last_95_.empty()) continue;
    Finding f;
    f.code = "Z95002";
    f.type = type_of(f.code);
    f.file = ctx_->file;
    f.record_type = "95";
    f.zone = "401";
    f.value = mutuality;
    f.message = fmt::format("invoices go to mutuality {} but no ET 95 carries its totals", mutuality);
    out.add(std::move(f));
  }
}

}  // namespace mutua::rules
