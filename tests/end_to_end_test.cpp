// End to end: generate a world with injected errors (format errors and engine-level ones: a
// medical-house member, a hospitalised patient, an unknown mutuality), import its reference
// data, adjudicate every envoi, and compare every record's codes with the generator's ground
// truth (cascades included). The generator and the engine are written by the same hands: this
// proves they agree, the scenarios from the sources prove fidelity.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "baseline.h"
#include "format/tsv.h"

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

TEST(EndToEnd, EveryRecordGetsExactlyTheCodesTheGeneratorInjected) {
  std::string dir = mutua::testing::temp_path("e2e");
  fs::remove_all(dir);
  std::string log;
  ASSERT_EQ(run("gen --seed 21 --members 6000 --providers 60 --lines 50000 --envoi-lines 5000 --error-rate 0.01 "
                "--credit-notes 0.02 --out " + dir, &log), 0) << log;
  ASSERT_EQ(run("refdata import " + dir + "/refdata --db " + dir + "/store.db", &log), 0) << log;
  std::vector<std::string> envois;
  for (auto& e : fs::directory_iterator(dir + "/envois")) envois.push_back(e.path().string());
  std::sort(envois.begin(), envois.end());
  std::string files;
  for (const auto& e : envois) files += " " + e;
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

}  // namespace
