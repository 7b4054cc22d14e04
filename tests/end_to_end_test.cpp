// End to end: generate a world with injected errors (format errors and engine-level ones: a
// medical-house member, a hospitalised patient, an unknown mutuality), import its reference
// data, adjudicate every envoi, and compare every record's codes with the generator's ground
// truth (cascades included). The generator and the engine are written by the same hands: this
// proves they agree, the scenarios from the sources prove fidelity.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "baseline.h"
#include "mutua/tsv.h"

namespace fs = std::filesystem;

namespace {

int run(const std::string& args, std::string* output = nullptr) {
  auto r = mutua::testing::run_mutua(args);
  if (output) *output = std::move(r.out);
  return r.code;
}

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

using Codes = std::set<std::pair<uint64_t, std::string>>;  // (record, code)

// A generated world imported into a store; its envois in file-name order.
struct World {
  std::string dir, log;
  std::vector<std::string> envois;
  std::string files;  // the envois, each after a space, for a command line
};

World make_world(const std::string& name, const std::string& gen_options) {
  World w;
  w.dir = mutua::testing::temp_path(name);
  fs::remove_all(w.dir);
  EXPECT_EQ(run("gen " + gen_options + " --out " + w.dir, &w.log), 0) << w.log;
  EXPECT_EQ(run("refdata import " + w.dir + "/refdata --db " + w.dir + "/store.db", &w.log), 0) << w.log;
  for (auto& e : fs::directory_iterator(w.dir + "/envois")) w.envois.push_back(e.path().string());
  std::sort(w.envois.begin(), w.envois.end());
  for (const auto& e : w.envois) w.files += " " + e;
  return w;
}

TEST(EndToEnd, EveryRecordGetsExactlyTheCodesTheGeneratorInjected) {
  World w = make_world("e2e", "--seed 21 --members 6000 --providers 60 --lines 50000 --envoi-lines 5000 "
                              "--error-rate 0.01 --credit-notes 0.02");
  ASSERT_FALSE(::testing::Test::HasFailure());
  const std::string& dir = w.dir;
  const std::vector<std::string>& envois = w.envois;
  const std::string& files = w.files;
  std::string log;
  int rc = run("adjudicate --db " + dir + "/store.db --today 2026-11-23 --out " + dir + "/responses" + files, &log);
  ASSERT_LE(rc, 1) << log;

  // Ground truth: file,record,record_type,zone,kind,code.
  std::map<std::string, Codes> truth;
  std::map<std::string, size_t> kinds;
  auto table = mutua::format::parse_table(read_all(dir + "/ground-truth.csv"), ',');
  for (const auto& row : table.rows) {
    std::string stem = fs::path(row[0]).stem().string();
    truth[stem].insert({std::stoull(row[1]), row[5]});
    ++kinds[row[4]];
  }
  // What the engine answered: every response of every envoi (920900 + 920098, or 920099).
  std::map<std::string, Codes> got;
  for (auto& f : fs::directory_iterator(dir + "/responses")) {
    if (f.path().extension() != ".json") continue;
    std::string name = f.path().filename().string();
    std::string stem = name.substr(0, name.find('.'));
    auto j = nlohmann::json::parse(read_all(f.path()));
    for (const auto& r : j["records"])
      for (const auto& c : r["codes"]) got[stem].insert({r["record"].get<uint64_t>(), c["code"].get<std::string>()});
  }
  size_t compared = 0, disagreements = 0;
  for (const auto& e : envois) {
    std::string stem = fs::path(e).stem().string();
    const Codes& want = truth[stem];
    const Codes& have = got[stem];
    compared += want.size();
    for (const auto& [record, code] : want)
      if (!have.count({record, code}) && ++disagreements <= 20)
        ADD_FAILURE() << stem << " record " << record << ": expected " << code << ", not given";
    for (const auto& [record, code] : have)
      if (!want.count({record, code}) && ++disagreements <= 20)
        ADD_FAILURE() << stem << " record " << record << ": " << code << " given, not injected";
  }
  EXPECT_EQ(disagreements, 0u);
  EXPECT_GT(compared, 500u);
  // The world exercised the engine, not only the format checks.
  for (const char* k : {"medical_house", "hospital_stay", "wrong_mutuality", "cascade", "record_check_digits",
                        "prescriber_check_digit", "nomenclature_check_digit", "impossible_date", "amount_without_sign"})
    EXPECT_GT(kinds[k], 0u) << "no " << k << " in the ground truth";
  std::printf("%zu envois, %zu expected codes, agreement %s\n", envois.size(), compared, disagreements ? "NO" : "100%");

  // The provider's pre-flight with the same reference data predicts the fund's answer line for
  // line: `mutua validate --refdata` runs the same engine on a store in memory.
  std::string report;
  int vrc = run("validate --json --list 10000000 --today 2026-11-23 --refdata " + dir + "/refdata" + files, &report);
  EXPECT_EQ(vrc, rc == 0 ? 0 : 1);
  auto v = nlohmann::json::parse(report.substr(report.find('{')));
  std::map<std::string, Codes> predicted;
  for (const auto& c : v["codes"])
    for (const auto& f : c["findings"])
      if (f["record"].get<uint64_t>() > 0)
        predicted[fs::path(f["file"].get<std::string>()).stem().string()].insert(
            {f["record"].get<uint64_t>(), c["code"].get<std::string>()});
  size_t differences = 0;
  for (const auto& e : envois) {
    std::string stem = fs::path(e).stem().string();
    if (predicted[stem] != got[stem] && ++differences <= 10)
      ADD_FAILURE() << stem << ": validate --refdata predicted " << predicted[stem].size() << " codes, adjudicate gave "
                    << got[stem].size();
  }
  EXPECT_EQ(differences, 0u);
  // And the same answer for each envoi.
  std::map<std::string, std::string> answer;
  for (const auto& p : v["predicted"]) answer[fs::path(p["file"].get<std::string>()).stem().string()] = p["message"];
  for (auto& f : fs::directory_iterator(dir + "/responses")) {
    std::string name = f.path().filename().string();
    if (f.path().extension() != ".efact" || name.find(".920098.") != std::string::npos) continue;
    std::string stem = name.substr(0, name.find('.'));
    EXPECT_EQ(answer[stem], name.substr(stem.size() + 1, 6)) << stem;
  }
  EXPECT_EQ(answer.size(), envois.size());
}

// Credit notes (ET 20 zone 11 = 3) cancel invoices of the provider's earlier accepted envois and
// name them (zones 29, 34, 37, 41): the validator finds nothing to say, the engine finds the
// envoi named (no 203420) and reverses each cancelled line in history exactly once.
TEST(EndToEnd, CreditNotesNameAndReverseTheLinesOfEarlierEnvois) {
  World w = make_world("e2e-credit", "--seed 5 --members 3000 --providers 10 --lines 60000 --envoi-lines 2000 "
                                     "--error-rate 0 --test-files 0 --credit-notes 0.05");
  ASSERT_FALSE(::testing::Test::HasFailure());
  const std::string& dir = w.dir;
  const std::string& files = w.files;
  std::string log;
  EXPECT_EQ(run("validate --today 2026-11-23" + files, &log), 0) << log.substr(0, 3000);
  ASSERT_EQ(run("adjudicate --db " + dir + "/store.db --today 2026-11-23 --out " + dir + "/responses" + files, &log), 0)
      << log.substr(0, 3000);
  // Every envoi accepted, and no line given a code the ground truth does not list (500434 only).
  size_t truth_rows = 0, given = 0;
  auto table = mutua::format::parse_table(read_all(dir + "/ground-truth.csv"), ',');
  truth_rows = table.rows.size();
  for (auto& f : fs::directory_iterator(dir + "/responses")) {
    if (f.path().extension() != ".json") continue;
    EXPECT_NE(f.path().filename().string().find(".920900."), std::string::npos) << f.path();
    auto j = nlohmann::json::parse(read_all(f.path()));
    for (const auto& r : j["records"]) given += r["codes"].size();
  }
  EXPECT_EQ(given, truth_rows);

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir + "/store.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  auto count = [&](const char* sql) {
    sqlite3_stmt* s = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &s, nullptr), SQLITE_OK) << sql;
    int64_t n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) : -1;
    sqlite3_finalize(s);
    return n;
  };
  const int64_t credit_lines = count("SELECT COUNT(*) FROM history_all WHERE amount < 0");
  const int64_t reversed = count("SELECT COUNT(*) FROM history_all WHERE reversed = 1");
  // Each reversed line is the positive twin of one credit line: same patient, code, date, provider.
  const int64_t twins = count(
      "SELECT COUNT(*) FROM history_all c WHERE c.amount < 0 AND EXISTS (SELECT 1 FROM history_all o WHERE o.reversed = 1 "
      "AND o.niss = c.niss AND o.code = c.code AND o.first_date = c.first_date AND o.provider = c.provider "
      "AND o.amount = -c.amount AND o.envoi_id < c.envoi_id)");
  sqlite3_close(db);
  EXPECT_GT(credit_lines, 50);
  EXPECT_EQ(reversed, credit_lines);
  EXPECT_EQ(twins, credit_lines);
  std::printf("%zu envois, %lld credit-note lines, %lld lines reversed\n", w.envois.size(),
              static_cast<long long>(credit_lines), static_cast<long long>(reversed));
}

}  // namespace
