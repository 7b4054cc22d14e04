// Stays: an ambulatory prestation on a day the patient is in hospital (admission <= date <=
// discharge) is refused (500545). A stay whose discharge is not known yet counts as open,
// except for a line whose patient eID was read (ET 52): the reading proves the patient left.
// Nursing or physiotherapy during a nursing-home (MRS/MRPA) stay is refused (500424).
#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "rules/lines/families.h"

namespace mutua::rules {

namespace {

class StayRules final : public LineRules {
 public:
  std::string_view name() const override { return "stays"; }

  void patient(Context& ctx, const Patient& p) override {
    if (!p.facts || p.facts->hospitalisations.empty()) return;
    for (size_t li : p.lines) {
      const Line& l = ctx.envoi.lines[li];
      const Invoice& inv = ctx.envoi.invoices[l.invoice];
      const model::NomenclatureRule* r = ctx.ref.rule(l.code, l.first);
      for (const auto* h : p.facts->hospitalisations) {
        if (!in_period(l.first, h->admission, h->discharge)) continue;
        std::map<std::string, std::string> facts = {
            {"place", h->establishment},
            {"from", model::dmy(h->admission)},
            {"to", h->discharge ? model::dmy(h->discharge) : std::string("...")},
            {"service", h->service}};
        if (h->kind == "nursing_home") {
          if (r && ctx.data.in_list("nursing_home_sectors", r->sector))
            ctx.verdicts.add(l.record, "500424", "stays", std::move(facts));
          continue;
        }
        if (inv.invoice_type == 1 || (r && !r->ambulatory)) continue;
        if (!h->discharge && l.eid) {
          MUTUA_NOTE(ctx.verdicts, l.record, "stays",
                            fmt::format("stay at {} from {} with unknown discharge, but the eID was read: not refused",
                                        h->establishment, model::dmy(h->admission)));
          continue;
        }
        ctx.verdicts.add(l.record, "500545", "stays", std::move(facts));
      }
    }
  }
};

}  // namespace

std::unique_ptr<LineRules> make_stay_rules() { return std::make_unique<StayRules>(); }

}  // namespace mutua::rules
