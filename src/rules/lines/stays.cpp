// Stays: an ambulatory prestation on a day the patient is in hospital (admission <= date <=
// discharge) is refused (500545). A stay whose discharge is not known yet counts as open,
// except for a line whose patient eID was read (ET 52): the reading proves the patient left.
// Nursing or physiotherapy during a nursing-home (MRS/MRPA) stay is refused (500424).
//
// The other way round, a code billable only in hospital (nomenclature `hospital`) needs the
// stay the fund knows from the admission message: its establishment in ET 20 Z 15 (500455),
// as the place of the prestation in ET 50 Z 14 (501420), and the stay's service in ET 50 Z 13
// (501321). A hospital invoice (type 1) naming another establishment than the stay of its
// admission date gets 201521, and one whose CT1-CT2 differs from the admission message's at
// the first / last date 500523 / 500623. A place of prestation or establishment of stay the
// fund does not know at all (not in providers.csv, not one of the patient's stays) gets 501420
// / 201520. A code whose service codes are listed (nomenclature `services`) with another
// service in ET 50 Z 13 gets 501349; a service the establishment of stay (ET 20 Z 15) does not
// have (providers.csv `services`) 501320, and an invoice whose own service (ET 20 Z 13) it does
// not have 201320.
#include <optional>

#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "rules/lines/families.h"

namespace mutua::rules {

namespace {

const model::Hospitalisation* hospital_stay_at(const model::PatientFacts* f, Date d) {
  if (!f) return nullptr;
  for (const auto* h : f->hospitalisations)
    if (h->kind == "hospital" && in_period(d, h->admission, h->discharge)) return h;
  return nullptr;
}

std::map<std::string, std::string> stay_facts(const model::Hospitalisation& h) {
  return {{"place", h.establishment},
          {"from", model::dmy(h.admission)},
          {"to", h.discharge ? model::dmy(h.discharge) : std::string("...")},
          {"service", h.service}};
}

class StayRules final : public LineRules {
 public:
  std::string_view name() const override { return "stays"; }

  void envoi(Context& ctx) override {
    // Most nomenclatures have no hospital-only codes nor service lists: then a patient without
    // stays needs no rule look-up per line.
    code_rules_ = false;
    for (const auto& n : ctx.ref.shared().nomenclature) code_rules_ = code_rules_ || n.hospital || !n.services.empty();
  }

  void patient(Context& ctx, const Patient& p) override {
    if (!p.facts) return;  // unknown to the fund: the insurability family says so
    const Envoi& e = ctx.envoi;
    const bool stays = !p.facts->hospitalisations.empty();
    // An establishment the fund knows: a provider of its file or one of this patient's stays.
    auto known = [&](const std::string& inami) {
      if (ctx.ref.provider(inami)) return true;
      for (const auto* h : p.facts->hospitalisations)
        if (h->establishment == inami) return true;
      return false;
    };
    size_t last_invoice = SIZE_MAX;
    for (size_t li : p.lines) {
      const Line& l = e.lines[li];
      const Invoice& inv = e.invoices[l.invoice];
      if (l.invoice != last_invoice) {
        last_invoice = l.invoice;
        invoice_checks(ctx, p, inv, known);
      }
      if (stays || code_rules_) {
        const model::NomenclatureRule* r = ctx.ref.rule(l.code, l.first);
        if (stays) ambulatory_during_stay(ctx, p, l, inv, r);
        if (r && !r->services.empty() && !contains(r->services, l.service))
          ctx.verdicts.add(l.record, "501349", "stays", {{"service", l.service}, {"allowed", join_list(r->services)}});
        const model::Hospitalisation* h = hospital_stay_at(p.facts, l.first);
        if (r && r->hospital && !l.credit) hospital_code(ctx, l, inv, h);
        if (h && h->ct1 >= 0 && (inv.invoice_type == 1 || (r && r->hospital))) ct_checks(ctx, l, inv, p);
      }
      if (!inv.stay.empty() && !l.service.empty() && l.service != "000")
        if (const model::Provider* est = ctx.ref.provider(inv.stay); est && !est->services.empty() &&
                                                                     !contains(est->services, l.service))
          ctx.verdicts.add(l.record, "501320", "stays",
                           {{"service", l.service}, {"place", inv.stay}, {"allowed", join_list(est->services)}});
      // After the stay's own 501420, which says more (one code once per record).
      if (!l.place.empty() && !known(l.place))
        ctx.verdicts.add(l.record, "501420", "stays", {{"variant", "unknown"}, {"billed", l.place}});
    }
  }

 private:
  bool code_rules_ = false;  // some code is hospital-only or lists its services

  static bool contains(const std::vector<std::string>& v, const std::string& x) {
    for (const auto& s : v)
      if (s == x) return true;
    return false;
  }

