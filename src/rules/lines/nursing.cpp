// Home-nursing days (art. 8): the first prestation of a day should be the first basic visit
// (500452, informative); n multiple-visit supplements (428035/428050/428072) on a day need
// n + 2 basic visits by the same nurse that day, each supplement at most once a day (500453);
// flat fees need as many 1st basic visits, flat fees C as many 2nd ones, and hygiene care that
// day when the fund's nomenclature says which codes are (500458); flat fees
// not cumulable with a palliative flat fee are refused on its days (5004G3); a palliative flat
// fee needs the doctor's notification, then the nurse's, both before the prestation (5004K3).
// A flat fee is billed by the provider of that day's first basic visit (501512), right after
// the statistical records of its block (ET 50 with norm 9: the day's visits, unpaid), else 500417.
// Roles (basic_visit_1...) come from nomenclature.csv, the lists from parameters.tsv.
#include <algorithm>

#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "rules/lines/families.h"

namespace mutua::rules {

namespace {

class NursingRules final : public LineRules {
 public:
  std::string_view name() const override { return "nursing"; }

  // The parameters, read once per envoi rather than per patient.
  void envoi(Context& ctx) override {
    const RuleData& d = ctx.data;
    nursing_sectors_ = &d.list("nursing_sectors");
    basic_roles_ = &d.list("basic_visit_roles");
    forfait_roles_ = &d.list("forfait_roles");
    palliative_roles_ = &d.list("palliative_forfait_roles");
    flat_fee_roles_ = &d.list("flat_fee_block_roles");
    hygiene_role_ = d.text("hygiene_care_role");
    // "A flat fee without hygiene care" (500458) is judged only by a fund whose nomenclature
    // says which codes are hygiene care: the sources name none.
    hygiene_known_ = false;
    for (const auto& r : ctx.ref.shared().nomenclature)
      if (!hygiene_role_.empty() && r.role == hygiene_role_) {
        hygiene_known_ = true;
        break;
      }
    not_cumulable_roles_ = &d.list("palliative_not_cumulable_roles");
    first_role_ = basic_roles_->empty() ? "" : (*basic_roles_)[0];
    second_role_ = basic_roles_->size() > 1 ? (*basic_roles_)[1] : "";
    supplement_role_ = d.text("multiple_visit_role");
    forfait_c_role_ = d.text("forfait_c_role");
    base_ = d.number("multiple_visit_base");
  }

