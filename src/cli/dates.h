#pragma once
#include <ctime>
#include <string>

#include "mutua/model/envoi.h"

namespace mutua::cli {

// Today as YYYYMMDD (local time), for --today's default.
inline model::Date system_today() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  return static_cast<model::Date>((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

// Parses YYYY-MM-DD or YYYYMMDD; 0 when malformed.
inline model::Date parse_date(std::string s) {
  std::string digits;
  for (char c : s)
    if (c >= '0' && c <= '9') digits += c;
    else if (c != '-') return 0;
  if (digits.size() != 8) return 0;
  int y = std::stoi(digits.substr(0, 4)), m = std::stoi(digits.substr(4, 2)), d = std::stoi(digits.substr(6, 2));
  if (m < 1 || m > 12 || d < 1 || d > 31 || y < 1900) return 0;
  return static_cast<model::Date>(y * 10000 + m * 100 + d);
}

}  // namespace mutua::cli
