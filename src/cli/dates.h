#pragma once
#include <ctime>
#include <string>

#include "mutua/model/dates.h"
#include "mutua/model/envoi.h"

namespace mutua::cli {

// Today as YYYYMMDD (local time), for --today's default.
inline model::Date system_today() { return model::local_today(); }

// Parses YYYY-MM-DD or YYYYMMDD into a real calendar date; 0 when malformed or no such day
// (2026-02-31): the one date parser of the program (model::parse_iso_date).
inline model::Date parse_date(const std::string& s) { return model::parse_iso_date(s); }

}  // namespace mutua::cli
