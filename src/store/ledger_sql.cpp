#include "store/ledger_sql.h"

#include <algorithm>
#include <set>
#include <unordered_map>

#include "mutua/model/dates.h"
#include "store/advisor_sql.h"

namespace mutua::store {

namespace {

const std::string kSelectPayment =
    "SELECT id, run_id, envoi_id, account, complement, fund, year, sequence, COALESCE(reference, ''), "
    "accepted_cents, compensated_cents, paid_cents, third_party, iban, bic, executed FROM payments";
const std::string kSelectRun =
    "SELECT id, key, date, execution, budget_cents, paid_cents, transfers, payment_file FROM payment_runs";

Result<std::vector<model::Payment>> read_payments(SqlDb& db, Query& s) {
  std::vector<model::Payment> out;
  int rc;
  while ((rc = s.step()) == kSqlRow) {
    model::Payment p;
    p.id = s.i64(0);
    p.run_id = s.i64(1);
    p.envoi_id = s.i64(2);
    p.account = s.text(3).empty() ? 'A' : s.text(3)[0];
    p.complement = s.i64(4);
    p.fund = s.text(5);
    p.year = static_cast<int>(s.i64(6));
    p.sequence = s.i64(7);
    p.reference = s.text(8);
    p.accepted_cents = s.i64(9);
    p.compensated_cents = s.i64(10);
    p.paid_cents = s.i64(11);
    p.third_party = s.text(12);
    p.iban = s.text(13);
    p.bic = s.text(14);
    p.executed = static_cast<model::Date>(s.i64(15));
    out.push_back(std::move(p));
  }
  if (rc != kSqlDone) return fail(db.last_error("read payments"));
  return out;
}

const std::string kSelectLedgerEnvoi =
    "SELECT id, third_party, federation, year, month, number, received, accepted_a_cents, accepted_b_cents, "
    "account_c_cents, pending_cents, COALESCE(settled_run, 0) FROM envois WHERE status = 'accepted' AND test = 0";

Result<std::vector<model::LedgerEnvoi>> read_ledger_envois(SqlDb& db, Query& e) {
  std::vector<model::LedgerEnvoi> out;
  int rc;
  while ((rc = e.step()) == kSqlRow) {
    model::LedgerEnvoi x;
    x.id = e.i64(0);
    x.third_party = e.text(1);
    x.fund = e.text(2);
    x.year = static_cast<int>(e.i64(3));
    x.month = static_cast<int>(e.i64(4));
    x.number = static_cast<int>(e.i64(5));
    x.received = model::parse_iso_date(e.text(6));
    x.accepted_a = e.i64(7);
    x.accepted_b = e.i64(8);
    x.account_c = e.i64(9);
    x.pending = e.i64(10);
    x.settled_run = e.i64(11);
    x.history_cents = -1;
    out.push_back(std::move(x));
  }
  if (rc != kSqlDone) return fail(db.last_error("read ledger envois"));
  return out;
}

const std::string kSelectRegularisation =
    "SELECT r.id, r.third_party, r.account, r.amount_cents, r.reason, r.origin, r.recorded, COALESCE(r.envoi_id, 0), "
    "r.record, r.dispute_id, COALESCE((SELECT SUM(c.cents) FROM compensations c WHERE c.regularisation_id = r.id), 0) "
    "AS set_off FROM regularisations r";

Result<std::vector<model::Regularisation>> read_regularisations(SqlDb& db, Query& r) {
  std::vector<model::Regularisation> out;
  int rc;
  while ((rc = r.step()) == kSqlRow) {
    model::Regularisation x;
    x.id = r.i64(0);
    x.third_party = r.text(1);
    x.account = r.text(2).empty() ? 'A' : r.text(2)[0];
    x.amount_cents = r.i64(3);
    x.reason = r.text(4);
    x.origin = r.text(5);
    x.recorded = static_cast<model::Date>(r.i64(6));
    x.envoi_id = r.i64(7);
    x.record = static_cast<uint64_t>(r.i64(8));
    x.dispute_id = r.i64(9);
    x.set_off_cents = r.i64(10);
    out.push_back(std::move(x));
  }
  if (rc != kSqlDone) return fail(db.last_error("read regularisations"));
  return out;
}

Result<std::vector<model::PaymentRun>> read_runs(SqlDb& db, Query& s) {
  std::vector<model::PaymentRun> out;
  int rc;
  while ((rc = s.step()) == kSqlRow) {
    model::PaymentRun r;
    r.id = s.i64(0);
    r.key = s.text(1);
    r.date = static_cast<model::Date>(s.i64(2));
    r.execution = static_cast<model::Date>(s.i64(3));
    r.budget_cents = s.i64(4);
    r.paid_cents = s.i64(5);
    r.transfers = s.i64(6);
    r.payment_file = s.text(7);
    out.push_back(std::move(r));
  }
  if (rc != kSqlDone) return fail(db.last_error("read payment runs"));
  return out;
}

}  // namespace

Result<int64_t> insert_regularisation(SqlDb& db, const model::Regularisation& x) {
  Query s(db, "INSERT INTO regularisations (third_party, account, amount_cents, reason, origin, recorded, envoi_id, "
         "record, dispute_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) RETURNING id");
  s.bind(1, x.third_party)
      .bind(2, std::string(1, x.account))
      .bind(3, x.amount_cents)
      .bind(4, x.reason)
      .bind(5, x.origin)
      .bind(6, int64_t{x.recorded})
      .bind(8, static_cast<int64_t>(x.record))
      .bind(9, x.dispute_id);
  if (x.envoi_id) s.bind(7, x.envoi_id);
  if (s.step() != kSqlRow) return fail(db.last_error("insert regularisation"));
  const int64_t id = s.i64(0);
  if (s.step() != kSqlDone) return fail(db.last_error("insert regularisation"));
  return id;
}

Result<model::LedgerState> select_ledger(SqlDb& db, bool awaiting_only, bool history_sums) {
  model::LedgerState st;
  std::unordered_map<int64_t, std::pair<int64_t, int64_t>> sums;
  if (history_sums) {
    // SQLite keeps recent lines apart (migration 29): its view of both.
    const std::string history = db.postgres() ? "history" : "history_all";
    Query h(db, "SELECT envoi_id, SUM(amount), COUNT(*) FROM " + history + " GROUP BY envoi_id");
    int rc;
    while ((rc = h.step()) == kSqlRow) sums[h.i64(0)] = {h.i64(1), h.i64(2)};
    if (rc != kSqlDone) return fail(db.last_error("read history sums"));
    Query twice(db, std::string("SELECT third_party, envoi_number, billed, invoice_number, record, ") +
                   (db.postgres() ? "string_agg(envoi_id::text, ',')" : "GROUP_CONCAT(envoi_id)") + " FROM "
               "(SELECT DISTINCT third_party, envoi_number, billed, invoice_number, record, envoi_id FROM " + history + " "
               "WHERE envoi_id > 0 AND reversed = 0 AND amount > 0) AS d GROUP BY third_party, envoi_number, billed, "
               "invoice_number, record HAVING COUNT(*) > 1 ORDER BY third_party, envoi_number, invoice_number, record");
    while ((rc = twice.step()) == kSqlRow) {
      model::LedgerState::RepeatedLine r{twice.text(0), static_cast<int>(twice.i64(1)),
                                         static_cast<model::Date>(twice.i64(2)), static_cast<uint64_t>(twice.i64(3)),
                                         static_cast<uint64_t>(twice.i64(4)), {}};
      const std::string ids = twice.text(5);
      for (size_t at = 0; at < ids.size();) {
        size_t comma = ids.find(',', at);
        if (comma == std::string::npos) comma = ids.size();
        r.envoi_ids.push_back(std::stoll(ids.substr(at, comma - at)));
        at = comma + 1;
      }
      std::sort(r.envoi_ids.begin(), r.envoi_ids.end());
      st.repeated_lines.push_back(std::move(r));
    }
    if (rc != kSqlDone) return fail(db.last_error("read lines accepted twice"));
  }
  {
    Query e(db, kSelectLedgerEnvoi + (awaiting_only ? " AND settled_run IS NULL" : "") + " ORDER BY id");
    auto envois = read_ledger_envois(db, e);
    if (!envois) return fail(envois.error());
    st.envois = std::move(*envois);
    for (auto& x : st.envois)
      if (history_sums) {
        auto it = sums.find(x.id);
        x.history_cents = it == sums.end() ? 0 : it->second.first;
        x.history_lines = it == sums.end() ? 0 : it->second.second;
      }
  }
  {
    Query r(db, kSelectRegularisation +
                    (awaiting_only ? " WHERE COALESCE((SELECT SUM(c.cents) FROM compensations c WHERE c.regularisation_id = r.id), 0) "
                                     "<> r.amount_cents"
                                   : "") +
                    " ORDER BY r.id");
    auto regularisations = read_regularisations(db, r);
    if (!regularisations) return fail(regularisations.error());
    st.regularisations = std::move(*regularisations);
  }
  if (awaiting_only) {
    auto complements = awaiting_complements(db);
    if (!complements) return fail(complements.error());
    st.complements = std::move(*complements);
    return st;
  }
  {
    Query p(db, kSelectPayment + " ORDER BY id");
    auto payments = read_payments(db, p);
    if (!payments) return fail(payments.error());
    st.payments = std::move(*payments);
  }
  {
    Query c(db, "SELECT regularisation_id, payment_id, cents FROM compensations ORDER BY payment_id, regularisation_id");
    int rc;
    while ((rc = c.step()) == kSqlRow) st.compensations.push_back({c.i64(0), c.i64(1), c.i64(2)});
    if (rc != kSqlDone) return fail(db.last_error("read compensations"));
  }
  {
    auto lines = select_pending(db, {});
    if (!lines) return fail(lines.error());
    st.pending_lines = std::move(*lines);
  }
  {
    Query r(db, kSelectRun + " ORDER BY id");
    auto runs = read_runs(db, r);
    if (!runs) return fail(runs.error());
    st.runs = std::move(*runs);
  }
  return st;
}

Result<model::LedgerState> select_ledger_in(SqlDb& db, const model::LedgerScope& scope) {
  // Each condition with its values, numbered ?1, ?2... in the order they are added.
  struct Where {
    std::string sql;
    std::vector<std::string> values;
    void add(const std::string& condition) { sql += (sql.empty() ? " WHERE " : " AND ") + condition; }
    std::string value(std::string v) {
      values.push_back(std::move(v));
      return "?" + std::to_string(values.size());
    }
    std::string in(const std::vector<std::string>& list) {
      std::string out;
      for (const auto& v : list) out += (out.empty() ? "" : ", ") + value(v);
      return "(" + out + ")";
    }
    void bind(Query& q) const {
      for (size_t i = 0; i < values.size(); ++i) q.bind(static_cast<int>(i + 1), values[i]);
    }
  };
  model::LedgerState st;
  {
    Where w;
    if (!scope.third_parties.empty()) w.add("third_party IN " + w.in(scope.third_parties));
    if (scope.year) w.add(fmt::format("year = {} AND month = {}", scope.year, scope.month));
    if (!scope.reference.empty()) w.add("id IN (SELECT envoi_id FROM payments WHERE reference = " + w.value(scope.reference) + ")");
    if (!scope.run.empty())
      w.add("id IN (SELECT p.envoi_id FROM payments p JOIN payment_runs r ON r.id = p.run_id WHERE r.key = " +
            w.value(scope.run) + ")");
    // kSelectLedgerEnvoi has its WHERE already.
    std::string sql = kSelectLedgerEnvoi + (w.sql.empty() ? "" : " AND " + w.sql.substr(7)) + " ORDER BY id";
    Query e(db, sql);
    w.bind(e);
    auto envois = read_ledger_envois(db, e);
    if (!envois) return fail(envois.error());
    st.envois = std::move(*envois);
  }
  {
    Where w;
    if (!scope.third_parties.empty()) w.add("third_party IN " + w.in(scope.third_parties));
    if (scope.year)
      w.add(fmt::format("envoi_id IN (SELECT id FROM envois WHERE year = {} AND month = {} AND status = 'accepted')", scope.year,
                        scope.month));
    if (!scope.reference.empty()) w.add("reference = " + w.value(scope.reference));
    if (!scope.run.empty()) w.add("run_id IN (SELECT id FROM payment_runs WHERE key = " + w.value(scope.run) + ")");
    Query p(db, kSelectPayment + w.sql + " ORDER BY id");
    w.bind(p);
    auto payments = read_payments(db, p);
    if (!payments) return fail(payments.error());
    st.payments = std::move(*payments);
  }
  {
    Where w;
    if (!scope.third_parties.empty()) w.add("r.third_party IN " + w.in(scope.third_parties));
    Query r(db, kSelectRegularisation + w.sql + " ORDER BY r.id");
    w.bind(r);
    auto regularisations = read_regularisations(db, r);
    if (!regularisations) return fail(regularisations.error());
    st.regularisations = std::move(*regularisations);
  }
  {
    Query r(db, kSelectRun + " ORDER BY id");
    auto runs = read_runs(db, r);
    if (!runs) return fail(runs.error());
    st.runs = std::move(*runs);
  }
  return st;
}

Result<std::vector<std::tuple<std::string, int, int64_t>>> select_last_sequences(SqlDb& db) {
  Query s(db, "SELECT fund, year, MAX(sequence) FROM payments WHERE sequence > 0 GROUP BY fund, year");
  std::vector<std::tuple<std::string, int, int64_t>> out;
  int rc;
  while ((rc = s.step()) == kSqlRow) out.emplace_back(s.text(0), static_cast<int>(s.i64(1)), s.i64(2));
  if (rc != kSqlDone) return fail(db.last_error("read reference sequences"));
  return out;
}

Result<std::optional<model::PaymentRun>> select_payment_run(SqlDb& db, const std::string& key) {
  Query s(db, kSelectRun + " WHERE key = ?1");
  s.bind(1, key);
  auto runs = read_runs(db, s);
  if (!runs) return fail(runs.error());
  if (runs->empty()) return std::optional<model::PaymentRun>();
  return std::optional<model::PaymentRun>(runs->front());
}

Result<std::vector<model::Payment>> select_run_payments(SqlDb& db, int64_t run_id) {
  Query s(db, kSelectPayment + " WHERE run_id = ?1 ORDER BY id");
  s.bind(1, run_id);
  return read_payments(db, s);
}

Result<std::vector<model::Payment>> select_envoi_payments(SqlDb& db, int64_t envoi_id) {
  Query s(db, kSelectPayment + " WHERE envoi_id = ?1 ORDER BY id");
  s.bind(1, envoi_id);
  return read_payments(db, s);
}

Result<int64_t> insert_payment_run(SqlDb& db, const model::PaymentRunOutcome& o) {
  const auto& run = o.run;
  Query ins(db, "INSERT INTO payment_runs (key, date, execution, budget_cents, paid_cents, transfers, payment_file) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id");
  ins.bind(1, run.key)
      .bind(2, int64_t{run.date})
      .bind(3, int64_t{run.execution})
      .bind(4, run.budget_cents)
      .bind(5, run.paid_cents)
      .bind(6, run.transfers)
      .bind(7, run.payment_file);
  auto conflict = [&](std::string what) {
    return fail(Error{.code = model::kStoreConflict, .message = std::move(what), .file = db.where()});
  };
  if (const int rc = ins.step(); rc != kSqlRow) {
    if (rc == kSqlConstraint) return conflict(fmt::format("payment run '{}' was recorded meanwhile", run.key));
    return fail(db.last_error("insert payment run"));
  }
  const int64_t run_id = ins.i64(0);
  if (ins.step() != kSqlDone) return fail(db.last_error("insert payment run"));
  Query pay(db, "INSERT INTO payments (run_id, envoi_id, account, complement, fund, year, sequence, reference, "
           "accepted_cents, compensated_cents, paid_cents, third_party, iban, bic, executed) "
           "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15) RETURNING id");
  std::vector<int64_t> payment_ids;
  for (const auto& p : o.payments) {
    pay.bind(1, run_id)
        .bind(2, p.envoi_id)
        .bind(3, std::string(1, p.account))
        .bind(4, p.complement)
        .bind(5, p.fund)
        .bind(6, int64_t{p.year})
        .bind(7, p.sequence)
        .bind(9, p.accepted_cents)
        .bind(10, p.compensated_cents)
        .bind(11, p.paid_cents)
        .bind(12, p.third_party)
        .bind(13, p.iban)
        .bind(14, p.bic)
        .bind(15, int64_t{p.executed});
    if (!p.reference.empty()) pay.bind(8, p.reference);
    if (const int rc = pay.step(); rc != kSqlRow) {
      // A reference, a sequence or an envoi's payment given by another run meanwhile.
      if (rc == kSqlConstraint) return conflict("another payment run paid or numbered meanwhile");
      return fail(db.last_error("insert payment"));
    }
    payment_ids.push_back(pay.i64(0));
    if (pay.step() != kSqlDone) return fail(db.last_error("insert payment"));
    pay.reset();
  }
  std::vector<int64_t> balance_ids;
  for (const auto& b : o.balances) {
    auto id = insert_regularisation(db, b);
    if (!id) return fail(id.error());
    balance_ids.push_back(*id);
  }
  Query comp(db, "INSERT INTO compensations (regularisation_id, payment_id, cents) VALUES (?1, ?2, ?3)");
  for (const auto& c : o.compensations) {
    int64_t reg = c.regularisation_id;
    if (reg < 0) {
      if (static_cast<size_t>(-reg) > balance_ids.size()) return db.error_of("compensation of an unknown new balance");
      reg = balance_ids[static_cast<size_t>(-reg - 1)];
    }
    if (c.payment_id < 0 || static_cast<size_t>(c.payment_id) >= payment_ids.size())
      return db.error_of("compensation of an unknown payment");
    comp.bind(1, reg).bind(2, payment_ids[static_cast<size_t>(c.payment_id)]).bind(3, c.cents);
    if (comp.step() != kSqlDone) return fail(db.last_error("insert compensation"));
    comp.reset();
  }
  // Mark the envois settled; one already settled means another run got there first.
  std::set<int64_t> envois;
  for (const auto& p : o.payments)
    if (p.complement == 0) envois.insert(p.envoi_id);
  for (int64_t id : o.settled_envois) envois.insert(id);
  Query mark(db, "UPDATE envois SET settled_run = ?1 WHERE id = ?2 AND settled_run IS NULL");
  for (int64_t id : envois) {
    mark.bind(1, run_id).bind(2, id);
    if (mark.step() != kSqlDone) return fail(db.last_error("mark envoi settled"));
    if (mark.changes() != 1)
      return conflict(fmt::format("envoi {} was settled by another payment run meanwhile", id));
    mark.reset();
  }
  if (auto m = mark_complement_lines(db, o.complement_lines, run_id); !m) return fail(m.error());
  return run_id;
}

Result<std::vector<std::string>> insert_consultations(SqlDb& db, const std::vector<model::Consultation>& list) {
  // Ids are given here (the write lock is held), so the number goes in with the row.
  int64_t id = 0;
  {
    Query last(db, "SELECT COALESCE(MAX(id), 0) FROM consultations");
    if (last.step() != kSqlRow) return fail(db.last_error("read consultations"));
    id = last.i64(0);
  }
  Query ins(db, "INSERT INTO consultations (id, niss, date, insured, mutuality, ct1, ct2, holder, recorded, requested_by, "
           "commitment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  std::vector<std::string> out;
  out.reserve(list.size());
  for (const auto& c : list) {
    ++id;
    // The consultation's day and its id: unique, and it says when it was given.
    std::string number = c.insured ? fmt::format("{:08d}{:07d}", c.recorded, id) : std::string();
    ins.bind(1, id)
        .bind(2, c.niss)
        .bind(3, int64_t{c.date})
        .bind(4, int64_t{c.insured ? 1 : 0})
        .bind(5, c.mutuality)
        .bind(6, int64_t{c.ct1})
        .bind(7, int64_t{c.ct2})
        .bind(8, int64_t{c.holder ? 1 : 0})
        .bind(9, int64_t{c.recorded})
        .bind(10, c.requested_by);
    if (c.insured) ins.bind(11, number);
    if (ins.step() != kSqlDone) return fail(db.last_error("insert consultation"));
    ins.reset();
    out.push_back(std::move(number));
  }
  return out;
}

}  // namespace mutua::store
