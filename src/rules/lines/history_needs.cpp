// The history each patient's lines are judged against: the families read only lines of some
// codes, so the store reads only those (a patient's whole history is most of the time many
// lines of other codes). Each family that reads history says here what it reads:
//   units       the line's own code (maximum units, ceiling, renewal delay, duplicates: 502255,
//               501942, 500447, 500423)
//   cumulation  the codes it may not be billed with (500444 / 500445) and the codes it needs
//               before it (500464 / 500465)
//   related     the related prestation of zone 17 (501721)
//   nursing     on a nursing day, every code that has a role (first / second basic visit, flat
//               fees, supplements, palliative fees...): the roles are counted per day, so those
//               codes are read only on the days of the patient's lines (PatientCodes::on_days),
//               unless another family reads them whole
// A family that starts reading other history lines must add them here, or it will not see them.
#include <algorithm>
#include <string_view>
#include <unordered_map>

#include "format/text_key.h"
#include "rules/lines/adjudication.h"

namespace mutua::rules {

std::vector<model::PatientCodes> history_needed(const Envoi& e, const model::RefIndex& ref) {
  // Views into the envoi and the shared data (both outlive this), hashed, sorted only at the
  // end: a map and a set of strings per patient compared strings at every one of 100k lines.
  const model::RefData& shared = ref.shared();
  std::unordered_map<std::string_view, std::vector<std::string_view>> partners;
  for (const auto& c : shared.cumulations) {
    partners[c.code].push_back(c.other);
    partners[c.other].push_back(c.code);
  }
  std::vector<std::string_view> with_role;  // sorted, unique
  for (const auto& n : shared.nomenclature)
    if (!n.role.empty()) with_role.push_back(n.code);
  std::sort(with_role.begin(), with_role.end());
  with_role.erase(std::unique(with_role.begin(), with_role.end()), with_role.end());
  // Asked on the days of its lines by every nursing patient, as one list: a patient's own codes
  // are also in `codes`, which wants them on every day.
  const auto roles = std::make_shared<const std::vector<std::string>>(with_role.begin(), with_role.end());
  const auto& nursing_sectors = RuleData::with(shared.parameters).list("nursing_sectors");

  struct Wanted {
    std::vector<std::string_view> codes;  // in no order, repeated
    std::vector<Date> days;               // the first dates of its lines, in no order, repeated
    bool nursing = false;
  };
  std::unordered_map<std::string_view, Wanted> codes;
  codes.reserve(e.lines.size());
  Wanted* last = nullptr;  // the line before's patient: an invoice's lines are mostly one patient's
  std::string_view last_niss;
  for (const auto& l : e.lines) {
    if (!last || last_niss != l.niss) {
      last = &codes[l.niss];  // unordered_map: a reference stays valid as the map grows
      last_niss = l.niss;
    }
    Wanted& mine = *last;
    mine.codes.push_back(l.code);
    mine.days.push_back(l.first);
    if (auto it = partners.find(l.code); it != partners.end())
      mine.codes.insert(mine.codes.end(), it->second.begin(), it->second.end());
    for (const auto* pre : ref.prerequisites(l.code)) mine.codes.push_back(pre->required);
    if (!l.related.empty()) mine.codes.push_back(l.related);
    if (!mine.nursing)
      if (const auto* r = ref.rule(l.code, l.first); r && contains(nursing_sectors, r->sector)) mine.nursing = true;
  }
  // Sorted by TextKey: the NISS are digits, compared as numbers.
  std::vector<std::pair<TextKey, Wanted*>> patients;  // NISS order
  patients.reserve(codes.size());
  for (auto& [niss, wanted] : codes) patients.emplace_back(TextKey(niss), &wanted);
  std::sort(patients.begin(), patients.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<model::PatientCodes> out;
  out.reserve(patients.size());
  for (auto& [niss, wanted] : patients) {
    auto& own = wanted->codes;
    std::sort(own.begin(), own.end());
    own.erase(std::unique(own.begin(), own.end()), own.end());
    model::PatientCodes& p = out.emplace_back(model::PatientCodes{std::string(niss.text), {}, {}, {}});
    p.codes.reserve(own.size());
    for (std::string_view c : own) p.codes.emplace_back(c);
    // A nursing patient: the sixty-odd codes with a role on its days (a superset of its nursing
    // days: the days of all its lines).
    if (wanted->nursing && !roles->empty()) {
      p.on_days = roles;
      auto& days = wanted->days;
      std::sort(days.begin(), days.end());
      days.erase(std::unique(days.begin(), days.end()), days.end());
      p.days = std::move(days);
    }
  }
  return out;
}

}  // namespace mutua::rules
