// The store's promises whatever runs beside it: several `mutua adjudicate` processes judging the
// same envois at once on one store give exactly the store of one process judging them one after
// the other (in the order they were recorded): an accepted envoi number once, every other copy
// 920999, limits and cumulations counted as if sequential. Payment runs at once pay nothing
// twice; two advisor decisions at once on one request, one stands. `mutua ledger check` finds an
// envoi accepted twice, paid twice, and a line accepted twice, and says where.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <fmt/format.h>

#include "baseline.h"
#include "mutua/writer.h"

namespace fs = std::filesystem;
using mutua::testing::dump;
using mutua::testing::read_all;
using mutua::testing::run_mutua;
using mutua::testing::spawn;
using mutua::testing::wait_exit;

namespace {

const std::string kConfig = std::string(MUTUA_SOURCE_DIR) + "/data/sample/mutua-payments.json";
const std::string kToday = "2026-11-23";

std::string sql_one(const std::string& db, const std::string& query) {
  std::string out = dump(db, {query});
  out.erase(0, out.find('\n') + 1);
  while (!out.empty() && (out.back() == '\n' || out.back() == '|')) out.pop_back();
  return out;
}

void sql_exec(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
  char* msg = nullptr;
  EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &msg), SQLITE_OK) << (msg ? msg : "") << "\n" << sql;
  sqlite3_free(msg);
  sqlite3_close(h);
}

struct World {
  std::string dir;
  std::vector<std::string> envois;
};

// A world whose providers share patients: about 40 envois of at most 200 lines.
const World& world() {
  static const World w = [] {
    World x;
    x.dir = mutua::testing::temp_path("concurrency");
    fs::remove_all(x.dir);
    fs::create_directories(x.dir);
    EXPECT_EQ(run_mutua("gen --seed 5 --members 500 --providers 12 --lines 8000 --envoi-lines 200 --error-rate 0.004 "
                        "--out " + x.dir + "/world").code, 0);
    EXPECT_EQ(run_mutua("refdata import " + x.dir + "/world/refdata --db " + x.dir + "/base.db").code, 0);
    for (const auto& e : fs::directory_iterator(x.dir + "/world/envois")) x.envois.push_back(e.path().string());
    std::sort(x.envois.begin(), x.envois.end());
    // Ten envois sent again under another number: the same patients, codes and days. Judged
    // after its original, each line is already billed (500423, 502255) and the copy is rejected;
    // judged at the same time without care, both would be accepted.
    const size_t originals = x.envois.size();
    for (size_t i = 0; i < originals && i < 10; ++i) {
      std::string bytes = read_all(x.envois[i]);
      auto put = [&](size_t at) {
        const int number = std::stoi(bytes.substr(at, 3));
        bytes.replace(at, 3, fmt::format("{:03d}", (number + 500) % 1000));
      };
      put(67 + 8);  // segment 300 zone 301
      for (size_t at = 227; at + 350 <= bytes.size(); at += 350) {
        const std::string type = bytes.substr(at, 2);
        if (type != "10" && type != "90") continue;
        put(at + 32);  // zone 7
        std::string record = bytes.substr(at, 350);
        mutua::seal_record(record);
        bytes.replace(at, 350, record);
      }
      const std::string path = x.dir + "/world/envois/" + fs::path(x.envois[i]).stem().string() + "-again.efact";
      std::ofstream(path, std::ios::binary) << bytes;
      x.envois.push_back(path);
    }
    return x;
  }();
  return w;
}

std::vector<std::string> adjudicate_args(const std::string& db, const std::string& out, std::vector<std::string> files) {
  std::vector<std::string> a = {"adjudicate", "--db", db, "--today", kToday, "--out", out};
  a.insert(a.end(), files.begin(), files.end());
  return a;
}

