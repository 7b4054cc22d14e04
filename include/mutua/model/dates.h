// Calendar arithmetic on YYYYMMDD dates (model::Date), for periods, windows and comments.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "mutua/model/envoi.h"

namespace mutua::model {

// Days since 1970-01-01 (proleptic Gregorian); dates must be valid.
int64_t day_number(Date d);
Date from_day_number(int64_t days);
Date add_days(Date d, int64_t days);
int64_t days_between(Date from, Date to);  // to - from
int age_on(Date birth, Date day);          // whole years from birth to day (0 for an unknown birth)
// A real calendar date (1900..9999).
bool valid_date(Date d);
// Parses YYYY-MM-DD or YYYYMMDD; 0 when empty or malformed.
Date parse_iso_date(std::string_view s);
// Today on this machine (local time).
Date local_today();
std::string iso(Date d);   // YYYY-MM-DD, "" for 0
std::string dmy(Date d);   // DD/MM/YYYY (comments in responses), "" for 0
// 0 (Monday) .. 6 (Sunday).
int weekday(Date d);

}  // namespace mutua::model
