// CODA statements, read and written, checked against an independent reader: Debian's
// python3-febelfin-coda (scripts/setup.sh installs it) and the real statement it ships.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "baseline.h"
#include "mutua/coda.h"

namespace fs = std::filesystem;
using mutua::format::CodaMove;
using mutua::format::CodaStatement;

namespace {

const char* kSample = "/usr/lib/python3/dist-packages/coda/CODA.txt";

// What febelfin-coda reads of a file: per movement "sequence+detail cents", and per statement
// its balances, one line each.
std::string python_reading(const std::string& path) {
  const std::string script = mutua::testing::temp_path("coda-read.py");
  std::ofstream(script) << "import sys\n"
                           "from coda import CODA\n"
                           "c = CODA(sys.argv[1])\n"
                           "for s in c.statements:\n"
                           "    print('statement', s.account, int(s.old_balance * 100), int(s.new_balance * 100))\n"
                           "    for m in s.all_moves:\n"
                           "        print('move', m.sequence + m.detail_sequence, int(m.amount * 100), m.communication or '', '|',\n"
                           "              m.customer_reference or '', '|', m.counterparty_name or '', '|', m.counterparty_account or '')\n";
  return mutua::testing::shell("/usr/bin/python3 " + script + " " + path + " 2>&1");
}

}  // namespace

