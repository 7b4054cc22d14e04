// Payment runs on a real store: a generated world is imported and adjudicated, then `mutua
// settle` pays it with tight budgets, regularisations are set off, the pain.001 file is checked
// with xmllint and against its own totals, the ledger check balances (and catches tampering),
// and a run killed at 20 or more random moments ends exactly as an uninterrupted one.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "baseline.h"
#include "pain_check.h"
#include "mutua/check_digits.h"
#include "mutua/settlement/config.h"
#include "mutua/settlement/ledger_check.h"
#include "mutua/settlement/payment_run.h"
#include "mutua/store/sqlite.h"

namespace fs = std::filesystem;
using mutua::testing::read_all;
using mutua::testing::run_mutua;

namespace {

const std::string kConfig = std::string(MUTUA_SOURCE_DIR) + "/data/sample/mutua-payments.json";

// A world of 30 providers, all envois accepted (received 2026-11-23), in a fresh store.
class Settlement : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = mutua::testing::temp_path("settle-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto g = run_mutua("gen --seed 5 --members 3000 --providers 30 --lines 20000 --envoi-lines 500 --error-rate 0 --test-files 0 --out " +
                       dir_ + "/world");
    ASSERT_EQ(g.code, 0) << g.out;
    auto i = run_mutua("refdata import " + dir_ + "/world/refdata --db " + db());
    ASSERT_EQ(i.code, 0) << i.out;
    auto a = run_mutua("adjudicate --db " + db() + " --today 2026-11-23 --out " + dir_ + "/responses " + dir_ +
                       "/world/envois/*.efact");
    ASSERT_EQ(a.code, 0) << a.out;
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string db() const { return dir_ + "/m.db"; }
  mutua::model::LedgerState ledger() {
    auto store = mutua::store::open_sqlite(db());
    EXPECT_TRUE(store.has_value());
    auto st = (*store)->ledger(false, true);
    EXPECT_TRUE(st.has_value());
    return *st;
  }
  mutua::testing::CmdResult settle(const std::string& date, const std::string& budget, const std::string& extra = "") {
    return run_mutua("settle --db " + db() + " --config " + kConfig + " --date " + date + " --budget " + budget + " --out " +
                     dir_ + "/pay " + extra);
  }
  std::string dir_;
};

int64_t total(const mutua::model::LedgerEnvoi& e) { return e.accepted_a + e.accepted_b; }

