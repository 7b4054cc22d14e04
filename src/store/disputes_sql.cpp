#include "store/disputes_sql.h"

namespace mutua::store {

namespace {

using model::DisputeState;

DisputeState state_of(const std::string& s) {
  return s == "under review" ? DisputeState::UnderReview
         : s == "settled"    ? DisputeState::Settled
         : s == "closed"     ? DisputeState::Closed
                             : DisputeState::Open;
}

Result<void> insert_event(SqlDb& db, int64_t id, const model::DisputeEvent& e) {
  Query s(db, 
         "INSERT INTO dispute_events (dispute_id, seq, date, kind, text, \"by\", amount_cents) VALUES (?1, "
         "(SELECT COALESCE(MAX(seq), 0) + 1 FROM dispute_events WHERE dispute_id = ?1), ?2, ?3, ?4, ?5, ?6)");
  s.bind(1, id).bind(2, int64_t{e.date}).bind(3, e.kind).bind(4, e.text).bind(5, e.by).bind(6, e.amount_cents);
  if (s.step() != kSqlDone) return fail(db.last_error("insert dispute event"));
  return {};
}

}  // namespace

Result<int64_t> insert_dispute(SqlDb& db, const model::Dispute& d) {
  Query s(db, 
         "INSERT INTO disputes (third_party, subject, state, opened, account, envoi_id, record, payment_reference) "
         "VALUES (?1, ?2, 'open', ?3, ?4, ?5, ?6, ?7) RETURNING id");
  s.bind(1, d.third_party)
      .bind(2, d.subject)
      .bind(3, int64_t{d.opened})
      .bind(4, std::string(1, d.account))
      .bind(5, d.envoi_id)
      .bind(6, static_cast<int64_t>(d.record))
      .bind(7, d.payment_reference);
  if (s.step() != kSqlRow) return fail(db.last_error("insert dispute"));
  const int64_t id = s.i64(0);
  if (s.step() != kSqlDone) return fail(db.last_error("insert dispute"));
  for (const auto& e : d.events)
    if (auto r = insert_event(db, id, e); !r) return fail(r.error());
  return id;
}

Result<std::vector<model::Dispute>> select_disputes(SqlDb& db, int64_t id, const std::string& third_party) {
  Query s(db, 
         "SELECT id, third_party, subject, state, opened, ended, account, envoi_id, record, payment_reference, "
         "amount_cents, regularisation_id FROM disputes WHERE (?1 = 0 OR id = ?1) AND (?2 = '' OR third_party = ?2) "
         "ORDER BY id");
  s.bind(1, id).bind(2, third_party);
  std::vector<model::Dispute> out;
  int rc;
  while ((rc = s.step()) == kSqlRow) {
    model::Dispute d;
    d.id = s.i64(0);
    d.third_party = s.text(1);
    d.subject = s.text(2);
    d.state = state_of(s.text(3));
    d.opened = static_cast<model::Date>(s.i64(4));
    d.ended = static_cast<model::Date>(s.i64(5));
    d.account = s.text(6).empty() ? 'A' : s.text(6)[0];
    d.envoi_id = s.i64(7);
    d.record = static_cast<uint64_t>(s.i64(8));
    d.payment_reference = s.text(9);
    d.amount_cents = s.i64(10);
    d.regularisation_id = s.i64(11);
    out.push_back(std::move(d));
  }
  if (rc != kSqlDone) return fail(db.last_error("read disputes"));
  Query ev(db, "SELECT date, kind, text, \"by\", amount_cents FROM dispute_events WHERE dispute_id = ?1 ORDER BY seq");
  for (auto& d : out) {
    ev.bind(1, d.id);
    while ((rc = ev.step()) == kSqlRow)
      d.events.push_back({static_cast<model::Date>(ev.i64(0)), ev.text(1), ev.text(2), ev.text(3), ev.i64(4)});
    if (rc != kSqlDone) return fail(db.last_error("read dispute events"));
    ev.reset();
  }
  return out;
}

Result<void> apply_dispute_step(SqlDb& db, int64_t id, DisputeState expected, const model::Dispute& after,
                                const model::DisputeEvent& event, int64_t regularisation_id) {
  Query up(db, 
          "UPDATE disputes SET state = ?3, ended = ?4, amount_cents = ?5, regularisation_id = ?6, account = ?7 "
          "WHERE id = ?1 AND state = ?2");
  up.bind(1, id)
      .bind(2, std::string(model::dispute_state_name(expected)))
      .bind(3, std::string(model::dispute_state_name(after.state)))
      .bind(4, int64_t{after.ended})
      .bind(5, after.amount_cents)
      .bind(6, regularisation_id)
      .bind(7, std::string(1, after.account));
  if (up.step() != kSqlDone) return fail(db.last_error("update dispute"));
  if (up.changes() != 1)
    return db.error_of(fmt::format("dispute {} is no longer {}: look at it again", id, model::dispute_state_name(expected)));
  return insert_event(db, id, event);
}

}  // namespace mutua::store