  void patient(Context& ctx, const Patient& p) override {
    const Envoi& e = ctx.envoi;
    // 500417: the record before a nursing flat fee is a statistical one (ET 50, norm 9) of its
    // block (NOMENCLATURE.md N5). A patient's lines of an invoice follow each other.
    for (size_t k = 0; k < p.lines.size(); ++k) {
      const Line& l = e.lines[p.lines[k]];
      if (l.kind != RecordKind::Et50 || l.credit || l.norm == 9) continue;
      const auto* r = ctx.ref.rule(l.code, l.first);
      if (!r || !contains(*flat_fee_roles_, r->role)) continue;
      const Line* before = k > 0 && e.lines[p.lines[k - 1]].invoice == l.invoice ? &e.lines[p.lines[k - 1]] : nullptr;
      if (!before || before->kind != RecordKind::Et50 || before->norm != 9)
        ctx.verdicts.add(l.record, "500417", "nursing", {{"code", l.code}, {"date", model::dmy(l.first)}});
    }
    // Lines of this patient by nursing day.
    std::map<Date, std::vector<size_t>> days;
    for (size_t li : p.lines) {
      const Line& l = e.lines[li];
      // A date that is no calendar day (500501) makes no nursing day.
      if (l.credit || !model::valid_date(l.first)) continue;
      const auto* r = ctx.ref.rule(l.code, l.first);
      if (r && contains(*nursing_sectors_, r->sector)) days[l.first].push_back(li);
    }
    if (days.empty()) return;
    static const std::string no_role;
    auto role = [&](const std::string& code, Date date) -> const std::string& {
      const auto* r = ctx.ref.rule(code, date);
      return r ? r->role : no_role;
    };
    const auto& basic_roles = *basic_roles_;
    const std::string& first_role = first_role_;
    const std::string& second_role = second_role_;
    const std::string& supplement_role = supplement_role_;
    const std::string& forfait_c_role = forfait_c_role_;
    const int64_t base = base_;
    auto is_basic = [&](const std::string& r) { return contains(basic_roles, r); };
    // The history of those days, in one pass over the patient's history.
    std::map<Date, std::vector<const model::HistoryLine*>> history_of;
    if (p.history)
      for (const auto& h : *p.history)
        if (h.amount >= 0 && days.count(h.first_date)) history_of[h.first_date].push_back(&h);

    for (const auto& entry : days) {
      // Plain variables, not a structured binding: clang 14 cannot capture those in lambdas.
      const Date day = entry.first;
      const std::vector<size_t>& lines = entry.second;
      // History of this day; each line's role looked up once.
      std::vector<const model::HistoryLine*> past;
      if (auto it = history_of.find(day); it != history_of.end()) past = std::move(it->second);
      std::vector<const std::string*> past_role, line_role;
      for (const auto* h : past) past_role.push_back(&role(h->code, day));
      for (size_t li : lines) line_role.push_back(&role(e.lines[li].code, day));

      auto count_role = [&](const std::string& wanted, const std::string* provider) {
        int64_t n = 0;
        for (size_t k = 0; k < past.size(); ++k)
          if (*past_role[k] == wanted && (!provider || past[k]->provider == *provider)) n += past[k]->units;
        for (size_t k = 0; k < lines.size(); ++k) {
          const Line& l = e.lines[lines[k]];
          if (*line_role[k] == wanted && (!provider || l.provider == *provider) && !ctx.verdicts.rejected(l.record))
            n += l.units;
        }
        return n;
      };

      // 500452: basic visits that day but no first one.
      bool any_basic = false, first_seen = false;
      size_t first_basic_line = SIZE_MAX;
      for (const auto* r : past_role) {
        any_basic = any_basic || is_basic(*r);
        first_seen = first_seen || *r == first_role;
      }
      for (size_t k = 0; k < lines.size(); ++k) {
        const std::string& r = *line_role[k];
        if (is_basic(r)) {
          any_basic = true;
          if (first_basic_line == SIZE_MAX) first_basic_line = lines[k];
        }
        first_seen = first_seen || r == first_role;
      }
      if (any_basic && !first_seen && first_basic_line != SIZE_MAX)
        ctx.verdicts.add(e.lines[first_basic_line].record, "500452", "nursing", {{"date", model::dmy(day)}});

      // 500453: multiple-visit supplements.
      const bool supplements = std::any_of(line_role.begin(), line_role.end(), [&](const std::string* r) { return *r == supplement_role; });
      std::map<std::string, int64_t> accepted_per_provider;
      std::map<std::string, bool> code_used;
      for (size_t k = 0; supplements && k < past.size(); ++k)
        if (*past_role[k] == supplement_role) {
          code_used[past[k]->code] = true;
          accepted_per_provider[past[k]->provider] += 1;
        }
      for (size_t k = 0; k < lines.size(); ++k) {
        const Line& l = e.lines[lines[k]];
        if (*line_role[k] != supplement_role) continue;
        int64_t visits = 0;
        for (const auto& b : basic_roles) visits += count_role(b, &l.provider);
        int64_t allowed = visits - base;
        int64_t& used = accepted_per_provider[l.provider];
        std::map<std::string, std::string> facts = {{"count", std::to_string(used + 1)},
                                                    {"visits", std::to_string(visits)},
                                                    {"date", model::dmy(day)},
                                                    {"provider", l.provider}};
        if (code_used[l.code] || used + 1 > allowed) {
          if (code_used[l.code]) facts["why"] = l.code + " already billed that day";
          ctx.verdicts.add(l.record, "500453", "nursing", std::move(facts));
          continue;
        }
        MUTUA_NOTE(ctx.verdicts, l.record, "nursing",
                          fmt::format("supplement {} with {} basic visit(s) by {}", used + 1, visits, l.provider));
        used += 1;
        code_used[l.code] = true;
      }

      // 500458: flat fees against basic visits.
      int64_t firsts = count_role(first_role, nullptr), seconds = count_role(second_role, nullptr);
      int64_t forfaits = 0, forfaits_c = 0;
      for (const auto* r : past_role) {
        if (contains(*forfait_roles_, *r)) ++forfaits;
        if (*r == forfait_c_role) ++forfaits_c;
      }
      // 501512: the flat fee's provider is the provider of that day's first basic visit.
      std::vector<std::string> first_by;
      for (size_t k = 0; k < past.size(); ++k)
        if (*past_role[k] == first_role) first_by.push_back(past[k]->provider);
      for (size_t k = 0; k < lines.size(); ++k)
        if (*line_role[k] == first_role) first_by.push_back(e.lines[lines[k]].provider);
      for (size_t k = 0; k < lines.size(); ++k) {
        const Line& l = e.lines[lines[k]];
        const std::string& r = *line_role[k];
        if (!contains(*forfait_roles_, r)) continue;
        if (!first_by.empty() && std::find(first_by.begin(), first_by.end(), l.provider) == first_by.end())
          ctx.verdicts.add(l.record, "501512", "nursing", {{"date", model::dmy(day)}, {"tiers", first_by.front()}});
        ++forfaits;
        bool c = r == forfait_c_role;
        if (c) ++forfaits_c;
        // Three reasons, three comment templates (data/rules/comments.tsv: 500458.firsts...).
        if (firsts < forfaits)
          ctx.verdicts.add(l.record, "500458", "nursing",
                           {{"variant", "firsts"}, {"forfaits", std::to_string(forfaits)}, {"visits", std::to_string(firsts)},
                            {"date", model::dmy(day)}});
        else if (c && seconds < forfaits_c)
          ctx.verdicts.add(l.record, "500458", "nursing",
                           {{"variant", "seconds"}, {"forfaits", std::to_string(forfaits_c)}, {"visits", std::to_string(seconds)},
                            {"date", model::dmy(day)}});
        else if (hygiene_known_ && count_role(hygiene_role_, nullptr) == 0)
          ctx.verdicts.add(l.record, "500458", "nursing",
                           {{"variant", "hygiene"}, {"code", l.code}, {"date", model::dmy(day)}});
      }

      // 5004G3 and 5004K3: palliative flat fees.
      std::string palliative;
      for (size_t k = 0; k < past.size(); ++k)
        if (contains(*palliative_roles_, *past_role[k])) palliative = past[k]->code;
      for (size_t k = 0; k < lines.size(); ++k) {
        const Line& l = e.lines[lines[k]];
        if (!contains(*palliative_roles_, *line_role[k])) continue;
        if (palliative_ok(ctx, p, l)) palliative = l.code;
      }
      if (!palliative.empty())
        for (size_t k = 0; k < lines.size(); ++k) {
          const Line& l = e.lines[lines[k]];
          if (contains(*not_cumulable_roles_, *line_role[k]))
            ctx.verdicts.add(l.record, "5004G3", "nursing", {{"other", palliative}, {"date", model::dmy(day)}});
        }
    }
  }