TEST_F(Settlement, PaysInStrictOrderOfReceiptWithinTheBudget) {
  auto before = ledger();
  ASSERT_GE(before.envois.size(), 10u);
  // Budget: the first two envois and almost the third; a later, smaller envoi must wait too.
  const int64_t budget = total(before.envois[0]) + total(before.envois[1]) + total(before.envois[2]) - 1;
  auto r = settle("2026-11-25", mutua::settlement::euros(budget));
  ASSERT_EQ(r.code, 0) << r.out;
  auto after = ledger();
  std::vector<int64_t> settled;
  for (const auto& e : after.envois)
    if (e.settled_run) settled.push_back(e.id);
  ASSERT_EQ(settled.size(), 2u) << r.out;
  EXPECT_EQ(settled[0], before.envois[0].id);
  EXPECT_EQ(settled[1], before.envois[1].id);
  // References in order, one per transfer, bank-statement form in the payment file.
  ASSERT_EQ(after.payments.size(), 2u);
  EXPECT_EQ(after.payments[0].reference, "2026/2/0000001");
  EXPECT_EQ(after.payments[1].reference, "2026/2/0000002");
  EXPECT_EQ(after.payments[0].paid_cents, total(before.envois[0]));
  const std::string pain = read_all(dir_ + "/pay/payments-2026-11-25.pain.001.xml");
  EXPECT_NE(pain.find("<EndToEndId>0202620000001</EndToEndId>"), std::string::npos);
  EXPECT_NE(r.out.find("does not fit the budget"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("waits its turn"), std::string::npos) << r.out;

  // Next run, more budget: the waiting ones are paid, references go on, nothing paid twice.
  auto r2 = settle("2026-11-27", "10000000");
  ASSERT_EQ(r2.code, 0) << r2.out;
  auto last = ledger();
  std::set<std::string> refs;
  for (const auto& p : last.payments) EXPECT_TRUE(refs.insert(p.reference).second) << p.reference;
  EXPECT_EQ(last.payments[2].reference, "2026/2/0000003");
  for (const auto& e : last.envois) EXPECT_NE(e.settled_run, 0) << "envoi " << e.id << " left unpaid";
  auto check = mutua::settlement::check_ledger(last);
  EXPECT_TRUE(check.problems.empty()) << check.problems.front();
  EXPECT_EQ(check.totals.paid, check.totals.accepted);
  EXPECT_EQ(check.totals.awaiting, 0);
}

TEST_F(Settlement, EnvoisPastFourteenDaysAreFlagged) {
  // Nothing fits a budget of 1 cent: every envoi waits; on 2026-12-11 they waited 18 days.
  auto r = settle("2026-12-11", "0.01");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("18 PAST 14 DAYS"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nothing paid"), std::string::npos) << r.out;
  // Within the 14 days: waiting, not flagged.
  auto r2 = settle("2026-12-01", "0.01");
  EXPECT_EQ(r2.code, 0) << r2.out;
  EXPECT_EQ(r2.out.find("PAST 14 DAYS"), std::string::npos) << r2.out;
}

TEST_F(Settlement, RegularisationsAreSetOffAndTheRemainderCarriesOver) {
  auto before = ledger();
  // A provider with at least two envois.
  std::map<std::string, std::vector<const mutua::model::LedgerEnvoi*>> by;
  for (const auto& e : before.envois) by[e.third_party].push_back(&e);
  const mutua::model::LedgerEnvoi* first = nullptr;
  const mutua::model::LedgerEnvoi* second = nullptr;
  for (const auto& [tp, list] : by)
    if (list.size() >= 2 && list[0]->accepted_b == 0 && list[1]->accepted_b == 0) {
      first = list[0];
      second = list[1];
      break;
    }
  ASSERT_NE(first, nullptr);
  // Owed: the whole first payment plus 10.00.
  const int64_t owed = first->accepted_a + 1000;
  auto add = run_mutua("regularisation add --db " + db() + " --provider " + first->third_party + " --amount " +
                       mutua::settlement::euros(owed) + " --reason 'M38 test' --date 2026-11-24");
  ASSERT_EQ(add.code, 0) << add.out;
  auto r = settle("2026-11-25", "100000000");
  ASSERT_EQ(r.code, 0) << r.out;
  auto after = ledger();
  const mutua::model::Payment* p1 = nullptr;
  const mutua::model::Payment* p2 = nullptr;
  for (const auto& p : after.payments) {
    if (p.envoi_id == first->id) p1 = &p;
    if (p.envoi_id == second->id) p2 = &p;
  }
  ASSERT_TRUE(p1 && p2);
  EXPECT_EQ(p1->compensated_cents, first->accepted_a);
  EXPECT_EQ(p1->paid_cents, 0);
  EXPECT_TRUE(p1->reference.empty()) << "nothing transferred, no reference";
  EXPECT_EQ(p2->compensated_cents, 1000);
  EXPECT_EQ(p2->paid_cents, second->accepted_a - 1000);
  ASSERT_EQ(after.regularisations.size(), 1u);
  EXPECT_EQ(after.regularisations[0].set_off_cents, owed);
  auto check = run_mutua("ledger check --db " + db());
  EXPECT_EQ(check.code, 0) << check.out;
  EXPECT_NE(check.out.find("ledger balances"), std::string::npos);
}

TEST_F(Settlement, RunningTheSameRunAgainPaysNothingTwice) {
  auto r = settle("2026-11-25", "300000");
  ASSERT_EQ(r.code, 0) << r.out;
  const std::string pain = read_all(dir_ + "/pay/payments-2026-11-25.pain.001.xml");
  const auto before = ledger();
  fs::remove(dir_ + "/pay/payments-2026-11-25.pain.001.xml");
  auto again = settle("2026-11-25", "999999999");
  ASSERT_EQ(again.code, 0) << again.out;
  EXPECT_NE(again.out.find("already recorded"), std::string::npos) << again.out;
  const auto after = ledger();
  EXPECT_EQ(before.payments.size(), after.payments.size());
  EXPECT_EQ(read_all(dir_ + "/pay/payments-2026-11-25.pain.001.xml"), pain) << "the payment file written again differs";
}

// The pain.001 file: well formed (xmllint), its group header matches its transactions, every
// IBAN and BIC valid, amounts with two decimals; in both versions.
TEST_F(Settlement, PaymentFileIsWellFormedAndAddsUp) {
  for (const std::string version : {"001.001.09", "001.001.03"}) {
    const std::string key = "v" + version.substr(8);
    auto r = settle("2026-11-25", "400000", "--run " + key + " --pain " + version);
    ASSERT_EQ(r.code, 0) << r.out;
    const std::string file = dir_ + "/pay/payments-" + key + ".pain.001.xml";
    ASSERT_TRUE(fs::exists(file)) << r.out;
    // SEPA character set only, though the generated names carry accents.
    const auto transactions = mutua::testing::check_pain001(file, version);
    EXPECT_GT(transactions.size(), 0u);
  }
}

TEST_F(Settlement, LedgerCheckFindsAnAlteredFigure) {
  ASSERT_EQ(settle("2026-11-25", "300000").code, 0);
  ASSERT_EQ(run_mutua("ledger check --db " + db()).code, 0);
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(h, "UPDATE envois SET accepted_a_cents = accepted_a_cents + 1 WHERE id = 1", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(h);
  }
  auto check = run_mutua("ledger check --db " + db());
  EXPECT_EQ(check.code, 1) << check.out;
  EXPECT_NE(check.out.find("reception 1"), std::string::npos) << check.out;
  EXPECT_NE(check.out.find("history add up to"), std::string::npos) << check.out;
}

// plan_run on hand-made figures: a credit-note envoi becomes a balance set off in the same run,
// an amount the fund owes is added to the next payment, a provider without account is held
// without holding up the others.
TEST(PaymentPlan, CreditNotesBalancesAndHeldEnvois) {
  using namespace mutua;
  model::RefData ref;
  model::Provider x, y, z;
  x.inami = "40765140401";
  x.iban_a = "BE71096123456769";
  y.inami = "40765140402";
  y.iban_a = "BE71096123456769";
  z.inami = "40765140403";  // no account
  ref.providers = {x, y, z};
  model::LedgerState st;
  auto envoi = [](int64_t id, const std::string& tp, int64_t a) {
    model::LedgerEnvoi e;
    e.id = id;
    e.third_party = tp;
    e.fund = "300";
    e.number = static_cast<int>(id);
    e.month = 10;
    e.year = 2026;
    e.received = 20261101;
    e.accepted_a = a;
    return e;
  };
  st.envois = {envoi(1, x.inami, -5000), envoi(2, z.inami, 7000), envoi(3, x.inami, 20000), envoi(4, y.inami, 3000)};
  model::Regularisation owed_to_y;
  owed_to_y.id = 9;
  owed_to_y.third_party = y.inami;
  owed_to_y.amount_cents = -250;  // the fund owes y 2.50
  st.regularisations = {owed_to_y};
  settlement::RunOptions o;
  o.date = 20261110;
  o.budget_cents = 1000000;
  o.key = "t";
  o.execution = 20261111;
  auto plan = settlement::plan_run(st, {{"300", 2026, 41}}, ref, o);
  ASSERT_EQ(plan.held.size(), 1u);
  EXPECT_EQ(plan.held[0].envoi.id, 2);
  EXPECT_NE(plan.held[0].why.find("IBAN"), std::string::npos);
  const auto& pays = plan.outcome.payments;
  ASSERT_EQ(pays.size(), 3u);
  EXPECT_EQ(pays[0].envoi_id, 1);
  EXPECT_EQ(pays[0].paid_cents, 0);
  EXPECT_EQ(pays[0].compensated_cents, -5000);
  EXPECT_TRUE(pays[0].reference.empty());
  ASSERT_EQ(plan.outcome.balances.size(), 1u);
  EXPECT_EQ(plan.outcome.balances[0].amount_cents, 5000);
  EXPECT_EQ(pays[1].envoi_id, 3);
  EXPECT_EQ(pays[1].compensated_cents, 5000);
  EXPECT_EQ(pays[1].paid_cents, 15000);
  EXPECT_EQ(pays[1].reference, "2026/2/0000042");
  EXPECT_EQ(pays[2].envoi_id, 4);
  EXPECT_EQ(pays[2].compensated_cents, -250);
  EXPECT_EQ(pays[2].paid_cents, 3250);
  EXPECT_EQ(pays[2].reference, "2026/2/0000043");
  EXPECT_EQ(plan.outcome.run.paid_cents, 18250);
  // The balance of envoi 1 (new, id -1) is what envoi 3 set off.
  ASSERT_EQ(plan.outcome.compensations.size(), 2u);
  EXPECT_EQ(plan.outcome.compensations[0].regularisation_id, -1);
  EXPECT_EQ(plan.outcome.compensations[0].payment_id, 1);
  EXPECT_EQ(plan.outcome.compensations[1].regularisation_id, 9);
  EXPECT_EQ(settlement::statement_reference(2026, 42), "0202620000042");
}

TEST(PaymentPlan, AmountsInEurosNeverGoThroughFloatingPoint) {
  using mutua::settlement::parse_euros;
  EXPECT_EQ(*parse_euros("1234.56"), 123456);
  EXPECT_EQ(*parse_euros("1234,5"), 123450);
  EXPECT_EQ(*parse_euros("0.07"), 7);
  EXPECT_EQ(*parse_euros("-12"), -1200);
  EXPECT_EQ(*parse_euros("9999999999999.99"), 999999999999999);
  for (const char* bad : {"", "1.234", "12a", "1.2.3", ".5", "1.", "- 3"}) EXPECT_FALSE(parse_euros(bad)) << bad;
  EXPECT_EQ(mutua::settlement::euros(-5), "-0.05");
  EXPECT_EQ(mutua::settlement::euros(123456), "1234.56");
}

}  // namespace

namespace {

// Atomicity of payments: six payment runs (with regularisations to set off), each killed
// (SIGKILL) four times at random moments before it is let to finish; the ledger tables and
// the payment files must be exactly those of the same runs made without interruption.
TEST(SettlementAtomicity, KilledAtTwentyFourRandomMomentsTheLedgerEqualsAnUninterruptedRun) {
  using mutua::testing::spawn;
  using mutua::testing::wait_exit;
  const std::string dir = mutua::testing::temp_path("settle-kill");
  fs::remove_all(dir);
  fs::create_directories(dir);
  auto g = run_mutua("gen --seed 11 --members 3000 --providers 40 --lines 30000 --envoi-lines 1000 --error-rate 0 "
                     "--test-files 0 --out " + dir + "/world");
  ASSERT_EQ(g.code, 0) << g.out;
  const std::string base = dir + "/base.db";
  ASSERT_EQ(run_mutua("refdata import " + dir + "/world/refdata --db " + base).code, 0);
  auto a = run_mutua("adjudicate --db " + base + " --today 2026-11-23 --out " + dir + "/responses " + dir + "/world/envois/*.efact");
  ASSERT_LE(a.code, 1) << a.out;
  // Regularisations on the first providers paid, so that the runs set them off.
  auto store = mutua::store::open_sqlite(base);
  ASSERT_TRUE(store.has_value());
  auto st = (*store)->ledger(true, false);
  ASSERT_TRUE(st.has_value());
  ASSERT_GE(st->envois.size(), 20u);
  for (size_t i = 0; i < 3; ++i) {
    auto r = run_mutua("regularisation add --db " + base + " --provider " + st->envois[i * 5].third_party +
                       " --amount 75.25 --reason M38 --date 2026-11-23");
    ASSERT_EQ(r.code, 0) << r.out;
  }
  store->reset();
  auto args = [&](const std::string& db, const std::string& out, int day) {
    return std::vector<std::string>{"settle",   "--db",  db, "--config", kConfig, "--date", fmt::format("2026-11-{}", day),
                                    "--budget", "60000", "--out", out};
  };
  const std::vector<std::string> ledger_tables = {
      "SELECT * FROM payment_runs ORDER BY id", "SELECT * FROM payments ORDER BY id",
      "SELECT * FROM regularisations ORDER BY id", "SELECT * FROM compensations ORDER BY payment_id, regularisation_id",
      "SELECT id, settled_run FROM envois ORDER BY id"};

  fs::copy_file(base, dir + "/straight.db");
  const auto t0 = std::chrono::steady_clock::now();
  for (int day = 24; day < 30; ++day)
    ASSERT_LE(wait_exit(spawn(args(dir + "/straight.db", dir + "/straight-out", day), dir + "/straight.log")), 1)
        << read_all(dir + "/straight.log");
  const int64_t per_run_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count() / 6;
  const std::string straight = mutua::testing::dump(dir + "/straight.db", ledger_tables);
  ASSERT_NE(straight.find("2026/2/0000001"), std::string::npos) << "the runs paid nothing";

  fs::copy_file(base, dir + "/killed.db");
  std::mt19937_64 rng(4242);
  int kills = 0, after_commit = 0;
  for (int day = 24; day < 30; ++day) {
    // Four kills of this run (a try that ends before its kill is not counted), then let it finish.
    for (int k = 0, tries = 0; k < 4 && tries < 40; ++tries) {
      const auto runs_before = mutua::testing::dump(dir + "/killed.db", {"SELECT COUNT(*) FROM payment_runs"});
      pid_t pid = spawn(args(dir + "/killed.db", dir + "/killed-out", day), dir + "/killed.log");
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % static_cast<uint64_t>(per_run_us * 12 / 10 + 1)));
      kill(pid, SIGKILL);
      bool killed = false;
      wait_exit(pid, &killed);
      kills += killed;
      k += killed;
      after_commit += killed && mutua::testing::dump(dir + "/killed.db", {"SELECT COUNT(*) FROM payment_runs"}) != runs_before;
    }
    ASSERT_LE(wait_exit(spawn(args(dir + "/killed.db", dir + "/killed-out", day), dir + "/killed.log")), 1)
        << read_all(dir + "/killed.log");
  }
  std::printf("run %lld us; %d kills, %d of them after the run was recorded\n", static_cast<long long>(per_run_us), kills,
              after_commit);
  EXPECT_GE(kills, 20);
  EXPECT_TRUE(mutua::testing::dump(dir + "/killed.db", ledger_tables) == straight)
      << "the ledger after " << kills << " kills differs from the uninterrupted runs";
  auto fa = mutua::testing::files_of(dir + "/straight-out"), fb = mutua::testing::files_of(dir + "/killed-out");
  // The payment files (the reports say whether a run was resumed, so they may differ).
  for (const auto& [name, bytes] : fa) {
    if (!name.ends_with(".xml")) continue;
    auto it = fb.find(name);
    ASSERT_NE(it, fb.end()) << name << " missing after the kills";
    EXPECT_TRUE(it->second == bytes) << name << " differs after the kills";
  }
  auto check = run_mutua("ledger check --db " + dir + "/killed.db");
  EXPECT_EQ(check.code, 0) << check.out;
  if (!HasFailure()) fs::remove_all(dir);
}

}  // namespace
