// Faults an operator meets (docs/faults.md): what mutua does with them, each reproduced here.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <optional>

#include "baseline.h"
#include "mutua/writer.h"

namespace fs = std::filesystem;
using mutua::testing::files_of;
using mutua::testing::read_all;
using mutua::testing::run_mutua;

namespace {

struct SmallWorld {
  std::string dir;
  std::vector<std::string> envois;
};

const SmallWorld& small_world() {
  static const SmallWorld w = [] {
    SmallWorld x;
    x.dir = mutua::testing::temp_path("faults");
    fs::remove_all(x.dir);
    fs::create_directories(x.dir);
    EXPECT_EQ(run_mutua("gen --seed 9 --members 200 --providers 5 --lines 1500 --envoi-lines 100 --error-rate 0.002 "
                        "--out " + x.dir + "/world").code, 0);
    for (const auto& e : fs::directory_iterator(x.dir + "/world/envois")) x.envois.push_back(e.path().string());
    std::sort(x.envois.begin(), x.envois.end());
    return x;
  }();
  return w;
}

std::string fresh_store(const std::string& name) {
  const SmallWorld& w = small_world();
  const std::string db = w.dir + "/" + name + ".db";
  fs::remove(db);
  EXPECT_EQ(run_mutua("refdata import " + w.dir + "/world/refdata --db " + db).code, 0);
  return db;
}

}  // namespace

TEST(Faults, TwoEnvoisOfOneFileNameEachKeepTheirResponseFiles) {
  const SmallWorld& w = small_world();
  const std::string db = fresh_store("names"), base = w.dir + "/names";
  fs::remove_all(base);
  for (const char* sub : {"/a", "/b"}) fs::create_directories(base + sub);
  fs::copy_file(w.envois[0], base + "/a/envoi.efact");
  fs::copy_file(w.envois[1], base + "/b/envoi.efact");
  auto r = run_mutua("adjudicate --today 2026-11-23 --db " + db + " --out " + base + "/out " + base + "/a/envoi.efact " +
                     base + "/b/envoi.efact");
  ASSERT_LE(r.code, 1) << r.out;
  // The same file sent again: a third reception, its own files too.
  auto again = run_mutua("adjudicate --today 2026-11-23 --db " + db + " --out " + base + "/out " + base + "/a/envoi.efact");
  ASSERT_LE(again.code, 1) << again.out;
  int main_responses = 0;
  std::set<std::string> contents;
  for (const auto& [name, bytes] : files_of(base + "/out"))
    if (name.find(".efact") != std::string::npos && name.find(".920098.") == std::string::npos) {
      ++main_responses;
      contents.insert(bytes);
    }
  EXPECT_EQ(main_responses, 3) << r.out << again.out;
  EXPECT_EQ(contents.size(), 3u);
}

TEST(Faults, AdjudicateJsonIsValidJsonWhateverTheFileName) {
  const SmallWorld& w = small_world();
  const std::string db = fresh_store("json"), base = w.dir + "/json";
  fs::remove_all(base);
  fs::create_directories(base);
  const std::string weird = base + "/we\"ird\\é.efact";
  fs::copy_file(w.envois[0], weird);
  auto r = run_mutua("adjudicate --json --today 2026-11-23 --db " + db + " --out " + base + "/out '" + weird + "'");
  ASSERT_LE(r.code, 1) << r.out;
  std::istringstream lines(r.out);
  int parsed = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] != '{') continue;
    auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["file"], weird);
    EXPECT_FALSE(j["written"].empty());
    // Every JSON file written parses too, and names the file as it is.
    for (const auto& written : j["written"]) {
      const std::string path = written.get<std::string>();
      if (path.size() < 5 || path.substr(path.size() - 5) != ".json") continue;
      auto doc = nlohmann::json::parse(read_all(path));
      EXPECT_EQ(doc["file"], fs::path(weird).filename().string()) << path;
      EXPECT_FALSE(doc["records"].empty()) << path;
      ++parsed;
    }
    ++parsed;
  }
  EXPECT_EQ(parsed, 2) << r.out;
  // A name that is not UTF-8 at all: the JSON replaces the bytes, never becomes invalid.
  const std::string latin1 = base + "/caf\xe9.efact";
  fs::copy_file(w.envois[1], latin1);
  auto l = run_mutua("adjudicate --json --today 2026-11-23 --db " + db + " --out " + base + "/out2 '" + latin1 + "'");
  ASSERT_LE(l.code, 1) << l.out;
  int json_files = 0;
  for (const auto& [name, content] : files_of(base + "/out2"))
    if (name.size() > 5 && name.substr(name.size() - 5) == ".json") {
      EXPECT_EQ(nlohmann::json::parse(content)["file"], "caf\xEF\xBF\xBD.efact") << name;
      ++json_files;
    }
  EXPECT_GE(json_files, 1);
}