TEST(Coda, ReadsARealStatementAsFebelfinCodaDoes) {
  ASSERT_TRUE(fs::exists(kSample)) << "python3-febelfin-coda is missing: scripts/setup.sh installs it";
  std::ifstream in(kSample, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  ASSERT_TRUE(mutua::format::looks_like_coda(text.str()));
  auto file = mutua::format::read_coda(text.str(), "CODA.txt");
  EXPECT_TRUE(file.problems.empty()) << file.problems[0].to_string();
  ASSERT_EQ(file.statements.size(), 1u);
  const auto& s = file.statements[0];
  EXPECT_EQ(s.creation_date, 20061206);
  EXPECT_EQ(s.bank_id, "725");
  EXPECT_EQ(s.account, "435000000080");
  EXPECT_EQ(s.holder, "Testgebruiker21");
  // Every movement the independent reader finds, with its amount, we find too.
  std::map<std::string, int64_t> ours, theirs;
  for (const auto& m : s.moves) {
    const char type = m.transaction_code[0];
    if (type != '9') ours[m.sequence] = m.cents;
  }
  std::istringstream py(python_reading(kSample));
  std::string line;
  while (std::getline(py, line)) {
    std::istringstream l(line);
    std::string kind, seq;
    int64_t cents = 0;
    l >> kind >> seq >> cents;
    if (kind == "move") theirs[seq] = cents;
    if (kind == "statement") {
      int64_t old_balance = 0, new_balance = 0;
      std::string account = seq;
      std::istringstream b(line.substr(line.find(account) + account.size()));
      b >> old_balance >> new_balance;
      EXPECT_EQ(s.old_balance_cents, old_balance);
      EXPECT_EQ(s.new_balance_cents, new_balance);
    }
  }
  ASSERT_FALSE(theirs.empty()) << python_reading(kSample);
  EXPECT_EQ(ours, theirs);
  // A credit transfer with its structured communication, its payer's reference and counterparty.
  const CodaMove* transfer = nullptr;
  for (const auto& m : s.moves)
    if (m.sequence == "00030000") transfer = &m;
  ASSERT_NE(transfer, nullptr);
  EXPECT_EQ(transfer->cents, 107500);  // 1075.000 EUR
  EXPECT_EQ(transfer->counterparty_name, "Olgerdin Egill Skallagrims");
  EXPECT_EQ(transfer->counterparty_account, "LU037050522702273100");
}

TEST(Coda, WhatItWritesAnIndependentReaderReadsBack) {
  CodaStatement s;
  s.creation_date = 20261120;
  s.bank_id = "000";
  s.account = "BE68539007547034";
  s.holder = "Infirmiere Dupont";
  s.number = 47;
  s.old_balance_cents = 12345;
  const std::string long_text =
      "2026/2/0000012 ENVOI 004 10/2026 COMPTE A INAMI 41234567001 and a communication long enough to need every record of it";
  s.moves.push_back({.bank_reference = "REF1", .cents = 4213, .value_date = 20261119, .transaction_code = "00150000",
                     .communication = "2026/2/0000011 ENVOI 003 10/2026 COMPTE A INAMI 41234567001",
                     .customer_reference = "0202620000011", .counterparty_bic = "GKCCBEBB",
                     .counterparty_account = "BE71096123456769", .counterparty_name = "Mutualite 300"});
  s.moves.push_back({.bank_reference = "REF2", .cents = 987654, .value_date = 20261119, .transaction_code = "00150000",
                     .communication = long_text.substr(0, 140), .customer_reference = "0202620000012",
                     .counterparty_account = "BE71096123456769", .counterparty_name = "Mutualite 300"});
  s.moves.push_back({.bank_reference = "REF3", .cents = -2500, .value_date = 20261119, .transaction_code = "00113000",
                     .communication = "frais"});
  const std::string bytes = mutua::format::write_coda(s);
  const std::string path = mutua::testing::temp_path("written.cod");
  std::ofstream(path, std::ios::binary) << bytes;
  const std::string py = python_reading(path);
  EXPECT_NE(py.find(fmt::format("statement BE68539007547034 12345 {}", 12345 + 4213 + 987654 - 2500)), std::string::npos) << py;
  EXPECT_NE(py.find("move 00010000 4213 2026/2/0000011 ENVOI 003 10/2026 COMPTE A INAMI 41234567001 | 0202620000011 | Mutualite 300 | "
                    "BE71096123456769"),
            std::string::npos)
      << py;
  EXPECT_NE(py.find("move 00020000 987654 " + long_text.substr(0, 140) + " |"), std::string::npos) << py;
  EXPECT_NE(py.find("move 00030000 -2500 frais"), std::string::npos) << py;
  // And so does ours, the same.
  auto back = mutua::format::read_coda(bytes, "written.cod");
  EXPECT_TRUE(back.problems.empty()) << back.problems[0].to_string();
  ASSERT_EQ(back.statements.size(), 1u);
  ASSERT_EQ(back.statements[0].moves.size(), 3u);
  EXPECT_EQ(back.statements[0].moves[1].communication, long_text.substr(0, 140));
  EXPECT_EQ(back.statements[0].moves[0].customer_reference, "0202620000011");
  EXPECT_EQ(back.statements[0].new_balance_cents, 12345 + 4213 + 987654 - 2500);
}

TEST(Coda, WhatCannotBeReadIsSaidWithItsLineAndTheRestKept) {
  CodaStatement s;
  s.creation_date = 20261120;
  s.account = "BE68539007547034";
  s.moves.push_back({.bank_reference = "A", .cents = 100, .value_date = 20261119, .transaction_code = "00150000", .communication = "one"});
  s.moves.push_back({.bank_reference = "B", .cents = 200, .value_date = 20261119, .transaction_code = "00150000", .communication = "two"});
  std::string bytes = mutua::format::write_coda(s);
  // The first movement's amount spoiled (line 3, its 2.1): said, the second still read.
  const size_t third = bytes.find("\r\n", bytes.find("\r\n") + 2) + 2;
  bytes.replace(third + 35, 3, "x?!");
  auto file = mutua::format::read_coda(bytes, "bad.cod");
  ASSERT_FALSE(file.problems.empty());
  EXPECT_EQ(file.problems[0].code, "Z00234");
  EXPECT_EQ(file.problems[0].record, 3u);
  EXPECT_EQ(file.problems[0].file, "bad.cod");
  ASSERT_EQ(file.statements.size(), 1u);
  ASSERT_EQ(file.statements[0].moves.size(), 1u);
  EXPECT_EQ(file.statements[0].moves[0].communication, "two");
  // Cut short: the missing trailer is said.
  auto cut = mutua::format::read_coda(bytes.substr(0, bytes.size() - 130), "cut.cod");
  bool said = false;
  for (const auto& p : cut.problems) said = said || p.message.find("no trailer") != std::string::npos;
  EXPECT_TRUE(said);
}
