// The limitation period (péremption): the insurance owes nothing for care billed more than two
// years after the end of the month it was given in (coordinated law of 14 July 1994, art. 174;
// the CIN's eFact certification scenarios 04 and 17: a prestation more than two years old is
// refused, unless the invoice lifts the period in ET 20 zone 16). 500546 on the line's first
// date; 300546 / 400546 for ET 30 / 40 (record-type-codes.tsv). The length is a parameter.
#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "rules/lines/families.h"

namespace mutua::rules {

namespace {

// The last day of the month `months` after the month of `d`.
Date end_of_month_after(Date d, int months) {
  int y = static_cast<int>(d / 10000), m = static_cast<int>(d / 100 % 100) + months;
  y += (m - 1) / 12;
  m = (m - 1) % 12 + 1;
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int last = days[m - 1];
  if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) last = 29;
  return static_cast<Date>(y * 10000 + m * 100 + last);
}

class LimitationRules final : public LineRules {
 public:
  std::string_view name() const override { return "limitation"; }

  void envoi(Context& ctx) override {
    if (!ctx.today) return;  // judged against the day of receipt: none, nothing to say
    const int months = static_cast<int>(ctx.data.number("limitation_months"));
    const Envoi& e = ctx.envoi;
    for (const Line& l : e.lines) {
      if (l.credit || !l.first) continue;  // a credit note gives back; it is never late
      if (e.invoices[l.invoice].limitation_waiver != 0) continue;
      const Date expired = end_of_month_after(l.first, months);
      if (ctx.today > expired)
        ctx.verdicts.add(l.record, "500546", "limitation", {{"date", model::dmy(l.first)}, {"expired", model::dmy(expired)}});
    }
  }
};

}  // namespace

std::unique_ptr<LineRules> make_limitation_rules() { return std::make_unique<LimitationRules>(); }

}  // namespace mutua::rules
