#include "store/retention_sql.h"

#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "store/pg_layout.h"

namespace mutua::store {

namespace {

// PostgreSQL (migration 12): a year of history before the cut-off whose every line would go
// (lines of the envois in retention_envois, or of no envoi of the store) is dropped whole, its
// hash partitions at once, instead of deleted row by row; a year still holding a line to keep
// (an envoi created in December and received in January, or not yet paid) is left to the row
// deletes that follow.
Result<void> drop_history_years(SqlDb& db, model::Date cutoff, model::RetentionReport& rep) {
  std::vector<int64_t> years;
  {
    Query s(db,
            "SELECT DISTINCT substring(c.relname FROM '_y([0-9]+)$')::bigint FROM pg_inherits i JOIN pg_class c ON "
            "c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname LIKE 'history\\_p__' ORDER BY 1");
    int rc;
    while ((rc = s.step()) == kSqlRow) years.push_back(s.i64(0));
    if (rc != kSqlDone) return fail(db.last_error("retention: list history's years"));
  }
  for (const int64_t year : years) {
    if ((year + 1) * 10000 > cutoff) break;
    Query kept(db,
               "SELECT 1 FROM history h WHERE h.billed >= ?1 AND h.billed < ?2 AND h.envoi_id NOT IN (SELECT id FROM "
               "retention_envois) AND EXISTS (SELECT 1 FROM envois e WHERE e.id = h.envoi_id) LIMIT 1");
    kept.bind(1, year * 10000).bind(2, (year + 1) * 10000);
    const int rc = kept.step();
    if (rc == kSqlRow) continue;
    if (rc != kSqlDone) return fail(db.last_error("retention: check a year of history"));
    Query count(db, "SELECT COUNT(*) FROM history WHERE billed >= ?1 AND billed < ?2");
    count.bind(1, year * 10000).bind(2, (year + 1) * 10000);
    if (count.step() != kSqlRow) return fail(db.last_error("retention: count a year of history"));
    rep.history_lines += count.i64(0);
    for (int p = 0; p < kHistoryHashPartitions; ++p) {
      Query drop(db, fmt::format("DROP TABLE history_p{:02d}_y{:04d}", p, year));
      if (drop.step() != kSqlDone) return fail(db.last_error("retention: drop a year of history"));
    }
    ++rep.history_years_dropped;
  }
  return {};
}

}  // namespace

Result<model::RetentionReport> apply_retention(SqlDb& db, model::Date cutoff) {
  model::RetentionReport rep;
  rep.cutoff = cutoff;
  auto body = [&]() -> Result<void> {
    const std::string iso = model::iso(cutoff);
    const int64_t date = cutoff;
    // ?1 is the cut-off: envois.received is ISO text, the engine's other dates YYYYMMDD
    // integers, the server's records Unix seconds (the cut-off's first second, UTC).
    enum Cutoff { kText, kInteger, kSeconds, kNone };
    auto run = [&](const std::string& sql, int64_t& count, Cutoff cutoff_as) -> Result<void> {
      Query s(db, sql);
      if (cutoff_as == kText) s.bind(1, iso);
      else if (cutoff_as == kInteger) s.bind(1, date);
      else if (cutoff_as == kSeconds) s.bind(1, model::day_number(cutoff) * 86400);
      if (s.step() != kSqlDone) return fail(db.last_error("retention"));
      count += s.changes();
      return {};
    };
    int64_t unused = 0;
    for (const char* sql : {"CREATE TEMP TABLE IF NOT EXISTS retention_envois (id INTEGER PRIMARY KEY)",
                            "DELETE FROM retention_envois"})
      if (auto r = run(sql, unused, kNone); !r) return r;
    // Envois whose received file, responses or lines are still there, and that are done with:
    // refused, rejected or test, or accepted and paid with nothing left for the advisor or a
    // complement. An envoi still awaiting payment keeps everything, however old.
    const std::string old = "SELECT id FROM retention_envois";
    if (auto r = run(std::string("INSERT INTO retention_envois SELECT id FROM envois WHERE received < ?1 AND ("
                     "status <> 'accepted' OR test = 1 OR (settled_run IS NOT NULL AND NOT EXISTS (SELECT 1 FROM "
                     "pending_lines p WHERE p.envoi_id = envois.id AND (p.state = 'pending' OR (p.state = 'approved' "
                     "AND p.run_id IS NULL))))) AND ("
                     "EXISTS (SELECT 1 FROM envoi_files f WHERE f.envoi_id = envois.id) OR "
                     "EXISTS (SELECT 1 FROM responses r WHERE r.envoi_id = envois.id) OR "
                     "EXISTS (SELECT 1 FROM history h WHERE h.envoi_id = envois.id)") +
                         (db.postgres() ? "" : " OR EXISTS (SELECT 1 FROM history_recent h WHERE h.envoi_id = envois.id)") +
                         ")",
                     rep.envois, kText);
        !r)
      return r;
    auto all = [&](const std::string& sql, int64_t& count) { return run(sql, count, kInteger); };
    if (db.postgres())
      if (auto r = drop_history_years(db, cutoff, rep); !r) return r;
    if (auto r = run("DELETE FROM envoi_files WHERE envoi_id IN (" + old + ")", rep.received_files, kNone); !r) return r;
    if (auto r = run("DELETE FROM responses WHERE envoi_id IN (" + old + ")", rep.responses, kNone); !r) return r;
    if (auto r = run("DELETE FROM history WHERE envoi_id IN (" + old + ")", rep.history_lines, kNone); !r) return r;
    // SQLite keeps recent lines apart (migration 29).
    if (!db.postgres())
      if (auto r = run("DELETE FROM history_recent WHERE envoi_id IN (" + old + ")", rep.history_lines, kNone); !r) return r;
    // Lines loaded from before mutua (no envoi of the store) go by their envoi's creation date.
    const std::string orphans = " WHERE billed < ?1 AND NOT EXISTS (SELECT 1 FROM envois e WHERE e.id = envoi_id)";
    if (auto r = all("DELETE FROM history" + orphans, rep.history_lines); !r) return r;
    if (!db.postgres())
      if (auto r = all("DELETE FROM history_recent" + orphans, rep.history_lines); !r) return r;
    // Lines the advisor settled keep their amounts (the ledger) but not whose they were.
    if (auto r = run("UPDATE pending_lines SET niss = '' WHERE niss <> '' AND state <> 'pending' AND NOT (state = "
                     "'approved' AND run_id IS NULL) AND envoi_id IN (SELECT id FROM envois WHERE received < ?1)",
                     rep.pending_lines, kText);
        !r)
      return r;
    if (auto r = all("UPDATE consultations SET niss = '', requested_by = '' WHERE niss <> '' AND recorded < ?1", rep.consultations);
        !r)
      return r;
    if (auto r = all("UPDATE agreement_events SET note = '', \"by\" = '' WHERE agreement_id IN (SELECT id FROM agreements WHERE "
                     "niss <> '' AND decision IN ('A', 'N') AND decision_date < ?1 AND valid_to < ?1)",
                     unused);
        !r)
      return r;
    if (auto r = all("UPDATE agreements SET niss = '', motivation = '', establishment = '' WHERE niss <> '' AND "
                     "decision IN ('A', 'N') AND decision_date < ?1 AND valid_to < ?1",
                     rep.agreements);
        !r)
      return r;
    if (auto r = all("UPDATE dispute_events SET text = '', \"by\" = '' WHERE dispute_id IN (SELECT id FROM disputes WHERE "
                     "ended > 0 AND ended < ?1 AND subject <> '')",
                     unused);
        !r)
      return r;
    if (auto r = all("UPDATE disputes SET subject = '' WHERE ended > 0 AND ended < ?1 AND subject <> ''", rep.disputes); !r)
      return r;
    auto before = [&](const std::string& sql, int64_t& count) { return run(sql, count, kSeconds); };
    const std::string old_requests = "SELECT id FROM info_requests WHERE updated < ?1";
    if (auto r = before("DELETE FROM request_attachments WHERE request_id IN (" + old_requests + ")", rep.attachments); !r) return r;
    if (auto r = before("UPDATE request_messages SET text = '' WHERE text <> '' AND request_id IN (" + old_requests + ")", unused); !r)
      return r;
    if (auto r = before("UPDATE registrations SET name = '', email = '', phone = '', note = '' WHERE name <> '' AND request_id IN (" +
                            old_requests + ")",
                        unused);
        !r)
      return r;
    if (auto r = before("UPDATE info_requests SET subject = '', niss = '', payment_reference = '' WHERE updated < ?1 AND "
                        "(subject <> '' OR niss <> '')",
                        rep.requests);
        !r)
      return r;
    if (auto r = before("DELETE FROM password_resets WHERE expires < ?1", unused); !r) return r;
    return before("UPDATE audit SET niss = '' WHERE at < ?1 AND niss <> ''", rep.audit_entries);
  };
  if (auto r = body(); !r) return fail(r.error());
  return rep;
}

}  // namespace mutua::store
