#include "mutua/model/accounts.h"

namespace mutua::model {

std::string_view user_kind_name(UserKind k) {
  switch (k) {
    case UserKind::Admin: return "admin";
    case UserKind::Staff: return "staff";
    case UserKind::Provider: return "provider";
  }
  return "provider";
}

std::optional<UserKind> user_kind_from(std::string_view name) {
  if (name == "admin") return UserKind::Admin;
  if (name == "staff") return UserKind::Staff;
  if (name == "provider") return UserKind::Provider;
  return std::nullopt;
}

}  // namespace mutua::model
