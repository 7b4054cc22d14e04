// Insurability: is the patient known at the mutuality of affiliation (F200742), known at all
// (500820), in order on the prestation's date (500840 / 500841, informative; 200840 / 200841 on a
// hospital invoice's admission day), with the CT1/CT2 the
// invoice carries (500522 / 500622; 500524 / 500624 informative when a payment commitment is
// used)? Are its CT1-CT2 among the fund's codes (202703) and combinations (202710)?
// A valid payment commitment (an insurability consultation carried by ET 20 zones 42-45)
// stops these rejections for its days. Detention (503325) and the patient's death (x0549 /
// x0649) are checked whatever the commitment.
#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "rules/lines/families.h"

namespace mutua::rules {

namespace {

const model::InsurabilityPeriod* period_at(const model::PatientFacts* f, Date d) {
  if (!f) return nullptr;
  for (const auto* p : f->insurability)
    if (in_period(d, p->start, p->end)) return p;
  return nullptr;
}

// CT1 is the insurability for big risks, CT2 for small risks (4CP FAQ); 000 is "not in order".
const char* not_in_order(const model::InsurabilityPeriod* p) {
  if (!p || p->ct1 == 0) return "500840";
  if (p->ct2 == 0) return "500841";
  return nullptr;
}

std::string ct(int a, int b) { return fmt::format("{:03d}/{:03d}", a, b); }

class InsurabilityRules final : public LineRules {
 public:
  std::string_view name() const override { return "insurability"; }

  void envoi(Context& ctx) override {
    const Envoi& e = ctx.envoi;
    const int days = static_cast<int>(ctx.data.number("commitment_valid_days"));
    for (const auto& inv : e.invoices) {
      const model::PatientFacts* f = ctx.ref.patient(inv.niss);
      // Payment commitment: which lines does it cover?
      const model::PaymentCommitment* c = nullptr;
      if (!inv.commitment.empty() && f)
        for (const auto* x : f->commitments)
          if (same_network_reference(inv.commitment, x->number)) c = x;
      bool all_committed = !inv.lines.empty();
      for (size_t li : inv.lines) {
        const Line& l = e.lines[li];
        bool ok = c && l.first >= c->consulted && l.first <= model::add_days(c->consulted, days);
        ctx.committed[li] = ok;
        all_committed = all_committed && ok;
        if (c)
          MUTUA_NOTE(ctx.verdicts, l.record, "insurability",
                            fmt::format("payment commitment {} of {} {} for {}", c->number, model::dmy(c->consulted),
                                        ok ? "covers" : "does not cover", model::dmy(l.first)));
      }
      if (!inv.commitment.empty() && !c)
        MUTUA_NOTE(ctx.verdicts, inv.et20, "insurability", "payment commitment " + inv.commitment + " unknown to the fund");

      // ET 20 zone 27 against the fund's list of CT1-CT2 codes (none when a commitment is carried:
      // its codes are the fund's own answer).
      if (!c)
        switch (ctx.ref.ct_check(inv.ct1, inv.ct2)) {
          case model::RefIndex::CtVerdict::Allowed: break;
          case model::RefIndex::CtVerdict::UnknownCode:
            ctx.verdicts.add(inv.et20, "202703", "insurability", {{"invoice_ct", ct(inv.ct1, inv.ct2)}});
            break;
          case model::RefIndex::CtVerdict::UnknownCombination:
            ctx.verdicts.add(inv.et20, "202710", "insurability", {{"invoice_ct", ct(inv.ct1, inv.ct2)}});
            break;
        }
      const bool known = f && f->member && f->member->mutuality == inv.affiliation;
      if (!known && !c) {
        ctx.verdicts.add(inv.et20, "200742", "insurability", {{"niss", inv.niss}, {"mutuality", inv.affiliation}});
        continue;
      }
      if (!known && !all_committed) {
        // The commitment covers part of the invoice: the lines after its days are unknown.
        for (size_t li : inv.lines)
          if (!ctx.committed[li])
            ctx.verdicts.add(e.lines[li].record, "500820", "insurability",
                             {{"niss", inv.niss}, {"commitment", c->number}, {"until", model::dmy(model::add_days(c->consulted, days))}});
        continue;
      }
      MUTUA_NOTE(ctx.verdicts, inv.et20, "insurability",
                        known ? fmt::format("member {} of mutuality {}", inv.niss, inv.affiliation)
                              : "member not known, covered by the payment commitment");
      // A hospital invoice: in order on the admission day (ET 20 zone 5)? Said at its ET 20.
      if (known && !c && inv.invoice_type == 1 && inv.admission)
        if (const char* code = not_in_order(period_at(f, inv.admission)))
          ctx.verdicts.add(inv.et20, code[5] == '0' ? "200840" : "200841", "insurability", {{"date", model::dmy(inv.admission)}});
      for (size_t li : inv.lines) {
        const Line& l = e.lines[li];
        if (l.niss != inv.niss && !ctx.ref.patient(l.niss) && !ctx.committed[li]) {
          ctx.verdicts.add(l.record, "500820", "insurability", {{"niss", l.niss}});
          continue;
        }
        check_detention(ctx, f, l);
        check_death(ctx, l.niss == inv.niss ? f : ctx.ref.patient(l.niss), l);
        const auto* first = period_at(f, l.first);
        const auto* last = period_at(f, l.last ? l.last : l.first);
        if (ctx.committed[li]) {
          if (first && (first->ct1 != inv.ct1 || first->ct2 != inv.ct2))
            ctx.verdicts.add(l.record, "500524", "insurability",
                             {{"date", model::dmy(l.first)}, {"ct", ct(first->ct1, first->ct2)}});
          else if (last && (last->ct1 != inv.ct1 || last->ct2 != inv.ct2))
            ctx.verdicts.add(l.record, "500624", "insurability",
                             {{"date", model::dmy(l.last)}, {"ct", ct(last->ct1, last->ct2)}});
          continue;
        }
        // Not in order for the billed period (informative): no period or CT1 000 (big risks),
        // 500840; CT2 000 alone (small risks), 500841.
        if (const char* code = not_in_order(first)) {
          ctx.verdicts.add(l.record, code, "insurability", {{"date", model::dmy(l.first)}});
          continue;
        }
        MUTUA_NOTE(ctx.verdicts, l.record, "insurability",
                          fmt::format("CT1/CT2 {} on {} at the fund", ct(first->ct1, first->ct2), model::dmy(l.first)));
        if (first->ct1 != inv.ct1 || first->ct2 != inv.ct2)
          ctx.verdicts.add(l.record, "500522", "insurability",
                           {{"date", model::dmy(l.first)}, {"ct", ct(first->ct1, first->ct2)},
                            {"invoice_ct", ct(inv.ct1, inv.ct2)}});
        else if (last && (last->ct1 != inv.ct1 || last->ct2 != inv.ct2))
          ctx.verdicts.add(l.record, "500622", "insurability",
                           {{"date", model::dmy(l.last)}, {"ct", ct(last->ct1, last->ct2)},
                            {"invoice_ct", ct(inv.ct1, inv.ct2)}});
      }
    }
  }

