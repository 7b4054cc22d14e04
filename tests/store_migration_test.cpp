// A store made by an older mutua is brought to this version when opened: here the reference
// data kept as CSV text (versions 1-18) becomes the typed tables of version 19, value for value
// what an import of the same files gives today.
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "baseline.h"
#include "mutua/model/refdata.h"
#include "mutua/model/refdata_tables.h"
#include "mutua/store/postgresql.h"
#include "mutua/store/sqlite.h"

namespace fs = std::filesystem;
using namespace mutua;

namespace {

void exec(sqlite3* db, const std::string& sql) {
  char* msg = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
  ASSERT_EQ(rc, SQLITE_OK) << (msg ? msg : "") << "\n" << sql.substr(0, 200);
}

// A store as mutua of schema version 18 left it, its reference tables holding `tables` as text
// (each cell as the file had it, with its line number), the way that version imported them.
void make_version_18_store(const std::string& path, const model::RefTables& tables) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  exec(db, "CREATE TABLE schema_version (version INTEGER NOT NULL)");
  std::vector<fs::path> scripts;
  for (const auto& e : fs::directory_iterator(std::string(MUTUA_SOURCE_DIR) + "/data/store/sqlite"))
    scripts.push_back(e.path());
  std::sort(scripts.begin(), scripts.end());
  for (int v = 1; v <= 18; ++v) {
    ASSERT_EQ(scripts[static_cast<size_t>(v - 1)].filename().string().substr(0, 3), fmt::format("{:03}", v));
    exec(db, mutua::testing::read_all(scripts[static_cast<size_t>(v - 1)].string()));
    exec(db, fmt::format("INSERT INTO schema_version VALUES ({})", v));
  }
  for (const auto& [file, t] : tables) {
    const std::string table = "ref_" + file.substr(0, file.size() - 4);
    std::string cols = "line", params = "?1";
    for (size_t i = 0; i < t.header.size(); ++i) {
      cols += fmt::format(", \"{}\"", t.header[i]);
      params += fmt::format(", ?{}", i + 2);
    }
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, fmt::format("INSERT INTO {} ({}) VALUES ({})", table, cols, params).c_str(), -1,
                                 &s, nullptr),
              SQLITE_OK)
        << file << ": " << sqlite3_errmsg(db);
    for (size_t r = 0; r < t.rows.size(); ++r) {
      sqlite3_bind_int64(s, 1, static_cast<sqlite3_int64>(t.line_numbers[r]));
      for (size_t i = 0; i < t.header.size(); ++i) {
        const std::string v = i < t.rows[r].size() ? t.rows[r][i] : std::string();
        sqlite3_bind_text(s, static_cast<int>(i) + 2, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
      }
      ASSERT_EQ(sqlite3_step(s), SQLITE_DONE) << file << ": " << sqlite3_errmsg(db);
      sqlite3_reset(s);
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(db);
}

}  // namespace

TEST(StoreMigration, TextReferenceTablesBecomeTheTypedTablesOfAnImport) {
  const std::string dir = mutua::testing::temp_path("migration-19");
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto tables = model::read_refdata_dir(std::string(MUTUA_TEST_DATA) + "/scenarios/base");
  ASSERT_TRUE(tables);
  std::vector<Error> problems;
  auto imported = model::parse_refdata(*tables, "base", problems);
  ASSERT_TRUE(imported);
  make_version_18_store(dir + "/old.db", *tables);
  if (HasFatalFailure()) return;

  auto store = store::open_sqlite(dir + "/old.db");
  ASSERT_TRUE(store) << store.error().message;
  EXPECT_EQ(mutua::testing::dump(dir + "/old.db", {"SELECT MAX(version) FROM schema_version"}),
            fmt::format("## SELECT MAX(version) FROM schema_version\n{}|\n", store::sqlite_schema_version()));
  EXPECT_EQ(mutua::testing::dump(dir + "/old.db", {"SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'old_ref_%'"}),
            "## SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'old_ref_%'\n0|\n")
      << "the text tables are dropped once carried over";
  auto back = (*store)->load_refdata();
  ASSERT_TRUE(back) << back.error().message;
  size_t rows = 0;
  for (const auto& spec : model::ref_table_specs()) {
    EXPECT_EQ(model::ref_rows(spec, *back), model::ref_rows(spec, *imported)) << spec.file;
    rows += spec.rows(*imported);
  }
  EXPECT_GT(rows, 30u);
  // Migration 32 wrote down each table's rows, and when (a copy in memory is known by it).
  EXPECT_EQ(mutua::testing::dump(dir + "/old.db", {"SELECT SUM(rows), (SELECT imported > 0 FROM refdata_version) FROM ref_rows"}),
            fmt::format("## SELECT SUM(rows), (SELECT imported > 0 FROM refdata_version) FROM ref_rows\n{}|1|\n", rows));
  // Typed: a date is a number a query can compare, not text.
  EXPECT_EQ(mutua::testing::dump(dir + "/old.db", {"SELECT typeof(start) FROM ref_insurability LIMIT 1"}),
            "## SELECT typeof(start) FROM ref_insurability LIMIT 1\ninteger|\n");
}

