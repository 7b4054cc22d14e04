// The fund's commands through the real binary and a real SQLite file: a bad reference row is
// reported with file, line and column and nothing is imported; adjudicate writes its responses
// and records the envoi; the store survives reopening.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "baseline.h"
#include "mutua/model/envoi_writer.h"
#include "mutua/writer.h"
#include "mutua/model/refdata_tables.h"
#include "mutua/store/sqlite.h"

namespace fs = std::filesystem;
using namespace mutua;

using mutua::testing::patient_invoice;

namespace {

using mutua::testing::CmdResult;
CmdResult run(const std::string& args) { return mutua::testing::run_mutua(args); }

std::string fresh_dir(const std::string& name) {
  std::string dir = mutua::testing::temp_path(name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void spit(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// Two nursing visits (425014, the 3rd and the 4th of October) of the nurse, at 12,50.
void add_two_visits(model::Invoice& inv, const std::string& provider) {
  for (int day = 3; day <= 4; ++day) {
    model::Prestation p;
    p.nomenclature = "425014";
    p.first_date = p.last_date = 20261000 + day;
    p.provider = provider;
    p.amount = 1250;
    p.reference = "L" + std::to_string(day);
    inv.lines.push_back(p);
  }
}

void copy_base(const std::string& to) {
  fs::create_directories(to);
  for (auto& e : fs::directory_iterator(std::string(MUTUA_TEST_DATA) + "/scenarios/base"))
    fs::copy(e.path(), to + "/" + e.path().filename().string());
}

TEST(RefdataImport, ABadRowIsLocatedAndNothingIsImported) {
  std::string dir = fresh_dir("refdata-bad");
  copy_base(dir + "/good");
  copy_base(dir + "/bad");
  {
    std::ofstream m(dir + "/bad/members.csv", std::ios::app);
    m << "11111111111,1990-02-30,3,301,TIT\n";  // impossible date, sex 3
    std::ofstream n(dir + "/bad/nomenclature.csv", std::ios::app);
    n << "109745,2019-01-01,,2500,0,0,0,A,0,gp,,,,general_practice,0,0,0,0,,,,1,200;21,,\n";  // service of 2 digits
    std::ofstream h(dir + "/bad/hospitalisations.csv", std::ios::app);
    h << "85073003328,71000238000,200,2026-10-01,,hospital,110,\n";  // ct1 without ct2
    std::ofstream pr(dir + "/bad/providers.csv", std::ios::app);
    pr << "71000238000,hospital,000,,BE71096123456769,GKCCBEBB,,,,fr,200;2x0\n";  // a service not of 3 digits
    std::ofstream pa(dir + "/bad/parameters.csv", std::ios::app);
    pa << "error_rate_treshold_bp,1000\n";  // a misspelt name
    pa << "commitment_valid_days,thirty\n";  // not a number
    std::ofstream ct(dir + "/bad/ct_codes.csv", std::ios::app);
    ct << "1100,110\n";  // 4 digits
    m << "90010100123,1990-01-01,1,301,TIT,1989-12-31\n";  // dead before being born
    n << "101010,2019-01-01,,2950,0,0,0,A,0,gp,,,,general_practice,0,0,0,1,,,,,,,,65,18,2\n";  // ages reversed, flag 2
    std::ofstream tc(dir + "/bad/tariff_commitments.csv", std::ios::app);
    tc << "85073003328,ET1,101076,2026-10-05,-5,\n";  // a negative amount
  }
  std::string db = dir + "/store.db";
  CmdResult good = run("refdata import " + dir + "/good --db " + db);
  ASSERT_EQ(good.code, 0) << good.out;
  EXPECT_NE(good.out.find("4 members"), std::string::npos) << good.out;

  CmdResult bad = run("refdata import " + dir + "/bad --db " + db);
  EXPECT_EQ(bad.code, 1) << bad.out;
  // Every bad cell, located by file, line and column.
  for (const char* located : {
           "members.csv:6: column 2 (birth_date): '1990-02-30'",
           "members.csv:6: column 3 (sex): '3'",
           "nomenclature.csv:22: column 23 (services): '21'",
           "hospitalisations.csv:2: column 8 (ct2): ''",
           "providers.csv:6: column 11 (services): '2x0'",
           "parameters.csv:2: column 1 (name): 'error_rate_treshold_bp'",
           "parameters.csv:3: column 2 (value): 'thirty'",
           "ct_codes.csv:2: column 1 (ct1): '1100'",
           "members.csv:7: column 6 (death_date): '1989-12-31'",
           "(max_age): '18'",
           "(per_admission): '2'",
           "tariff_commitments.csv:2: column 5 (amount_cents): '-5'"})
    EXPECT_NE(bad.out.find(located), std::string::npos) << located << "\n" << bad.out;
  EXPECT_NE(bad.out.find("nothing imported"), std::string::npos) << bad.out;

  // The store still holds the good import, whole.
  auto store = store::open_sqlite(db);
  ASSERT_TRUE(store);
  auto data = (*store)->load_refdata();
  ASSERT_TRUE(data);
  EXPECT_EQ(data->members.size(), 4u);
}

// Files as a spreadsheet saves them: a byte-order mark before the header, CRLF line ends,
// semicolons in a Belgian or French locale. They hold the same data as the plain files.
TEST(RefdataImport, FilesSavedByASpreadsheetReadAsThePlainOnes) {
  std::string dir = fresh_dir("refdata-spreadsheet");
  copy_base(dir + "/plain");
  copy_base(dir + "/sheet");
  auto rewrite = [&](const std::string& file, auto&& change) {
    const std::string path = dir + "/sheet/" + file;
    std::string text = mutua::testing::read_all(path);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << change(text);
  };
  rewrite("members.csv", [](std::string t) { return "\xEF\xBB\xBF" + t; });
  rewrite("insurability.csv", [](std::string t) {
    std::string out;
    for (char c : t) out += c == '\n' ? std::string("\r\n") : std::string(1, c);
    return out;
  });
  rewrite("provider_destinations.csv", [](std::string t) {
    EXPECT_EQ(t.find(';'), std::string::npos);  // no list in it: commas become semicolons as they are
    for (char& c : t) c = c == ',' ? ';' : c;
    return "\xEF\xBB\xBF" + t;
  });
  CmdResult plain = run("refdata import " + dir + "/plain --db " + dir + "/plain.db");
  ASSERT_EQ(plain.code, 0) << plain.out;
  CmdResult sheet = run("refdata import " + dir + "/sheet --db " + dir + "/sheet.db");
  ASSERT_EQ(sheet.code, 0) << sheet.out;
  auto a = store::open_sqlite(dir + "/plain.db");
  auto b = store::open_sqlite(dir + "/sheet.db");
  ASSERT_TRUE(a && b);
  auto ta = (*a)->load_refdata();
  auto tb = (*b)->load_refdata();
  ASSERT_TRUE(ta && tb);
  for (const char* file : {"members.csv", "insurability.csv", "provider_destinations.csv"}) {
    const auto& spec = model::ref_table_spec(file);
    EXPECT_FALSE(model::ref_rows(spec, *ta).empty()) << file;
    EXPECT_EQ(model::ref_rows(spec, *ta), model::ref_rows(spec, *tb)) << file;
  }
}

TEST(Adjudicate, WritesResponsesRecordsTheEnvoiAndRefusesItsNumberTwice) {
  std::string dir = fresh_dir("adjudicate-cli");
  copy_base(dir + "/refdata");
  std::string db = dir + "/store.db";
  ASSERT_EQ(run("refdata import " + dir + "/refdata --db " + db).code, 0);
  mutua::testing::write_nurse_visit(dir, 31, 20261003);

  CmdResult first = run("adjudicate --db " + db + " --today 2026-11-23 --out " + dir + "/out " + dir + "/e31.efact");
  EXPECT_EQ(first.code, 0) << first.out;
  EXPECT_NE(first.out.find("920900"), std::string::npos) << first.out;
  ASSERT_TRUE(fs::exists(dir + "/out/e31.920900.efact"));
  ASSERT_TRUE(fs::exists(dir + "/out/e31.920900.json"));
  // The response reads back: 677-character header, 800-character records.
  EXPECT_EQ((fs::file_size(dir + "/out/e31.920900.efact") - 677) % 800, 0u);
  CmdResult shown = run("show " + dir + "/out/e31.920900.efact");
  EXPECT_EQ(shown.code, 0) << shown.out;
  EXPECT_NE(shown.out.find("920900"), std::string::npos);

  CmdResult again = run("adjudicate --db " + db + " --today 2026-11-24 --out " + dir + "/out2 " + dir + "/e31.efact");
  EXPECT_EQ(again.code, 1) << again.out;
  EXPECT_TRUE(fs::exists(dir + "/out2/e31.920999.efact"));
  EXPECT_TRUE(fs::exists(dir + "/out2/e31.920098.efact"));

  // A batch re-run changes nothing: the same reception, the same responses.
  CmdResult b1 = run("adjudicate --batch B1 --db " + db + " --today 2026-11-25 --out " + dir + "/out3 " + dir + "/e31.efact");
  CmdResult b2 = run("adjudicate --batch B1 --db " + db + " --today 2026-11-25 --out " + dir + "/out4 " + dir + "/e31.efact");
  auto store = store::open_sqlite(db);
  ASSERT_TRUE(store);
  auto all = (*store)->envois();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 3u);  // accepted, refused, refused in batch B1 (once)
  std::ifstream a(dir + "/out3/e31.920999.efact"), b(dir + "/out4/e31.920999.efact");
  std::stringstream sa, sb;
  sa << a.rdbuf();
  sb << b.rdbuf();
  EXPECT_EQ(sa.str(), sb.str());
  EXPECT_FALSE(sa.str().empty());

  CmdResult explain = run("explain --db " + db + " --envoi 31 --provider 40765140401 --reception 1 --line 3");
  EXPECT_EQ(explain.code, 0) << explain.out;
  EXPECT_NE(explain.out.find("insurability"), std::string::npos) << explain.out;
  EXPECT_NE(explain.out.find("the line is accepted"), std::string::npos) << explain.out;
}

}  // namespace

// An error in an ET 52 (the eID reading of a line) rejects that line and its ET 51 with their
// own codes (500120 / 510120), not the generic block code (500119 / 510119).
// Adjudicates an envoi of the nurse with the invoice's two visits (add_two_visits), the first
// turned into an ET 30 (a day of a stay): ET 10, ET 20, ET 30, ET 50, ET 80... Returns the
// 920900's JSON ("" when there is none). `members` is appended to the base members.csv.
std::string adjudicate_with_et30(const std::string& name, model::Invoice inv, const std::string& members = "") {
  std::string dir = fresh_dir(name);
  copy_base(dir + "/refdata");
  if (!members.empty()) std::ofstream(dir + "/refdata/members.csv", std::ios::app) << members;
  std::string db = dir + "/store.db";
  if (run("refdata import " + dir + "/refdata --db " + db).code != 0) return "";
  model::EnvoiHeader h = mutua::testing::baseline_header();
  h.sending_number = 33;
  add_two_visits(inv, h.third_party);
  const std::string path = dir + "/e33.efact";
  if (!model::write_envoi(path, h, {inv})) return "";
  std::string bytes = slurp(path);
  const size_t first = 67 + 160 + 2 * 350;
  if (bytes.substr(first, 2) != "50") return "";
  std::string record = bytes.substr(first, 350);
  const Layout& L = Layout::builtin();
  put_zone(record, L.at(RecordKind::Et50, "1"), "30");
  put_zone(record, L.at(RecordKind::Et30, "14"), "040765140401");
  put_zone(record, L.at(RecordKind::Et30, "47"), "00000000");
  put_zone(record, L.at(RecordKind::Et30, "24"), "+00000000000");
  seal_record(record);
  bytes.replace(first, 350, record);
  spit(path, bytes);
  run("adjudicate --db " + db + " --today 2026-11-23 --threshold 100 --out " + dir + "/out " + path);
  return slurp(dir + "/out/e33.920900.json");
}

// The codes of the JSON response's record of that type (its first), as text.
std::string codes_of_record_type(const std::string& json, const std::string& type) {
  const size_t at = json.find("\"record_type\":\"" + type + "\"");
  if (at == std::string::npos) return "";
  const size_t end = json.find("\n", at);
  return json.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

TEST(Adjudicate, RecentHistoryIsMergedByCompactOrPastItsThreshold) {
  std::string dir = fresh_dir("adjudicate-compact");
  copy_base(dir + "/refdata");
  std::string db = dir + "/store.db";
  ASSERT_EQ(run("refdata import " + dir + "/refdata --db " + db).code, 0);
  auto envoi = [&](int number, model::Date day) { return mutua::testing::write_nurse_visit(dir, number, day); };
  const std::vector<std::string> tables = {"SELECT COUNT(*) FROM history", "SELECT COUNT(*) FROM history_recent",
                                           "SELECT id, envoi_id, first_date FROM history_all ORDER BY id"};
  auto where = [&] { return mutua::testing::dump(db, tables); };

  // An envoi's accepted line waits in the recent history; `db compact` merges it, once.
  CmdResult first = run("adjudicate --db " + db + " --today 2026-11-23 --out " + dir + "/out " + envoi(31, 20261003));
  ASSERT_EQ(first.code, 0) << first.out;
  EXPECT_EQ(first.out.find("merged"), std::string::npos) << first.out;
  const std::string recorded = where();
  EXPECT_NE(recorded.find("## SELECT COUNT(*) FROM history\n0|\n## SELECT COUNT(*) FROM history_recent\n1|"),
            std::string::npos)
      << recorded;
  CmdResult compact = run("db compact --db " + db);
  ASSERT_EQ(compact.code, 0) << compact.out;
  EXPECT_NE(compact.out.find("merged 1 line(s) of recent history into history"), std::string::npos) << compact.out;
  const std::string merged = where();
  EXPECT_NE(merged.find("## SELECT COUNT(*) FROM history\n1|\n## SELECT COUNT(*) FROM history_recent\n0|"),
            std::string::npos)
      << merged;
  EXPECT_EQ(merged.substr(merged.find("## SELECT id")), recorded.substr(recorded.find("## SELECT id")))
      << "the line keeps its id";
  CmdResult again = run("db compact --db " + db);
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("no recent history to merge"), std::string::npos) << again.out;

  // The same code again that day is counted against the merged history (502255); a line on
  // another day goes to the recent history, and past --merge-history-at adjudicate merges it.
  CmdResult twice = run("adjudicate --db " + db + " --today 2026-11-23 --out " + dir + "/out2 " + envoi(32, 20261003));
  EXPECT_EQ(twice.code, 1) << twice.out;
  EXPECT_NE(twice.out.find("920099"), std::string::npos) << twice.out;
  EXPECT_NE(mutua::testing::read_all(dir + "/out2/e32.920099.efact").find("502255"), std::string::npos);
  CmdResult next = run("adjudicate --db " + db + " --today 2026-11-23 --merge-history-at 1 --out " + dir + "/out3 " +
                       envoi(33, 20261004));
  ASSERT_EQ(next.code, 0) << next.out;
  EXPECT_NE(next.out.find("merged 1 line(s) of recent history into history"), std::string::npos) << next.out;
  EXPECT_NE(where().find("## SELECT COUNT(*) FROM history\n2|\n## SELECT COUNT(*) FROM history_recent\n0|"),
            std::string::npos)
      << where();
}

TEST(Adjudicate, AnInvoiceRejectedWholeTakesItsEt30WithTheEt30Code300119) {
  model::Invoice inv = patient_invoice("40765140401");
  inv.affiliation = "302";  // the member is at 301: the whole invoice is refused (200742, F)
  const std::string json = adjudicate_with_et30("adjudicate-et30-cascade", inv);
  ASSERT_FALSE(json.empty());
  EXPECT_NE(json.find("\"200742\""), std::string::npos) << json;
  // Each detail record carries its own type's cascade code.
  EXPECT_NE(codes_of_record_type(json, "30").find("\"300119\""), std::string::npos) << json;
  EXPECT_NE(codes_of_record_type(json, "50").find("\"500119\""), std::string::npos) << json;
}

TEST(Adjudicate, AStayDayOnTheDayOfDeathPassesLaterDaysAre300549And500549) {
  // 90010100123 dies on 3 October: the ET 30 of the 3rd is not after the death (ET 30's label:
  // "décédé avant la date"), the ET 50 of the 4th is; then the ET 30 of the 4th is.
  model::Invoice inv = patient_invoice("40765140401");
  inv.niss = "90010100123";
  const std::string member = "90010100123,1990-01-01,1,301,TIT,2026-10-03\n";
  std::string json = adjudicate_with_et30("adjudicate-et30-death", inv, member);
  ASSERT_FALSE(json.empty());
  EXPECT_EQ(codes_of_record_type(json, "30").find("\"300549\""), std::string::npos) << json;
  EXPECT_NE(codes_of_record_type(json, "50").find("\"500549\""), std::string::npos) << json;
  json = adjudicate_with_et30("adjudicate-et30-death-before", inv, "90010100123,1990-01-01,1,301,TIT,2026-10-02\n");
  EXPECT_NE(codes_of_record_type(json, "30").find("\"300549\""), std::string::npos) << json;
  EXPECT_NE(codes_of_record_type(json, "30").find("Patient décédé le 02/10/2026"), std::string::npos) << json;
}

TEST(Adjudicate, AnErrorInTheEidRecordRejectsItsLineWith500120) {
  std::string dir = fresh_dir("adjudicate-eid-cascade");
  copy_base(dir + "/refdata");
  std::string db = dir + "/store.db";
  ASSERT_EQ(run("refdata import " + dir + "/refdata --db " + db).code, 0);
  model::EnvoiHeader h = mutua::testing::baseline_header();  // the nurse 40765140401, October 2026
  h.sending_number = 32;
  model::Invoice inv = patient_invoice(h.third_party);
  add_two_visits(inv, h.third_party);
  for (auto& p : inv.lines) {
    p.has_eid = true;
    p.eid_read_date = p.first_date;
    p.eid_time_hhmm = 930;
    p.has_commitment = true;  // an ET 51 (tariff commitment) between the ET 50 and its ET 52
    p.commitment_number = "4711";
    p.commitment_date = p.first_date;
  }
  const std::string path = dir + "/e32.efact";
  ASSERT_TRUE(model::write_envoi(path, h, {inv}));
  // The first line's ET 52 names another patient than its ET 50 (520812, R): records are ET 10,
  // ET 20, ET 50, ET 51, ET 52, ET 50, ET 51, ET 52, ET 80, ET 90...
  std::string bytes = slurp(path);
  const size_t et52 = 67 + 160 + 4 * 350;
  ASSERT_EQ(bytes.substr(et52, 2), "52");
  std::string record = bytes.substr(et52, 350);
  put_zone(record, Layout::builtin().at(RecordKind::Et52, "8"), "60010112347");
  seal_record(record);
  bytes.replace(et52, 350, record);
  spit(path, bytes);
  CmdResult r = run("adjudicate --db " + db + " --today 2026-11-23 --threshold 100 --out " + dir + "/out " + path);
  EXPECT_EQ(r.code, 0) << r.out;
  std::string json = slurp(dir + "/out/e32.920900.json");
  EXPECT_NE(json.find("\"520812\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"500120\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"510120\""), std::string::npos) << json;
  EXPECT_EQ(json.find("\"510119\""), std::string::npos) << json;
  EXPECT_EQ(json.find("\"500119\""), std::string::npos) << json;
  EXPECT_NE(json.find("Enregistrement 52 5 refus"), std::string::npos) << json;  // the comment names the ET 52
  EXPECT_NE(r.out.find("accepted: 2 line(s), 1 rejected"), std::string::npos) << r.out;  // of 2 lines, the other paid
}
