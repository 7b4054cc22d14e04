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

  // The parameters, read once per envoi rather than per patient.
  void envoi(Context& ctx) override {
    pathway_type_ = ctx.data.text("diabetes_pathway_type");
    pathway_code_ = ctx.data.text("diabetes_pathway_rule");
    diabetic_codes_ = &ctx.data.list("diabetes_pathway_codes");
    disciplines_.clear();
    for (const auto& item : ctx.data.list("medical_house_disciplines")) {
      auto eq = item.find('=');
      if (eq != std::string::npos && eq + 1 < item.size()) disciplines_[item.substr(0, eq)] = item[eq + 1];
    }
  }

  void patient(Context& ctx, const Patient& p) override {
    if (!p.facts || (p.facts->pathways.empty() && p.facts->medical_houses.empty())) return;
    for (size_t li : p.lines) {
      const Line& l = ctx.envoi.lines[li];
      if (!p.facts->pathways.empty() && contains(*diabetic_codes_, l.code))
        for (const auto* pw : p.facts->pathways)
          if (pw->type == pathway_type_ && in_period(l.first, pw->start, pw->end))
            ctx.verdicts.add(l.record, pathway_code_, "pathways",
                             {{"pathway", pw->type}, {"from", model::dmy(pw->start)}, {"date", model::dmy(l.first)},
                              {"variant", "pathway"}});  // 500403 also means "code not allowed" (nomenclature)
      if (ctx.committed[li] || p.facts->medical_houses.empty()) continue;
      const model::NomenclatureRule* r = ctx.ref.rule(l.code, l.first);
      if (!r) continue;
      auto d = disciplines_.find(r->sector);
      if (d == disciplines_.end()) continue;
      for (const auto* mh : p.facts->medical_houses)
        if (in_period(l.first, mh->start, mh->end) && mh->disciplines.find(d->second) != std::string::npos)
          ctx.verdicts.add(l.record, "500450", "pathways",
                           {{"house", mh->medical_house}, {"discipline", std::string(1, d->second)},
                            {"from", model::dmy(mh->start)}});
    }
  }

 private:
  std::string pathway_type_, pathway_code_;
  const std::vector<std::string>* diabetic_codes_ = nullptr;
  std::map<std::string, char> disciplines_;
};

}  // namespace

std::unique_ptr<LineRules> make_pathway_rules() { return std::make_unique<PathwayRules>(); }

}  // namespace mutua::rules