TEST(StoreMigration, ReferenceTextThatNoLongerReadsStopsTheMigrationAndSaysWhere) {
  const std::string dir = mutua::testing::temp_path("migration-19-bad");
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto tables = model::read_refdata_dir(std::string(MUTUA_TEST_DATA) + "/scenarios/base");
  ASSERT_TRUE(tables);
  auto& members = tables->at("members.csv");
  members.rows[1][static_cast<size_t>(members.column("birth_date"))] = "31/02/1980";
  make_version_18_store(dir + "/old.db", *tables);
  if (HasFatalFailure()) return;

  auto store = store::open_sqlite(dir + "/old.db");
  ASSERT_FALSE(store);
  EXPECT_NE(store.error().message.find("members.csv:" + std::to_string(members.line_numbers[1])), std::string::npos)
      << store.error().message;
  EXPECT_NE(store.error().message.find("birth_date"), std::string::npos) << store.error().message;
  // Nothing changed: the store is still the version 18 one, its text rows all there.
  EXPECT_EQ(mutua::testing::dump(dir + "/old.db", {"SELECT MAX(version), (SELECT COUNT(*) FROM ref_members) FROM schema_version"}),
            fmt::format("## SELECT MAX(version), (SELECT COUNT(*) FROM ref_members) FROM schema_version\n18|{}|\n",
                        members.rows.size()));
}

// Whatever writes to the store (another process, a later worker, a hand-made repair), the
// database refuses to move an envoi or an approved line to a second payment run.
TEST(StoreSchema, TheDatabaseRefusesToPayAnEnvoiOrALineTwice) {
  const std::string dir = mutua::testing::temp_path("paid-once");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string path = dir + "/store.db";
  ASSERT_TRUE(store::open_sqlite(path));
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  exec(db,
       "INSERT INTO envois (id, third_party, year, month, number, status, received, file_name, content_hash) "
       "VALUES (1, '40765140401', 2026, 10, 1, 'accepted', '20261105', 'a.efact', 'h');"
       "INSERT INTO pending_lines (id, envoi_id, record, niss, code, first_date, last_date, units, amount, account, "
       "provider, third_party, invoice_number, billed, envoi_number, state) VALUES (1, 1, 3, '85073003328', "
       "'425014', 20261005, 20261005, 1, 1250, 'A', '40765140401', '40765140401', 1, 20261105, 1, 'approved');"
       "UPDATE envois SET settled_run = 1 WHERE id = 1;"
       "UPDATE pending_lines SET run_id = 2, complement = 1 WHERE id = 1;");
  auto refused = [&](const std::string& sql) {
    char* msg = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &msg);
    std::string m = msg ? msg : "";
    sqlite3_free(msg);
    return rc == SQLITE_OK ? std::string() : m;
  };
  EXPECT_NE(refused("UPDATE envois SET settled_run = 3 WHERE id = 1").find("paid once"), std::string::npos);
  EXPECT_NE(refused("UPDATE envois SET settled_run = NULL WHERE id = 1").find("paid once"), std::string::npos);
  EXPECT_NE(refused("UPDATE pending_lines SET run_id = 3, complement = 2 WHERE id = 1").find("paid once"),
            std::string::npos);
  EXPECT_NE(refused("UPDATE pending_lines SET complement = 2 WHERE id = 1").find("paid once"), std::string::npos);
  EXPECT_EQ(refused("UPDATE envois SET settled_run = 1 WHERE id = 1"), "") << "the same run again changes nothing";
  sqlite3_close(db);
  EXPECT_EQ(mutua::testing::dump(path, {"SELECT settled_run FROM envois", "SELECT run_id, complement FROM pending_lines"}),
            "## SELECT settled_run FROM envois\n1|\n## SELECT run_id, complement FROM pending_lines\n2|1|\n");
}

namespace {

// `mutua db migrate` on a PostgreSQL store at `from`: it succeeds and says from which version to
// this build's.
void expect_postgresql_migrated(const std::string& url, int from) {
  auto migrated = mutua::testing::run_mutua("db migrate --db " + url);
  EXPECT_EQ(migrated.code, 0) << migrated.out;
  EXPECT_NE(migrated.out.find(fmt::format("migrated from PostgreSQL schema version {} to {}", from,
                                          store::postgresql_schema_version())),
            std::string::npos)
      << migrated.out;
}

}  // namespace

