// The history each patient's lines are judged against: the families read only lines of some
// codes, so the store reads only those (a patient's whole history is most of the time many
// lines of other codes). Each family that reads history says here what it reads:
//   units       the line's own code (maximum units, ceiling, renewal delay, duplicates: 502255,
//               501942, 500447, 500423)
//   cumulation  the codes it may not be billed with (500444 / 500445) and the codes it needs
//               before it (500464 / 500465)
//   related     the related prestation of zone 17 (501721)
//   nursing     on a nursing day, every code that has a role (first / second basic visit, flat
//               fees, supplements, palliative fees...): the roles are counted per day
// A family that starts reading other history lines must add them here, or it will not see them.
#include <algorithm>
#include <iterator>
#include <map>
#include <set>
#include <unordered_map>

#include "rules/lines/adjudication.h"

namespace mutua::rules {

std::vector<model::PatientCodes> history_needed(const Envoi& e, const model::RefIndex& ref) {
  const model::RefData& shared = ref.shared();
  std::unordered_map<std::string, std::vector<const std::string*>> partners;
  for (const auto& c : shared.cumulations) {
    partners[c.code].push_back(&c.other);
    partners[c.other].push_back(&c.code);
  }
  std::vector<std::string> with_role;  // sorted, unique
  for (const auto& n : shared.nomenclature)
    if (!n.role.empty()) with_role.push_back(n.code);
  std::sort(with_role.begin(), with_role.end());
  with_role.erase(std::unique(with_role.begin(), with_role.end()), with_role.end());
  const auto& nursing_sectors = RuleData::with(shared.parameters).list("nursing_sectors");

  std::map<std::string, std::set<std::string>> codes;  // NISS order
  std::set<std::string> nursing_patients;
  for (const auto& l : e.lines) {
    auto& mine = codes[l.niss];
    mine.insert(l.code);
    if (auto it = partners.find(l.code); it != partners.end())
      for (const auto* other : it->second) mine.insert(*other);
    for (const auto* pre : ref.prerequisites(l.code)) mine.insert(pre->required);
    if (!l.related.empty()) mine.insert(l.related);
    if (const auto* r = ref.rule(l.code, l.first); r && contains(nursing_sectors, r->sector))
      nursing_patients.insert(l.niss);
  }
  std::vector<model::PatientCodes> out;
  out.reserve(codes.size());
  for (auto& [niss, set] : codes) {
    model::PatientCodes& p = out.emplace_back(model::PatientCodes{niss, {}});
    if (!nursing_patients.count(niss)) {
      p.codes.assign(set.begin(), set.end());
      continue;
    }
    // A nursing patient: its own few codes merged into the sixty-odd with a role, in one pass
    // (inserted into its set one by one they were most of this function's time).
    p.codes.reserve(set.size() + with_role.size());
    std::set_union(set.begin(), set.end(), with_role.begin(), with_role.end(), std::back_inserter(p.codes));
  }
  return out;
}

}  // namespace mutua::rules
