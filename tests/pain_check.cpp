#include "pain_check.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <regex>

#include "baseline.h"
#include "mutua/check_digits.h"
#include "mutua/settlement/payment_run.h"

namespace mutua::testing {

std::vector<PainTransaction> check_pain001(const std::string& file, const std::string& version) {
  std::vector<PainTransaction> out;
  const int lint = std::system(("xmllint --noout " + file + " 2>" + file + ".lint").c_str());
  EXPECT_EQ(lint, 0) << read_all(file + ".lint");
  const std::string x = read_all(file);
  EXPECT_NE(x.find("urn:iso:std:iso:20022:tech:xsd:pain." + version), std::string::npos) << file;
  std::smatch m;
  if (!std::regex_search(x, m, std::regex("<NbOfTxs>(\\d+)</NbOfTxs>\\s*<CtrlSum>([0-9.]+)</CtrlSum>"))) {
    ADD_FAILURE() << file << ": no group header totals";
    return out;
  }
  const size_t count = std::stoul(m[1]);
  const std::string ctrl = m[2];
  // One transaction: its end-to-end id, amount and the creditor's IBAN, in that order.
  const std::regex tx("<EndToEndId>([^<]*)</EndToEndId>[\\s\\S]*?<InstdAmt Ccy=\"EUR\">([^<]*)</InstdAmt>[\\s\\S]*?"
                      "<CdtrAcct>\\s*<Id>\\s*<IBAN>([^<]*)</IBAN>");
  int64_t sum = 0;
  for (auto it = std::sregex_iterator(x.begin(), x.end(), tx); it != std::sregex_iterator(); ++it) {
    const std::string amount = (*it)[2];
    EXPECT_TRUE(std::regex_match(amount, std::regex("[1-9][0-9]*\\.[0-9]{2}|0\\.[0-9][1-9]|0\\.[1-9][0-9]"))) << amount;
    auto cents = settlement::parse_euros(amount);
    EXPECT_TRUE(cents.has_value()) << amount;
    PainTransaction t{(*it)[1], (*it)[3], cents ? *cents : 0};
    EXPECT_EQ(check::iban(t.iban), check::Verdict::Valid) << t.iban;
    sum += t.cents;
    out.push_back(std::move(t));
  }
  EXPECT_EQ(out.size(), count) << file;
  EXPECT_EQ(settlement::euros(sum), ctrl) << file;
  const std::regex bic(version == "001.001.09" ? "<BICFI>([^<]*)</BICFI>" : "<BIC>([^<]*)</BIC>");
  for (auto it = std::sregex_iterator(x.begin(), x.end(), bic); it != std::sregex_iterator(); ++it)
    EXPECT_EQ(check::bic((*it)[1].str()), check::Verdict::Valid) << (*it)[1];
  EXPECT_EQ(x.find(version == "001.001.09" ? "<BIC>" : "<BICFI>"), std::string::npos);
  for (unsigned char c : x) EXPECT_LT(c, 0x80) << "non-ASCII byte in " << file;
  return out;
}

}  // namespace mutua::testing
