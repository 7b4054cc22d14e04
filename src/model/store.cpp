#include "mutua/model/store.h"

namespace mutua::model {

std::string_view status_name(EnvoiStatus s) {
  switch (s) {
    case EnvoiStatus::Accepted: return "accepted";
    case EnvoiStatus::Rejected: return "rejected";
    case EnvoiStatus::Refused: return "refused";
  }
  return "refused";
}

}  // namespace mutua::model
