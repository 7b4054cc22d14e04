// Disputes (contentieux): a file a provider and the fund follow together. States: open →
// under review (once the fund comments) → settled (with an amount, which becomes a
// regularisation set off on the next payments) or closed (without one). Every step is a dated
// history entry; a dispute may name the envoi line and the payment it is about.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mutua/model/envoi.h"

namespace mutua::model {

enum class DisputeState { Open, UnderReview, Settled, Closed };
std::string_view dispute_state_name(DisputeState s);  // open, under review, settled, closed

struct DisputeEvent {
  Date date = 0;
  std::string kind;               // open, comment, settle, close
  std::string text, by;
  int64_t amount_cents = 0;       // settle: as the regularisation (negative: owed to the provider)
};

struct Dispute {
  int64_t id = 0;
  std::string third_party;        // the provider (INAMI number)
  std::string subject;
  DisputeState state = DisputeState::Open;
  Date opened = 0, ended = 0;     // ended: settled or closed
  char account = 'A';
  int64_t envoi_id = 0;           // the envoi (reception id) and line it is about, if any
  uint64_t record = 0;
  std::string payment_reference;  // the payment it is about (YYYY/2/nnnnnnn), if any
  int64_t amount_cents = 0;       // settled amount (regularisation sign)
  int64_t regularisation_id = 0;
  std::vector<DisputeEvent> events;
};

}  // namespace mutua::model