 private:
  // A prestation after the patient's death (x0549 on the first date, x0649 on the last); ET 50's
  // labels say "before or on" the date, ET 30 / 40's "before".
  static void check_death(Context& ctx, const model::PatientFacts* f, const Line& l) {
    if (!f || !f->member || !f->member->death_date) return;
    const Date death = f->member->death_date;
    const bool on_counts = l.kind == RecordKind::Et50;
    auto after_death = [&](Date d) { return d && (on_counts ? death <= d : death < d); };
    const std::string type(record_kind_name(l.kind));
    if (after_death(l.first))
      ctx.verdicts.add(l.record, type + "0549", "insurability", {{"death", model::dmy(death)}});
    else if (after_death(l.last))
      ctx.verdicts.add(l.record, type + "0649", "insurability", {{"death", model::dmy(death)}});
  }

  static void check_detention(Context& ctx, const model::PatientFacts* f, const Line& l) {
    if (!f) return;
    for (const auto* d : f->detentions)
      if (in_period(l.first, d->start, d->end) && l.social_category != 9)
        ctx.verdicts.add(l.record, "503325", "insurability",
                         {{"from", model::dmy(d->start)},
                          {"to", d->end == model::kOpenEnd ? std::string("...") : model::dmy(d->end)},
                          {"social_category", std::to_string(l.social_category)}});
  }
};

}  // namespace

std::unique_ptr<LineRules> make_insurability_rules() { return std::make_unique<InsurabilityRules>(); }

}  // namespace mutua::rules