  template <class Known>
  void invoice_checks(Context& ctx, const Patient& p, const Invoice& inv, const Known& known) {
    if (inv.stay.empty()) return;
    if (!known(inv.stay)) {
      ctx.verdicts.add(inv.et20, "201520", "stays", {{"billed", inv.stay}});
      return;
    }
    // The invoice's service (ET 20 Z 13, document 721bis) must be one the establishment has.
    if (!inv.service.empty() && inv.service != "000")
      if (const model::Provider* est = ctx.ref.provider(inv.stay); est && !est->services.empty() && !contains(est->services, inv.service))
        ctx.verdicts.add(inv.et20, "201320", "stays",
                         {{"service", inv.service}, {"place", inv.stay}, {"allowed", join_list(est->services)}});
    if (inv.invoice_type != 1 || !inv.admission) return;
    const model::Hospitalisation* h = hospital_stay_at(p.facts, inv.admission);
    if (h && h->establishment != inv.stay) {
      auto facts = stay_facts(*h);
      facts["billed"] = inv.stay;
      ctx.verdicts.add(inv.et20, "201521", "stays", std::move(facts));
    }
  }

  void ambulatory_during_stay(Context& ctx, const Patient& p, const Line& l, const Invoice& inv,
                              const model::NomenclatureRule* r) {
    for (const auto* h : p.facts->hospitalisations) {
      if (!in_period(l.first, h->admission, h->discharge)) continue;
      if (h->kind == "nursing_home") {
        if (r && ctx.data.in_list("nursing_home_sectors", r->sector))
          ctx.verdicts.add(l.record, "500424", "stays", stay_facts(*h));
        continue;
      }
      if (inv.invoice_type == 1 || (r && (!r->ambulatory || r->hospital))) continue;
      if (!h->discharge && l.eid) {
        MUTUA_NOTE(ctx.verdicts, l.record, "stays",
                   fmt::format("stay at {} from {} with unknown discharge, but the eID was read: not refused",
                               h->establishment, model::dmy(h->admission)));
        continue;
      }
      ctx.verdicts.add(l.record, "500545", "stays", stay_facts(*h));
    }
  }

  // A code billable only in hospital: the stay must exist and the invoice and line name it.
  void hospital_code(Context& ctx, const Line& l, const Invoice& inv, const model::Hospitalisation* h) {
    if (!h) {
      ctx.verdicts.add(l.record, "500455", "stays",
                       {{"variant", "no_stay"}, {"date", model::dmy(l.first)}, {"billed", inv.stay.empty() ? "-" : inv.stay}});
      return;
    }
    MUTUA_NOTE(ctx.verdicts, l.record, "stays",
               fmt::format("hospital code: stay at {} service {} from {}", h->establishment, h->service,
                           model::dmy(h->admission)));
    // An establishment the invoice already answers for (201520 / 201521) is not repeated per line.
    const bool invoice_refused = ctx.verdicts.has(inv.et20, "201520") || ctx.verdicts.has(inv.et20, "201521");
    if (inv.stay != h->establishment && !invoice_refused) {
      auto facts = stay_facts(*h);
      facts["billed"] = inv.stay.empty() ? "-" : inv.stay;
      ctx.verdicts.add(l.record, "500455", "stays", std::move(facts));
    }
    if (l.place != h->establishment) {
      auto facts = stay_facts(*h);
      facts["billed"] = l.place.empty() ? "-" : l.place;
      ctx.verdicts.add(l.record, "501420", "stays", std::move(facts));
    }
    if (!h->service.empty() && l.service != h->service) {
      auto facts = stay_facts(*h);
      facts["billed"] = l.service;
      ctx.verdicts.add(l.record, "501321", "stays", std::move(facts));
    }
  }

  // CT1-CT2 of the invoice against the admission message's, at the first and last dates.
  void ct_checks(Context& ctx, const Line& l, const Invoice& inv, const Patient& p) {
    const std::string billed = fmt::format("{:03d}/{:03d}", inv.ct1, inv.ct2);
    // The facts of a difference at date d, or nothing when the admission agrees (or is silent).
    auto differs = [&](Date d) -> std::optional<std::map<std::string, std::string>> {
      const model::Hospitalisation* h = hospital_stay_at(p.facts, d);
      if (!h || h->ct1 < 0 || (h->ct1 == inv.ct1 && h->ct2 == inv.ct2)) return std::nullopt;
      auto facts = stay_facts(*h);
      facts["date"] = model::dmy(d);
      facts["ct"] = fmt::format("{:03d}/{:03d}", h->ct1, h->ct2);
      facts["billed"] = billed;
      return facts;
    };
    if (auto f = differs(l.first)) ctx.verdicts.add(l.record, "500523", "stays", std::move(*f));
    if (auto f = differs(l.last ? l.last : l.first)) ctx.verdicts.add(l.record, "500623", "stays", std::move(*f));
  }
};

}  // namespace

std::unique_ptr<LineRules> make_stay_rules() { return std::make_unique<StayRules>(); }

}  // namespace mutua::rules
