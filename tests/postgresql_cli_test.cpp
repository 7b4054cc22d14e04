// The commands on a PostgreSQL store (a throw-away server: scripts/pg.sh), against the same
// commands on SQLite: the same decisions, the same response bytes, envoi after envoi.
#include <gtest/gtest.h>

#include <filesystem>
#include <regex>
#include <string>

#include "baseline.h"

namespace fs = std::filesystem;
using mutua::testing::run_mutua;

TEST(PostgreSQL, EveryEnvoiGetsTheSameResponseBytesAsOnSQLite) {
  std::string why;
  const std::string url = mutua::testing::fresh_postgresql("cli_same_bytes", &why);
  ASSERT_FALSE(url.empty()) << why;
  const std::string dir = mutua::testing::temp_path("pg-same-bytes");
  fs::remove_all(dir);
  ASSERT_EQ(run_mutua("gen --seed 17 --members 400 --providers 8 --lines 4000 --envoi-lines 250 --error-rate 0.004 "
                      "--today 2026-11-20 --out " + dir + "/world").code, 0);

  auto init = run_mutua("db init --db " + url);
  ASSERT_EQ(init.code, 0) << init.out;
  EXPECT_NE(init.out.find("schema version"), std::string::npos) << init.out;
  for (const std::string& db : {dir + "/m.db", url}) {
    auto imported = run_mutua("refdata import " + dir + "/world/refdata --db " + db);
    ASSERT_EQ(imported.code, 0) << db << "\n" << imported.out;
  }
  auto sqlite = run_mutua("adjudicate --today 2026-11-25 --db " + dir + "/m.db --out " + dir + "/out-sqlite " + dir +
                          "/world/envois/*");
  auto pg = run_mutua("adjudicate --today 2026-11-25 --db " + url + " --out " + dir + "/out-pg " + dir +
                      "/world/envois/*");
  ASSERT_LE(sqlite.code, 1) << sqlite.out;
  EXPECT_EQ(pg.code, sqlite.code) << pg.out;
  const auto a = mutua::testing::files_of(dir + "/out-sqlite"), b = mutua::testing::files_of(dir + "/out-pg");
  ASSERT_GE(a.size(), 10u);
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, bytes] : a) {
    ASSERT_TRUE(b.count(name)) << name;
    EXPECT_TRUE(b.at(name) == bytes) << name << " differs between SQLite and PostgreSQL";
  }
  // Decisions that read the store: lines rejected, and by rules on other envois' lines.
  EXPECT_TRUE(std::regex_search(sqlite.out, std::regex("[1-9][0-9]* rejected"))) << sqlite.out;
  // And the same report, line for line (the output folders aside).
  EXPECT_EQ(std::regex_replace(pg.out, std::regex("out-pg"), "OUT"), std::regex_replace(sqlite.out, std::regex("out-sqlite"), "OUT"));
  // What the store keeps comes back the same: a response read again from each store.
  for (const std::string& db : {dir + "/m.db", url}) {
    const std::string out = dir + "/again-" + std::to_string(db == url);
    auto again = run_mutua("response --db " + db + " --reception 3 --out " + out);
    EXPECT_EQ(again.code, 0) << db << "\n" << again.out;
  }
  EXPECT_EQ(mutua::testing::files_of(dir + "/again-0"), mutua::testing::files_of(dir + "/again-1"));
  EXPECT_FALSE(mutua::testing::files_of(dir + "/again-0").empty());
  // Judging the same files again: the envoi numbers are taken on both, and both say so alike.
  auto twice = run_mutua("adjudicate --today 2026-11-25 --db " + url + " --out " + dir + "/out-pg-2 " + dir +
                         "/world/envois/*");
  auto twice_sqlite = run_mutua("adjudicate --today 2026-11-25 --db " + dir + "/m.db --out " + dir +
                                "/out-sqlite-2 " + dir + "/world/envois/*");
  EXPECT_EQ(twice.code, twice_sqlite.code) << twice.out;
  EXPECT_EQ(mutua::testing::files_of(dir + "/out-pg-2"), mutua::testing::files_of(dir + "/out-sqlite-2"));
}

