// Medical-advisor agreements as the fund records them (request, then decisions A, N, D, O, R
// with dates; optionally for a hospital stay), and the lines an accepted envoi left waiting on
// one (500434). A later decision settles the waiting lines: accepted lines enter history and
// are paid in a complement (marked `*` after the envoi number), refused ones are lost.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mutua/model/envoi.h"
#include "mutua/model/history.h"
#include "mutua/model/refdata.h"

namespace mutua::model {

// Decisions (DOMAIN.md "The portal"): A accepted, N refused, D waiting for information,
// O waiting for INAMI, R no motivation received. A request not decided yet has none (' ');
// the engine treats it as waiting (D).
inline constexpr char kNoDecision = ' ';
bool valid_decision(char d);                  // A N D O R
std::string_view decision_name(char d);       // "accepted", ..., "requested"

struct AgreementEvent {
  int64_t agreement_id = 0;
  Date date = 0;
  char decision = kNoDecision;  // ' ' for the request itself
  std::string note;
  std::string by;               // who recorded it (advisor, operator)
};

struct AgreementRecord {
  int64_t id = 0;
  std::string niss, code;
  std::string requested_by;     // INAMI number of the provider asking, may be empty
  char decision = kNoDecision;
  Date request_date = 0, decision_date = 0;
  Date valid_from = 0, valid_to = kOpenEnd;
  // A stay agreement: the hospital stay it is given for (establishment, admission, discharge).
  std::string establishment;
  Date admission = 0, discharge = 0;
  std::string motivation;
  std::vector<AgreementEvent> events;  // oldest first, the request first
};

// What became of a line left waiting on the advisor.
enum class PendingState { Pending, Approved, Refused };
std::string_view pending_state_name(PendingState s);  // pending, approved, refused

struct PendingLine {
  int64_t id = 0;
  HistoryLine line;             // as it would enter history (envoi_id, record, amount...)
  char account = 'A';           // ET 50 zone 11: A federal, B medical council / group
  PendingState state = PendingState::Pending;
  Date decided = 0;             // when the decision settled it
  int64_t agreement_id = 0;     // the recorded agreement that settled it (0: none)
  std::string code;             // refused: the code it is refused with (500449, 500548...)
  int64_t complement = 0;       // approved and paid: the envoi's complement number (1, 2...)
  int64_t run_id = 0;           // the payment run that paid it
};

// A decision and everything it settles, written atomically.
struct AgreementDecision {
  AgreementRecord agreement;              // the new state (id set)
  AgreementRecord before;                 // the state it was decided from: recorded only if still so
  AgreementEvent event;
  struct Change {
    int64_t pending_id = 0;
    PendingState state = PendingState::Pending;
    std::string code;                     // refusal code
  };
  std::vector<Change> changes;            // lines that leave the pending state
  std::vector<HistoryLine> history;       // the approved ones, entering history
};

}  // namespace mutua::model
