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

std::string_view registration_state_name(RegistrationState s) {
  switch (s) {
    case RegistrationState::Submitted: return "submitted";
    case RegistrationState::Validated: return "validated";
    case RegistrationState::Refused: return "refused";
  }
  return "submitted";
}

std::optional<RegistrationState> registration_state_from(std::string_view name) {
  if (name == "submitted") return RegistrationState::Submitted;
  if (name == "validated") return RegistrationState::Validated;
  if (name == "refused") return RegistrationState::Refused;
  return std::nullopt;
}

}  // namespace mutua::model
