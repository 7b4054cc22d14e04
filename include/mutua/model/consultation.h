// An insurability consultation (801000 -> 801900): who was looked up at which date and what
// the fund answered. An insured answer carries a payment commitment number.
#pragma once
#include <string>

#include "mutua/model/envoi.h"

namespace mutua::model {

struct Consultation {
  int64_t id = 0;
  std::string niss;
  Date date = 0;                 // the date asked about
  bool insured = false;          // V (true) or X
  std::string mutuality;
  int ct1 = 0, ct2 = 0;
  bool holder = false;
  std::string commitment;        // given by the store when insured
  Date recorded = 0;             // when asked
  std::string requested_by;      // who asked (INAMI number, user...), may be empty
};

}  // namespace mutua::model
