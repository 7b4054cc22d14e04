#include "rules/hospital_days.h"

#include <fmt/format.h>

#include "mutua/model/dates.h"

namespace mutua::rules {

namespace {
using K = RecordKind;

// A valid date of a zone, or 0.
model::Date date_of(const Zone& z, std::string_view record) {
  std::string_view v = z.in(record);
  return is_valid_date(v) ? static_cast<model::Date>(digits_value(v)) : 0;
}
}  // namespace

void HospitalDayRule::record(const RecordView& rec, Findings& out) {
  if (ctx_->message != MessageType::Billing920000) return;
  if (rec.kind == K::Et20) {
    et20_.assign(rec.bytes);
    return;
  }
  if (rec.kind == K::Et80) et20_.clear();
  if (rec.kind != K::Et30 || et20_.empty()) return;
  const Layout& L = *ctx_->layout;
  const Zone &norm_zone = L.at(K::Et30, "3"), &first_zone = L.at(K::Et30, "5"), &last_zone = L.at(K::Et30, "6");
  std::string_view norm = norm_zone.in(rec.bytes);
  if (!is_digits(norm)) return;  // its own format finding
  const char n = norm[0];
  std::string_view type = L.at(K::Et20, "10").in(et20_);
  if (n != '0' && type != "1")
    out.add(at(rec, norm_zone, "300314", "0", fmt::format("the invoice is of type {} (ET 20 zone 10), not a hospital stay", type)));
  // The number of days and the indicative amount carry the sign of the insurance amount.
  std::string_view amount = L.at(K::Et30, "19").in(rec.bytes);
  if ((amount[0] == '+' || amount[0] == '-') && amount.substr(1).find_first_not_of('0') != std::string_view::npos) {
    for (auto [id, code] : {std::pair{"22", "302212"}, std::pair{"24", "302412"}}) {
      const Zone& z = L.at(K::Et30, id);
      std::string_view v = z.in(rec.bytes);
      if ((v[0] == '+' || v[0] == '-') && v.substr(1).find_first_not_of('0') != std::string_view::npos && v[0] != amount[0])
        out.add(at(rec, z, code, std::string(1, amount[0]), fmt::format("the insurance amount (zone 19) is {}", amount)));
    }
  }
  const model::Date admission = date_of(L.at(K::Et20, "5"), et20_), discharge = date_of(L.at(K::Et20, "6"), et20_);
  const model::Date first = date_of(first_zone, rec.bytes), last = date_of(last_zone, rec.bytes);
  if (admission && first) {
    const bool opens = n == '1' || n == '2';
    if (opens && first != admission && first != model::add_days(admission, 1))
      out.add(at(rec, first_zone, "300310", fmt::format("{} or the day after", admission),
                 fmt::format("norm {} bills the admission (ET 20 zone 5: {})", n, admission)));
    if (!opens && first == admission)
      out.add(at(rec, first_zone, "300311", "a norm of days 1 or 2",
                 fmt::format("the first day billed is the admission day (ET 20 zone 5) under norm {}", n)));
  }
  if (discharge && last) {
    const bool closes = n == '2' || n == '9';
    if (closes && last != discharge && last != model::add_days(discharge, -1))
      out.add(at(rec, last_zone, "300312", fmt::format("{} or the day before", discharge),
                 fmt::format("norm {} bills the discharge (ET 20 zone 6: {})", n, discharge)));
    if (!closes && last == discharge)
      out.add(at(rec, last_zone, "300313", "a norm of days 2 or 9",
                 fmt::format("the last day billed is the discharge day (ET 20 zone 6) under norm {}", n)));
  }
}

}  // namespace mutua::rules
