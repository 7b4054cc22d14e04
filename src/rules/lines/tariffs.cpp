// Amounts at the prestation's date: the insurance amount must be the fee times the units
// (501940; not checked when an ET 51 tariff commitment is attached), the personal share must
// not exceed the maximum for the patient's CT (502742), and a correct share with ET 50 Z 33 = 1
// is signalled (502744, S: no rejection). A supplement (ET 50 Z 30) above the code's maximum
// per unit is refused (503043); a supplement on a line whose personal share (Z 27) is empty
// although the code has one is the patient's share written in the wrong zone (503044).
#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "rules/lines/families.h"

namespace mutua::rules {

namespace {

class TariffRules final : public LineRules {
 public:
  std::string_view name() const override { return "tariffs"; }

  void envoi(Context& ctx) override {
    const Envoi& e = ctx.envoi;
    for (const Line& l : e.lines) {
      if (l.norm == 9) continue;
      const model::NomenclatureRule* r = ctx.ref.rule(l.code, l.first);
      if (!r) continue;
      const int64_t units = l.units == 0 ? 1 : (l.units < 0 ? -l.units : l.units);
      const int64_t sign = l.credit ? -1 : 1;
      if (r->fee_cents > 0 && !l.tariff_commitment) {
        int64_t expected = sign * r->fee_cents * units;
        MUTUA_NOTE(ctx.verdicts, l.record, "tariffs",
                          fmt::format("fee {} x {} = {}, billed {}", fmt_cents(r->fee_cents), units,
                                      fmt_cents(expected), fmt_cents(l.amount)));
        if (l.amount != expected)
          ctx.verdicts.add(l.record, "501940", "tariffs",
                           {{"expected", fmt_cents(expected)}, {"billed", fmt_cents(l.amount)},
                            {"units", std::to_string(units)}, {"date", model::dmy(l.first)}});
      }
      const Invoice& inv = e.invoices[l.invoice];
      // CT1's last digit: 1 = increased reimbursement (NOMENCLATURE.md §5).
      const bool preferential = inv.ct1 % 10 == 1;
      const int64_t max_share = preferential ? r->personal_share_cents_preferential : r->personal_share_cents;
      if (max_share >= 0) {
        int64_t share = l.personal_share < 0 ? -l.personal_share : l.personal_share;
        if (share > max_share * units)
          ctx.verdicts.add(l.record, "502742", "tariffs",
                           {{"expected", fmt_cents(max_share * units)}, {"billed", fmt_cents(share)}});
        else if (l.social_category == 1)
          ctx.verdicts.add(l.record, "502744", "tariffs", {{"billed", fmt_cents(share)}});
      }
      if (l.supplement == 0) continue;
      const int64_t supplement = l.supplement < 0 ? -l.supplement : l.supplement;
      if (r->max_supplement_cents >= 0 && supplement > r->max_supplement_cents * units)
        ctx.verdicts.add(l.record, "503043", "tariffs",
                         {{"expected", fmt_cents(r->max_supplement_cents * units)}, {"billed", fmt_cents(supplement)}});
      if (l.personal_share == 0 && max_share > 0)
        ctx.verdicts.add(l.record, "503044", "tariffs",
                         {{"billed", fmt_cents(supplement)}, {"expected", fmt_cents(max_share * units)}});
    }
  }
};

}  // namespace

std::unique_ptr<LineRules> make_tariff_rules() { return std::make_unique<TariffRules>(); }

}  // namespace mutua::rules
