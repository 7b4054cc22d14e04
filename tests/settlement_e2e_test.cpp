// The billing loop over a year, end to end on a real store through the real binary: a
// generated world's envois are received month by month (each month's on the 21st of the next),
// a payment run follows each month with a tight budget (envois wait their turn, in strict order
// of receipt, and are flagged past 14 days), the fund records regularisations (one set off at
// once, one larger than the payment it meets, carried over), the advisor approves a pending
// line late (paid as a complement, *) and refuses another that another open request still
// holds, and a last run pays what is left.
// After every run every figure is checked against the ledger and the pain.001 file, every
// reference against its format and sequence, and the settlement files carry their references.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "baseline.h"
#include "mutua/tsv.h"
#include "mutua/model/dates.h"
#include "mutua/reader.h"
#include "mutua/settlement/ledger_check.h"
#include "mutua/settlement/payment_run.h"
#include "mutua/store/sqlite.h"
#include "pain_check.h"

namespace fs = std::filesystem;
namespace model = mutua::model;
using mutua::testing::read_all;
using mutua::testing::run_mutua;
using mutua::testing::shell;

namespace {

const std::string kConfig = std::string(MUTUA_SOURCE_DIR) + "/data/sample/mutua-payments.json";

model::Date ymd(int y, int m, int d) { return static_cast<model::Date>(y * 10000 + m * 100 + d); }

class BillingYear : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = mutua::testing::temp_path("billing-year");
    fs::remove_all(dir_);
    auto g = run_mutua("gen --seed 33 --members 5000 --providers 40 --lines 30000 --envoi-lines 500 --error-rate 0.001 "
                       "--credit-notes 0.01 --today 2026-11-15 --out " + dir_ + "/world");
    ASSERT_EQ(g.code, 0) << g.out;
    auto i = run_mutua("refdata import " + dir_ + "/world/refdata --db " + db());
    ASSERT_EQ(i.code, 0) << i.out;
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string db() const { return dir_ + "/store.db"; }
  model::LedgerState ledger() {
    auto store = mutua::store::open_sqlite(db());
    EXPECT_TRUE(store.has_value());
    auto st = (*store)->ledger(false, true);
    EXPECT_TRUE(st.has_value());
    return st ? *st : model::LedgerState{};
  }
  std::string dir_;
};

// What one run paid, as the ledger holds it after the run.
struct RunFigures {
  model::PaymentRun run;
  std::vector<model::Payment> payments;
};

RunFigures figures_of(const model::LedgerState& st, const std::string& key) {
  RunFigures f;
  for (const auto& r : st.runs)
    if (r.key == key) f.run = r;
  for (const auto& p : st.payments)
    if (p.run_id == f.run.id) f.payments.push_back(p);
  return f;
}