 private:
  const std::vector<std::string>* nursing_sectors_ = nullptr;
  const std::vector<std::string>* basic_roles_ = nullptr;
  const std::vector<std::string>* forfait_roles_ = nullptr;
  const std::vector<std::string>* flat_fee_roles_ = nullptr;
  std::string hygiene_role_;
  bool hygiene_known_ = false;
  const std::vector<std::string>* palliative_roles_ = nullptr;
  const std::vector<std::string>* not_cumulable_roles_ = nullptr;
  std::string first_role_, second_role_, supplement_role_, forfait_c_role_;
  int64_t base_ = 0;

  // The doctor's notification first, then the nurse's (a nurse's made before the doctor's
  // counts when the doctor's follows within the late window); the prestation after the doctor's
  // and at most the retroactive days before the nurse's.
  static bool palliative_ok(Context& ctx, const Patient& p, const Line& l) {
    const int64_t late = ctx.data.number("palliative_late_doctor_days");
    const int64_t retroactive = ctx.data.number("palliative_nurse_retroactive_days");
    // Which notification is missing, as the comment's variant (comments.tsv: 5004K3.doctor...).
    std::string which = "both";
    Date need = 0;
    if (p.facts)
      for (const auto* n : p.facts->palliative) {
        if (!n->doctor_notification && !n->nurse_notification) continue;
        if (!n->doctor_notification) {
          which = "doctor";
          continue;
        }
        if (!n->nurse_notification) {
          which = "nurse";
          continue;
        }
        bool nurse_valid = n->nurse_notification >= n->doctor_notification ||
                           model::days_between(n->nurse_notification, n->doctor_notification) <= late;
        if (!nurse_valid) {
          which = "nurse";
          continue;
        }
        // The nurse's notification reaches back at most `retroactive` days before its date; the
        // prestation still comes after the doctor's.
        const Date nurse_effect = model::add_days(n->nurse_notification, -static_cast<int>(retroactive));
        Date from = std::max(n->doctor_notification, nurse_effect);
        if (l.first >= from) {
          MUTUA_NOTE(ctx.verdicts, l.record, "nursing",
                            fmt::format("palliative notifications: doctor {}, nurse {}", model::dmy(n->doctor_notification),
                                        model::dmy(n->nurse_notification)));
          return true;
        }
        which = "valid";
        need = from;
      }
    ctx.verdicts.add(l.record, "5004K3", "nursing",
                     {{"variant", which}, {"which", which}, {"date", model::dmy(need ? need : l.first)}});
    return false;
  }
};

}  // namespace

std::unique_ptr<LineRules> make_nursing_rules() { return std::make_unique<NursingRules>(); }

}  // namespace mutua::rules