// What a judgement decided, envoi by envoi in the order recorded, and what entered history.
const std::vector<std::string> kDecisions = {
    "SELECT id, third_party, year, number, status, file_name, error_rate_bp, lines, rejected_lines, asked_cents, "
    "accepted_cents, refused_cents, pending_cents FROM envois ORDER BY id",
    "SELECT envoi_id, niss, code, first_date, units, amount, provider, reversed FROM history_all ORDER BY id",
    "SELECT envoi_id, message, bytes FROM responses ORDER BY envoi_id, message",
    "SELECT envoi_id, niss, code, amount, state FROM pending_lines ORDER BY id"};

}  // namespace

TEST(Concurrency, ThreeProcessesJudgingTheSameEnvoisGiveTheStoreOfOneAfterTheOther) {
  const World& w = world();
  ASSERT_GE(w.envois.size(), 20u);
  std::mt19937 rng(4242);
  for (int round = 0; round < 4; ++round) {
    const std::string base = w.dir + "/round" + std::to_string(round);
    fs::remove_all(base);
    fs::create_directories(base);
    fs::copy_file(w.dir + "/base.db", base + "/conc.db");
    // The first process judges each original while the second judges its copy; the third goes
    // its own way.
    std::vector<std::string> originals, copies;
    for (const auto& f : w.envois) (f.find("-again") == std::string::npos ? originals : copies).push_back(f);
    std::vector<pid_t> pids;
    for (int p = 0; p < 3; ++p) {
      std::vector<std::string> files;
      if (p < 2) {
        const auto& first = p == 0 ? originals : copies;
        const auto& then = p == 0 ? copies : originals;
        files.insert(files.end(), first.begin(), first.begin() + static_cast<long>(copies.size()));
        for (const auto& f : w.envois)
          if (std::find(files.begin(), files.end(), f) == files.end()) files.push_back(f);
        (void)then;
      } else {
        files = w.envois;
        std::shuffle(files.begin(), files.end(), rng);
      }
      pids.push_back(spawn(adjudicate_args(base + "/conc.db", base + "/out" + std::to_string(p), files),
                           base + "/p" + std::to_string(p) + ".log"));
    }
    for (size_t p = 0; p < pids.size(); ++p) {
      const int rc = wait_exit(pids[p]);
      EXPECT_TRUE(rc == 0 || rc == 1) << read_all(base + "/p" + std::to_string(p) + ".log");
    }
    // Every file judged three times; one acceptance per envoi number at most.
    EXPECT_EQ(sql_one(base + "/conc.db", "SELECT COUNT(*) FROM envois"), std::to_string(3 * w.envois.size()));
    EXPECT_EQ(sql_one(base + "/conc.db",
                      "SELECT COUNT(*) FROM (SELECT 1 FROM envois WHERE status = 'accepted' GROUP BY third_party, year, "
                      "number, test HAVING COUNT(*) > 1)"),
              "0");
    const std::string accepted = sql_one(base + "/conc.db", "SELECT COUNT(*) FROM envois WHERE status = 'accepted'");
    EXPECT_NE(accepted, "0");
    // An original and its copy: never both accepted (a test file never enters history).
    EXPECT_EQ(sql_one(base + "/conc.db",
                      "SELECT COUNT(*) FROM envois a JOIN envois b ON b.file_name = replace(a.file_name, '.efact', "
                      "'-again.efact') WHERE a.status = 'accepted' AND b.status = 'accepted' AND a.test = 0"),
              "0");

    // One process, the same files in the order the three recorded them.
    std::vector<std::string> order;
    {
      std::string names = dump(base + "/conc.db", {"SELECT file_name FROM envois ORDER BY id"});
      std::istringstream in(names.substr(names.find('\n') + 1));
      for (std::string line; std::getline(in, line);)
        if (!line.empty()) order.push_back(w.dir + "/world/envois/" + line.substr(0, line.size() - 1));
    }
    ASSERT_EQ(order.size(), 3 * w.envois.size());
    fs::copy_file(w.dir + "/base.db", base + "/seq.db");
    const int seq_rc = wait_exit(spawn(adjudicate_args(base + "/seq.db", base + "/seq-out", order), base + "/seq.log"));
    ASSERT_TRUE(seq_rc == 0 || seq_rc == 1) << read_all(base + "/seq.log");
    EXPECT_TRUE(dump(base + "/conc.db", kDecisions) == dump(base + "/seq.db", kDecisions))
        << "round " << round << ": the concurrent store differs from the sequential one";
  }
}

