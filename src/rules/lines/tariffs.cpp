// Amounts at the prestation's date: the insurance amount must be the fee times the units
// (501940; 501943 in the sectors where a tariff consultation exists; not checked when an ET 51
// tariff commitment is attached, whose approval number must approve the line instead: 514225,
// and 501920 for the approved line at another amount),
// the personal share must
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
      if (l.tariff_commitment) check_tariff_commitment(ctx, l);
      if (r->fee_cents > 0 && !l.tariff_commitment) {
        int64_t expected = sign * r->fee_cents * units;
        MUTUA_NOTE(ctx.verdicts, l.record, "tariffs",
                          fmt::format("fee {} x {} = {}, billed {}", fmt_cents(r->fee_cents), units,
                                      fmt_cents(expected), fmt_cents(l.amount)));
        // Where the provider could have asked the fund's tariff (eTar, parameters.tsv), the
        // wrong amount is "without a payment commitment" (501943).
        if (l.amount != expected)
          ctx.verdicts.add(l.record, ctx.data.in_list("tariff_commitment_sectors", r->sector) ? "501943" : "501940", "tariffs",
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

 private:
  // The approval number of the line's ET 51 (zones 42-45) must be one the fund gave for this
  // patient, code, date (and provider, when it names one), and approve the amount billed: an
  // amount changed after the consultation makes the number wrong (514225,
  // efact-physician-error-guide: "le montant a été modifié après la validation eTar").
  static void check_tariff_commitment(Context& ctx, const Line& l) {
    if (l.tariff_number.empty() || l.tariff_record == SIZE_MAX) return;  // no network reference: the file checks say it
    if (!ctx.ref.keeps("tariff_commitments.csv")) {  // a fund without the consultations cannot judge the number
      MUTUA_NOTE(ctx.verdicts, l.record, "tariffs", "tariff consultation " + l.tariff_number + ": the fund keeps no tariff consultations");
      return;
    }
    const model::PatientFacts* f = ctx.ref.patient(l.niss);
    // One consultation approves every code asked under one number (the CIN's certification
    // scenario 11: a consultation and its relative code): the row of this code, else any of it.
    const model::TariffCommitment* tc = nullptr;
    if (f)
      for (const auto* x : f->tariff_commitments)
        if (same_network_reference(l.tariff_number, x->number) && (!tc || (x->code == l.code && tc->code != l.code))) tc = x;
    const int64_t billed = l.amount < 0 ? -l.amount : l.amount;
    if (!tc) {
      std::string shown = l.tariff_number;  // without the zeros of parts N and V
      while (shown.size() > 1 && shown.back() == '0') shown.pop_back();
      ctx.verdicts.add(l.tariff_record, "514225", "tariffs", {{"number", shown}, {"variant", "unknown"}});
      return;
    }
    MUTUA_NOTE(ctx.verdicts, l.record, "tariffs",
               fmt::format("tariff consultation {}: {} on {}, {}", tc->number, tc->code, model::dmy(tc->date),
                           fmt_cents(tc->amount_cents)));
    const bool same_line = tc->code == l.code && tc->date == l.first && (tc->provider.empty() || tc->provider == l.provider);
    // The approved line at another amount: the amount is incompatible with the commitment
    // (501920, FORMAT.md and DOMAIN.md: "501920 checks it") and the number no longer approves it.
    if (same_line && tc->amount_cents != billed)
      ctx.verdicts.add(l.record, "501920", "tariffs",
                       {{"number", tc->number}, {"approved", fmt_cents(tc->amount_cents)}, {"billed", fmt_cents(billed)}});
    if (!same_line || tc->amount_cents != billed)
      ctx.verdicts.add(l.tariff_record, "514225", "tariffs",
                       {{"number", tc->number}, {"code", tc->code}, {"date", model::dmy(tc->date)},
                        {"approved", fmt_cents(tc->amount_cents)}, {"billed", fmt_cents(billed)},
                        {"billed_code", l.code}, {"billed_date", model::dmy(l.first)}});
  }
};

}  // namespace

std::unique_ptr<LineRules> make_tariff_rules() { return std::make_unique<TariffRules>(); }

}  // namespace mutua::rules
