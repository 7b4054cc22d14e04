#include "mutua/model/advisor.h"

namespace mutua::model {

bool valid_decision(char d) { return d == 'A' || d == 'N' || d == 'D' || d == 'O' || d == 'R'; }

std::string_view decision_name(char d) {
  switch (d) {
    case 'A': return "accepted";
    case 'N': return "refused";
    case 'D': return "waiting for information";
    case 'O': return "waiting for INAMI";
    case 'R': return "no motivation received";
    default: return "requested";
  }
}

std::string_view pending_state_name(PendingState s) {
  switch (s) {
    case PendingState::Approved: return "approved";
    case PendingState::Refused: return "refused";
    default: return "pending";
  }
}

}  // namespace mutua::model
