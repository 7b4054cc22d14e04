// The helpers the counting rules (502255, 501942, 500447, 500423) compare lines with: the period
// a maximum is counted in, and the equality of two nomenclature codes.
#include <gtest/gtest.h>

#include "rules/lines/adjudication.h"

namespace mutua {
namespace {

using rules::Period;

TEST(Counting, APeriodKeyIsTheSameExactlyWithinTheDayWeekMonthOrYear) {
  EXPECT_EQ(rules::period_of("year"), Period::Year);
  EXPECT_EQ(rules::period_of("month"), Period::Month);
  EXPECT_EQ(rules::period_of("week"), Period::Week);
  EXPECT_EQ(rules::period_of("day"), Period::Day);
  EXPECT_EQ(rules::period_of(""), Period::Day);
  // 2026-12-06 is a Sunday, 2026-12-07 a Monday: a week runs Monday to Sunday.
  EXPECT_NE(rules::period_key(20261206, Period::Week), rules::period_key(20261207, Period::Week));
  EXPECT_EQ(rules::period_key(20261207, Period::Week), rules::period_key(20261213, Period::Week));
  EXPECT_NE(rules::period_key(20261213, Period::Week), rules::period_key(20261214, Period::Week));
  // Across a year's end, the same week.
  EXPECT_EQ(rules::period_key(20261228, Period::Week), rules::period_key(20270103, Period::Week));
  EXPECT_EQ(rules::period_key(20261201, Period::Month), rules::period_key(20261231, Period::Month));
  EXPECT_NE(rules::period_key(20261130, Period::Month), rules::period_key(20261201, Period::Month));
  EXPECT_EQ(rules::period_key(20260101, Period::Year), rules::period_key(20261231, Period::Year));
  EXPECT_NE(rules::period_key(20261231, Period::Year), rules::period_key(20270101, Period::Year));
  EXPECT_NE(rules::period_key(20261206, Period::Day), rules::period_key(20261207, Period::Day));
  // The text form the rule data carries gives the same keys.
  for (const char* p : {"day", "week", "month", "year"})
    EXPECT_EQ(rules::period_key(20261209, std::string(p)), rules::period_key(20261209, rules::period_of(p))) << p;
}

TEST(Counting, CodesAreTheSameOnlyDigitForDigit) {
  EXPECT_TRUE(rules::same_code("425014", "425014"));
  EXPECT_FALSE(rules::same_code("425014", "425015"));
  EXPECT_FALSE(rules::same_code("425014", "525014"));
  EXPECT_FALSE(rules::same_code("425014", "42501"));
  EXPECT_FALSE(rules::same_code("425014", "4250140"));
  EXPECT_TRUE(rules::same_code("", ""));
  EXPECT_TRUE(rules::same_code("4250140", "4250140"));
  EXPECT_FALSE(rules::same_code("4250140", "4250141"));
}

}  // namespace
}  // namespace mutua
