#include <algorithm>

#include "mutua/model/dates.h"
#include "rules/lines/families.h"

namespace mutua::rules {

std::vector<std::unique_ptr<LineRules>> make_line_rules() {
  std::vector<std::unique_ptr<LineRules>> out;
  out.push_back(make_provider_rules());
  out.push_back(make_limitation_rules());
  out.push_back(make_insurability_rules());
  out.push_back(make_nomenclature_rules());
  out.push_back(make_tariff_rules());
  out.push_back(make_stay_rules());
  out.push_back(make_pathway_rules());
  out.push_back(make_agreement_rules());
  out.push_back(make_nursing_rules());
  out.push_back(make_cumulation_rules());
  out.push_back(make_unit_rules());
  out.push_back(make_related_rules());
  return out;
}

bool same_network_reference(std::string_view billed, std::string_view known) {
  // Both without their zero padding on the left: a number the fund keeps right-aligned reads as
  // the one billed in the 32 positions of zone 42.
  billed.remove_prefix(std::min(billed.size(), billed.find_first_not_of('0')));
  known.remove_prefix(std::min(known.size(), known.find_first_not_of('0')));
  while (!known.empty() && known.back() == ' ') known.remove_suffix(1);
  return !known.empty() && billed == known;
}

std::map<std::string, std::string> other_line_facts(const Envoi& envoi, const Line& line) {
  return {{"code", line.code},
          {"date", model::dmy(line.first)},
          {"billed", model::dmy(envoi.created)},
          {"tiers", envoi.third_party},
          {"provider", line.provider},
          {"record", std::to_string(envoi.records[line.record].number)},
          {"source", "this envoi"}};
}

std::map<std::string, std::string> other_line_facts(const model::HistoryLine& h) {
  return {{"code", h.code},
          {"date", model::dmy(h.first_date)},
          {"billed", model::dmy(h.billed)},
          {"tiers", h.third_party},
          {"provider", h.provider},
          {"record", std::to_string(h.record)},
          {"source", "envoi " + std::to_string(h.envoi_number)}};
}

}  // namespace mutua::rules