TEST(StoreMigration, DbMigrateSaysFromWhichVersionToWhichOnBothStores) {
  const std::string dir = mutua::testing::temp_path("db-migrate");
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto tables = model::read_refdata_dir(std::string(MUTUA_TEST_DATA) + "/scenarios/base");
  ASSERT_TRUE(tables);
  make_version_18_store(dir + "/old.db", *tables);
  if (HasFatalFailure()) return;
  const std::string now = std::to_string(store::sqlite_schema_version());
  auto first = mutua::testing::run_mutua("db migrate --db " + dir + "/old.db");
  EXPECT_EQ(first.code, 0) << first.out;
  EXPECT_NE(first.out.find("migrated from SQLite schema version 18 to " + now), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("at schema version 18: migrating it to " + now + " first"), std::string::npos)
      << "said before the wait: " << first.out;
  auto again = mutua::testing::run_mutua("db migrate --db " + dir + "/old.db");
  EXPECT_NE(again.out.find("already at SQLite schema version " + now), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("migrating it"), std::string::npos) << again.out;
  auto none = mutua::testing::run_mutua("db migrate --db " + dir + "/none.db");
  EXPECT_EQ(none.code, 2) << none.out;
  EXPECT_FALSE(fs::exists(dir + "/none.db")) << "migrate never creates a store";

  std::string why;
  const std::string url = mutua::testing::fresh_postgresql("db_migrate", &why);
  ASSERT_FALSE(url.empty()) << why;
  expect_postgresql_migrated(url, 0);
  EXPECT_NE(mutua::testing::run_mutua("db migrate --db " + url).out.find("already at PostgreSQL"), std::string::npos);
}

namespace {

// psql's unaligned output of `sql` on `url` (ON_ERROR_STOP: an error shows in the text).
std::string psql(const std::string& url, const std::string& sql) {
  const std::string file = mutua::testing::temp_path("psql-input.sql");
  {
    std::ofstream out(file);
    out << sql;
  }
  return mutua::testing::shell("psql -X -q -At -v ON_ERROR_STOP=1 '" + url + "' -f " + file);
}

// The PostgreSQL store's first `count` migrations as one script, each recording its version.
std::string postgresql_schema_through(int count) {
  static const char* const kMigrations[] = {"001_init", "002_queue", "003_accounts", "004_requests",
                                            "005_password_resets", "006_registrations", "007_audit_fund",
                                            "008_sms_second_factor", "009_ledger_searches", "010_nomenclature_labels",
                                            "011_history_key", "012_time_partitions"};
  std::string schema = "CREATE TABLE schema_version (version integer NOT NULL);\n";
  for (int version = 1; version <= count; ++version) {
    schema += mutua::testing::read_all(std::string(MUTUA_SOURCE_DIR) + "/data/store/postgresql/" +
                                       kMigrations[version - 1] + ".sql");
    schema += fmt::format("\nINSERT INTO schema_version VALUES ({});\n", version);
  }
  return schema;
}

// Lines of history for 40 patients, half billed in 2024, half in 2025.
constexpr const char* kHistoryRows =
    "INSERT INTO history (envoi_id, niss, code, first_date, last_date, units, amount, provider, third_party, "
    "invoice_number, record, billed, envoi_number) SELECT 0, lpad((85073003328 + n * 97)::text, 11, '0'), '425014', "
    "20240101 + n, 20240101 + n, 1, 1250, '40765140401', '40765140401', n, 3, CASE WHEN n % 2 = 0 THEN 20241105 ELSE "
    "20251105 END, 1 FROM generate_series(1, 40) n;\n";

}  // namespace

