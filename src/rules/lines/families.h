// The rule families, one file each (see adjudication.h for what they see).
#pragma once
#include <memory>

#include "rules/lines/adjudication.h"

namespace mutua::rules {

std::unique_ptr<LineRules> make_provider_rules();       // provider.cpp: 101420, 103620, 201803
std::unique_ptr<LineRules> make_insurability_rules();   // insurability.cpp: 200742, 500820, 5008xx, 2008xx, 5005xx/5006xx, 202703, 202710, 503325
std::unique_ptr<LineRules> make_nomenclature_rules();   // nomenclature.cpp: 500403, 500433, 500942, 501540, 502405, 503411, 503203
std::unique_ptr<LineRules> make_tariff_rules();         // tariffs.cpp: 501940, 501943, 514225, 502742, 502744, 503043, 503044
std::unique_ptr<LineRules> make_stay_rules();           // stays.cpp: 500545, 500424, 500455, 501420, 501321, 501349, 501320, 201520, 201521, 500523, 500623
std::unique_ptr<LineRules> make_limitation_rules();     // limitation.cpp: 500546 (300546, 400546 by record type)
std::unique_ptr<LineRules> make_pathway_rules();        // pathways.cpp: 5004K6, 500450
std::unique_ptr<LineRules> make_agreement_rules();      // agreements.cpp: 500434, 500446, 500449, 500548, 500648
std::unique_ptr<LineRules> make_nursing_rules();        // nursing.cpp: 500452, 500453, 500458, 5004G3, 5004K3, 501512
std::unique_ptr<LineRules> make_cumulation_rules();     // cumulation.cpp: 500444, 500445, 500464, 500465
std::unique_ptr<LineRules> make_unit_rules();           // units.cpp: 502255, 500423
std::unique_ptr<LineRules> make_related_rules();        // related.cpp: 501740, 501753, 501720, 501721

// The number billed in zones 42-45 (ET 20 or ET 51, leading zeros gone) against one the fund
// gave: the same, or followed only by the zeros of parts N and V, or after a part A given first.
bool same_network_reference(std::string_view billed, std::string_view known);

// Facts naming another line of the envoi or of history (comments of 500444, 502255...).
std::map<std::string, std::string> other_line_facts(const Envoi& envoi, const Line& line);
std::map<std::string, std::string> other_line_facts(const model::HistoryLine& h);

}  // namespace mutua::rules