TEST_F(BillingYear, MonthlyReceptionsTightBudgetsRegularisationsAndALateApprovalAddUp) {
  // The envois per billed month, as the generator's index lists them.
  std::map<std::pair<int, int>, std::vector<std::string>> by_month;
  std::map<std::string, size_t> envois_of;  // per provider
  auto index = mutua::format::parse_table(read_all(dir_ + "/world/envois.csv"), ',');
  for (const auto& row : index.rows) {
    by_month[{std::stoi(row[3]), std::stoi(row[4])}].push_back(dir_ + "/world/" + row[0]);
    ++envois_of[row[1]];
  }
  ASSERT_GE(by_month.size(), 10u);

  std::set<std::string> references;
  std::map<int, int64_t> last_sequence;  // per payment year
  int64_t paid_total = 0;
  int runs = 0, runs_with_waiting = 0, overdue_runs = 0;
  int64_t small_reg = 0, large_reg = 0;  // regularisation ids
  std::string large_provider, small_provider;
  int64_t approved_line = 0, refused_line = 0;

  // Checks a run against the ledger before and after it and against its payment file.
  auto check_run = [&](const std::string& key, const model::LedgerState& before, const model::LedgerState& after,
                       int64_t budget, const mutua::testing::CmdResult& out) {
    SCOPED_TRACE("run " + key);
    const RunFigures f = figures_of(after, key);
    ASSERT_NE(f.run.id, 0) << out.out;
    ++runs;
    EXPECT_LE(f.run.paid_cents, budget);
    int64_t paid = 0, transfers = 0;
    std::map<int64_t, const model::LedgerEnvoi*> envoi_by_id;
    for (const auto& e : after.envois) envoi_by_id[e.id] = &e;
    std::set<int64_t> paid_envois;
    for (const auto& p : f.payments) {
      // The sums of every payment: accepted = compensated + paid, never a negative transfer.
      EXPECT_EQ(p.paid_cents + p.compensated_cents, p.accepted_cents) << p.envoi_id;
      EXPECT_GE(p.paid_cents, 0);
      paid += p.paid_cents;
      if (p.complement == 0) {
        const auto* e = envoi_by_id[p.envoi_id];
        ASSERT_NE(e, nullptr);
        EXPECT_EQ(p.accepted_cents, p.account == 'A' ? e->accepted_a : e->accepted_b) << p.envoi_id;
        EXPECT_EQ(e->settled_run, f.run.id);
        paid_envois.insert(p.envoi_id);
      }
      if (p.paid_cents == 0) {
        EXPECT_TRUE(p.reference.empty()) << "no transfer, no reference";
        continue;
      }
      ++transfers;
      // YYYY/2/nnnnnnn, the run's year, numbered on from the last one of that year, never twice.
      std::smatch m;
      ASSERT_TRUE(std::regex_match(p.reference, m, std::regex("(\\d{4})/2/(\\d{7})"))) << p.reference;
      EXPECT_EQ(std::stoi(m[1]), static_cast<int>(f.run.date / 10000));
      EXPECT_EQ(std::stoll(m[2]), ++last_sequence[std::stoi(m[1])]) << p.reference;
      EXPECT_TRUE(references.insert(p.reference).second) << p.reference << " given twice";
    }
    EXPECT_EQ(paid, f.run.paid_cents);
    EXPECT_EQ(transfers, f.run.transfers);
    paid_total += paid;

    // Strict order of receipt: every envoi received by the run's date that is still unpaid
    // came after every envoi the run paid.
    int64_t last_paid = 0, first_waiting = INT64_MAX;
    for (const auto& e : after.envois) {
      if (paid_envois.count(e.id)) last_paid = std::max(last_paid, e.id);
      if (!e.settled_run && e.received <= f.run.date) first_waiting = std::min(first_waiting, e.id);
    }
    EXPECT_LT(last_paid, first_waiting);
    if (first_waiting != INT64_MAX) {
      ++runs_with_waiting;
      EXPECT_NE(out.out.find("does not fit the budget left"), std::string::npos) << out.out;
    }
    EXPECT_EQ(out.out.find("held (cannot be paid"), std::string::npos) << out.out;
    // Past 14 days unpaid: flagged in the report and by the exit code.
    bool overdue = false;
    for (const auto& e : after.envois)
      if (!e.settled_run && e.received <= f.run.date && model::days_between(e.received, f.run.date) > 14) overdue = true;
    EXPECT_EQ(out.code, overdue ? 1 : 0) << out.out;
    if (overdue) {
      ++overdue_runs;
      EXPECT_NE(out.out.find("PAST 14 DAYS"), std::string::npos);
    }

    // The bank's file: the run's transfers, nothing else.
    const auto tx = mutua::testing::check_pain001(dir_ + "/pay/payments-" + key + ".pain.001.xml");
    ASSERT_EQ(tx.size(), static_cast<size_t>(transfers));
    size_t t = 0;
    for (const auto& p : f.payments) {
      if (p.paid_cents == 0) continue;
      std::string bank = p.reference;
      bank.erase(std::remove(bank.begin(), bank.end(), '/'), bank.end());
      EXPECT_EQ(tx[t].end_to_end_id, "0" + bank);
      EXPECT_EQ(tx[t].cents, p.paid_cents);
      EXPECT_EQ(tx[t].iban, p.iban);
      ++t;
    }

    // The settlement files of the envois paid carry their references in every ET 91.
    auto resp = run_mutua("response --db " + db() + " --run " + key + " --out " + dir_ + "/paid-" + key);
    ASSERT_EQ(resp.code, 0) << resp.out;
    std::map<int64_t, std::pair<std::string, std::string>> refs;  // envoi -> (A, B)
    for (const auto& p : f.payments)
      if (p.complement == 0) (p.account == 'A' ? refs[p.envoi_id].first : refs[p.envoi_id].second) = p.reference;
    size_t files = 0;
    for (const auto& entry : fs::directory_iterator(dir_ + "/paid-" + key)) {
      const std::string name = entry.path().filename().string();
      if (name.find(".920900.efact") == std::string::npos) continue;
      const int64_t envoi = std::stoll(name.substr(0, name.find('-')));
      if (!refs.count(envoi)) continue;  // a complement's envoi: its own file keeps the first references
      auto reader = mutua::Reader::open(entry.path().string());
      ASSERT_TRUE(reader.has_value());
      mutua::RecordView r;
      std::vector<mutua::Error> problems;
      size_t et91 = 0;
      while ((*reader)->next(r, problems)) {
        if (r.kind != mutua::RecordKind::Et91) continue;
        ++et91;
        auto pad = [](std::string s) {
          s.resize(22, ' ');
          return s;
        };
        EXPECT_EQ(std::string(r.bytes.substr(163, 22)), pad(refs[envoi].first)) << name;
        EXPECT_EQ(std::string(r.bytes.substr(187, 22)), pad(refs[envoi].second)) << name;
      }
      EXPECT_GE(et91, 1u) << name;
      ++files;
    }
    EXPECT_EQ(files, refs.size());
    // Nothing else changed in the ledger: envois the run did not touch stay as they were.
    for (const auto& e : before.envois)
      if (e.settled_run) {
        EXPECT_EQ(envoi_by_id[e.id]->settled_run, e.settled_run);
      }
  };

  // Pays at most 40 % of what awaits (at least the first envoi, so that each run pays something).
  auto tight_budget = [&](const model::LedgerState& st, model::Date date) {
    int64_t awaiting = 0, first = 0;
    for (const auto& e : st.envois)
      if (!e.settled_run && e.received <= date) {
        const int64_t net = std::max<int64_t>(e.accepted_a, 0) + std::max<int64_t>(e.accepted_b, 0);
        if (!first) first = net;
        awaiting += net;
      }
    return std::max(awaiting * 2 / 5, first);
  };
  auto settle = [&](model::Date date, int64_t budget) {
    const std::string key = model::iso(date);
    auto before = ledger();
    auto out = run_mutua(fmt::format("settle --db {} --config {} --date {} --budget {} --out {}/pay --limit 1000", db(),
                                     kConfig, key, mutua::settlement::euros(budget), dir_));
    auto after = ledger();
    check_run(key, before, after, budget, out);
    return after;
  };

  // The providers the fund regularises: the busiest one with an unpaid envoi on account A, and another busy one.
  std::vector<std::pair<size_t, std::string>> busiest;
  for (const auto& [p, n] : envois_of) busiest.emplace_back(n, p);
  std::sort(busiest.rbegin(), busiest.rend());
  ASSERT_GE(busiest.size(), 2u);

  int month_index = 0;
  for (const auto& [ym, files] : by_month) {
    ++month_index;
    const auto [y, m] = ym;
    const int ny = m == 12 ? y + 1 : y, nm = m == 12 ? 1 : m + 1;
    const model::Date received = ymd(ny, nm, 21), run_date = ymd(ny, nm, 28);
    std::string list;
    for (const auto& f : files) list += " " + f;
    auto a = run_mutua("adjudicate --db " + db() + " --today " + model::iso(received) + " --out " + dir_ + "/responses" + list);
    ASSERT_LE(a.code, 1) << a.out;

    if (month_index == 4) {
      // Regularisations (M38): 10.00 owed by one provider, set off on its next payment; and
      // more than the other's next payment on account A, so the rest is carried over.
      auto st = ledger();
      // The large one: the busiest provider with an envoi accepted on account A still unpaid.
      int64_t next_a = 0;
      for (const auto& [n, provider] : busiest) {
        for (const auto& e : st.envois)
          if (!e.settled_run && e.third_party == provider && e.accepted_a > 0 && !next_a) next_a = e.accepted_a;
        if (next_a) {
          large_provider = provider;
          break;
        }
      }
      ASSERT_GT(next_a, 0) << "no provider has an unpaid envoi on account A";
      small_provider = busiest[0].second == large_provider ? busiest[1].second : busiest[0].second;
      auto r1 = run_mutua("regularisation add --db " + db() + " --provider " + small_provider +
                          " --amount 10.00 --reason 'M38 visit billed twice' --date " + model::iso(received));
      ASSERT_EQ(r1.code, 0) << r1.out;
      auto r2 = run_mutua("regularisation add --db " + db() + " --provider " + large_provider + " --amount " +
                          mutua::settlement::euros(next_a + 5000) + " --reason 'M38 wrong tariff' --date " +
                          model::iso(received));
      ASSERT_EQ(r2.code, 0) << r2.out;
      for (const auto& r : ledger().regularisations) {
        if (r.third_party == small_provider && r.amount_cents == 1000) small_reg = r.id;
        if (r.third_party == large_provider && r.amount_cents == next_a + 5000) large_reg = r.id;
      }
      ASSERT_TRUE(small_reg && large_reg);
    }
    if (month_index == 6) {
      // The advisor decides two lines left pending (500434): one approved late, one refused.
      auto st = ledger();
      std::vector<const model::PendingLine*> pending;
      for (const auto& p : st.pending_lines)
        if (p.state == model::PendingState::Pending) pending.push_back(&p);
      ASSERT_GE(pending.size(), 2u) << "the world has lines waiting on the advisor";
      // A decision covers every line of its patient and code: the approved line is one whose
      // patient and code no other pending line shares, the refused one of another patient or code.
      auto key = [](const model::PendingLine* p) { return std::make_pair(p->line.niss, p->line.code); };
      std::map<std::pair<std::string, std::string>, int> lines_of;
      for (const auto* p : pending) ++lines_of[key(p)];
      std::stable_partition(pending.begin(), pending.end(), [&](const model::PendingLine* p) { return lines_of[key(p)] == 1; });
      for (size_t k = 1; k < pending.size(); ++k)
        if (key(pending[k]) != key(pending[0])) {
          std::swap(pending[1], pending[k]);
          break;
        }
      ASSERT_NE(key(pending[0]), key(pending[1])) << "two pending lines of different patients or codes";
      const model::Date decided = model::add_days(received, 2);
      for (int k = 0; k < 2; ++k) {
        const auto& l = pending[static_cast<size_t>(k)]->line;
        auto req = run_mutua(fmt::format("agreement request --db {} --niss {} --code {} --date {} --provider {}", db(),
                                         l.niss, l.code, model::iso(received), l.provider));
        ASSERT_EQ(req.code, 0) << req.out;
        std::smatch id;
        ASSERT_TRUE(std::regex_search(req.out, id, std::regex("agreement (\\d+):"))) << req.out;
        const std::string decision =
            k == 0 ? fmt::format("A --from {} --to {}", model::iso(model::add_days(l.first_date, -30)),
                                 model::iso(model::add_days(l.first_date, 335)))
                   : "N";
        auto dec = run_mutua(fmt::format("agreement decide --db {} --id {} --decision {} --date {}", db(), id[1].str(),
                                         decision, model::iso(decided)));
        ASSERT_EQ(dec.code, 0) << dec.out;
        // Refused, but the fund's data still holds the earlier request waiting (D / O) for the
        // same patient and code: the line keeps waiting on that one.
        if (k == 1) {
          EXPECT_NE(dec.out.find("still pending (500434)"), std::string::npos) << dec.out;
        }
        (k == 0 ? approved_line : refused_line) = pending[static_cast<size_t>(k)]->id;
      }
    }

    auto st = ledger();
    // The month of the regularisations pays all that waits, so both providers are paid and
    // their set-offs can be checked; the other months run on a tight budget.
    settle(run_date, month_index == 4 ? 1'000'000'000 : tight_budget(st, run_date));

    if (month_index == 4) {
      // The small regularisation is wholly set off on the provider's first payment on A; the
      // large one took the whole of the other's payment (no transfer) and waits for more.
      st = ledger();
      int64_t small_set_off = 0, large_set_off = 0;
      for (const auto& r : st.regularisations) {
        if (r.id == small_reg) small_set_off = r.set_off_cents;
        if (r.id == large_reg) large_set_off = r.set_off_cents;
      }
      const RunFigures f = figures_of(st, model::iso(run_date));
      bool small_paid = false, large_paid = false;
      for (const auto& p : f.payments) {
        if (p.third_party == small_provider && p.account == 'A') small_paid = true;
        if (p.third_party == large_provider && p.account == 'A' && p.accepted_cents > 0 && !large_paid) {
          large_paid = true;
          EXPECT_EQ(p.paid_cents, 0) << "the regularisation is larger than the payment";
          EXPECT_TRUE(p.reference.empty());
        }
      }
      if (small_paid) {
        EXPECT_EQ(small_set_off, 1000);
      }
      if (large_paid) {
        EXPECT_GT(large_set_off, 0);
      }
      EXPECT_TRUE(small_paid || large_paid) << "the tight budget paid neither provider";
    }
  }

  // The complement of the approved line was paid (marked *1 on its envoi), under its own
  // reference, for exactly the line's amount; the refused line never is.
  auto st = ledger();
  std::optional<model::PendingLine> approved, refused;  // copies: `st` is read again below
  for (const auto& p : st.pending_lines) {
    if (p.id == approved_line) approved = p;
    if (p.id == refused_line) refused = p;
  }
  ASSERT_TRUE(approved && refused);
  EXPECT_EQ(refused->state, model::PendingState::Pending);
  EXPECT_EQ(refused->run_id, 0);

  // A last run with room for everything: nothing waits any more.
  const model::Date last = ymd(2026, 11, 30);
  st = settle(last, 1'000'000'000);
  for (const auto& e : st.envois) EXPECT_NE(e.settled_run, 0) << "envoi " << e.id << " still unpaid";
  for (const auto& p : st.pending_lines)
    if (p.id == approved_line) {
      EXPECT_EQ(p.state, model::PendingState::Approved);
      EXPECT_EQ(p.complement, 1);
      EXPECT_NE(p.run_id, 0);
    }
  // The decision approved the line (and any other of that patient and code still pending).
  int64_t approved_total = 0, complement_paid = 0;
  for (const auto& p : st.pending_lines)
    if (p.state == model::PendingState::Approved) approved_total += p.line.amount;
  EXPECT_GE(approved_total, approved->line.amount);
  for (const auto& p : st.payments)
    if (p.complement > 0) {
      complement_paid += p.accepted_cents;
      EXPECT_EQ(p.envoi_id, approved->line.envoi_id);
    }
  EXPECT_EQ(complement_paid, approved_total);

  // Every figure: what the envois had accepted (and the advisor approved) = paid + set off;
  // every regularisation set off at most up to its amount; the large one fully by now.
  int64_t accepted = 0, settled = 0, set_off_by_payments = 0;
  for (const auto& e : st.envois) accepted += e.accepted_a + e.accepted_b;
  accepted += approved_total;
  for (const auto& p : st.payments) {
    settled += p.paid_cents + p.compensated_cents;
    set_off_by_payments += p.compensated_cents;
  }
  EXPECT_EQ(settled, accepted);
  int64_t set_off = 0;
  for (const auto& r : st.regularisations) {
    EXPECT_LE(std::abs(r.set_off_cents), std::abs(r.amount_cents)) << r.reason;
    set_off += r.set_off_cents;
    if (r.id == large_reg && envois_of[large_provider] > 4) {
      EXPECT_EQ(r.set_off_cents, r.amount_cents);
    }
  }
  // Credit-note envois are set off as they are settled (negative compensation on their payment)
  // and come back as balances: the two sums differ only by those balances.
  int64_t credit_notes = 0;
  for (const auto& p : st.payments)
    if (p.accepted_cents < 0) credit_notes += p.accepted_cents;
  EXPECT_EQ(set_off_by_payments, set_off + credit_notes);
  EXPECT_EQ(paid_total, [&] {
    int64_t s = 0;
    for (const auto& p : st.payments) s += p.paid_cents;
    return s;
  }());
  std::printf("%zu envois accepted, %d runs (%d with envois waiting, %d past 14 days), %zu references, %s paid, "
              "%zu regularisations\n",
              st.envois.size(), runs, runs_with_waiting, overdue_runs, references.size(),
              mutua::settlement::euros(paid_total).c_str(), st.regularisations.size());
  EXPECT_GE(runs, 12);
  EXPECT_GE(runs_with_waiting, 3) << "the budget was not tight";
  EXPECT_GE(overdue_runs, 1) << "nothing ever waited past 14 days";

  // The letters of every run: each line not paid is listed with its codes and comments whole,
  // however long (wrapped over several lines of the PDF), as in the CSV detail.
  size_t letters = 0, long_comments = 0;
  for (const auto& run : st.runs) {
    const std::string out = dir_ + "/letters-" + run.key;
    auto l = run_mutua("letters --db " + db() + " --config " + kConfig + " --run " + run.key + " --out " + out);
    ASSERT_EQ(l.code, 0) << l.out;
    for (const auto& entry : fs::directory_iterator(out)) {
      if (entry.path().extension() != ".csv") continue;
      ++letters;
      fs::path pdf = entry.path();
      pdf.replace_extension(".pdf");
      const std::string text = shell("pdftotext " + pdf.string() + " -");
      auto csv = mutua::format::parse_table(read_all(entry.path()), ';');
      const int status = csv.column("status"), codes = csv.column("codes");
      ASSERT_GE(status, 0);
      ASSERT_GE(codes, 0);
      size_t pos = 0;
      for (const auto& row : csv.rows) {
        const std::string& st_text = row[static_cast<size_t>(status)];
        if (st_text == "accepted" || st_text == "approved") continue;
        const std::string& c = row[static_cast<size_t>(codes)];
        if (c.size() > 130) ++long_comments;
        std::istringstream words(c);
        for (std::string w; words >> w;) {
          pos = text.find(w, pos);
          ASSERT_NE(pos, std::string::npos) << "'" << w << "' of '" << c << "' not in " << pdf << ":\n" << text;
        }
      }
    }
  }
  EXPECT_GE(letters, static_cast<size_t>(st.payments.size() / 2));
  EXPECT_GE(long_comments, 1u) << "no comment long enough to wrap";

  auto check = run_mutua("ledger check --db " + db());
  EXPECT_EQ(check.code, 0) << check.out;
  auto report = mutua::settlement::check_ledger(st);
  EXPECT_TRUE(report.problems.empty()) << report.problems.front();
}

}  // namespace
