// TextKey (src/format/text_key.h) orders texts as their bytes do, whatever they hold: the NISS and
// codes of an envoi (digits of one length), and anything else a file may carry in those zones.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "format/text_key.h"

TEST(TextKey, OrdersAndEqualsAsTheTextDoes) {
  std::mt19937 rng(41);
  const std::string alphabet = "0123456789 A-";
  std::vector<std::string> texts = {"", "0", "00", "9", "10", "010", "999999999999999999", "1000000000000000000",
                                    "85073003328", "85073003328 ", " 85073003328", "8507300332", "425014", "42501A"};
  for (int i = 0; i < 5000; ++i) {
    // Mostly digits of the NISS's and the codes' lengths, some of other lengths, some not digits.
    const size_t length = std::vector<size_t>{11, 11, 6, 6, 1, 5, 12, 18, 19, 20}[rng() % 10];
    std::string t;
    for (size_t k = 0; k < length; ++k) t += alphabet[rng() % (rng() % 8 == 0 ? alphabet.size() : 10)];
    texts.push_back(t);
    if (rng() % 4 == 0) texts.push_back(t);  // equal ones too
  }
  for (size_t i = 0; i < texts.size(); ++i)
    for (size_t j : {size_t{0}, i / 2, (i * 7919) % texts.size(), texts.size() - 1}) {
      const std::string_view a = texts[i], b = texts[j];
      EXPECT_EQ(mutua::TextKey(a) < mutua::TextKey(b), a < b) << "'" << a << "' '" << b << "'";
      EXPECT_EQ(mutua::TextKey(a) == mutua::TextKey(b), a == b) << "'" << a << "' '" << b << "'";
    }
  std::vector<mutua::TextKey> keys(texts.begin(), texts.end());
  std::sort(keys.begin(), keys.end());
  std::vector<std::string> by_key;
  for (const auto& k : keys) by_key.emplace_back(k.text);
  std::sort(texts.begin(), texts.end());
  EXPECT_EQ(by_key, texts);
}
