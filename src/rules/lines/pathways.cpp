// Contracts and pathways at the prestation's date: diabetic-patient nursing codes are not
// billable while the patient has a diabetes care pathway (5004K6; 500403 at some funds, the
// code is a parameter), and a code of a discipline the patient's medical house covers is
// refused (500450), unless a valid payment commitment covers the line.
#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "rules/lines/families.h"

namespace mutua::rules {

namespace {

class PathwayRules final : public LineRules {
 public:
  std::string_view name() const override { return "pathways"; }

  void patient(Context& ctx, const Patient& p) override {
    if (!p.facts) return;
    const std::string pathway_type = ctx.data.text("diabetes_pathway_type");
    const std::string pathway_code = ctx.data.text("diabetes_pathway_rule");
    std::map<std::string, char> disciplines;
    for (const auto& item : ctx.data.list("medical_house_disciplines")) {
      auto eq = item.find('=');
      if (eq != std::string::npos && eq + 1 < item.size()) disciplines[item.substr(0, eq)] = item[eq + 1];
    }
    for (size_t li : p.lines) {
      const Line& l = ctx.envoi.lines[li];
      if (ctx.data.in_list("diabetes_pathway_codes", l.code))
        for (const auto* pw : p.facts->pathways)
          if (pw->type == pathway_type && in_period(l.first, pw->start, pw->end))
            ctx.verdicts.add(l.record, pathway_code, "pathways",
                             {{"pathway", pw->type}, {"from", model::dmy(pw->start)}, {"date", model::dmy(l.first)},
                              {"variant", "pathway"}});  // 500403 also means "code not allowed" (nomenclature)
      if (ctx.committed[li] || p.facts->medical_houses.empty()) continue;
      const model::NomenclatureRule* r = ctx.ref.rule(l.code, l.first);
      if (!r) continue;
      auto d = disciplines.find(r->sector);
      if (d == disciplines.end()) continue;
      for (const auto* mh : p.facts->medical_houses)
        if (in_period(l.first, mh->start, mh->end) && mh->disciplines.find(d->second) != std::string::npos)
          ctx.verdicts.add(l.record, "500450", "pathways",
                           {{"house", mh->medical_house}, {"discipline", std::string(1, d->second)},
                            {"from", model::dmy(mh->start)}});
    }
  }
};

}  // namespace

std::unique_ptr<LineRules> make_pathway_rules() { return std::make_unique<PathwayRules>(); }

}  // namespace mutua::rules
