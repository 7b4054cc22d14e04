// Why a line of a recorded envoi got its codes: the envoi judged again as on its day (the same
// reference data, the history recorded before it), keeping what every rule family noted.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mutua/engine/adjudicate.h"

namespace mutua::engine {

struct Explanation {
  model::EnvoiRecord envoi;    // the reception explained
  uint64_t record = 0;         // its record number (ET 10 is record 1)
  std::string record_type;     // "50", "20"...
  bool prestation = false;     // a billed line (ET 50 / 51 / 52): the fields below are set
  std::string code, niss, provider;
  model::Date date = 0;
  int units = 0;
  int64_t amount = 0;          // cents
  struct Note {
    std::string rule;          // rule family
    std::string note;          // "ran", or what it found
  };
  std::vector<Note> notes;     // in the order the families ran
  struct Code {
    char type = 'R';
    std::string code, rule, comment;  // comment: the zone 149 text
    std::map<std::string, std::string> facts;
  };
  std::vector<Code> codes;     // empty: the line is accepted
};

// Explains record `record` of the recorded envoi `envoi`. Errors: the store's, the envoi no
// longer readable (its file gone with retention, or unreadable when received: Z00001), no such
// record (Z00210).
Result<Explanation> explain(JudgingStores store, const model::EnvoiRecord& envoi, uint64_t record);

// The fund's engine run on the provider's side before sending (`validate --refdata`): the
// files judged in order on a scratch store holding what the provider knows, each seeing the
// lines of those before as history. The engine's codes are added to `report` beside the file
// checks; each file's predicted answer comes back.
struct Prediction {
  std::string file;
  std::string message;               // 920900, 920099 or 920999
  std::vector<std::string> summary;
  int64_t error_rate_bp = 0;
};
Result<std::vector<Prediction>> predict(const std::vector<std::string>& files, model::Store& scratch, model::Date today,
                                        PreflightReport& report);

}  // namespace mutua::engine
