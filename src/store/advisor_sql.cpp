#include "store/advisor_sql.h"

#include <map>
#include <unordered_set>

#include "mutua/model/dates.h"

namespace mutua::store {

namespace {

using model::AgreementRecord;
using model::PendingLine;
using model::PendingState;

std::string decision_text(char d) { return d == model::kNoDecision ? std::string() : std::string(1, d); }
char decision_of(const std::string& s) { return s.empty() ? model::kNoDecision : s[0]; }

PendingState state_of(const std::string& s) {
  return s == "approved" ? PendingState::Approved : s == "refused" ? PendingState::Refused : PendingState::Pending;
}


Result<void> insert_event(SqlDb& db, const model::AgreementEvent& e) {
  Query s(db, 
         "INSERT INTO agreement_events (agreement_id, seq, date, decision, note, \"by\") VALUES (?1, "
         "(SELECT COALESCE(MAX(seq), 0) + 1 FROM agreement_events WHERE agreement_id = ?1), ?2, ?3, ?4, ?5)");
  s.bind(1, e.agreement_id).bind(2, int64_t{e.date}).bind(3, decision_text(e.decision)).bind(4, e.note).bind(5, e.by);
  if (s.step() != kSqlDone) return fail(db.last_error("insert agreement event"));
  return {};
}

}  // namespace

Result<int64_t> insert_agreement(SqlDb& db, const AgreementRecord& a) {
  Query s(db, 
         "INSERT INTO agreements (niss, code, requested_by, decision, request_date, decision_date, valid_from, "
         "valid_to, establishment, admission, discharge, motivation) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12) "
         "RETURNING id");
  s.bind(1, a.niss)
      .bind(2, a.code)
      .bind(3, a.requested_by)
      .bind(4, decision_text(a.decision))
      .bind(5, int64_t{a.request_date})
      .bind(6, int64_t{a.decision_date})
      .bind(7, int64_t{a.valid_from})
      .bind(8, int64_t{a.valid_to})
      .bind(9, a.establishment)
      .bind(10, int64_t{a.admission})
      .bind(11, int64_t{a.discharge})
      .bind(12, a.motivation);
  if (s.step() != kSqlRow) return fail(db.last_error("insert agreement"));
  const int64_t id = s.i64(0);
  if (s.step() != kSqlDone) return fail(db.last_error("insert agreement"));
  for (auto e : a.events) {
    e.agreement_id = id;
    if (auto r = insert_event(db, e); !r) return fail(r.error());
  }
  return id;
}

Result<std::vector<AgreementRecord>> select_agreements(SqlDb& db, const model::AgreementQuery& q) {
  Query s(db, 
         "SELECT id, niss, code, requested_by, decision, request_date, decision_date, valid_from, valid_to, "
         "establishment, admission, discharge, motivation FROM agreements "
         "WHERE (?1 = 0 OR id = ?1) AND (?2 = '' OR niss = ?2) AND (?3 = '' OR code = ?3) "
         "AND (?4 = '' OR requested_by = ?4) ORDER BY id");
  s.bind(1, q.id).bind(2, q.niss).bind(3, q.code).bind(4, q.requested_by);
  std::vector<AgreementRecord> out;
  std::map<int64_t, size_t> index;
  int rc;
  while ((rc = s.step()) == kSqlRow) {
    AgreementRecord a;
    a.id = s.i64(0);
    a.niss = s.text(1);
    a.code = s.text(2);
    a.requested_by = s.text(3);
    a.decision = decision_of(s.text(4));
    a.request_date = static_cast<model::Date>(s.i64(5));
    a.decision_date = static_cast<model::Date>(s.i64(6));
    a.valid_from = static_cast<model::Date>(s.i64(7));
    a.valid_to = static_cast<model::Date>(s.i64(8));
    a.establishment = s.text(9);
    a.admission = static_cast<model::Date>(s.i64(10));
    a.discharge = static_cast<model::Date>(s.i64(11));
    a.motivation = s.text(12);
    index[a.id] = out.size();
    out.push_back(std::move(a));
  }
  if (rc != kSqlDone) return fail(db.last_error("read agreements"));
  Query ev(db, "SELECT date, decision, note, \"by\" FROM agreement_events WHERE agreement_id = ?1 ORDER BY seq");
  for (auto& a : out) {
    ev.bind(1, a.id);
    while ((rc = ev.step()) == kSqlRow)
      a.events.push_back({a.id, static_cast<model::Date>(ev.i64(0)), decision_of(ev.text(1)), ev.text(2), ev.text(3)});
    if (rc != kSqlDone) return fail(db.last_error("read agreement events"));
    ev.reset();
  }
  return out;
}

Result<std::vector<PendingLine>> select_pending(SqlDb& db, const model::PendingQuery& q) {
  Query s(db, 
         "SELECT id, envoi_id, record, niss, code, first_date, last_date, units, amount, account, provider, "
         "third_party, invoice_number, billed, envoi_number, state, decided, agreement_id, refusal_code, complement, "
         "COALESCE(run_id, 0) FROM pending_lines WHERE (?1 = 0 OR envoi_id = ?1) AND (?2 = '' OR niss = ?2) "
         "AND (?3 = '' OR code = ?3) AND (?4 = '' OR state = ?4) ORDER BY id");
  s.bind(1, q.envoi_id).bind(2, q.niss).bind(3, q.code);
  s.bind(4, q.state ? std::string(model::pending_state_name(*q.state)) : std::string());
  std::vector<PendingLine> out;
  int rc;
  while ((rc = s.step()) == kSqlRow) {
    PendingLine p;
    p.id = s.i64(0);
    auto& l = p.line;
    l.envoi_id = s.i64(1);
    l.record = static_cast<uint64_t>(s.i64(2));
    l.niss = s.text(3);
    l.code = s.text(4);
    l.first_date = static_cast<model::Date>(s.i64(5));
    l.last_date = static_cast<model::Date>(s.i64(6));
    l.units = static_cast<int>(s.i64(7));
    l.amount = s.i64(8);
    p.account = s.text(9).empty() ? 'A' : s.text(9)[0];
    l.provider = s.text(10);
    l.third_party = s.text(11);
    l.invoice_number = static_cast<uint64_t>(s.i64(12));
    l.billed = static_cast<model::Date>(s.i64(13));
    l.envoi_number = static_cast<int>(s.i64(14));
    p.state = state_of(s.text(15));
    p.decided = static_cast<model::Date>(s.i64(16));
    p.agreement_id = s.i64(17);
    p.code = s.text(18);
    p.complement = s.i64(19);
    p.run_id = s.i64(20);
    out.push_back(std::move(p));
  }
  if (rc != kSqlDone) return fail(db.last_error("read pending lines"));
  return out;
}

Result<void> apply_decision(SqlDb& db, const model::AgreementDecision& d) {
  const auto& a = d.agreement;
  // Only from the state it was decided from: two decisions at once, the second is judged again.
  Query up(db, 
          "UPDATE agreements SET decision = ?2, decision_date = ?3, valid_from = ?4, valid_to = ?5 WHERE id = ?1 "
          "AND decision = ?6 AND decision_date = ?7");
  up.bind(1, a.id)
      .bind(2, decision_text(a.decision))
      .bind(3, int64_t{a.decision_date})
      .bind(4, int64_t{a.valid_from})
      .bind(5, int64_t{a.valid_to})
      .bind(6, decision_text(d.before.decision))
      .bind(7, int64_t{d.before.decision_date});
  if (up.step() != kSqlDone) return fail(db.last_error("update agreement"));
  if (up.changes() != 1)
    return fail({.code = model::kStoreConflict,
                 .message = fmt::format("agreement {} was decided meanwhile", a.id),
                 .file = db.where()});
  auto ev = d.event;
  ev.agreement_id = a.id;
  if (auto r = insert_event(db, ev); !r) return r;
  Query line(db, 
            "UPDATE pending_lines SET state = ?2, decided = ?3, agreement_id = ?4, refusal_code = ?5 "
            "WHERE id = ?1 AND state = 'pending'");
  for (const auto& c : d.changes) {
    line.bind(1, c.pending_id)
        .bind(2, std::string(model::pending_state_name(c.state)))
        .bind(3, int64_t{d.event.date})
        .bind(4, a.id)
        .bind(5, c.code);
    if (line.step() != kSqlDone) return fail(db.last_error("settle pending line"));
    if (line.changes() != 1)
      return fail({.code = model::kStoreConflict,
                   .message = fmt::format("pending line {} was settled meanwhile", c.pending_id),
                   .file = db.where()});
    line.reset();
  }
  return {};
}

Result<void> insert_pending(SqlDb& db, const std::vector<PendingLine>& lines, int64_t envoi_id) {
  Query s(db, 
         "INSERT INTO pending_lines (envoi_id, record, niss, code, first_date, last_date, units, amount, account, "
         "provider, third_party, invoice_number, billed, envoi_number) "
         "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)");
  for (const auto& p : lines) {
    const auto& l = p.line;
    s.bind(1, envoi_id)
        .bind(2, static_cast<int64_t>(l.record))
        .bind(3, l.niss)
        .bind(4, l.code)
        .bind(5, int64_t{l.first_date})
        .bind(6, int64_t{l.last_date})
        .bind(7, int64_t{l.units})
        .bind(8, l.amount)
        .bind(9, std::string(1, p.account))
        .bind(10, l.provider)
        .bind(11, l.third_party)
        .bind(12, static_cast<int64_t>(l.invoice_number))
        .bind(13, int64_t{l.billed})
        .bind(14, int64_t{l.envoi_number});
    if (s.step() != kSqlDone) return fail(db.last_error("insert pending line"));
    s.reset();
  }
  return {};
}

Result<std::vector<model::LedgerEnvoi>> awaiting_complements(SqlDb& db) {
  Query s(db, 
         "SELECT p.id, p.envoi_id, p.amount, p.account, p.decided, e.third_party, e.federation, e.year, e.month, "
         "e.number, (SELECT COALESCE(MAX(q.complement), 0) FROM pending_lines q WHERE q.envoi_id = p.envoi_id) "
         "FROM pending_lines p JOIN envois e ON e.id = p.envoi_id "
         "WHERE p.state = 'approved' AND p.run_id IS NULL ORDER BY p.envoi_id, p.id");
  std::vector<model::LedgerEnvoi> out;
  int rc;
  while ((rc = s.step()) == kSqlRow) {
    const int64_t envoi = s.i64(1);
    if (out.empty() || out.back().id != envoi) {
      model::LedgerEnvoi c;
      c.id = envoi;
      c.third_party = s.text(5);
      c.fund = s.text(6);
      c.year = static_cast<int>(s.i64(7));
      c.month = static_cast<int>(s.i64(8));
      c.number = static_cast<int>(s.i64(9));
      c.complement = s.i64(10) + 1;
      c.history_cents = -1;
      out.push_back(std::move(c));
    }
    auto& c = out.back();
    c.line_ids.push_back(s.i64(0));
    (s.text(3) == "B" ? c.accepted_b : c.accepted_a) += s.i64(2);
    c.received = std::max(c.received, static_cast<model::Date>(s.i64(4)));
  }
  if (rc != kSqlDone) return fail(db.last_error("read approved lines"));
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.received < b.received; });
  return out;
}

Result<void> mark_complement_lines(SqlDb& db, const std::vector<std::pair<int64_t, int64_t>>& lines, int64_t run_id) {
  Query s(db, 
         "UPDATE pending_lines SET complement = ?2, run_id = ?3 WHERE id = ?1 AND state = 'approved' AND run_id IS NULL");
  for (const auto& [id, complement] : lines) {
    s.bind(1, id).bind(2, complement).bind(3, run_id);
    if (s.step() != kSqlDone) return fail(db.last_error("mark complement line"));
    if (s.changes() != 1)
      return db.error_of(fmt::format("approved line {} was paid by another payment run meanwhile; run again", id));
    s.reset();
  }
  return {};
}

}  // namespace mutua::store
