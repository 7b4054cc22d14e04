// Medical-advisor agreements for codes that need one: accepted (A) and covering the dates →
// paid; accepted but the first / last date outside → 500548 / 500648; waiting for information
// (D) or for INAMI (O) → 500434, pending, not counted in the error rate; refused (N) → 500449;
// no motivation received (R) or no agreement at all → 500446.
#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "rules/lines/families.h"

namespace mutua::rules {

namespace {

class AgreementRules final : public LineRules {
 public:
  std::string_view name() const override { return "agreements"; }

  void patient(Context& ctx, const Patient& p) override {
    for (size_t li : p.lines) {
      const Line& l = ctx.envoi.lines[li];
      const model::NomenclatureRule* r = ctx.ref.rule(l.code, l.first);
      if (!r || !r->needs_agreement) continue;
      const Date last = l.last ? l.last : l.first;
      const model::Agreement *accepted = nullptr, *covering = nullptr, *pending = nullptr, *refused = nullptr;
      if (p.facts)
        for (const auto* a : p.facts->agreements) {
          if (a->code != l.code) continue;
          switch (a->decision) {
            case 'A':
              accepted = a;
              if (in_period(l.first, a->valid_from, a->valid_to) && in_period(last, a->valid_from, a->valid_to))
                covering = a;
              break;
            case 'D':
            case 'O': pending = a; break;
            case 'N': refused = a; break;
            default: break;
          }
        }
      if (covering) {
        MUTUA_NOTE(ctx.verdicts, l.record, "agreements",
                          fmt::format("agreement A for {} from {} to {}", l.code, model::dmy(covering->valid_from),
                                      model::dmy(covering->valid_to)));
        continue;
      }
      if (accepted) {
        std::map<std::string, std::string> f = {{"from", model::dmy(accepted->valid_from)},
                                                {"to", model::dmy(accepted->valid_to)}};
        if (!in_period(l.first, accepted->valid_from, accepted->valid_to))
          ctx.verdicts.add(l.record, "500548", "agreements", f);
        else
          ctx.verdicts.add(l.record, "500648", "agreements", f);
      } else if (pending) {
        ctx.verdicts.add(l.record, "500434", "agreements",
                         {{"decision", std::string(1, pending->decision)}, {"code", l.code},
                          {"requested", model::dmy(pending->request_date)}});
      } else if (refused) {
        ctx.verdicts.add(l.record, "500449", "agreements",
                         {{"date", model::dmy(refused->decision_date)}, {"code", l.code}});
      } else {
        ctx.verdicts.add(l.record, "500446", "agreements", {{"code", l.code}});
      }
    }
  }
};

}  // namespace

std::unique_ptr<LineRules> make_agreement_rules() { return std::make_unique<AgreementRules>(); }

}  // namespace mutua::rules
