// Counting against history: the maximum units of a code per period, counted across all
// providers and all earlier envois (502255: the second "first basic visit of the day", by this
// nurse or another); a 2nd identical prestation of a day flagged in ET 50 Z 23 is allowed. For
// codes without a maximum, the same line already accepted is a duplicate (500423). A code with a
// renewal delay is refused when billed again for the patient too soon (500447); one with a
// ceiling when its amounts for the patient in the period would exceed it (501942).
#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "rules/lines/families.h"

namespace mutua::rules {

namespace {

class UnitRules final : public LineRules {
 public:
  std::string_view name() const override { return "units"; }

  void patient(Context& ctx, const Patient& p) override {
    const Envoi& e = ctx.envoi;
    for (size_t k = 0; k < p.lines.size(); ++k) {
      const Line& l = e.lines[p.lines[k]];
      if (l.credit || l.norm == 9) continue;
      const model::NomenclatureRule* r = ctx.ref.rule(l.code, l.first);
      if (!r) continue;
      if (r->renewal_days > 0) renewal(ctx, p, k, *r);
      if (r->ceiling_cents > 0) ceiling(ctx, p, k, *r);
      if (r->max_units > 0) {
        if (l.identical != 0 && r->max_period == "day") {
          MUTUA_NOTE(ctx.verdicts, l.record, "units", "flagged as a 2nd identical prestation of the day (Z 23)");
          continue;
        }
        const Period per = period_of(r->max_period);
        const int64_t key = period_key(l.first, per);
        int64_t count = 0;
        // What was counted: the facts of the one other line are built only if the rule fires.
        size_t counted = 0;
        const model::HistoryLine* counted_history = nullptr;
        const Line* counted_line = nullptr;
        if (p.history)
          for (const auto& h : *p.history)
            if (same_code(h.code, l.code) && h.amount >= 0 && period_key(h.first_date, per) == key) {
              count += h.units;
              ++counted;
              counted_history = &h;
            }
        for (size_t j = 0; j < k; ++j) {
          const Line& o = e.lines[p.lines[j]];
          if (same_code(o.code, l.code) && !o.credit && o.identical == 0 && period_key(o.first, per) == key &&
              !ctx.verdicts.rejected(o.record)) {
            count += o.units;
            ++counted;
            counted_line = &o;
          }
        }
        MUTUA_NOTE(ctx.verdicts, l.record, "units",
                          fmt::format("{} unit(s) of {} already in this {} (max {})", count, l.code, r->max_period,
                                      r->max_units));
        if (count + l.units > r->max_units) {
          // The sources: the comment names the other prestation; empty when too many are concerned.
          std::map<std::string, std::string> facts;
          if (counted == 1) facts = counted_line ? other_line_facts(e, *counted_line) : other_line_facts(*counted_history);
          facts["max"] = std::to_string(r->max_units);
          facts["period"] = r->max_period;
          facts["counted"] = std::to_string(count);
          ctx.verdicts.add(l.record, "502255", "units", std::move(facts));
        }
        continue;
      }
      if (l.identical != 0) continue;
      if (p.history)
        for (const auto& h : *p.history)
          if (same_code(h.code, l.code) && h.first_date == l.first && h.provider == l.provider && h.units == l.units &&
              h.amount == l.amount) {
            ctx.verdicts.add(l.record, "500423", "units", other_line_facts(h));
            break;
          }
    }
  }

 private:
  // The insurance amounts of the code for the patient in the period (history and earlier lines
  // of this envoi not rejected) plus this line may not exceed the ceiling; the comment names who
  // billed the last amount counted, and in which invoice.
  static void ceiling(Context& ctx, const Patient& p, size_t k, const model::NomenclatureRule& r) {
    const Envoi& e = ctx.envoi;
    const Line& l = e.lines[p.lines[k]];
    const Period per = period_of(r.ceiling_period);
    const int64_t key = period_key(l.first, per);
    int64_t sum = 0;
    const model::HistoryLine* last_history = nullptr;
    const Line* last_line = nullptr;
    if (p.history)
      for (const auto& h : *p.history)
        if (same_code(h.code, l.code) && period_key(h.first_date, per) == key) {
          sum += h.amount;
          last_history = &h;
        }
    for (size_t j = 0; j < k; ++j) {
      const Line& o = e.lines[p.lines[j]];
      if (same_code(o.code, l.code) && period_key(o.first, per) == key && !ctx.verdicts.rejected(o.record)) {
        sum += o.amount;
        last_line = &o;
      }
    }
    if (sum + l.amount <= r.ceiling_cents) return;
    // Who billed the last amount counted: an earlier line of this envoi, else history, else
    // this line alone goes over.
    std::map<std::string, std::string> facts;
    if (last_history && !last_line) {
      facts = other_line_facts(*last_history);
      facts["invoice"] = std::to_string(last_history->invoice_number);
    } else {
      const Line& who = last_line ? *last_line : l;
      facts = other_line_facts(e, who);
      facts["invoice"] = std::to_string(e.invoices[who.invoice].number);
    }
    facts["ceiling"] = fmt_cents(r.ceiling_cents);
    facts["counted"] = fmt_cents(sum);
    ctx.verdicts.add(l.record, "501942", "units", std::move(facts));
  }

  // The same code for the patient less than renewal_days after an earlier one (history, or an
  // earlier line of this envoi not rejected) is refused: the renewal delay is not reached.
  static void renewal(Context& ctx, const Patient& p, size_t k, const model::NomenclatureRule& r) {
    const Envoi& e = ctx.envoi;
    const Line& l = e.lines[p.lines[k]];
    auto too_soon = [&](Date before) {
      return before <= l.first && model::days_between(before, l.first) < r.renewal_days;
    };
    const model::HistoryLine* last_history = nullptr;
    const Line* last_line = nullptr;
    Date last = 0;
    if (p.history)
      for (const auto& h : *p.history)
        if (same_code(h.code, l.code) && h.amount >= 0 && too_soon(h.first_date) && h.first_date >= last) {
          last = h.first_date;
          last_history = &h;
        }
    for (size_t j = 0; j < k; ++j) {
      const Line& o = e.lines[p.lines[j]];
      if (same_code(o.code, l.code) && !o.credit && too_soon(o.first) && o.first >= last && !ctx.verdicts.rejected(o.record)) {
        last = o.first;
        last_line = &o;
      }
    }
    if (!last) return;
    auto facts = last_line ? other_line_facts(e, *last_line) : other_line_facts(*last_history);
    facts["days"] = std::to_string(r.renewal_days);
    facts["next"] = model::dmy(model::add_days(last, r.renewal_days));
    ctx.verdicts.add(l.record, "500447", "units", std::move(facts));
  }
};

}  // namespace

std::unique_ptr<LineRules> make_unit_rules() { return std::make_unique<UnitRules>(); }

}  // namespace mutua::rules
