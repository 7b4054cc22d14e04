#include "mutua/model/dispute.h"

namespace mutua::model {

std::string_view dispute_state_name(DisputeState s) {
  switch (s) {
    case DisputeState::UnderReview: return "under review";
    case DisputeState::Settled: return "settled";
    case DisputeState::Closed: return "closed";
    default: return "open";
  }
}

}  // namespace mutua::model
