#include "mutua/model/requests.h"

namespace mutua::model {

std::string_view request_state_name(RequestState s) {
  switch (s) {
    case RequestState::Open: return "open";
    case RequestState::Answered: return "answered";
    case RequestState::Closed: return "closed";
  }
  return "open";
}

std::optional<RequestState> request_state_from(std::string_view name) {
  if (name == "open") return RequestState::Open;
  if (name == "answered") return RequestState::Answered;
  if (name == "closed") return RequestState::Closed;
  return std::nullopt;
}

}  // namespace mutua::model
