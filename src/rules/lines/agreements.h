// How a line needing a medical-advisor agreement stands against the patient's agreements for
// its code: shared by the engine's rule and by a later decision settling a pending line.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "mutua/model/refdata.h"

namespace mutua::rules {

struct AgreementStanding {
  // "" covered by an accepted agreement; else 500548 / 500648 (accepted, dates outside),
  // 500434 (waiting: D, O or a request not decided), 500449 (refused), 500446 (none, or R).
  std::string code;
  const model::Agreement* agreement = nullptr;  // the one the code is about
  std::map<std::string, std::string> facts;     // for the comment
};

AgreementStanding agreement_standing(const std::string& code, model::Date first, model::Date last,
                                     const std::vector<const model::Agreement*>& agreements);

}  // namespace mutua::rules