TEST(Concurrency, PaymentRunsAtOncePayEachEnvoiOnceAndTheLedgerBalances) {
  const World& w = world();
  const std::string base = w.dir + "/pay";
  fs::remove_all(base);
  fs::create_directories(base);
  fs::copy_file(w.dir + "/base.db", base + "/m.db");
  ASSERT_LE(wait_exit(spawn(adjudicate_args(base + "/m.db", base + "/out", w.envois), base + "/adj.log")), 1);
  fs::copy_file(base + "/m.db", base + "/seq.db");
  for (int round = 0; round < 3; ++round) {
    std::vector<pid_t> pids;
    for (int p = 0; p < 3; ++p)
      pids.push_back(spawn({"settle", "--db", base + "/m.db", "--config", kConfig, "--date", "2026-11-30", "--budget",
                            "1000000000", "--run", "r" + std::to_string(round) + "-" + std::to_string(p), "--out",
                            base + "/settle"},
                           base + "/settle" + std::to_string(p) + ".log"));
    for (size_t p = 0; p < pids.size(); ++p) {
      const int rc = wait_exit(pids[p]);
      EXPECT_TRUE(rc == 0 || rc == 1) << read_all(base + "/settle" + std::to_string(p) + ".log");
    }
  }
  auto check = run_mutua("ledger check --db " + base + "/m.db");
  EXPECT_EQ(check.code, 0) << check.out;
  // Every accepted envoi paid by exactly one run, and the same total as one run alone.
  EXPECT_EQ(sql_one(base + "/m.db", "SELECT COUNT(*) FROM envois WHERE status = 'accepted' AND test = 0 AND settled_run IS NULL"),
            "0");
  EXPECT_EQ(sql_one(base + "/m.db", "SELECT COUNT(*) FROM (SELECT envoi_id FROM payments WHERE complement = 0 "
                                    "GROUP BY envoi_id, account HAVING COUNT(*) > 1)"),
            "0");
  ASSERT_EQ(run_mutua("settle --db " + base + "/seq.db --config " + kConfig +
                      " --date 2026-11-30 --budget 1000000000 --run once --out " + base + "/seq-settle").code, 0);
  const std::string paid = "SELECT SUM(paid_cents), COUNT(DISTINCT reference) FROM payments";
  EXPECT_EQ(sql_one(base + "/m.db", paid), sql_one(base + "/seq.db", paid));
}

TEST(Concurrency, TwoAdvisorDecisionsAtOnceOnOneRequestOneStands) {
  const World& w = world();
  const std::string base = w.dir + "/advisor";
  fs::remove_all(base);
  fs::create_directories(base);
  fs::copy_file(w.dir + "/base.db", base + "/m.db");
  const std::string niss = sql_one(base + "/m.db", "SELECT niss FROM ref_members ORDER BY seq LIMIT 1");
  for (int round = 1; round <= 8; ++round) {
    ASSERT_EQ(run_mutua("agreement request --db " + base + "/m.db --niss " + niss +
                        " --code 425014 --date 2026-11-01 --from 2026-11-01 --to 2026-12-31").code, 0);
    const std::string id = std::to_string(round);
    pid_t a = spawn({"agreement", "decide", "--db", base + "/m.db", "--id", id, "--decision", "A", "--date", "2026-11-02"},
                    base + "/a.log");
    pid_t n = spawn({"agreement", "decide", "--db", base + "/m.db", "--id", id, "--decision", "N", "--date", "2026-11-02"},
                    base + "/n.log");
    const int ra = wait_exit(a), rn = wait_exit(n);
    EXPECT_TRUE((ra == 0) != (rn == 0)) << "A: " << ra << " N: " << rn << "\n" << read_all(base + "/a.log") << read_all(base + "/n.log");
    EXPECT_EQ(sql_one(base + "/m.db", "SELECT COUNT(*) FROM agreement_events WHERE agreement_id = " + id + " AND decision <> ''"),
              "1");
    EXPECT_EQ(sql_one(base + "/m.db", "SELECT decision FROM agreements WHERE id = " + id), ra == 0 ? "A" : "N");
  }
}

