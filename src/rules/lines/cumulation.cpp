// Cumulation bans and prerequisites between codes (cumulations.csv, prerequisites.csv):
// a code billed with a forbidden other code on the same day (500444) or within a period
// (500445), looked up in this envoi and in history; when both are in this envoi both are
// refused, each comment naming the other. A statistical record of a flat fee's block (ET 50
// norm 9, no amount: care the flat fee pays) is no billing of its code, so no side of a ban
// (nor a zero-amount line of history, which is how such a record is kept). A code with a
// prerequisite (424874 after 424896) needs it billed before or in the same envoi on or before
// its date (500464; 500465 when the notification it needs is missing too, the nursing
// family's 5004K3).
#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "rules/lines/families.h"

namespace mutua::rules {

namespace {

class CumulationRules final : public LineRules {
 public:
  std::string_view name() const override { return "cumulation"; }

  void envoi(Context& ctx) override {
    bans_.clear();
    for (const auto& c : ctx.ref.shared().cumulations) {
      bans_[c.code].push_back(&c);
      if (c.other != c.code) bans_[c.other].push_back(&c);
    }
  }

  void patient(Context& ctx, const Patient& p) override {
    const Envoi& e = ctx.envoi;
    for (size_t li : p.lines) {
      const Line& l = e.lines[li];
      if (l.credit || l.norm == 9) continue;
      auto it = bans_.find(l.code);
      if (it != bans_.end())
        for (const auto* c : it->second) {
          const std::string& other = c->code == l.code ? c->other : c->code;
          const bool day = c->scope == "day";
          const std::string code = day ? "500444" : "500445";
          auto close = [&](Date d) {
            return day ? d == l.first : std::abs(model::days_between(l.first, d)) <= c->period_days;
          };
          if (p.history)
            for (const auto& h : *p.history)
              if (h.code == other && h.amount > 0 && close(h.first_date)) {
                ctx.verdicts.add(l.record, code, "cumulation", other_line_facts(h));
                break;
              }
          for (size_t oi : p.lines) {
            const Line& o = e.lines[oi];
            if (oi == li || o.code != other || o.credit || o.norm == 9 || !close(o.first)) continue;
            ctx.verdicts.add(l.record, code, "cumulation", other_line_facts(e, o));
            ctx.verdicts.add(o.record, code, "cumulation", other_line_facts(e, l));
            break;
          }
        }
      for (const auto* pre : ctx.ref.prerequisites(l.code)) {
        auto fits = [&](Date d) {
          return d <= l.first && (pre->within_days == 0 || model::days_between(d, l.first) <= pre->within_days);
        };
        bool found = false;
        if (p.history)
          for (const auto& h : *p.history) found = found || (h.code == pre->required && h.amount >= 0 && fits(h.first_date));
        for (size_t oi : p.lines) {
          const Line& o = e.lines[oi];
          found = found || (o.code == pre->required && !o.credit && fits(o.first) && !ctx.verdicts.rejected(o.record));
        }
        if (!found && ctx.verdicts.has(l.record, "5004K3")) {
          // Neither the required prestation nor the notification (nursing gave 5004K3): one
          // code says both.
          auto both = *ctx.verdicts.facts(l.record, "5004K3");
          both["required"] = pre->required;
          both["code"] = l.code;
          ctx.verdicts.remove(l.record, "5004K3");
          ctx.verdicts.add(l.record, "500465", "cumulation", std::move(both));
        } else if (!found) {
          ctx.verdicts.add(l.record, "500464", "cumulation", {{"required", pre->required}, {"code", l.code}});
        }
        else
          MUTUA_NOTE(ctx.verdicts, l.record, "cumulation", fmt::format("prerequisite {} found", pre->required));
      }
    }
  }

 private:
  std::unordered_map<std::string, std::vector<const model::Cumulation*>> bans_;
};

}  // namespace

std::unique_ptr<LineRules> make_cumulation_rules() { return std::make_unique<CumulationRules>(); }

}  // namespace mutua::rules
