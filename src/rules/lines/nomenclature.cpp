// What the nomenclature says about a code at the prestation's date: known (500403) and in force
// on its first and last dates (500420), not a GMD code (500433), the patient's sex (500942), the provider's kind
// (501540), a prescriber (502405), the treated limb (503411), a provider norm the code does not
// allow (501640: the GMD-holder tariff norm 4 for 554875 / 554890), the patient's age on the date
// (500443; 300443 / 400443 for ET 30 / 40); and the third-party-payment
// exception before May 2022 (503203).
#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "rules/lines/families.h"

namespace mutua::rules {

namespace {

class NomenclatureRules final : public LineRules {
 public:
  std::string_view name() const override { return "nomenclature"; }

  void envoi(Context& ctx) override {
    const Envoi& e = ctx.envoi;
    const Date tp_until = static_cast<Date>(ctx.data.number("tp_exception_until"));
    const int64_t gmd_norm = ctx.data.number("gmd_norm");
    for (const Line& l : e.lines) {
      if (l.norm == 9) continue;  // statistical records of a flat fee carry no amount of their own
      if (ctx.verdicts.has(l.record, "500402")) continue;  // wrong check digit: already rejected for it
      const model::NomenclatureRule* r = ctx.ref.rule(l.code, l.first);
      if (!r) {
        // A code the nomenclature knows, but not on that date (500420), or does not know at all (500403).
        if (ctx.ref.code_known(l.code))
          ctx.verdicts.add(l.record, "500420", "nomenclature", {{"code", l.code}, {"date", model::dmy(l.first)}});
        else
          ctx.verdicts.add(l.record, "500403", "nomenclature", {{"code", l.code}, {"date", model::dmy(l.first)}});
        continue;
      }
      if (l.last > l.first && !ctx.ref.rule(l.code, l.last)) {  // in force on the first date, no longer on the last
        ctx.verdicts.add(l.record, "500420", "nomenclature", {{"code", l.code}, {"date", model::dmy(l.last)}});
        continue;
      }
      MUTUA_NOTE(ctx.verdicts, l.record, "nomenclature",
                        fmt::format("{} in force on {}: account {}, max {} per {}, role {}", l.code, model::dmy(l.first),
                                    r->account, r->max_units, r->max_period, r->role.empty() ? "-" : r->role));
      if (r->gmd) ctx.verdicts.add(l.record, "500433", "nomenclature", {{"code", l.code}});
      if (l.provider_norm == gmd_norm && ctx.data.in_list("gmd_norm_forbidden_codes", l.code))
        ctx.verdicts.add(l.record, "501640", "nomenclature", {{"code", l.code}, {"norm", std::to_string(l.provider_norm)}});
      if (r->sex) {
        const auto* f = ctx.ref.patient(l.niss);
        int sex = f && f->member ? f->member->sex : l.sex;
        if (sex && sex != r->sex)
          ctx.verdicts.add(l.record, "500942", "nomenclature",
                           {{"sex", r->sex == 1 ? "M" : "F"}, {"patient_sex", std::to_string(sex)}});
      }
      if (r->min_age >= 0 || r->max_age >= 0) check_age(ctx, l, *r);
      if (r->per_admission) check_per_admission(ctx, l);
      if (!r->kinds.empty()) {
        const model::Provider* p = ctx.ref.provider(l.provider);
        bool ok = false;
        if (p)
          for (const auto& k : r->kinds) ok = ok || k == p->kind || k == p->qualification;
        if (p && !ok) {
          std::string kinds;
          for (const auto& k : r->kinds) kinds += (kinds.empty() ? "" : ", ") + k;
          ctx.verdicts.add(l.record, "501540", "nomenclature",
                           {{"kinds", kinds}, {"provider", l.provider}, {"kind", p->kind}});
        }
      }
      if (r->needs_prescriber && l.prescriber.empty())
        ctx.verdicts.add(l.record, "502405", "nomenclature", {{"code", l.code}});
      if (r->needs_laterality && l.laterality == 0)
        ctx.verdicts.add(l.record, "503411", "nomenclature", {{"code", l.code}});
      if (l.tp_exception != 0 && l.first <= tp_until)
        ctx.verdicts.add(l.record, "503203", "nomenclature",
                         {{"exception", std::to_string(l.tp_exception)}, {"date", model::dmy(l.first)}});
    }
  }

 private:
  // A flat fee per admission is billed for one day, the admission's (ET 20 zone 5, when the
  // invoice gives it): x0514 / x0614 when the first / last date is another day (ET 40, 50; the
  // labels' "transfer to an acute service" is not in the reference data), x0615 when the last date
  // is not the first (ET 30, 50).
  static void check_per_admission(Context& ctx, const Line& l) {
    const Invoice& inv = ctx.envoi.invoices[l.invoice];
    const std::string type(record_kind_name(l.kind));
    const std::map<std::string, std::string> facts = {{"code", l.code}, {"admission", inv.admission ? model::dmy(inv.admission) : ""},
                                                      {"first", model::dmy(l.first)}, {"last", model::dmy(l.last)}};
    if (inv.admission && type != "30") {
      if (l.first != inv.admission) ctx.verdicts.add(l.record, type + "0514", "nomenclature", facts);
      else if (l.last != inv.admission) ctx.verdicts.add(l.record, type + "0614", "nomenclature", facts);
    }
    if (type != "40" && l.last != l.first) ctx.verdicts.add(l.record, type + "0615", "nomenclature", facts);
  }

  // The patient's age in whole years on the first date, against the code's limits (members.csv
  // birth_date; a patient the fund has no birth date for is not judged).
  static void check_age(Context& ctx, const Line& l, const model::NomenclatureRule& r) {
    const auto* f = ctx.ref.patient(l.niss);
    if (!f || !f->member || !f->member->birth_date) return;
    const int age = model::age_on(f->member->birth_date, l.first);
    if ((r.min_age < 0 || age >= r.min_age) && (r.max_age < 0 || age <= r.max_age)) return;
    ctx.verdicts.add(l.record, std::string(record_kind_name(l.kind)) + "0443", "nomenclature",
                     {{"age", std::to_string(age)},
                      {"limits", r.max_age < 0   ? fmt::format("{} ans et plus", r.min_age)
                                 : r.min_age < 0 ? fmt::format("{} ans au plus", r.max_age)
                                                 : fmt::format("{} à {} ans", r.min_age, r.max_age)},
                      {"limits_nl", r.max_age < 0   ? fmt::format("{} jaar en ouder", r.min_age)
                                    : r.min_age < 0 ? fmt::format("ten hoogste {} jaar", r.max_age)
                                                    : fmt::format("{} tot {} jaar", r.min_age, r.max_age)}});
  }
};

}  // namespace

std::unique_ptr<LineRules> make_nomenclature_rules() { return std::make_unique<NomenclatureRules>(); }

}  // namespace mutua::rules