TEST(Concurrency, LedgerCheckFindsAnEnvoiAcceptedTwicePaidTwiceAndItsLinesTwice) {
  const World& w = world();
  const std::string base = w.dir + "/ledger";
  fs::remove_all(base);
  fs::create_directories(base);
  fs::copy_file(w.dir + "/base.db", base + "/m.db");
  ASSERT_LE(wait_exit(spawn(adjudicate_args(base + "/m.db", base + "/out", w.envois), base + "/adj.log")), 1);
  const std::string first = sql_one(base + "/m.db", "SELECT MIN(id) FROM envois WHERE status = 'accepted'");
  const std::string copy = sql_one(base + "/m.db", "SELECT MAX(id) + 1 FROM envois");
  ASSERT_FALSE(first.empty());
  ASSERT_EQ(run_mutua("ledger check --db " + base + "/m.db").code, 0);
  // What two processes of an older mutua left: the same envoi accepted twice, its lines twice,
  // then both paid (the store's constraint is taken away to write it).
  sql_exec(base + "/m.db",
           "DROP INDEX envois_accepted_number;"
           "INSERT INTO envois (id, third_party, year, month, number, status, test, received, file_name, content_hash, "
           "batch, error_rate_bp, lines, rejected_lines, asked_cents, accepted_cents, refused_cents, federation, "
           "accepted_a_cents, accepted_b_cents, account_c_cents, pending_cents) SELECT " + copy + ", third_party, year, month, "
           "number, status, test, received, file_name, content_hash, batch, error_rate_bp, lines, rejected_lines, "
           "asked_cents, accepted_cents, refused_cents, federation, accepted_a_cents, accepted_b_cents, account_c_cents, "
           "pending_cents FROM envois WHERE id = " + first + ";"
           "INSERT INTO history (id, envoi_id, niss, code, first_date, last_date, units, amount, provider, third_party, "
           "invoice_number, record, billed, envoi_number, reversed) SELECT (SELECT MAX(id) FROM history_all) + "
           "ROW_NUMBER() OVER (ORDER BY id), " + copy + ", niss, code, first_date, last_date, units, "
           "amount, provider, third_party, invoice_number, record, billed, envoi_number, reversed FROM history_all "
           "WHERE envoi_id = " + first + ";");
  ASSERT_EQ(run_mutua("settle --db " + base + "/m.db --config " + kConfig +
                      " --date 2026-11-30 --budget 1000000000 --run twice --out " + base + "/settle").code, 0);
  auto check = run_mutua("ledger check --db " + base + "/m.db");
  EXPECT_NE(check.code, 0) << check.out;
  const std::string who = sql_one(base + "/m.db", "SELECT printf('envoi %03d of %s for %d', number, third_party, year) "
                                                  "FROM envois WHERE id = " + first);
  const std::string receptions = "accepted 2 times: receptions " + first + ", " + copy;
  EXPECT_NE(check.out.find(who + " " + receptions), std::string::npos) << check.out;
  EXPECT_NE(check.out.find(who + " paid 2 times"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("record"), check.out.rfind(receptions)) << check.out;  // the line's own message too
  EXPECT_NE(check.out.find(", record "), std::string::npos) << check.out;
}

TEST(Concurrency, ProcessesCreatingOneNewStoreAtOnceAllMigrateIt) {
  const World& w = world();
  const std::string base = w.dir + "/new";
  fs::remove_all(base);
  fs::create_directories(base);
  std::vector<pid_t> pids;
  for (int p = 0; p < 4; ++p)
    pids.push_back(spawn({"refdata", "import", w.dir + "/world/refdata", "--db", base + "/m.db"},
                         base + "/import" + std::to_string(p) + ".log"));
  for (size_t p = 0; p < pids.size(); ++p)
    EXPECT_EQ(wait_exit(pids[p]), 0) << read_all(base + "/import" + std::to_string(p) + ".log");
  EXPECT_EQ(sql_one(base + "/m.db", "SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_version"),
            sql_one(w.dir + "/base.db", "SELECT COUNT(*), COUNT(DISTINCT version) FROM schema_version"));
}

TEST(Concurrency, AdjudicationPaymentRunsAndDecisionsAllAtOnceKeepTheLedgerWhole) {
  const World& w = world();
  const std::string base = w.dir + "/mixed";
  fs::remove_all(base);
  fs::create_directories(base);
  fs::copy_file(w.dir + "/base.db", base + "/m.db");
  const std::string db = base + "/m.db";
  const std::string niss = sql_one(db, "SELECT niss FROM ref_members ORDER BY seq LIMIT 1");
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(run_mutua("agreement request --db " + db + " --niss " + niss +
                        " --code 425014 --date 2026-11-01 --from 2026-11-01 --to 2026-12-31").code, 0);
  std::mt19937 rng(77);
  std::vector<std::pair<pid_t, std::string>> pids;
  for (int p = 0; p < 2; ++p) {
    std::vector<std::string> files = w.envois;
    std::shuffle(files.begin(), files.end(), rng);
    const std::string log = base + "/adjudicate" + std::to_string(p) + ".log";
    pids.emplace_back(spawn(adjudicate_args(db, base + "/out" + std::to_string(p), files), log), log);
  }
  for (int id = 1; id <= 4; ++id) {
    const std::string log = base + "/decide" + std::to_string(id) + ".log";
    pids.emplace_back(spawn({"agreement", "decide", "--db", db, "--id", std::to_string(id), "--decision", id % 2 ? "A" : "N",
                             "--date", "2026-11-02"},
                            log),
                      log);
  }
  // Payment runs, two at a time, again and again while the envois are being judged.
  auto adjudicating = [&] {
    bool any = false;
    for (size_t i = 0; i < 2; ++i) {
      int status = 0;
      if (pids[i].first > 0 && ::waitpid(pids[i].first, &status, WNOHANG) == pids[i].first) {
        EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) <= 1) << read_all(pids[i].second);
        pids[i].first = 0;
      }
      any = any || pids[i].first > 0;
    }
    return any;
  };
  int runs = 0;
  while (adjudicating() || runs < 4) {
    std::vector<pid_t> settles;
    for (int p = 0; p < 2; ++p, ++runs)
      settles.push_back(spawn({"settle", "--db", db, "--config", kConfig, "--date", "2026-11-30", "--budget",
                               "1000000000", "--run", "m" + std::to_string(runs), "--out", base + "/settle"},
                              base + "/settle.log"));
    for (pid_t s : settles) EXPECT_LE(wait_exit(s), 1) << read_all(base + "/settle.log");
  }
  for (size_t i = 2; i < pids.size(); ++i) {
    const int rc = wait_exit(pids[i].first);
    EXPECT_TRUE(rc == 0 || rc == 1) << pids[i].second << "\n" << read_all(pids[i].second);
  }
  EXPECT_GE(runs, 4);
  // Runs paid while envois were still coming in (more than one run recorded something).
  EXPECT_GE(std::stoi(sql_one(db, "SELECT COUNT(*) FROM payment_runs")), 2) << runs << " runs";
  // Whatever the interleaving: each envoi number accepted once, each accepted envoi paid at most
  // once per account, every decision recorded once, and the ledger balances.
  EXPECT_EQ(sql_one(db, "SELECT COUNT(*) FROM (SELECT 1 FROM envois WHERE status = 'accepted' GROUP BY third_party, year, "
                        "number, test HAVING COUNT(*) > 1)"),
            "0");
  EXPECT_EQ(sql_one(db, "SELECT COUNT(*) FROM (SELECT 1 FROM payments GROUP BY envoi_id, account, complement "
                        "HAVING COUNT(*) > 1)"),
            "0");
  EXPECT_EQ(sql_one(db, "SELECT COUNT(*) FROM agreement_events WHERE decision <> ''"), "4");
  auto check = run_mutua("ledger check --db " + db);
  EXPECT_EQ(check.code, 0) << check.out;
}