TEST(Faults, ImpossibleDatesAndNonsenseNumbersAreRefusedAndNothingIsWritten) {
  const SmallWorld& w = small_world();
  const std::string db = fresh_store("dates"), base = w.dir + "/dates";
  fs::remove_all(base);
  const std::string config = " --config " + std::string(MUTUA_SOURCE_DIR) + "/data/sample/mutua-payments.json";
  const std::string envoi = " " + w.envois[0];
  struct Case {
    std::string args;
  };
  const std::vector<std::string> refused = {
      "adjudicate --today 2026-04-31 --db " + db + " --out " + base + envoi,
      "adjudicate --today 2026-13-01 --db " + db + " --out " + base + envoi,
      "adjudicate --today 20261 --db " + db + " --out " + base + envoi,
      "adjudicate --threshold -5 --today 2026-11-23 --db " + db + " --out " + base + envoi,
      "adjudicate --threshold nan --today 2026-11-23 --db " + db + " --out " + base + envoi,
      "adjudicate --threshold 1e309 --today 2026-11-23 --db " + db + " --out " + base + envoi,
      "adjudicate --threshold 100.01 --today 2026-11-23 --db " + db + " --out " + base + envoi,
      "settle --date 2026-11-30 --execution 2026-11-31 --budget 1000 --db " + db + config + " --out " + base,
      "settle --date 2026-02-29 --budget 1000 --db " + db + config + " --out " + base,
      "settle --date 2026-11-30 --budget nan --db " + db + config + " --out " + base,
      "settle --date 2026-11-30 --budget 1000 --run a/../b --db " + db + config + " --out " + base,
      "regularisation add --provider 40765140401 --amount 10 --reason x --date 2026-02-31 --db " + db,
  };
  for (const auto& args : refused) {
    auto r = run_mutua(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.out;
  }
  EXPECT_EQ(mutua::testing::dump(db, {"SELECT COUNT(*) FROM envois", "SELECT COUNT(*) FROM payment_runs",
                                      "SELECT COUNT(*) FROM regularisations"}),
            "## SELECT COUNT(*) FROM envois\n0|\n## SELECT COUNT(*) FROM payment_runs\n0|\n"
            "## SELECT COUNT(*) FROM regularisations\n0|\n");
  EXPECT_FALSE(fs::exists(base + "/payments-a")) << "nothing written for a refused run name";
  // The near misses: a leap day, a threshold of 0 and of 100.
  EXPECT_LE(run_mutua("adjudicate --threshold 100 --today 2028-02-29 --db " + db + " --out " + base + envoi).code, 1);
  EXPECT_EQ(run_mutua("settle --date 2028-02-29 --budget 0 --db " + db + config + " --out " + base).code, 0);
}

TEST(Faults, AMistypedStoreIsNeverCreatedEmpty) {
  const SmallWorld& w = small_world();
  const std::string missing = w.dir + "/no-such-store.db";
  fs::remove(missing);
  for (const std::string& cmd : std::vector<std::string>{"adjudicate --today 2026-11-23 --out " + w.dir + "/x " + w.envois[0], "ledger check",
                                "insurability --niss 85073003328 --date 2026-11-01", "retention --today 2026-11-23"}) {
    auto r = run_mutua(cmd + " --db " + missing);
    EXPECT_EQ(r.code, 2) << cmd << "\n" << r.out;
    EXPECT_NE(r.out.find("no store at"), std::string::npos) << r.out;
    EXPECT_FALSE(fs::exists(missing)) << cmd;
  }
  auto init = run_mutua("db init --db " + missing);
  EXPECT_EQ(init.code, 0) << init.out;
  EXPECT_TRUE(fs::exists(missing));
  EXPECT_EQ(run_mutua("ledger check --db " + missing).code, 0);
}

// `db init --page-size` makes an SQLite store with pages of that size (for a store that mostly
// judges batches); an existing store keeps its own and says so; a size SQLite cannot have, or a
// PostgreSQL URL, is refused before anything is made.
TEST(Faults, APageSizeIsChosenWhenAStoreIsMadeAndKeptAfter) {
  const SmallWorld& w = small_world();
  const std::string db = w.dir + "/pages.db";
  fs::remove(db);
  auto made = run_mutua("db init --page-size 16384 --db " + db);
  EXPECT_EQ(made.code, 0) << made.out;
  EXPECT_NE(made.out.find("pages of 16384 bytes"), std::string::npos) << made.out;
  EXPECT_EQ(run_mutua("refdata import " + w.dir + "/world/refdata --db " + db).code, 0);
  auto again = run_mutua("db init --page-size 4096 --db " + db);
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("pages of 16384 bytes"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("which it keeps"), std::string::npos) << again.out;
  EXPECT_EQ(mutua::testing::dump(db, {"PRAGMA page_size"}), "## PRAGMA page_size\n16384|\n");
  const std::string odd = w.dir + "/odd-pages.db";
  fs::remove(odd);
  EXPECT_NE(run_mutua("db init --page-size 3000 --db " + odd).code, 0);
  EXPECT_FALSE(fs::exists(odd));
  auto pg = run_mutua("db init --page-size 16384 --db postgresql://mutua@127.0.0.1:1/nothing");
  EXPECT_EQ(pg.code, 2) << pg.out;
  EXPECT_NE(pg.out.find("--page-size is for an SQLite store"), std::string::npos) << pg.out;
  auto plain = run_mutua("db init --db " + odd);
  EXPECT_EQ(plain.code, 0) << plain.out;
  EXPECT_NE(plain.out.find("pages of 4096 bytes"), std::string::npos) << plain.out;
  fs::remove(db);
  fs::remove(odd);
}

TEST(Faults, AReferenceFileThatWouldEmptyATableNeedsAnExplicitFlag) {
  const SmallWorld& w = small_world();
  const std::string db = fresh_store("shrink"), dir = w.dir + "/shrink";
  fs::remove_all(dir);
  fs::copy(w.dir + "/world/refdata", dir);
  const std::string members = read_all(dir + "/members.csv");
  { std::ofstream(dir + "/members.csv", std::ios::trunc) << members.substr(0, members.find('\n') + 1); }
  auto refused = run_mutua("refdata import " + dir + " --db " + db);
  EXPECT_EQ(refused.code, 1) << refused.out;
  EXPECT_NE(refused.out.find("members.csv has 0 rows where the store holds 200"), std::string::npos) << refused.out;
  EXPECT_EQ(mutua::testing::dump(db, {"SELECT COUNT(*) FROM ref_members"}), "## SELECT COUNT(*) FROM ref_members\n200|\n");
  EXPECT_EQ(run_mutua("refdata import " + dir + " --allow-shrink --db " + db).code, 0);
  EXPECT_EQ(mutua::testing::dump(db, {"SELECT COUNT(*) FROM ref_members"}), "## SELECT COUNT(*) FROM ref_members\n0|\n");
}

TEST(Faults, ReferenceFilesAreReadWholeOrRefusedWithFileLineAndColumn) {
  const SmallWorld& w = small_world();
  const std::string providers = read_all(w.dir + "/world/refdata/providers.csv");
  const std::string members = read_all(w.dir + "/world/refdata/members.csv");
  const std::string header = members.substr(0, members.find('\n') + 1);
  const std::string first = members.substr(header.size(), members.find('\n', header.size()) + 1 - header.size());
  struct Case {
    std::string name, file, content, expected;  // expected: a piece of the message, "" = imported
  };
  std::string big(1 << 20, '7');
  const std::vector<Case> cases = {
      {"an unterminated quote", "providers.csv",
       providers.substr(0, providers.find('\n') + 1) + "\"" + providers.substr(providers.find('\n') + 1),
       "providers.csv:2: column 1: a quote opened here is never closed"},
      {"a row starting with #", "members.csv", header + "#" + first.substr(1) + members.substr(header.size() + first.size()),
       "members.csv:2: column 1 (niss): '#"},
      {"a key twice", "members.csv", members + first, "the same niss as line 2: a key appears once"},
      {"more cells than the header", "members.csv", header + first.substr(0, first.size() - 1) + ",extra\n" +
       members.substr(header.size() + first.size()), "cells where the header has"},
      {"a 1 MB cell", "members.csv", header + big + first.substr(first.find(',')) + members.substr(header.size() + first.size()),
       "(1048576 bytes)"},
      {"CR-only line ends", "members.csv", [&] {
         std::string cr = members;
         std::replace(cr.begin(), cr.end(), '\n', '\r');
         return cr;
       }(), ""},
  };
  for (const auto& c : cases) {
    const std::string dir = w.dir + "/import-" + std::to_string(&c - cases.data());
    fs::remove_all(dir);
    fs::copy(w.dir + "/world/refdata", dir);
    { std::ofstream(dir + "/" + c.file, std::ios::binary | std::ios::trunc) << c.content; }
    const std::string db = dir + "/m.db";
    auto r = run_mutua("refdata import " + dir + " --db " + db);
    if (c.expected.empty()) {
      EXPECT_EQ(r.code, 0) << c.name << "\n" << r.out;
      EXPECT_EQ(mutua::testing::dump(db, {"SELECT COUNT(*) FROM ref_members"}), "## SELECT COUNT(*) FROM ref_members\n200|\n")
          << c.name;
      continue;
    }
    EXPECT_EQ(r.code, 1) << c.name << "\n" << r.out;
    EXPECT_NE(r.out.find(c.expected), std::string::npos) << c.name << "\n" << r.out.substr(0, 2000);
    EXPECT_LT(r.out.size(), 4000u) << c.name;  // a bad cell is not echoed whole
    EXPECT_FALSE(fs::exists(db)) << c.name << ": nothing imported, no store made";
  }
}

TEST(Faults, AProviderNameThatIsNotUtf8IsRefusedAtImport) {
  const SmallWorld& w = small_world();
  const std::string dir = w.dir + "/latin1";
  fs::remove_all(dir);
  fs::copy(w.dir + "/world/refdata", dir);
  std::string providers = read_all(dir + "/providers.csv");
  const size_t name_col = [&] {
    std::string head = providers.substr(0, providers.find('\n'));
    size_t col = 0;
    for (size_t at = 0; at < head.find("name"); ++at) col += head[at] == ',';
    return col;
  }();
  // The first provider's name in Latin-1: "Soci\xe9t\xe9".
  size_t at = providers.find('\n') + 1;
  for (size_t c = 0; c < name_col; ++c) at = providers.find(',', at) + 1;
  providers.replace(at, providers.find_first_of(",\n", at) - at, "Soci\xe9t\xe9");
  { std::ofstream(dir + "/providers.csv", std::ios::binary | std::ios::trunc) << providers; }
  auto r = run_mutua("refdata import " + dir + " --db " + dir + "/m.db");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("providers.csv:2: column " + std::to_string(name_col + 1) + " (name)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("UTF-8"), std::string::npos) << r.out;
}

TEST(Faults, ARuleParameterOutOfItsBoundsIsRefusedAtImport) {
  const SmallWorld& w = small_world();
  for (const std::string& value : {std::string("99999999999999999999"), std::string("-5"), std::string("10001"),
                                   std::string("5.5"), std::string("")}) {
    const std::string dir = w.dir + "/params";
    fs::remove_all(dir);
    fs::copy(w.dir + "/world/refdata", dir);
    { std::ofstream(dir + "/parameters.csv") << "name,value\nerror_rate_threshold_bp," << value << "\n"; }
    auto r = run_mutua("refdata import " + dir + " --db " + dir + "/m.db");
    EXPECT_EQ(r.code, 1) << value << "\n" << r.out;
    EXPECT_NE(r.out.find("parameters.csv:2: column 2 (value)"), std::string::npos) << value << "\n" << r.out;
  }
  // In its bounds: imported, and the engine judges with it.
  const std::string dir = w.dir + "/params-ok";
  fs::remove_all(dir);
  fs::copy(w.dir + "/world/refdata", dir);
  { std::ofstream(dir + "/parameters.csv") << "name,value\nerror_rate_threshold_bp,10000\ncommitment_valid_days,3650\n"; }
  ASSERT_EQ(run_mutua("refdata import " + dir + " --db " + dir + "/m.db").code, 0);
  auto judged = run_mutua("adjudicate --today 2026-11-23 --db " + dir + "/m.db --out " + dir + "/out " + w.envois[0]);
  EXPECT_LE(judged.code, 1) << judged.out;
  EXPECT_LE(run_mutua("insurability --niss 85073003328 --date 2026-11-01 --today 2026-11-23 --db " + dir + "/m.db").code,
            1);  // answered (1: not insured here), not aborted
}

TEST(Faults, OneBadFileNeverStopsTheOthers) {
  const SmallWorld& w = small_world();
  const std::string db = fresh_store("badfiles"), base = w.dir + "/badfiles";
  fs::remove_all(base);
  fs::create_directories(base);
  // Larger than any billing file (sparse: no disk used), a pipe, a byte-order mark, then a good one.
  { std::ofstream(base + "/huge.efact"); }
  fs::resize_file(base + "/huge.efact", 400ull << 20);
  ASSERT_EQ(::mkfifo((base + "/pipe.efact").c_str(), 0600), 0);
  { std::ofstream(base + "/bom.efact", std::ios::binary) << "\xEF\xBB\xBF" << read_all(w.envois[0]); }
  auto r = run_mutua("adjudicate --today 2026-11-23 --db " + db + " --out " + base + "/out " + base + "/huge.efact " +
                     base + "/pipe.efact " + base + "/bom.efact " + w.envois[1]);
  EXPECT_EQ(r.code, 2) << r.out;  // the pipe is no file: an error, said, after the others were judged
  EXPECT_NE(r.out.find("pipe.efact: Z00015 not a regular file"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("huge.efact: 920999"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("larger than any billing file can be"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("starts with a UTF-8 byte-order mark"), std::string::npos) << r.out;
  const std::string good = fs::path(w.envois[1]).filename().string();
  EXPECT_NE(r.out.find(good + ": 920"), std::string::npos) << r.out;
  EXPECT_EQ(mutua::testing::dump(db, {"SELECT COUNT(*) FROM envois"}), "## SELECT COUNT(*) FROM envois\n3|\n");
}

TEST(Faults, RetentionRefusesADayToComeAndKeepsWhatIsNotPaid) {
  const SmallWorld& w = small_world();
  const std::string base = w.dir + "/retention";
  fs::remove_all(base);
  ASSERT_EQ(run_mutua("gen --seed 21 --members 200 --providers 5 --lines 1500 --envoi-lines 100 --error-rate 0.002 "
                      "--today 2022-03-15 --out " + base + "/world").code, 0);
  const std::string db = base + "/m.db", config = " --config " + std::string(MUTUA_SOURCE_DIR) + "/data/sample/mutua-payments.json";
  ASSERT_EQ(run_mutua("refdata import " + base + "/world/refdata --db " + db).code, 0);
  ASSERT_LE(run_mutua("adjudicate --today 2022-03-20 --db " + db + " --out " + base + "/out " + base + "/world/envois/*").code, 1);
  const std::string accepted = mutua::testing::dump(db, {"SELECT COUNT(*) FROM envois WHERE status = 'accepted'"});
  ASSERT_NE(accepted.find("\n0|"), accepted.size() - 3) << accepted;
  // A budget for the first accepted envoi only: it is paid, the rest wait.
  std::string first_cents = mutua::testing::dump(
      db, {"SELECT accepted_a_cents + accepted_b_cents FROM envois WHERE status = 'accepted' AND test = 0 ORDER BY id LIMIT 1"});
  first_cents = first_cents.substr(first_cents.find('\n') + 1);
  first_cents = first_cents.substr(0, first_cents.find('|'));
  const std::string budget = std::to_string(std::stoll(first_cents) / 100 + 1);
  ASSERT_EQ(run_mutua("settle --date 2022-03-25 --budget " + budget + " --run first --db " + db + config + " --out " + base).code, 0);
  ASSERT_NE(mutua::testing::dump(db, {"SELECT COUNT(*) FROM payment_runs"}), "## SELECT COUNT(*) FROM payment_runs\n0|\n");
  const std::string waiting_q = "SELECT COUNT(*) FROM envois WHERE status = 'accepted' AND settled_run IS NULL";
  const std::string waiting = mutua::testing::dump(db, {waiting_q});
  ASSERT_EQ(waiting.find("\n0|"), std::string::npos) << "some envois must still wait";

  auto future = run_mutua("retention --today 2099-01-01 --db " + db);
  EXPECT_EQ(future.code, 2) << future.out;
  EXPECT_NE(future.out.find("after today"), std::string::npos) << future.out;
  ASSERT_EQ(run_mutua("retention --today 2026-11-23 --db " + db).code, 0);
  // Every envoi still waiting keeps its received file and responses; the paid ones lost theirs.
  EXPECT_EQ(mutua::testing::dump(db, {"SELECT COUNT(*) FROM envois e WHERE status = 'accepted' AND settled_run IS NULL "
                                      "AND NOT EXISTS (SELECT 1 FROM envoi_files f WHERE f.envoi_id = e.id)"}),
            "## SELECT COUNT(*) FROM envois e WHERE status = 'accepted' AND settled_run IS NULL AND NOT EXISTS (SELECT 1 "
            "FROM envoi_files f WHERE f.envoi_id = e.id)\n0|\n");
  EXPECT_EQ(mutua::testing::dump(db, {"SELECT COUNT(*) FROM envoi_files f JOIN envois e ON e.id = f.envoi_id WHERE "
                                      "e.settled_run IS NOT NULL"}),
            "## SELECT COUNT(*) FROM envoi_files f JOIN envois e ON e.id = f.envoi_id WHERE e.settled_run IS NOT NULL\n0|\n");
  // And every command still works on what is kept: the rest is paid, letters for both runs, the ledger.
  EXPECT_EQ(run_mutua("settle --date 2022-04-10 --budget 100000000 --run second --db " + db + config + " --out " + base).code, 0);
  for (const char* run : {"first", "second"}) {
    auto letters = run_mutua(std::string("letters --run ") + run + " --format csv --db " + db + config + " --out " + base + "/letters");
    EXPECT_EQ(letters.code, 0) << run << "\n" << letters.out;
  }
  auto check = run_mutua("ledger check --db " + db);
  EXPECT_EQ(check.code, 0) << check.out;
}

TEST(Faults, FilesForPeopleAndBanksNeverCarryAFormulaOrAnEmptyName) {
  const SmallWorld& w = small_world();
  const std::string base = w.dir + "/people";
  fs::remove_all(base);
  fs::create_directories(base);
  fs::copy(w.dir + "/world/refdata", base + "/refdata");
  // An envoi whose lines carry a formula as their reference (ET 50 zone 28), from a provider
  // whose name is emoji only.
  std::string envoi;
  std::string bytes;
  for (const auto& e : w.envois) {
    bytes = read_all(e);
    if (bytes.size() > 1000) {
      envoi = e;
      break;
    }
  }
  ASSERT_FALSE(envoi.empty());
  const std::string third_party = fs::path(envoi).filename().string().substr(0, 11);
  for (size_t at = 227; at + 350 <= bytes.size(); at += 350) {
    if (bytes.compare(at, 2, "50") != 0) continue;
    std::string record = bytes.substr(at, 350);
    std::string formula = "=HYPERLINK(\"x\")";
    formula.resize(25, ' ');
    record.replace(137, 25, formula);
    mutua::seal_record(record);
    bytes.replace(at, 350, record);
  }
  { std::ofstream(base + "/formula.efact", std::ios::binary) << bytes; }
  std::string providers = read_all(base + "/refdata/providers.csv");
  const std::string head = providers.substr(0, providers.find('\n'));
  ASSERT_EQ(head.substr(head.rfind(',') + 1), "name") << head;  // the name is the last column
  const size_t row = providers.find("\n" + third_party + ",");
  ASSERT_NE(row, std::string::npos);
  const size_t end = providers.find('\n', row + 1);
  const size_t last_comma = providers.rfind(',', end);
  providers.replace(last_comma + 1, end - last_comma - 1, "\xF0\x9F\x98\x80\xF0\x9F\x98\x80");
  { std::ofstream(base + "/refdata/providers.csv", std::ios::binary | std::ios::trunc) << providers; }
  const std::string db = " --db " + base + "/m.db";
  const std::string config = " --config " + std::string(MUTUA_SOURCE_DIR) + "/data/sample/mutua-payments.json";
  ASSERT_EQ(run_mutua("refdata import " + base + "/refdata" + db).code, 0);
  auto judged = run_mutua("adjudicate --today 2026-11-23 --threshold 100 --out " + base + "/out" + db + " " + base +
                          "/formula.efact");
  ASSERT_LE(judged.code, 1) << judged.out;
  ASSERT_NE(judged.out.find("920900"), std::string::npos) << judged.out;
  ASSERT_EQ(run_mutua("settle --date 2026-11-30 --budget 100000000 --run r1 --out " + base + db + config).code, 0);
  const std::string pain = read_all(base + "/payments-r1.pain.001.xml");
  EXPECT_EQ(pain.find("<Nm></Nm>"), std::string::npos);
  EXPECT_NE(pain.find("<Nm>INAMI " + third_party + "</Nm>"), std::string::npos) << pain.substr(0, 3000);
  ASSERT_EQ(run_mutua("letters --run r1 --format csv --out " + base + "/letters" + db + config).code, 0);
  int cells = 0;
  for (const auto& [name, csv] : files_of(base + "/letters")) {
    EXPECT_EQ(csv.find(";=HYPERLINK"), std::string::npos) << name;
    EXPECT_EQ(csv.find(";\"=HYPERLINK"), std::string::npos) << name;
    cells += csv.find("'=HYPERLINK") != std::string::npos;
  }
  EXPECT_GT(cells, 0) << "the reference is kept, as text";
}

TEST(Faults, AnEnvoiNumberSeveralProvidersUsedNeedsTheProvider) {
  const SmallWorld& w = small_world();
  const std::string db = fresh_store("ambiguous"), base = w.dir + "/ambiguous";
  fs::remove_all(base);
  ASSERT_LE(run_mutua("adjudicate --today 2026-11-23 --db " + db + " --out " + base + "/out " + w.dir + "/world/envois/*").code, 1);
  const std::string numbers = mutua::testing::dump(
      db, {"SELECT number FROM envois GROUP BY number HAVING COUNT(DISTINCT third_party) > 1 ORDER BY number LIMIT 1"});
  const std::string number = numbers.substr(numbers.find('\n') + 1, numbers.find('|') - numbers.find('\n') - 1);
  ASSERT_FALSE(number.empty()) << numbers;
  auto r = run_mutua("response --envoi " + number + " --out " + base + "/again --db " + db);
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("providers"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("give --provider"), std::string::npos) << r.out;
  EXPECT_FALSE(fs::exists(base + "/again")) << "nothing written";
}

namespace {

// Runs mutua with `dir` on a file system of `kib` KiB of its own (a tmpfs in a private mount
// namespace: nothing outside sees it, it is gone when the command ends), then lists what the
// command left in `dir`, one "name size" per line after a "## left" line. Empty when this
// machine gives no mount namespace.
std::optional<mutua::testing::CmdResult> run_on_small_fs(const std::string& dir, int kib, const std::string& args) {
  static const bool available = mutua::testing::shell("unshare -rm sh -c 'echo ok' 2>&1") == "ok\n";
  if (!available) return std::nullopt;
  fs::create_directories(dir);
  const std::string script = fmt::format(
      "mount -t tmpfs -o size={}k tmpfs '{}' || exit 99; {} {} 2>&1; rc=\\$?; echo '## left'; "
      "find '{}' -type f -printf '%f %s\\n' | sort; exit \\$rc",
      kib, dir, MUTUA_BINARY, args, dir);
  const std::string cmd = "unshare -rm sh -c \"" + script + "\" 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  return mutua::testing::CmdResult{WEXITSTATUS(status), out};
}

std::string left_in_dir(const std::string& out) {
  const size_t at = out.find("## left\n");
  return at == std::string::npos ? std::string("(no listing)") : out.substr(at + 8);
}

// Whole pages of tmpfs that these files take.
int kib_of(const std::vector<std::string>& files) {
  int kib = 0;
  for (const auto& f : files) kib += static_cast<int>((fs::file_size(f) + 4095) / 4096) * 4;
  return kib;
}

}  // namespace

TEST(Faults, AFullOutDirectoryStopsAdjudicateAndTheStoreWritesTheResponsesAgain) {
  const SmallWorld& w = small_world();
  ASSERT_GE(w.envois.size(), 3u);
  const std::string base = w.dir + "/fullout";
  fs::remove_all(base);
  const std::string files = w.envois[0] + " " + w.envois[1] + " " + w.envois[2];
  // The same three envois with room: the responses they must get.
  const std::string roomy_db = fresh_store("fullout-roomy");
  ASSERT_LE(run_mutua("adjudicate --today 2026-11-23 --db " + roomy_db + " --out " + base + "/roomy " + files).code, 1);
  std::vector<std::string> first_files;
  const std::string stem0 = fs::path(w.envois[0]).stem().string();
  for (const auto& [name, content] : files_of(base + "/roomy"))
    if (name.rfind(stem0 + ".", 0) == 0) first_files.push_back(base + "/roomy/" + name);
  ASSERT_FALSE(first_files.empty());

  // Room for the first envoi's responses and not one page more.
  const std::string db = fresh_store("fullout");
  auto r = run_on_small_fs(base + "/out", kib_of(first_files),
                           "adjudicate --today 2026-11-23 --db " + db + " --out " + base + "/out " + files);
  if (!r) GTEST_SKIP() << "no mount namespace on this machine (unshare -rm): a full file system cannot be made";
  ASSERT_NE(r->code, 99) << r->out;
  EXPECT_EQ(r->code, 2) << r->out;
  EXPECT_NE(r->out.find("No space left on device"), std::string::npos) << r->out;
  EXPECT_NE(r->out.find("stopped: the responses of reception 2, 3 could not be written"), std::string::npos) << r->out;
  const std::string left = left_in_dir(r->out);
  EXPECT_EQ(left.find(".part"), std::string::npos) << left;  // no half-written file left
  for (const auto& f : first_files) EXPECT_NE(left.find(fs::path(f).filename().string()), std::string::npos) << left;

  // The store is the truth: the three are recorded as with room, and their responses come back.
  const std::string q = "SELECT id, number, status, error_rate_bp, accepted_cents FROM envois ORDER BY id";
  EXPECT_EQ(mutua::testing::dump(db, {q}), mutua::testing::dump(roomy_db, {q}));
  std::map<std::string, std::string> roomy;
  for (const auto& [name, content] : files_of(base + "/roomy")) roomy[name] = content;
  for (int reception : {2, 3}) {
    const std::string again = base + "/again" + std::to_string(reception);
    auto written = run_mutua(fmt::format("response --reception {} --db {} --out {}", reception, db, again));
    ASSERT_EQ(written.code, 0) << written.out;
    const std::string stem = fs::path(w.envois[reception - 1]).stem().string();
    int compared = 0;
    for (const auto& [name, content] : files_of(again)) {
      // `mutua response` names them "<reception>-<stem>.<message>.<ext>".
      const std::string plain = name.substr(name.find('-') + 1);
      ASSERT_TRUE(roomy.count(plain)) << name;
      EXPECT_EQ(content, roomy[plain]) << name;
      ++compared;
    }
    EXPECT_GE(compared, 2) << stem;
  }
}

TEST(Faults, AFullDiskFailsLettersAndPaymentFilesLoudlyAndPaysNothingTwice) {
  const SmallWorld& w = small_world();
  const std::string base = w.dir + "/fulldisk";
  fs::remove_all(base);
  const std::string db = fresh_store("fulldisk");
  const std::string config = " --config " + std::string(MUTUA_SOURCE_DIR) + "/data/sample/mutua-payments.json";
  std::string files;
  for (const auto& e : w.envois) files += " " + e;
  ASSERT_LE(run_mutua("adjudicate --today 2026-11-23 --db " + db + " --out " + base + "/responses" + files).code, 1);

  // The payment run on a full disk: recorded (durable before its file), the file refused loudly.
  auto settled = run_on_small_fs(base + "/pay", 4,
                                 "settle --date 2026-11-30 --budget 100000000 --run r1 --db " + db + config +
                                     " --out " + base + "/pay");
  if (!settled) GTEST_SKIP() << "no mount namespace on this machine (unshare -rm): a full file system cannot be made";
  ASSERT_NE(settled->code, 99) << settled->out;
  EXPECT_EQ(settled->code, 2) << settled->out;
  EXPECT_NE(settled->out.find("No space left on device"), std::string::npos) << settled->out;
  EXPECT_EQ(left_in_dir(settled->out).find(".part"), std::string::npos) << settled->out;
  const std::string paid_q = "SELECT COUNT(*), SUM(paid_cents) FROM payments";
  const std::string paid = mutua::testing::dump(db, {paid_q});
  EXPECT_NE(paid, mutua::testing::dump(db, {"SELECT 0, NULL"})) << "the run is recorded";
  // With room, the same run writes its file and pays nothing more.
  auto again = run_mutua("settle --date 2026-11-30 --budget 100000000 --run r1 --db " + db + config + " --out " + base + "/pay");
  EXPECT_EQ(again.code, 0) << again.out;
  EXPECT_TRUE(fs::exists(base + "/pay/payments-r1.pain.001.xml"));
  EXPECT_EQ(mutua::testing::dump(db, {paid_q}), paid);
  EXPECT_EQ(run_mutua("ledger check --db " + db).code, 0);

  // Letters on a full disk: an error, never empty letters counted as written.
  auto letters = run_on_small_fs(base + "/letters", 8, "letters --run r1 --format csv --db " + db + config + " --out " +
                                                             base + "/letters");
  ASSERT_TRUE(letters);
  EXPECT_EQ(letters->code, 2) << letters->out;
  EXPECT_NE(letters->out.find("No space left on device"), std::string::npos) << letters->out;
  const std::string left = left_in_dir(letters->out);
  EXPECT_EQ(left.find(".part"), std::string::npos) << left;
  for (size_t at = 0; (at = left.find('\n', at)) != std::string::npos; ++at) {
    const size_t start = left.rfind('\n', at - 1) == std::string::npos ? 0 : left.rfind('\n', at - 1) + 1;
    const std::string row = left.substr(start, at - start);
    if (!row.empty()) {
      EXPECT_NE(row.substr(row.rfind(' ') + 1), "0") << "an empty letter was left: " << row;
    }
  }
  auto roomy = run_mutua("letters --run r1 --format csv --db " + db + config + " --out " + base + "/letters");
  EXPECT_EQ(roomy.code, 0) << roomy.out;
  EXPECT_GT(files_of(base + "/letters").size(), 1u);
}
