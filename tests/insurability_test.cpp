// Insurability consultation on a real store through the real binary: V / X answers with
// mutuality, CT1/CT2 and holder; a commitment number issued, recorded, and honoured by the
// engine when the fund's data change afterwards; mass insurability as CSV with a bad row.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>

#include "baseline.h"
#include "mutua/model/envoi_writer.h"
#include "mutua/writer.h"

namespace fs = std::filesystem;
using mutua::testing::read_all;
using mutua::testing::run_mutua;

namespace {

std::string world(const std::string& name) {
  std::string dir = mutua::testing::temp_path(name);
  fs::remove_all(dir);
  fs::create_directories(dir + "/refdata");
  for (auto& e : fs::directory_iterator(std::string(MUTUA_TEST_DATA) + "/scenarios/base"))
    fs::copy(e.path(), dir + "/refdata/" + e.path().filename().string());
  return dir;
}

// An envoi of one nursing line for 85073003328 (CT1/CT2 110/110) on that day of October 2026,
// optionally carrying a commitment.
std::string envoi(const std::string& dir, int number, int day, const std::string& commitment) {
  mutua::model::EnvoiHeader h;
  h.third_party = "40765140401";
  h.sending_number = number;
  h.year = 2026;
  h.month = 10;
  h.created = 20261105;
  h.bce = "0123456749";  // enterprise number, required since 2015 (102710)
  h.federation = "300";
  h.iban_a = "BE71096123456769";
  h.bic_a = "GKCCBEBB";
  mutua::model::Invoice inv;
  inv.niss = "85073003328";
  inv.affiliation = inv.destination = "301";
  inv.provider = h.third_party;
  inv.number = 1;
  inv.billing_date = 20261105;
  inv.commitment = commitment;
  if (!commitment.empty()) inv.commitment_date = 20261003;
  mutua::model::Prestation p;
  p.nomenclature = "425014";
  p.first_date = p.last_date = static_cast<mutua::model::Date>(20261000 + day);
  p.provider = h.third_party;
  p.amount = 1250;
  p.reference = "L1";
  inv.lines.push_back(p);
  std::string path = dir + "/e" + std::to_string(number) + ".efact";
  EXPECT_TRUE(mutua::model::write_envoi(path, h, {inv}));
  return path;
}

TEST(Insurability, AnswersVOrXWithTheFundsData) {
  std::string dir = world("insurability-one");
  std::ofstream(dir + "/refdata/members.csv", std::ios::app) << "90020200395,1990-02-02,2,301,TIT,2026-10-10\n";
  std::ofstream(dir + "/refdata/insurability.csv", std::ios::app) << "90020200395,2019-01-01,,110,110\n";
  const std::string db = " --db " + dir + "/m.db --today 2026-11-23";
  ASSERT_EQ(run_mutua("refdata import " + dir + "/refdata --db " + dir + "/m.db").code, 0);
  auto v = run_mutua("insurability --niss 85073003328 --date 2026-10-03" + db);
  EXPECT_EQ(v.code, 0) << v.out;
  EXPECT_NE(v.out.find("V insured"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("mutuality 301, CT1/CT2 110/110, holder (TIT)"), std::string::npos) << v.out;
  EXPECT_NE(v.out.find("covers prestations from 2026-10-03 to 2026-11-02"), std::string::npos) << v.out;
  auto pac = run_mutua("insurability --json --niss 72121204527 --date 2026-10-03" + db);
  EXPECT_NE(pac.out.find("\"holder\": \"PAC\""), std::string::npos) << pac.out;
  auto before = run_mutua("insurability --niss 85073003328 --date 2018-06-01" + db);
  EXPECT_EQ(before.code, 1) << before.out;
  EXPECT_NE(before.out.find("X not insured: no insurability period"), std::string::npos) << before.out;
  EXPECT_EQ(before.out.find("commitment"), std::string::npos) << "no commitment for an X answer";
  auto stranger = run_mutua("insurability --niss 90010100123 --date 2026-10-03" + db);
  EXPECT_EQ(stranger.code, 1) << stranger.out;
  EXPECT_NE(stranger.out.find("not a member"), std::string::npos) << stranger.out;
  auto alive = run_mutua("insurability --niss 90020200395 --date 2026-10-09" + db);
  EXPECT_EQ(alive.code, 0) << alive.out;
  auto deceased = run_mutua("insurability --niss 90020200395 --date 2026-10-10" + db);
  EXPECT_EQ(deceased.code, 1) << deceased.out;
  EXPECT_NE(deceased.out.find("X not insured: deceased on 2026-10-10"), std::string::npos) << deceased.out;
  auto bad = run_mutua("insurability --niss 12345678901" + db);
  EXPECT_EQ(bad.code, 2) << bad.out;
}

TEST(Insurability, TheEngineHonoursACommitmentAfterTheFundsDataChanged) {
  std::string dir = world("insurability-commitment");
  const std::string db = " --db " + dir + "/m.db";
  ASSERT_EQ(run_mutua("refdata import " + dir + "/refdata" + db).code, 0);
  auto v = run_mutua("insurability --json --niss 85073003328 --date 2026-10-03 --today 2026-10-03" + db);
  ASSERT_EQ(v.code, 0) << v.out;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(v.out, m, std::regex("\"commitment\": \"([0-9]+)\""))) << v.out;
  const std::string commitment = m[1];
  // Later, the fund's data change: the holder codes were 111/111 all along (a new import).
  {
    std::ofstream ins(dir + "/refdata/insurability.csv", std::ios::trunc);
    ins << "niss,start,end,ct1,ct2\n85073003328,2019-01-01,,111,111\n60010112347,2019-01-01,,111,111\n"
           "45050500153,2019-01-01,,110,110\n72121204527,2019-01-01,,110,110\n";
  }
  ASSERT_EQ(run_mutua("refdata import " + dir + "/refdata" + db).code, 0);
  // Without the commitment the line is rejected for its CT1/CT2 (500522)...
  auto without = run_mutua("adjudicate --today 2026-11-23 --out " + dir + "/out" + db + " " + envoi(dir, 41, 3, ""));
  EXPECT_EQ(without.code, 1) << without.out;
  EXPECT_NE(read_all(dir + "/out/e41.920099.json").find("\"500522\""), std::string::npos) << without.out;
  // ... with it, the consultation's answer holds for its 30 days.
  auto with = run_mutua("adjudicate --today 2026-11-23 --out " + dir + "/out" + db + " " + envoi(dir, 42, 4, commitment));
  EXPECT_EQ(with.code, 0) << with.out;
  EXPECT_NE(with.out.find("accepted: 1 line(s), 0 rejected"), std::string::npos) << with.out;

  // The ET 20 carries it in zones 42-45 as the CIN's files do: the number from byte 213 (zone
  // 42, 32 positions), parts N and V zeros, part A (byte 257) = 2, then 000.
  std::string bytes = read_all(dir + "/e42.efact");
  const size_t et20 = 67 + 160 + 350;
  ASSERT_EQ(bytes.substr(et20, 2), "20");
  EXPECT_EQ(bytes.substr(et20 + 212, commitment.size()), commitment);
  EXPECT_EQ(bytes.substr(et20 + 244, 16), "0000000000002000");

  // Other writings of the 48 positions: the number right-aligned with zeros in zone 42 holds;
  // a number the fund never gave does not, nor the right number without part A = 2 (a writer
  // that pads the number with zeros to the end, as one open-source connector does).
  struct Writing { std::string zones; bool accepted; };
  const std::string zeros_nv(12, '0');
  const std::vector<Writing> writings = {
      {std::string(32 - commitment.size(), '0') + commitment + zeros_nv + "2000", true},
      {"99" + commitment + std::string(30 - commitment.size(), ' ') + zeros_nv + "2000", false},
      {commitment + std::string(48 - commitment.size(), '0'), false},
  };
  int sending = 43;
  for (const auto& w : writings) {
    ASSERT_EQ(w.zones.size(), 48u);
    const std::string p = envoi(dir, sending, sending - 38, commitment);
    ++sending;
    std::string file = read_all(p);
    std::string r = file.substr(et20, 350);
    r.replace(212, 48, w.zones);
    mutua::seal_record(r);
    file.replace(et20, 350, r);
    {
      std::ofstream out(p, std::ios::binary | std::ios::trunc);
      out << file;
    }
    auto judged = run_mutua("adjudicate --today 2026-11-23 --out " + dir + "/out" + db + " " + p);
    if (w.accepted) {
      EXPECT_EQ(judged.code, 0) << w.zones << "\n" << judged.out;
      EXPECT_NE(judged.out.find("accepted: 1 line(s), 0 rejected"), std::string::npos) << judged.out;
    } else {
      EXPECT_EQ(judged.code, 1) << w.zones << "\n" << judged.out;  // the CT1/CT2 refusal stands (500522)
    }
  }
}

TEST(Insurability, MassConsultationAnswersEveryRowAsCsv) {
  std::string dir = world("insurability-mass");
  const std::string db = " --db " + dir + "/m.db --today 2026-11-23";
  ASSERT_EQ(run_mutua("refdata import " + dir + "/refdata --db " + dir + "/m.db").code, 0);
  {
    std::ofstream q(dir + "/q.csv");
    // Saved by a spreadsheet: a byte-order mark before the header.
    q << "\xEF\xBB\xBFniss,date\n85073003328,2026-10-03\n60010112347,20261004\n90010100123,2026-10-03\n85073003328,2026-02-30\n"
         "45050500153,2018-01-01\n";
  }
  auto r = run_mutua("insurability --csv " + dir + "/q.csv --out " + dir + "/a.csv" + db);
  EXPECT_EQ(r.code, 1) << r.out;  // one bad row
  EXPECT_NE(r.out.find("q.csv:5: '2026-02-30' is not a date"), std::string::npos) << r.out;
  std::ifstream a(dir + "/a.csv");
  std::vector<std::string> lines;
  for (std::string l; std::getline(a, l);) lines.push_back(l);
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_TRUE(lines[0].starts_with("niss,date,insured,mutuality,ct1,ct2,holder,medical_house")) << lines[0];
  EXPECT_TRUE(std::regex_match(lines[1], std::regex("85073003328,2026-10-03,V,301,110,110,TIT,,,,,,[0-9]{15},2026-11-02,")))
      << lines[1];
  EXPECT_TRUE(std::regex_match(lines[2], std::regex("60010112347,2026-10-04,V,301,111,111,TIT,,,,,,[0-9]{15},2026-11-03,")))
      << lines[2];
  EXPECT_EQ(lines[3], "90010100123,2026-10-03,X,,,,,,,,,,,,not a member of the fund");
  EXPECT_TRUE(lines[4].starts_with("85073003328,2026-02-30,,")) << lines[4];
  EXPECT_EQ(lines[5], "45050500153,2018-01-01,X,302,,,TIT,,,,,,,,no insurability period at that date");
}

}  // namespace