// A PostgreSQL store of version 11 (history partitioned by patient only, the audit one table)
// with lines and entries in it: migration 12 partitions history by year and the audit by month,
// and keeps every row as it was, ids included; new entries take ids after the old ones.
TEST(StoreMigration, PostgreSqlHistoryAndAuditArePartitionedByTimeWithEveryRowKept) {
  std::string why;
  const std::string url = mutua::testing::fresh_postgresql("migrate_12", &why);
  ASSERT_FALSE(url.empty()) << why;
  ASSERT_EQ(psql(url, postgresql_schema_through(11)), "");
  const std::string rows =
      std::string(kHistoryRows) +
      "INSERT INTO audit (at, user_id, username, action, resource, provider, niss, status, fund) VALUES "
      "(1741000000, 1, 'nurse', 'read', 'envois/1', '40765140401', '85073003328', 200, '300'), "
      "(1764900000, 1, 'nurse', 'read', 'envois/2', '40765140401', '', 200, '300');\n";
  ASSERT_EQ(psql(url, rows), "");
  const std::string before_history = psql(url, "SELECT id, niss, billed FROM history ORDER BY id");
  const std::string before_audit = psql(url, "SELECT id, at, niss FROM audit ORDER BY id");
  ASSERT_NE(before_history, "");

  expect_postgresql_migrated(url, 11);
  EXPECT_EQ(psql(url, "SELECT id, niss, billed FROM history ORDER BY id"), before_history);
  EXPECT_EQ(psql(url, "SELECT id, at, niss FROM audit ORDER BY id"), before_audit);
  // Each line in its year's partition under its patient's hash partition.
  EXPECT_EQ(psql(url, "SELECT count(*) FROM history WHERE tableoid::regclass::text NOT LIKE 'history\\_p__\\_y' || "
                      "(billed / 10000)"),
            "0\n");
  EXPECT_EQ(psql(url, "SELECT count(DISTINCT tableoid) > 16 FROM history"), "t\n");
  EXPECT_EQ(psql(url, "SELECT tableoid::regclass, id FROM audit ORDER BY id"), "audit_m202503|1\naudit_m202512|2\n");
  EXPECT_EQ(psql(url, "INSERT INTO audit (at, user_id, username, action, resource, status) VALUES (1741000001, 1, "
                      "'nurse', 'read', 'envois/3', 200) RETURNING id"),
            "3\n");
}

// A database whose default collation is a language's (ICU fr-BE here, as a server set up in
// French would have): migration 13 makes every text column of the store compare bytes, as
// SQLite does, history rebuilt under its hash partitions with every line kept where it was.
TEST(StoreMigration, PostgreSqlTextComparesBytesOnADatabaseInALanguagesCollation) {
  std::string why;
  const std::string url = mutua::testing::fresh_postgresql("migrate_13", &why, "fr-BE");
  ASSERT_FALSE(url.empty()) << why;
  const std::string made = psql(url, postgresql_schema_through(12));  // its SELECTs print their empty rows
  ASSERT_EQ(made.find("ERROR"), std::string::npos) << made;
  ASSERT_EQ(psql(url, "SELECT FROM mutua_history_years(ARRAY[2024, 2025]);\n" + std::string(kHistoryRows) +
                          "INSERT INTO users (username, kind, password_hash, created) VALUES ('b', 'staff', 'x', 0), ('B', 'staff', "
                          "'x', 0), ('a', 'staff', 'x', 0);\n"),
            "");
  // The language's order first: this database does not compare bytes.
  ASSERT_EQ(psql(url, "SELECT username FROM users ORDER BY username"), "a\nb\nB\n");
  const std::string before = psql(url, "SELECT id, niss, code, billed, tableoid::regclass FROM history ORDER BY id");
  ASSERT_NE(before, "");

  expect_postgresql_migrated(url, 12);
  EXPECT_EQ(psql(url, "SELECT username FROM users ORDER BY username"), "B\na\nb\n");
  // Every line kept, in the same partition (the hash of a NISS does not depend on its collation).
  EXPECT_EQ(psql(url, "SELECT id, niss, code, billed, tableoid::regclass FROM history ORDER BY id"), before);
  // Not one text column of the store's tables left comparing by the language (a later migration
  // adding one says COLLATE "C" itself).
  const std::string in_language =
      "SELECT c.relname || '.' || a.attname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid "
      "WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') AND a.attnum > 0 "
      "AND NOT a.attisdropped AND a.atttypid = 'text'::regtype AND a.attcollation <> 'pg_catalog.\"C\"'::regcollation "
      "ORDER BY 1";
  EXPECT_EQ(psql(url, in_language), "");
  // History keyed and indexed as before, its reads by patient going down its key.
  EXPECT_EQ(psql(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'history' ORDER BY 1"),
            "history_by_id\nhistory_envoi\nhistory_pkey\n");
  EXPECT_EQ(psql(url, "SELECT count(*) FROM history WHERE niss = lpad((85073003328 + 7 * 97)::text, 11, '0')"), "1\n");

  // A store made on such a database from nothing is the same.
  const std::string fresh = mutua::testing::fresh_postgresql("init_13", &why, "fr-BE");
  ASSERT_FALSE(fresh.empty()) << why;
  auto init = mutua::testing::run_mutua("db init --db " + fresh);
  ASSERT_EQ(init.code, 0) << init.out;
  EXPECT_EQ(psql(fresh, in_language), "");
}
