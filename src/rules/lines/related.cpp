// Related prestations (ET 50 Z 17): a code whose related prestation is listed in the
// nomenclature (`related`, e.g. a supplement that goes with the consultation it completes)
// must name one of those codes (501740 when the zone is empty, 501753 when it names another
// code), valid at the prestation's date (501720), and the prestation it names must be billed
// for the patient on the same day, in this envoi or accepted earlier (501721: not billed).
#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "rules/lines/families.h"

namespace mutua::rules {

namespace {

class RelatedRules final : public LineRules {
 public:
  std::string_view name() const override { return "related"; }

  void envoi(Context& ctx) override {
    any_ = false;  // without a code that names its related prestations there is nothing to look up
    for (const auto& n : ctx.ref.shared().nomenclature) any_ = any_ || !n.related.empty();
  }

  void patient(Context& ctx, const Patient& p) override {
    if (!any_) return;
    const Envoi& e = ctx.envoi;
    for (size_t li : p.lines) {
      const Line& l = e.lines[li];
      if (l.credit || l.norm == 9) continue;
      const model::NomenclatureRule* r = ctx.ref.rule(l.code, l.first);
      if (!r || r->related.empty()) continue;
      const std::string expected = join_list(r->related);
      if (l.related.empty()) {
        ctx.verdicts.add(l.record, "501740", "related", {{"expected", expected}, {"date", model::dmy(l.first)}});
        continue;
      }
      bool listed = false;
      for (const auto& c : r->related) listed = listed || c == l.related;
      if (!listed) {
        ctx.verdicts.add(l.record, "501753", "related", {{"billed", l.related}, {"expected", expected}});
        continue;
      }
      if (ctx.ref.code_known(l.related) && !ctx.ref.rule(l.related, l.first)) {
        ctx.verdicts.add(l.record, "501720", "related", {{"code", l.related}, {"date", model::dmy(l.first)}});
        continue;
      }
      if (billed_that_day(e, p, li, l.related, l.first)) continue;
      ctx.verdicts.add(l.record, "501721", "related", {{"code", l.related}, {"date", model::dmy(l.first)}});
    }
  }

 private:
  bool any_ = false;

  static bool billed_that_day(const Envoi& e, const Patient& p, size_t self, const std::string& code, Date d) {
    for (size_t oi : p.lines) {
      const Line& o = e.lines[oi];
      if (oi != self && o.code == code && !o.credit && o.first <= d && d <= o.last) return true;
    }
    if (p.history)
      for (const auto& h : *p.history)
        if (h.code == code && h.amount >= 0 && h.first_date == d) return true;
    return false;
  }
};

}  // namespace

std::unique_ptr<LineRules> make_related_rules() { return std::make_unique<RelatedRules>(); }

}  // namespace mutua::rules