TEST(PostgreSQL, AServerThatCannotBeReachedIsAClearErrorNamingIt) {
  auto r = run_mutua("db init --db postgresql://mutua:secret@127.0.0.1:1/nothing");
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("cannot connect"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("127.0.0.1:1"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("secret"), std::string::npos) << "a password is never printed: " << r.out;
}

// After the envois, the fund's month on both stores: a payment run, its letters and settlement
// files, the ledger check, a consultation, an advisor's agreement, a dispute, retention. Every
// command says the same on both, and writes the same files.
TEST(PostgreSQL, TheFundsMonthAfterTheEnvoisRunsAlikeOnBothStores) {
  std::string why;
  const std::string url = mutua::testing::fresh_postgresql("cli_fund_month", &why);
  ASSERT_FALSE(url.empty()) << why;
  const std::string dir = mutua::testing::temp_path("pg-fund-month");
  fs::remove_all(dir);
  ASSERT_EQ(run_mutua("gen --seed 23 --members 300 --providers 6 --lines 3000 --envoi-lines 250 --error-rate 0.004 "
                      "--today 2026-11-20 --out " + dir + "/world").code, 0);
  const std::string niss = [&] {
    const std::string members = mutua::testing::read_all(dir + "/world/refdata/members.csv");
    const size_t line = members.find('\n') + 1;
    return members.substr(line, 11);
  }();
  const std::string config = " --config " + std::string(MUTUA_SOURCE_DIR) + "/data/sample/mutua-payments.json";
  const std::vector<std::string> month = {
      "refdata import " + dir + "/world/refdata",
      "adjudicate --today 2026-11-25 --out OUT/responses " + dir + "/world/envois/*",
      "settle --date 2026-11-30 --budget 1000000 --run november --out OUT/settle" + config,
      "response --run november --out OUT/paid",
      "letters --run november --format csv --out OUT/letters" + config,
      "ledger check",
      "insurability --niss " + niss + " --date 2026-11-10 --today 2026-11-25",
      "agreement request --niss " + niss + " --code 425014 --date 2026-11-01 --from 2026-11-01 --to 2026-12-31",
      "agreement decide --id 1 --decision A --date 2026-11-05",
      "agreement list",
      "regularisation add --provider " + mutua::testing::read_all(dir + "/world/refdata/providers.csv").substr(
                                             mutua::testing::read_all(dir + "/world/refdata/providers.csv").find('\n') + 1, 11) +
          " --amount 12.50 --reason test --date 2026-11-28",
      "settle --date 2026-12-01 --budget 1000000 --run december --out OUT/settle" + config,
      "dispute open --provider " + mutua::testing::read_all(dir + "/world/refdata/providers.csv").substr(
                                       mutua::testing::read_all(dir + "/world/refdata/providers.csv").find('\n') + 1, 11) +
          " --subject 'payment late' --date 2026-11-26",
      "dispute list",
      "retention --today 2026-12-04 --dry-run",
      "ledger check"};
  for (const auto& command : month) {
    std::string said[2];
    int code[2];
    for (int pg = 0; pg < 2; ++pg) {
      const std::string out = dir + (pg ? "/pg" : "/sqlite");
      std::string args = std::regex_replace(command, std::regex("OUT"), out);
      auto r = run_mutua(args + " --db " + (pg ? url : out + ".db"));
      code[pg] = r.code;
      said[pg] = std::regex_replace(r.out, std::regex(out), "OUT");
    }
    said[1] = std::regex_replace(said[1], std::regex(url), "STORE");
    said[0] = std::regex_replace(said[0], std::regex("OUT\\.db"), "STORE");
    EXPECT_EQ(code[1], code[0]) << command << "\n" << said[1];
    EXPECT_EQ(said[1], said[0]) << command;
    EXPECT_LE(code[0], 1) << command << "\n" << said[0];
  }
  // The files each wrote, their own folder's name aside.
  auto same_files = [&](const std::string& sub) {
    auto a = mutua::testing::files_of(dir + "/sqlite/" + sub), b = mutua::testing::files_of(dir + "/pg/" + sub);
    EXPECT_FALSE(a.empty()) << sub;
    EXPECT_EQ(a.size(), b.size()) << sub;
    for (auto& [name, bytes] : a) {
      ASSERT_TRUE(b.count(name)) << sub << "/" << name;
      EXPECT_TRUE(std::regex_replace(bytes, std::regex("/sqlite/"), "/X/") ==
                  std::regex_replace(b.at(name), std::regex("/pg/"), "/X/"))
          << sub << "/" << name << " differs";
    }
  };
  for (const char* sub : {"responses", "settle", "paid", "letters"}) same_files(sub);
}

TEST(PostgreSQL, MutuaDbNamesTheServerWhenNoDbIsGiven) {
  std::string why;
  const std::string url = mutua::testing::fresh_postgresql("cli_env", &why);
  ASSERT_FALSE(url.empty()) << why;
  const std::string out = mutua::testing::shell("MUTUA_DB='" + url + "' " + std::string(MUTUA_BINARY) + " db init");
  EXPECT_NE(out.find("ready (PostgreSQL schema version"), std::string::npos) << out;
  const std::string queue = mutua::testing::shell("MUTUA_DB='" + url + "' " + std::string(MUTUA_BINARY) + " queue --json");
  EXPECT_NE(queue.find("\"waiting\":0"), std::string::npos) << queue;
}

TEST(PostgreSQL, TheDatabaseRefusesToPayAnEnvoiOrALineTwice) {
  std::string why;
  const std::string url = mutua::testing::fresh_postgresql("paid_once", &why);
  ASSERT_FALSE(url.empty()) << why;
  ASSERT_EQ(run_mutua("db init --db " + url).code, 0);
  auto psql = [&](const std::string& sql) {
    return mutua::testing::shell("(psql -q -v ON_ERROR_STOP=1 '" + url + "' -c \"" + sql + "\" && echo applied)");
  };
  ASSERT_NE(psql("INSERT INTO envois (id, third_party, year, month, number, status, received, file_name, content_hash) "
                 "VALUES (1, '40765140401', 2026, 10, 1, 'accepted', '2026-11-05', 'a.efact', 'h'); "
                 "INSERT INTO pending_lines (id, envoi_id, record, niss, code, first_date, last_date, units, amount, "
                 "account, provider, third_party, invoice_number, billed, envoi_number, state) VALUES (1, 1, 3, "
                 "'85073003328', '425014', 20261005, 20261005, 1, 1250, 'A', '40765140401', '40765140401', 1, 20261105, "
                 "1, 'approved'); UPDATE envois SET settled_run = 1 WHERE id = 1; "
                 "UPDATE pending_lines SET run_id = 2, complement = 1 WHERE id = 1")
                .find("applied"),
            std::string::npos);
  for (const char* twice : {"UPDATE envois SET settled_run = 3 WHERE id = 1", "UPDATE envois SET settled_run = NULL WHERE id = 1",
                            "UPDATE pending_lines SET run_id = 3, complement = 2 WHERE id = 1",
                            "UPDATE pending_lines SET complement = 2 WHERE id = 1"}) {
    const std::string out = psql(twice);
    EXPECT_NE(out.find("paid once"), std::string::npos) << twice << "\n" << out;
    EXPECT_EQ(out.find("applied"), std::string::npos) << twice;
  }
  EXPECT_NE(psql("UPDATE envois SET settled_run = 1 WHERE id = 1").find("applied"), std::string::npos);
}
