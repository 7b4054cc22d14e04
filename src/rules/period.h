#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "mutua/layout.h"

namespace mutua::rules {

// What an envoi's ET 10 says of its dates: the billing period (zones 22-23) and the creation
// date (zone 25); -1 when unreadable (their own format findings say so).
struct EnvoiPeriod {
  int64_t billing = -1;  // YYYYMM
  int64_t created = -1;  // YYYYMMDD
  static EnvoiPeriod of_et10(std::string_view record, const Layout& layout);
};

// The periods a code of the official list applies to ("et ET 10 Z 22-23 < 0201101"), written
// in the rule tables as from:YYYYMM, before:YYYYMM or created_after:YYYYMMDD; empty: always.
// An envoi whose period is unreadable is judged by none of the limited rules.
struct PeriodLimit {
  enum class Kind { Any, From, Before, CreatedAfter };
  Kind kind = Kind::Any;
  int64_t bound = 0;

  static PeriodLimit parse(std::string_view text);  // throws std::logic_error on a bad table
  bool holds(const EnvoiPeriod& p) const;
  // "for a billing period (ET 10 zones 22-23) 202610 from 201101"; empty for Any.
  std::string describe(const EnvoiPeriod& p) const;
};

}  // namespace mutua::rules
