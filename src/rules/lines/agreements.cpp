// Medical-advisor agreements for codes that need one: accepted (A) and covering the dates →
// paid; accepted but the first / last date outside → 500548 / 500648; waiting for information
// (D) or for INAMI (O) → 500434, pending, not counted in the error rate; refused (N) → 500449;
// no motivation received (R) or no agreement at all → 500446.
#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "rules/lines/agreements.h"
#include "rules/lines/families.h"

namespace mutua::rules {

AgreementStanding agreement_standing(const std::string& code, model::Date first, model::Date last,
                                     const std::vector<const model::Agreement*>& agreements) {
  const model::Agreement *accepted = nullptr, *covering = nullptr, *pending = nullptr, *refused = nullptr;
  for (const auto* a : agreements) {
    if (a->code != code) continue;
    switch (a->decision) {
      case 'A':
        accepted = a;
        if (in_period(first, a->valid_from, a->valid_to) && in_period(last, a->valid_from, a->valid_to)) covering = a;
        break;
      case 'D':
      case 'O': pending = a; break;
      case 'N': refused = a; break;
      default: break;
    }
  }
  if (covering)
    return {"", covering, {{"from", model::dmy(covering->valid_from)}, {"to", model::dmy(covering->valid_to)}}};
  if (accepted) {
    std::map<std::string, std::string> f = {{"from", model::dmy(accepted->valid_from)}, {"to", model::dmy(accepted->valid_to)}};
    return {in_period(first, accepted->valid_from, accepted->valid_to) ? "500648" : "500548", accepted, std::move(f)};
  }
  if (pending)
    return {"500434", pending, {{"decision", std::string(1, pending->decision)}, {"code", code}, {"requested", model::dmy(pending->request_date)}}};
  if (refused) return {"500449", refused, {{"date", model::dmy(refused->decision_date)}, {"code", code}}};
  return {"500446", nullptr, {{"code", code}}};
}

namespace {

class AgreementRules final : public LineRules {
 public:
  std::string_view name() const override { return "agreements"; }

  void patient(Context& ctx, const Patient& p) override {
    static const std::vector<const model::Agreement*> none;
    for (size_t li : p.lines) {
      const Line& l = ctx.envoi.lines[li];
      const model::NomenclatureRule* r = ctx.ref.rule(l.code, l.first);
      if (!r || !r->needs_agreement) continue;
      auto s = agreement_standing(l.code, l.first, l.last ? l.last : l.first, p.facts ? p.facts->agreements : none);
      if (s.code.empty())
        MUTUA_NOTE(ctx.verdicts, l.record, "agreements",
                   fmt::format("agreement A for {} from {} to {}", l.code, s.facts["from"], s.facts["to"]));
      else
        ctx.verdicts.add(l.record, s.code, "agreements", s.facts);
    }
  }
};

}  // namespace

std::unique_ptr<LineRules> make_agreement_rules() { return std::make_unique<AgreementRules>(); }

}  // namespace mutua::rules
