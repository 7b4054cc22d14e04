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
