#include "mutua/model/store.h"

#include <algorithm>

namespace mutua::model {

std::string_view status_name(EnvoiStatus s) {
  switch (s) {
    case EnvoiStatus::Accepted: return "accepted";
    case EnvoiStatus::Rejected: return "rejected";
    case EnvoiStatus::Refused: return "refused";
  }
  return "refused";
}

Result<std::unordered_map<std::string, std::vector<HistoryLine>>> EnvoiStore::history_of_codes(
    const std::vector<PatientCodes>& wanted, int64_t before_envoi) {
  std::vector<std::string> niss;
  niss.reserve(wanted.size());
  for (const auto& w : wanted) niss.push_back(w.niss);
  auto all = history(niss, before_envoi);
  if (!all) return all;
  for (const auto& w : wanted) {
    auto it = all->find(w.niss);
    if (it == all->end()) continue;
    auto& lines = it->second;
    lines.erase(std::remove_if(lines.begin(), lines.end(),
                               [&](const HistoryLine& h) { return !w.wants(h.code, h.first_date); }),
                lines.end());
  }
  return all;
}

Result<std::vector<EnvoiRecord>> EnvoiStore::envois_of(const std::string& third_party) {
  auto all = envois();
  if (!all) return fail(all.error());
  std::vector<EnvoiRecord> out;
  for (auto& e : *all)
    if (e.third_party == third_party) out.push_back(std::move(e));
  return out;
}

Result<std::vector<std::string>> EnvoiStore::response_messages(int64_t envoi_id) {
  auto all = responses(envoi_id);
  if (!all) return fail(all.error());
  std::vector<std::string> out;
  for (const auto& r : *all) out.push_back(r.message);
  return out;
}

Result<std::optional<StoredResponse>> EnvoiStore::response(int64_t envoi_id, const std::string& message) {
  auto all = responses(envoi_id);
  if (!all) return fail(all.error());
  std::optional<StoredResponse> out;
  for (auto& r : *all)
    if (r.message == message) out = std::move(r);
  return out;
}

}  // namespace mutua::model
