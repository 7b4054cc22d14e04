#include "mutua/model/dates.h"

#include <ctime>

#include <fmt/format.h>

namespace mutua::model {

namespace {
// Howard Hinnant's days_from_civil / civil_from_days.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}
}  // namespace

int64_t day_number(Date d) { return days_from_civil(d / 10000, (d / 100) % 100, d % 100); }

Date from_day_number(int64_t z) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return static_cast<Date>((y + (m <= 2)) * 10000 + m * 100 + d);
}

Date add_days(Date d, int64_t days) { return from_day_number(day_number(d) + days); }
int64_t days_between(Date from, Date to) { return day_number(to) - day_number(from); }

int age_on(Date birth, Date day) {
  if (!birth || day < birth) return 0;
  // Years, less one when the birthday (MMDD) has not come yet that year.
  int years = static_cast<int>(day / 10000 - birth / 10000);
  if (day % 10000 < birth % 10000) --years;
  return years;
}

bool valid_date(Date d) {
  unsigned y = d / 10000, m = (d / 100) % 100, day = d % 100;
  if (y < 1900 || y > 9999 || m < 1 || m > 12 || day < 1) return false;
  static const unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  unsigned max = days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 1 : 0);
  return day <= max;
}

Date parse_iso_date(std::string_view s) {
  Date v = 0;
  int digits = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      v = v * 10 + static_cast<Date>(c - '0');
      ++digits;
    } else if (c == '-' && (i == 4 || i == 7) && s.size() == 10) {
      continue;
    } else {
      return 0;
    }
  }
  if (digits != 8 || !valid_date(v)) return 0;
  return v;
}

std::string iso(Date d) {
  if (!d) return {};
  // Written by hand for the dates of years 1000-9999 (one per line of a 100k-line response);
  // any other value as fmt writes it.
  if (d < 10000000 || d > 99999999) return fmt::format("{:04d}-{:02d}-{:02d}", d / 10000, (d / 100) % 100, d % 100);
  std::string s(10, '-');
  auto put = [&s](size_t at, int value, int width) {
    for (int k = width - 1; k >= 0; --k, value /= 10) s[at + static_cast<size_t>(k)] = static_cast<char>('0' + value % 10);
  };
  put(0, static_cast<int>(d / 10000), 4);
  put(5, static_cast<int>((d / 100) % 100), 2);
  put(8, static_cast<int>(d % 100), 2);
  return s;
}

std::string dmy(Date d) {
  if (!d) return {};
  return fmt::format("{:02d}/{:02d}/{:04d}", d % 100, (d / 100) % 100, d / 10000);
}

int weekday(Date d) {
  int64_t n = day_number(d);  // 1970-01-01 was a Thursday (3)
  return static_cast<int>(((n % 7) + 7 + 3) % 7);
}

Date local_today() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  return static_cast<Date>((tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday);
}

}  // namespace mutua::model
