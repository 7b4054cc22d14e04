#include <sqlite3.h>
#include <zstd.h>

#include <algorithm>
#include <optional>
#include <iterator>
#include <array>
#include <chrono>
#include <functional>
#include <cstring>
#include <filesystem>
#include <future>
#include <memory>
#include <set>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>

#include <fmt/format.h>

#include "format/embedded.h"
#include "mutua/model/dates.h"
#include "mutua/model/refdata_tables.h"
#include "mutua/store/sqlite.h"
#include "store/shared_refdata.h"
#include "store/blobs.h"
#include "store/history_filter.h"
#include "store/recent_pairs.h"
#include "store/advisor_sql.h"
#include "store/sqlite_checkpointer.h"
#include "store/wal_vfs.h"
#include "store/sqlite_db.h"
#include "store/accounts_sql.h"
#include "store/patients_sql.h"
#include "store/requests_sql.h"
#include "store/disputes_sql.h"
#include "store/ledger_sql.h"
#include "store/sqlite_refdata.h"
#include "store/retention_sql.h"

namespace mutua::store {

namespace {

using model::EnvoiRecord;
using model::EnvoiStatus;
using model::HistoryLine;
using model::StoredResponse;

// The columns of a history line, in the order history_line() reads them, from one of the two
// tables a line may be in: the large history and the recent one (migration 29). Every read is
// of one patient's lines not reversed: the NISS and the reversal flag are known, not read.
// The columns history_line reads, in its order.
constexpr const char* kHistoryColumns =
    "id, envoi_id, code, first_date, last_date, units, amount, provider, third_party, invoice_number, record, billed, "
    "envoi_number";
std::string select_history_from(std::string_view table) { return fmt::format("SELECT {} FROM {} ", kHistoryColumns, table); }
constexpr std::array<std::string_view, 2> kHistoryTables = {"history", "history_recent"};
// A patient asked more codes than this (a nursing day's every code with a role) is read whole,
// not asked of a filter code by code: sixty questions, each a miss in a filter of tens of
// megabytes, cost more than the read they rarely spare (bench/engine.sh's world).
constexpr size_t kMostCodesFiltered = 8;
// The last id a history line took, in either table.
constexpr const char* kLastHistoryId =
    "MAX((SELECT COALESCE(MAX(id), 0) FROM history), (SELECT COALESCE(MAX(id), 0) FROM history_recent))";

// The rules read a patient's lines in the order they were accepted; a line's id says it,
// whichever table holds it.
// Lines come in key order (code, then id, per patient): the ids are sorted and each line moved
// once into `to` (sized once), where sorting the lines themselves moves each several times.
void move_in_order_of_acceptance(std::vector<HistoryLine>& from, std::vector<HistoryLine>& to) {
  to.reserve(to.size() + from.size());
  auto by_id = [](const HistoryLine& a, const HistoryLine& b) { return a.id < b.id; };
  if (std::is_sorted(from.begin(), from.end(), by_id)) {
    std::move(from.begin(), from.end(), std::back_inserter(to));
    return;
  }
  std::vector<std::pair<int64_t, uint32_t>> order(from.size());
  for (size_t i = 0; i < from.size(); ++i) order[i] = {from[i].id, static_cast<uint32_t>(i)};
  std::sort(order.begin(), order.end());
  for (const auto& [id, i] : order) to.push_back(std::move(from[i]));
}

void in_order_of_acceptance(std::vector<HistoryLine>& lines) {
  if (std::is_sorted(lines.begin(), lines.end(), [](const HistoryLine& a, const HistoryLine& b) { return a.id < b.id; }))
    return;
  std::vector<HistoryLine> sorted;
  move_in_order_of_acceptance(lines, sorted);
  lines = std::move(sorted);
}

// Migrations in order; version i+1 is migrations()[i].
std::vector<std::string_view> migrations() {
  return {embedded::sqlite_001_init(), embedded::sqlite_002_refdata_version(), embedded::sqlite_003_ledger(),
          embedded::sqlite_004_consultations(), embedded::sqlite_005_advisor(),
          embedded::sqlite_006_disputes(), embedded::sqlite_007_nomenclature_limits(),
          embedded::sqlite_008_stays_related(), embedded::sqlite_009_provider_services(),
          embedded::sqlite_010_ct_codes(), embedded::sqlite_011_tariff_commitments(),
          embedded::sqlite_012_parameters(), embedded::sqlite_013_death_date(),
          embedded::sqlite_014_nomenclature_ages(), embedded::sqlite_015_per_admission(),
          embedded::sqlite_016_history_by_patient(), embedded::sqlite_017_unique_accepted_envoi(),
          embedded::sqlite_018_history_by_patient_and_code(), embedded::sqlite_019_typed_refdata(),
          embedded::sqlite_020_paid_once(), embedded::sqlite_021_accounts(), embedded::sqlite_022_requests(),
          embedded::sqlite_023_password_resets(), embedded::sqlite_024_registrations(), embedded::sqlite_025_audit_fund(),
          embedded::sqlite_026_sms_second_factor(), embedded::sqlite_027_ledger_searches(),
          embedded::sqlite_028_nomenclature_labels(), embedded::sqlite_029_recent_history(),
          embedded::sqlite_030_clustered_history(), embedded::sqlite_031_history_filter(),
          embedded::sqlite_032_ref_rows()};
}


std::string status_text(EnvoiStatus s) { return std::string(model::status_name(s)); }
EnvoiStatus status_of(const std::string& s) {
  return s == "accepted" ? EnvoiStatus::Accepted : s == "rejected" ? EnvoiStatus::Rejected : EnvoiStatus::Refused;
}

class SqliteStore final : public model::Store, private SqliteDb {
 public:
  explicit SqliteStore(sqlite3* db, std::string path) : SqliteDb(db, std::move(path)) {}
  ~SqliteStore() override {
    checkpointer_.reset();  // its connection closes first: ours makes the final checkpoint
    sqlite3_close_v2(db_);
  }

  // Past this many pages in the WAL, a checkpoint runs beside the writer.
  void checkpoint_in_background(int pages) {
    checkpointer_ = std::make_unique<BackgroundCheckpointer>(db_, path_, pages);
  }

  void flush_in_background() override {
    if (checkpointer_) checkpointer_->empty_wal_soon();
  }

  Result<void> map_reads(int64_t bytes) { return exec(fmt::format("PRAGMA mmap_size={}", bytes)); }
  Result<void> exec_pragma(const std::string& sql) { return exec(sql); }

  // The size of the store's pages, in bytes.
  int page_bytes() {
    Stmt s(db_, "PRAGMA page_size");
    return s.step() == SQLITE_ROW ? static_cast<int>(s.i64(0)) : 4096;
  }

  Result<void> migrate(int page_bytes) {
    // The page size first: it only takes on a file with nothing in it yet (a store keeps the
    // size it was made with; WAL mode, set next, fixes it).
    if (auto r = exec(fmt::format("PRAGMA page_size={}", page_bytes)); !r) return r;
    if (auto r = exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"); !r) return r;
    if (auto r = exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"); !r) return r;
    // One migration per write transaction, the version read inside it: processes opening a new
    // store at once each apply what the others have not.
    auto all = migrations();
    for (;;) {
      if (auto r = exec("BEGIN IMMEDIATE"); !r) return r;
      int version = 0;
      {
        Stmt s(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
        if (s.step() == SQLITE_ROW) version = static_cast<int>(s.i64(0));
      }
      if (version > static_cast<int>(all.size())) {
        (void)exec("ROLLBACK");
        return error(fmt::format("store schema version {} is newer than this mutua ({})", version, all.size()));
      }
      if (version == static_cast<int>(all.size())) return exec("COMMIT");
      auto r = exec(std::string(all[version]));
      if (r && version + 1 == 19) r = carry_over_text_refdata(*this);
      if (r && version + 1 == 28) r = add_missing_ref_columns(*this);
      if (r && version + 1 == 32) r = write_ref_rows(*this, nullptr);
      if (r) r = exec(fmt::format("INSERT INTO schema_version VALUES ({})", version + 1));
      if (!r) {
        (void)exec("ROLLBACK");
        if (version + 1 == 17)
          return error("this store holds an envoi number accepted twice (by two processes of an older mutua): "
                       "`mutua ledger check` of that version says which; the store cannot take the constraint "
                       "that forbids it until one is removed");
        return r;
      }
      if (auto c = exec("COMMIT"); !c) return c;
    }
  }

  Result<void> replace_refdata(const model::RefData& data) override {
    return in_write_transaction([&]() -> Result<void> {
      if (auto w = write_refdata(*this, data); !w) return w;
      if (auto w = write_ref_rows(*this, &data); !w) return w;
      return exec("UPDATE refdata_version SET version = version + 1");
    });
  }

  Result<model::RefData> load_refdata() override { return read_refdata(*this, {}, {}); }
  Result<std::map<std::string, uint64_t>> refdata_counts() override { return count_refdata(*this); }
  Result<model::RefData> load_refdata_for(const std::vector<std::string>& niss) override {
    return load_patients(niss, nullptr);
  }
  Result<model::RefData> load_patient_files(const std::vector<std::string>& niss,
                                            const std::vector<std::string>& files) override {
    return load_patients(niss, &files);
  }

  Result<std::vector<std::string>> patients_where(const std::string& file, const std::string& column,
                                                  const std::string& value) override {
    ReadTransaction tx(db_);
    return select_patients_where(*this, file, column, value);
  }

  Result<std::shared_ptr<const model::RefData>> shared_refdata() override {
    auto version = refdata_version();
    if (!version) return fail(version.error());
    if (shared_ && shared_version_ == *version) return shared_;
    auto data = read_refdata(*this, {.patient = false}, {});
    if (!data) return fail(data.error());
    // Patient files are loaded per envoi; which of them the fund keeps at all is said here.
    for (const auto& spec : model::ref_table_specs()) {
      if (!spec.per_patient) continue;
      Stmt any(db_, "SELECT EXISTS (SELECT 1 FROM " + spec.table + ")");
      if (any.step() == SQLITE_ROW && any.i64(0)) data->kept.insert(spec.file);
    }
    data->version = *version;
    shared_ = std::make_shared<const model::RefData>(std::move(*data));
    shared_version_ = *version;
    return shared_;
  }

  void adopt_shared_refdata(std::shared_ptr<const model::RefData> data) override {
    adopt_if_current(shared_, shared_version_, std::move(data), [&] { return refdata_version(); });
  }

  Result<std::vector<EnvoiRecord>> receptions(const std::string& third_party, int year, int number) override {
    Stmt s(db_, kSelectEnvoi + " WHERE third_party = ?1 AND year = ?2 AND number = ?3 ORDER BY id");
    s.bind(1, third_party).bind(2, int64_t{year}).bind(3, int64_t{number});
    return read_envois(s);
  }

  Result<std::vector<EnvoiRecord>> batch_receptions(const std::string& batch, const std::string& file_name) override {
    Stmt s(db_, kSelectEnvoi + " WHERE batch = ?1 AND file_name = ?2 ORDER BY id");
    s.bind(1, batch).bind(2, file_name);
    return read_envois(s);
  }

  Result<std::optional<EnvoiRecord>> envoi(int64_t id) override {
    Stmt s(db_, kSelectEnvoi + " WHERE id = ?1");
    s.bind(1, id);
    auto v = read_envois(s);
    if (!v) return fail(v.error());
    if (v->empty()) return std::optional<EnvoiRecord>();
    return std::optional<EnvoiRecord>(v->front());
  }

  Result<int64_t> first_reception_named(const std::string& file_name) override {
    Stmt s(db_, "SELECT COALESCE(MIN(id), 0) FROM envois WHERE file_name = ?1");
    s.bind(1, file_name);
    if (s.step() != SQLITE_ROW) return fail(last_error("read receptions by file name"));
    return s.i64(0);
  }

  Result<std::vector<EnvoiRecord>> envois() override {
    Stmt s(db_, kSelectEnvoi + " ORDER BY id");
    return read_envois(s);
  }

  Result<std::vector<EnvoiRecord>> envois_of(const std::string& third_party) override {
    Stmt s(db_, kSelectEnvoi + " WHERE third_party = ?1 ORDER BY id");
    s.bind(1, third_party);
    return read_envois(s);
  }

  Result<std::unordered_map<std::string, std::vector<HistoryLine>>> history(const std::vector<std::string>& niss,
                                                                            int64_t before_envoi) override {
    ReadTransaction tx(db_);
    std::unordered_map<std::string, std::vector<HistoryLine>> out;
    for (std::string_view table : kHistoryTables) {
      Stmt s(db_, select_history_from(table) + "WHERE niss = ?1 AND reversed = 0 AND (?2 = 0 OR envoi_id < ?2) ORDER BY id");
      if (!s.ok()) return fail(last_error("prepare history"));
      for (const auto& n : niss) {
        s.bind(1, n).bind(2, before_envoi);
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) out[n].push_back(history_line(s, n));
        if (rc != SQLITE_DONE) return fail(last_error("read history"));
        s.reset();
      }
    }
    for (auto& [patient, lines] : out) in_order_of_acceptance(lines);
    return out;
  }

  Result<std::unordered_map<std::string, std::vector<HistoryLine>>> history_of_codes(
      const std::vector<model::PatientCodes>& wanted, int64_t before_envoi) override {
    // One seek per patient and code into the large history's key (NISS, code, id: migration 30),
    // whose leaves hold the lines themselves; the recent history by its index on (NISS, code).
    // Many codes for one patient (a nursing day asks for every code with a role): the patient's
    // range of the key (of the NISS index in the recent history), filtered here, costs less than
    // a seek per code. In the recent history, which holds a patient's lines of the last envois
    // only, as soon as two codes are asked (on the peer's data, a GP's month: half the seeks).
    ReadTransaction tx(db_);
    struct Reads {
      Reads(sqlite3* db, std::string_view table)
          : by_code(db, select_history_from(table) +
                            "WHERE niss = ?1 AND code = ?2 AND reversed = 0 AND (?3 = 0 OR envoi_id < ?3)"),
            whole(db, select_history_from(table) + "WHERE niss = ?1 AND reversed = 0 AND (?2 = 0 OR envoi_id < ?2)"),
            seeks_per_patient(table == "history_recent" ? 1 : 4),
            large(table == "history") {}
      Stmt by_code, whole;
      size_t seeks_per_patient;  // more codes asked: the patient read whole
      bool large;
    };
    // The large history's filter, when the store keeps one that covers it: a code it says the
    // patient never had is not looked for there.
    auto filter = usable_history_filter();
    if (!filter) return fail(filter.error());
    // The recent history's pairs, on a connection reading ahead for a batch, for the patients
    // asked few codes.
    const auto few_codes = static_cast<uint64_t>(std::count_if(
        wanted.begin(), wanted.end(), [](const model::PatientCodes& w) { return w.code_count() <= kMostCodesFiltered; }));
    auto recent = usable_recent_pairs(few_codes);
    if (!recent) return fail(recent.error());
    const RecentPairs* recent_pairs = recent->pairs;
    std::vector<std::unique_ptr<Reads>> tables;
    for (std::string_view table : kHistoryTables) {
      tables.push_back(std::make_unique<Reads>(db_, table));
      if (!tables.back()->by_code.ok() || !tables.back()->whole.ok()) return fail(last_error("prepare history"));
    }
    std::unordered_map<std::string, std::vector<HistoryLine>> out;
    out.reserve(wanted.size());
    // A patient's lines from both tables gather here (its capacity kept from one patient to the
    // next), then go to the patient's own vector in order of acceptance, sized once.
    std::vector<HistoryLine> found;
    // A line not wanted (another code of a patient read whole, a nursing role's line of another
    // day) is left before its other columns are taken.
    auto read = [&](Stmt& s, const model::PatientCodes& w) -> Result<void> {
      int rc;
      while ((rc = s.step()) == SQLITE_ROW) {
        if (!w.wants(s.view(2), static_cast<model::Date>(s.i64(3)))) continue;
        found.push_back(history_line(s, w.niss));
      }
      if (rc != SQLITE_DONE) return fail(last_error("read history"));
      s.reset();
      return {};
    };
    std::vector<std::string_view> codes;
    for (const auto& w : wanted) {
      found.clear();
      for (auto& t : tables) {
        // Not for a patient asked many codes (kMostCodesFiltered).
        const bool filtered = w.code_count() <= kMostCodesFiltered && (t->large ? *filter != nullptr : recent_pairs != nullptr);
        if (filtered) {
          codes.clear();
          for (std::string_view code : w.each_code())
            if (t->large ? (*filter)->may_hold(w.niss, code) : recent_pairs->may_hold(w.niss, code)) codes.push_back(code);
          if (codes.empty()) continue;
        }
        if ((filtered ? codes.size() : w.code_count()) > t->seeks_per_patient) {
          t->whole.bind(1, w.niss).bind(2, before_envoi);
          if (auto r = read(t->whole, w); !r) return fail(r.error());
        } else {
          if (!filtered) codes = w.each_code();
          for (std::string_view code : codes) {
            t->by_code.bind(1, w.niss).bind(2, code).bind(3, before_envoi);
            if (auto r = read(t->by_code, w); !r) return fail(r.error());
          }
        }
      }
      if (found.empty()) continue;
      // The rules read a patient's lines in the order they were accepted; a line's id says it,
      // whichever table holds it (they come in key order: code, then id).
      move_in_order_of_acceptance(found, out[w.niss]);
    }
    return out;
  }

  // What a read of the recent history uses of the pairs: `pairs` null, seek every code; else held
  // under the shared lock until the read is done.
  struct RecentPairsInUse {
    std::shared_lock<std::shared_mutex> lock;
    const RecentPairs* pairs = nullptr;
  };

  // The recent history's pairs as this process's connections know them (SharedRecentPairs),
  // caught up by the lines of larger id (inside the caller's read transaction), on a connection
  // told to expect a batch's patients; not used otherwise, or when the lines to read first (the
  // whole table the first time, those written since after) would cost more than the look-ups of
  // `patients` they may spare: after a day's envois the recent history can hold millions, and a
  // nursing patient, asked sixty codes, is read whole anyway. The ids of the lines since are at
  // most the id span (ids only grow).
  Result<RecentPairsInUse> usable_recent_pairs(uint64_t patients) {
    if (expected_ == 0 || patients == 0) return RecentPairsInUse{};
    // Two subqueries: SQLite finds a lone MAX or MIN at an end of the rowid, but MAX and MIN in one
    // SELECT scanned the whole (NISS, code) index (12 % of the CPU of a batch read in chunks).
    Stmt span(db_,
              "SELECT COALESCE((SELECT MAX(id) FROM history_recent), 0), "
              "COALESCE((SELECT MIN(id) FROM history_recent), 0)");
    if (span.step() != SQLITE_ROW) return fail(last_error("read the recent history's ids"));
    const int64_t last = span.i64(0), first = span.i64(1);
    if (!recent_pairs_)
      recent_pairs_ = store_key().empty() ? std::make_shared<SharedRecentPairs>() : shared_recent_pairs(store_key());
    SharedRecentPairs& shared = *recent_pairs_;
    auto covers_this_snapshot = [&] {
      return shared.pairs.ready && (last == 0 || (first >= shared.valid_from && shared.pairs.seen_up_to >= last));
    };
    auto in_use = [&](std::shared_lock<std::shared_mutex> lock) -> RecentPairsInUse {
      static const RecentPairs none = [] {
        RecentPairs p;
        p.ready = true;
        return p;
      }();
      return {std::move(lock), last == 0 ? &none : &shared.pairs};
    };
    {
      std::shared_lock lock(shared.mutex);
      if (covers_this_snapshot()) return in_use(std::move(lock));
    }
    {
      std::unique_lock lock(shared.mutex);
      RecentPairs& pairs = shared.pairs;
      // Every line the set was caught up by is gone in this snapshot (a merge emptied the table):
      // the set starts again, answering for this snapshot's lines and later ones only.
      if (last == 0 || (pairs.ready && first > pairs.seen_up_to)) {
        pairs.clear();
        pairs.ready = last == 0;
        shared.valid_from = last == 0 ? pairs.seen_up_to + 1 : first;
      }
      if (!pairs.ready && pairs.size() == 0) shared.valid_from = std::max(shared.valid_from, first);
      if (last != 0) {
        // A snapshot older than the set's start may still see lines it no longer holds.
        if (first < shared.valid_from) return RecentPairsInUse{};
        const int64_t from = pairs.ready ? std::max(pairs.seen_up_to + 1, first) : first;
        if (last >= from && static_cast<uint64_t>(last - from + 1) > patients * kRowsReadPerLookup)
          return RecentPairsInUse{};
        Stmt s(db_, "SELECT id, niss, code FROM history_recent WHERE id >= ?1 ORDER BY id");
        s.bind(1, from);
        int rc;
        while ((rc = s.step()) == SQLITE_ROW) {
          pairs.seen_up_to = std::max(pairs.seen_up_to, s.i64(0));
          pairs.add(s.view(1), s.view(2));
        }
        if (rc != SQLITE_DONE) return fail(last_error("read the recent history's pairs"));
        pairs.ready = true;
      }
    }
    // Another connection may have emptied it between the two locks: then this read seeks.
    std::shared_lock lock(shared.mutex);
    if (covers_this_snapshot()) return in_use(std::move(lock));
    return RecentPairsInUse{};
  }

  // The large history's filter (migration 31) when the store keeps one of this format that
  // covers every line of it (none has a larger id than it says); null otherwise. Read inside the
  // caller's read transaction; this connection keeps its copy until the stored one changes.
  Result<const HistoryFilter*> usable_history_filter() {
    Stmt s(db_, "SELECT generation, upto, format, (SELECT COALESCE(MAX(id), 0) FROM history) FROM history_filter");
    const int rc = s.step();
    if (rc == SQLITE_DONE) return nullptr;
    if (rc != SQLITE_ROW) return fail(last_error("read the history filter"));
    if (s.i64(2) != HistoryFilter::kFormat || s.i64(3) > s.i64(1)) return nullptr;
    const int64_t generation = s.i64(0);
    if (!kept_filter_ || kept_filter_generation_ != generation) {
      Stmt b(db_, "SELECT bits FROM history_filter");
      if (b.step() != SQLITE_ROW) return fail(last_error("read the history filter"));
      kept_filter_ = shared_history_filter(store_key(), generation, [&] { return HistoryFilter::from_bits(b.view(0)); });
      kept_filter_generation_ = generation;
    }
    return kept_filter_.get();
  }

  // Keeps the large history's filter in step with a merge moving the recent history into it:
  // the recent lines added to the filter while it covers the large history and has room for
  // them, else one made again from the whole large history once they are moved. Inside the
  // merge's transaction: `move` moves the lines.
  template <class Move>
  Result<int64_t> merge_keeping_filter(Move&& move) {
    struct Stored {
      int64_t generation = 0, pairs = 0;
      bool usable = false;
      HistoryFilter filter;
    } old;
    {
      Stmt s(db_, "SELECT generation, upto, format, pairs, bits, (SELECT COALESCE(MAX(id), 0) FROM history) "
                  "FROM history_filter");
      const int rc = s.step();
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(last_error("read the history filter"));
      if (rc == SQLITE_ROW) {
        old.generation = s.i64(0);
        old.pairs = s.i64(3);
        if (s.i64(2) == HistoryFilter::kFormat && s.i64(5) <= s.i64(1)) old.filter = HistoryFilter::from_bits(s.view(4));
        old.usable = !old.filter.empty();
      }
    }
    Stmt count(db_, "SELECT COUNT(*) FROM history_recent");
    if (count.step() != SQLITE_ROW) return fail(last_error("count the recent history"));
    const int64_t recent = count.i64(0);
    if (old.usable && recent == 0) return int64_t{0};  // nothing moves, the filter still covers all
    HistoryFilter filter;
    int64_t pairs = 0;
    if (old.usable && static_cast<uint64_t>(old.pairs + recent) <= old.filter.planned_pairs()) {
      filter = std::move(old.filter);
      pairs = old.pairs + recent;
      Stmt s(db_, "SELECT niss, code FROM history_recent");
      int rc;
      while ((rc = s.step()) == SQLITE_ROW) filter.add(s.view(0), s.view(1));
      if (rc != SQLITE_DONE) return fail(last_error("read the recent history"));
    }
    auto moved = move();
    if (!moved) return moved;
    if (filter.empty()) {
      // Made again from the distinct pairs (the table comes in (NISS, code) order), with room
      // for half as many again: the next merges only add theirs.
      std::vector<uint64_t> hashes;
      std::string last_niss, last_code;
      Stmt s(db_, "SELECT niss, code FROM history");
      int rc;
      while ((rc = s.step()) == SQLITE_ROW) {
        if (!hashes.empty() && s.view(0) == last_niss && s.view(1) == last_code) continue;
        last_niss = s.view(0);
        last_code = s.view(1);
        hashes.push_back(HistoryFilter::hash(last_niss, last_code));
      }
      if (rc != SQLITE_DONE) return fail(last_error("read the history"));
      pairs = static_cast<int64_t>(hashes.size());
      filter = HistoryFilter::sized_for(std::max<uint64_t>(hashes.size() + hashes.size() / 2, 4096));
      for (uint64_t h : hashes) filter.add_hash(h);
    }
    const std::string bits = filter.bits();
    Stmt w(db_, "INSERT OR REPLACE INTO history_filter (id, format, generation, upto, pairs, bits) "
                "VALUES (1, ?1, ?2, (SELECT COALESCE(MAX(id), 0) FROM history), ?3, ?4)");
    // A generation no connection can have kept, even if the row was deleted and made again.
    const int64_t now_us = std::chrono::duration_cast<std::chrono::microseconds>(
                               std::chrono::system_clock::now().time_since_epoch()).count();
    w.bind(1, int64_t{HistoryFilter::kFormat}).bind(2, std::max(old.generation + 1, now_us)).bind(3, pairs).blob(4, bits);
    if (w.step() != SQLITE_DONE) return fail(last_error("write the history filter"));
    return moved;
  }

  static HistoryLine history_line(Stmt& s, const std::string& niss) {
    HistoryLine h;
    h.id = s.i64(0);
    h.envoi_id = s.i64(1);
    h.niss = niss;
    h.code = s.view(2);
    h.first_date = static_cast<model::Date>(s.i64(3));
    h.last_date = static_cast<model::Date>(s.i64(4));
    h.units = static_cast<int>(s.i64(5));
    h.amount = s.i64(6);
    h.provider = s.view(7);
    h.third_party = s.view(8);
    h.invoice_number = static_cast<uint64_t>(s.i64(9));
    h.record = static_cast<uint64_t>(s.i64(10));
    h.billed = static_cast<model::Date>(s.i64(11));
    h.envoi_number = static_cast<int>(s.i64(12));
    return h;
  }

  Result<model::StoreMark> mark() override {
    ReadTransaction tx(db_);
    model::StoreMark m;
    Stmt s(db_, std::string("SELECT (SELECT COALESCE(MAX(id), 0) FROM envois), ") + kLastHistoryId + ", "
                "(SELECT COALESCE(MAX(id), 0) FROM pending_lines)");
    if (s.step() != SQLITE_ROW) return fail(last_error("read the store's mark"));
    m.envoi = s.i64(0);
    m.history = s.i64(1);
    m.pending = s.i64(2);
    return m;
  }

  Result<std::vector<std::string>> patients_recorded_since(const model::StoreMark& since,
                                                           const std::vector<std::string>& patients) override {
    ReadTransaction tx(db_);
    std::set<std::string, std::less<>> hit;
    auto read = each_recorded_since(since, [&](std::string_view niss) {
      if (std::binary_search(patients.begin(), patients.end(), niss, std::less<>())) hit.emplace(niss);
      return true;
    });
    if (!read) return fail(read.error());
    return std::vector<std::string>(hit.begin(), hit.end());
  }

  // The lines since come in the scan that finds their patients (each_recorded_since's rows, all
  // columns taken for the patients asked only): a patient with new lines is not sought again
  // code by code (on the SQL peer's data, 5.8k of an envoi's 48k patients had lines in the envoi
  // before).
  Result<RecordedSince> recorded_since(const model::StoreMark& since, const std::vector<std::string>& patients) override {
    ReadTransaction tx(db_);
    std::set<std::string, std::less<>> again;
    std::unordered_map<std::string, std::vector<HistoryLine>> added;
    auto asked = [&](std::string_view niss) { return std::binary_search(patients.begin(), patients.end(), niss, std::less<>()); };
    for (std::string_view table : kHistoryTables) {
      Stmt s(db_, fmt::format("SELECT {}, niss, reversed FROM {} WHERE id > ?1", kHistoryColumns, table));
      s.bind(1, since.history);
      std::string before;
      bool before_asked = false;
      int rc;
      while ((rc = s.step()) == SQLITE_ROW) {
        const std::string_view niss = s.view(13);
        if (niss != before) {  // an envoi's lines go in in NISS order: most rows repeat the one before
          before.assign(niss);
          before_asked = asked(niss);
        }
        if (!before_asked) continue;
        if (s.i64(6) < 0) {  // a credit note: lines read at `since` may be reversed now
          again.emplace(niss);
          continue;
        }
        if (s.i64(14) != 0) continue;
        added[before].push_back(history_line(s, before));
      }
      if (rc != SQLITE_DONE) return fail(last_error("read the lines recorded since"));
    }
    {
      Stmt s(db_, "SELECT niss FROM pending_lines WHERE id > ?1");
      s.bind(1, since.pending);
      int rc;
      while ((rc = s.step()) == SQLITE_ROW)
        if (asked(s.view(0))) again.emplace(s.view(0));
      if (rc != SQLITE_DONE) return fail(last_error("read the lines recorded since"));
    }
    for (const auto& niss : again) added.erase(niss);
    // Both tables hold lines since only after a merge, the large one's first: in order anyway.
    for (auto& [niss, lines] : added)
      std::stable_sort(lines.begin(), lines.end(), [](const HistoryLine& a, const HistoryLine& b) { return a.id < b.id; });
    return RecordedSince{std::vector<std::string>(again.begin(), again.end()), std::move(added)};
  }

  // The NISS of each line recorded after `since` (history, recent history, lines waiting on the
  // advisor), given to `seen` (a view valid for the call) until it returns false. One row per
  // line, by the id's range: `SELECT DISTINCT niss` was planned as a scan of the whole NISS
  // index (1.3 s on 20M lines, at every envoi of a batch reading ahead), where the range reads
  // only the new lines. An envoi's lines go in in NISS order (insert_history), so a NISS the
  // same as the row before's is not given again: a tenth of the calls.
  template <class Seen>
  Result<void> each_recorded_since(const model::StoreMark& since, Seen&& seen) {
    for (const auto& [table, from] : {std::pair{"history", since.history}, std::pair{"history_recent", since.history},
                                      std::pair{"pending_lines", since.pending}}) {
      Stmt s(db_, fmt::format("SELECT niss FROM {} WHERE id > ?1", table));
      s.bind(1, from);
      std::string before;
      bool any = false;
      int rc;
      while ((rc = s.step()) == SQLITE_ROW) {
        const std::string_view niss = s.view(0);
        if (any && niss == before) continue;
        if (!seen(niss)) return {};
        before.assign(niss);
        any = true;
      }
      if (rc != SQLITE_DONE) return fail(last_error("read the lines recorded since"));
    }
    return {};
  }

  // Inside the recording's write transaction: what was recorded after `mark` that the outcome's
  // judgement depends on, said for a person; empty when nothing.
  Result<std::string> changed_since(const model::StoreMark& mark, const model::EnvoiOutcome& o) {
    auto now = this->mark();
    if (!now) return fail(now.error());
    if (now->envoi == mark.envoi && now->history == mark.history && now->pending == mark.pending) return std::string();
    const auto& e = o.envoi;
    if (e.status == model::EnvoiStatus::Refused) return std::string();  // judged on the file alone
    {
      Stmt same(db_, "SELECT id FROM envois WHERE id > ?1 AND status = 'accepted' AND third_party = ?2 AND year = ?3 "
                     "AND number = ?4 AND test = ?5 LIMIT 1");
      same.bind(1, mark.envoi).bind(2, e.third_party).bind(3, int64_t{e.year}).bind(4, int64_t{e.number})
          .bind(5, int64_t{e.test ? 1 : 0});
      if (same.step() == SQLITE_ROW)
        return fmt::format("envoi {} of {} for {} was accepted meanwhile (reception {})", e.number, e.third_party,
                           e.year, same.i64(0));
    }
    if (o.patients.empty()) return std::string();
    const std::unordered_set<std::string_view> patients(o.patients.begin(), o.patients.end());
    bool theirs = false;
    auto read = each_recorded_since(mark, [&](std::string_view niss) {
      theirs = patients.count(niss) > 0;
      return !theirs;
    });
    if (!read) return fail(read.error());
    if (theirs) return std::string("lines of one of its patients were recorded meanwhile by another envoi");
    return std::string();
  }

  // Writes `bytes` into the zero blob of (table, column) at `rowid`, a chunk at a time.
  bool write_blob(const char* table, const char* column, int64_t rowid, std::string_view bytes) {
    if (bytes.empty()) return true;
    sqlite3_blob* blob = nullptr;
    if (sqlite3_blob_open(db_, "main", table, column, rowid, 1, &blob) != SQLITE_OK) {
      sqlite3_blob_close(blob);
      return false;
    }
    constexpr size_t kChunk = 1 << 20;
    bool ok = true;
    for (size_t at = 0; ok && at < bytes.size(); at += kChunk) {
      const size_t n = std::min(kChunk, bytes.size() - at);
      ok = sqlite3_blob_write(blob, bytes.data() + at, static_cast<int>(n), static_cast<int>(at)) == SQLITE_OK;
    }
    return sqlite3_blob_close(blob) == SQLITE_OK && ok;
  }

  Result<int64_t> record(const model::EnvoiOutcome& o) override {
    // The blobs (the received file, responses, JSON: 200+ MB for a 100k-line envoi) are
    // compressed on another core while the history lines go in.
    // The packed blobs may view the outcome's own bytes: `o` outlives them.
    auto packing = pack_outcome(o);
    return in_write_transaction([&]() -> Result<int64_t> {
      const auto& e = o.envoi;
      if (o.judged_at) {
        auto changed = changed_since(*o.judged_at, o);
        if (!changed) return fail(changed.error());
        if (!changed->empty()) return fail({.code = model::kStoreConflict, .message = *changed, .file = path_});
      }
      Stmt ins(db_,
               "INSERT INTO envois (third_party, year, month, number, status, test, received, file_name, "
               "content_hash, batch, error_rate_bp, lines, rejected_lines, asked_cents, accepted_cents, "
               "refused_cents, federation, accepted_a_cents, accepted_b_cents, account_c_cents, pending_cents) "
               "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21)");
      ins.bind(1, e.third_party)
          .bind(2, int64_t{e.year})
          .bind(3, int64_t{e.month})
          .bind(4, int64_t{e.number})
          .bind(5, status_text(e.status))
          .bind(6, int64_t{e.test ? 1 : 0})
          .bind(7, model::iso(e.received))
          .bind(8, e.file_name)
          .bind(9, e.content_hash)
          .bind(10, e.batch)
          .bind(11, e.error_rate_bp)
          .bind(12, static_cast<int64_t>(e.lines))
          .bind(13, static_cast<int64_t>(e.rejected_lines))
          .bind(14, e.asked_cents)
          .bind(15, e.accepted_cents)
          .bind(16, e.refused_cents)
          .bind(17, e.federation)
          .bind(18, e.accepted_a_cents)
          .bind(19, e.accepted_b_cents)
          .bind(20, e.account_c_cents)
          .bind(21, e.pending_cents);
      if (const int rc = ins.step(); rc != SQLITE_DONE) {
        if (rc == SQLITE_CONSTRAINT)
          return fail({.code = model::kStoreConflict,
                       .message = fmt::format("envoi {} of {} for {} is already accepted", e.number, e.third_party, e.year),
                       .file = path_});
        return fail(last_error("insert envoi"));
      }
      const int64_t id = sqlite3_last_insert_rowid(db_);
      if (auto h = insert_history(o.accepted, id, "history_recent"); !h) return fail(h.error());
      if (auto p = insert_pending(*this, o.pending, id); !p) return fail(p.error());
      const PackedOutcome blobs = packing.get();
      // Zero blobs filled in place: an INSERT with the bytes would first copy them whole into
      // one record in memory (a received file or its response can be hundreds of MB).
      Stmt file(db_, "INSERT INTO envoi_files (envoi_id, received, verdicts) VALUES (?1, zeroblob(?2), zeroblob(?3))");
      file.bind(1, id).bind(2, static_cast<int64_t>(blobs.received.bytes.size()))
          .bind(3, static_cast<int64_t>(blobs.verdicts.bytes.size()));
      if (file.step() != SQLITE_DONE) return fail(last_error("insert envoi file"));
      if (!write_blob("envoi_files", "received", id, blobs.received.bytes) ||
          !write_blob("envoi_files", "verdicts", id, blobs.verdicts.bytes))
        return fail(last_error("write envoi file"));
      Stmt resp(db_, "INSERT INTO responses (envoi_id, message, bytes, json) VALUES (?1, ?2, zeroblob(?3), zeroblob(?4))");
      for (const auto& r : blobs.responses) {
        resp.bind(1, id).bind(2, r.message).bind(3, static_cast<int64_t>(r.bytes.bytes.size()))
            .bind(4, static_cast<int64_t>(r.json.bytes.size()));
        if (resp.step() != SQLITE_DONE) return fail(last_error("insert response"));
        resp.reset();
        const int64_t row = sqlite3_last_insert_rowid(db_);
        if (!write_blob("responses", "bytes", row, r.bytes.bytes) || !write_blob("responses", "json", row, r.json.bytes))
          return fail(last_error("write response"));
      }
      for (std::string_view table : kHistoryTables) {
        Stmt rev(db_, fmt::format("UPDATE {} SET reversed = 1 WHERE id = ?1", table));
        for (int64_t hid : o.reversed_ids) {
          rev.bind(1, hid);
          if (rev.step() != SQLITE_DONE) return fail(last_error("reverse history line"));
          rev.reset();
        }
      }
      return id;
    });
  }

  Result<std::vector<StoredResponse>> responses(int64_t envoi_id) override {
    Stmt s(db_, "SELECT message, bytes, json FROM responses WHERE envoi_id = ?1 ORDER BY rowid");
    s.bind(1, envoi_id);
    std::vector<StoredResponse> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      auto bytes = unpacked(s.text(1));
      auto json = unpacked(s.text(2));
      if (!bytes) return fail(bytes.error());
      if (!json) return fail(json.error());
      out.push_back({s.text(0), std::move(*bytes), std::move(*json)});
    }
    if (rc != SQLITE_DONE) return fail(last_error("read responses"));
    return out;
  }

  Result<std::vector<std::string>> response_messages(int64_t envoi_id) override {
    Stmt s(db_, "SELECT message FROM responses WHERE envoi_id = ?1 ORDER BY rowid");
    s.bind(1, envoi_id);
    std::vector<std::string> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) out.push_back(s.text(0));
    if (rc != SQLITE_DONE) return fail(last_error("read responses"));
    return out;
  }

  Result<std::optional<StoredResponse>> response(int64_t envoi_id, const std::string& message) override {
    Stmt s(db_, "SELECT message, bytes, json FROM responses WHERE envoi_id = ?1 AND message = ?2 ORDER BY rowid DESC LIMIT 1");
    s.bind(1, envoi_id).bind(2, message);
    const int rc = s.step();
    if (rc == SQLITE_DONE) return std::optional<StoredResponse>();
    if (rc != SQLITE_ROW) return fail(last_error("read a response"));
    auto bytes = unpacked(s.text(1));
    auto json = unpacked(s.text(2));
    if (!bytes) return fail(bytes.error());
    if (!json) return fail(json.error());
    return std::optional<StoredResponse>(StoredResponse{s.text(0), std::move(*bytes), std::move(*json)});
  }

  Result<std::string> received_bytes(int64_t envoi_id) override { return file_column(envoi_id, "received"); }
  Result<std::string> verdicts(int64_t envoi_id) override { return file_column(envoi_id, "verdicts"); }

  // The large history's filter no longer covers it: marked so (the next merge makes it again).
  Result<void> load_history(const std::vector<HistoryLine>& lines) override {
    if (auto r = exec("BEGIN IMMEDIATE"); !r) return r;
    auto r = exec("UPDATE history_filter SET upto = -1, generation = generation + 1");
    if (r) r = insert_history(lines, -1, "history");
    if (!r) {
      (void)exec("ROLLBACK");
      return r;
    }
    return exec("COMMIT");
  }

  Result<int64_t> recent_history_lines() override {
    Stmt s(db_, "SELECT COUNT(*) FROM history_recent");
    if (s.step() != SQLITE_ROW) return fail(last_error("count the recent history"));
    return s.i64(0);
  }

  // In (NISS, code) order, the large history (kept in that order, migration 30) takes the lines
  // page after page, and its id index at its end: each page is written once for the whole
  // merge, not once per line.
  // The large history's filter (migration 31) is kept in the same transaction; with nothing to
  // merge, it is made when the store has none that covers the large history.
  Result<int64_t> merge_recent_history() override {
    return in_write_transaction([&]() -> Result<int64_t> {
      return merge_keeping_filter([&]() -> Result<int64_t> {
        constexpr const char* kColumns =
            "id, envoi_id, niss, code, first_date, last_date, units, amount, provider, third_party, invoice_number, "
            "record, billed, envoi_number, reversed";
        Stmt move(db_,
                  fmt::format("INSERT INTO history ({0}) SELECT {0} FROM history_recent ORDER BY niss, code", kColumns));
        if (move.step() != SQLITE_DONE) return fail(last_error("merge the recent history"));
        const int64_t moved = sqlite3_changes64(db_);
        if (auto r = exec("DELETE FROM history_recent"); !r) return fail(r.error());
        return moved;
      });
    });
  }


  Result<model::LedgerState> ledger(bool awaiting_only, bool history_sums) override {
    ReadTransaction tx(db_);
    return select_ledger(*this, awaiting_only, history_sums);
  }
  Result<std::vector<std::tuple<std::string, int, int64_t>>> last_sequences() override {
    return select_last_sequences(*this);
  }
  Result<std::optional<model::PaymentRun>> payment_run(const std::string& key) override {
    return select_payment_run(*this, key);
  }
  Result<std::vector<model::Payment>> run_payments(int64_t run_id) override { return select_run_payments(*this, run_id); }
  Result<model::LedgerState> ledger_in(const model::LedgerScope& scope) override {
    ReadTransaction tx(db_);
    return select_ledger_in(*this, scope);
  }
  Result<std::vector<model::Payment>> envoi_payments(int64_t envoi_id) override {
    return select_envoi_payments(*this, envoi_id);
  }

  Result<int64_t> record_payment_run(const model::PaymentRunOutcome& o) override {
    // Durable at commit (the WAL synced), before the payment file exists: a power loss cannot
    // undo a run whose pain.001 was written, so it is never planned and paid again.
    if (auto r = exec("PRAGMA synchronous=FULL"); !r) return fail(r.error());
    struct Normal {
      SqliteStore* s;
      ~Normal() { (void)s->exec("PRAGMA synchronous=NORMAL"); }
    } normal{this};
    return in_write_transaction([&] { return insert_payment_run(*this, o); });
  }

  Result<std::vector<std::string>> record_consultations(const std::vector<model::Consultation>& list) override {
    return in_write_transaction([&] { return insert_consultations(*this, list); });
  }

  Result<int64_t> record_agreement(const model::AgreementRecord& a) override {
    return in_write_transaction([&] { return insert_agreement(*this, a); });
  }
  Result<std::vector<model::AgreementRecord>> agreements(const model::AgreementQuery& q) override {
    ReadTransaction tx(db_);
    return select_agreements(*this, q);
  }
  Result<std::vector<model::PendingLine>> pending_lines(const model::PendingQuery& q) override {
    return select_pending(*this, q);
  }
  Result<void> record_decision(const model::AgreementDecision& d) override {
    return in_write_transaction([&]() -> Result<void> {
      if (auto r = apply_decision(*this, d); !r) return r;
      return insert_history(d.history, -1, "history_recent");
    });
  }

  // ---- information requests (store/requests_sql.h)

  Result<int64_t> open_request(const model::InfoRequest& r, const model::RequestMessage& first,
                               const std::vector<model::NewAttachment>& files) override {
    return in_write_transaction([&] { return insert_request(*this, r, first, files); });
  }
  Result<std::vector<model::InfoRequest>> requests(int64_t id, const std::string& third_party) override {
    ReadTransaction tx(db_);
    return select_requests(*this, id, third_party);
  }
  Result<int64_t> add_request_message(int64_t request_id, const model::RequestMessage& m,
                                      const std::vector<model::NewAttachment>& files, model::RequestState state) override {
    return in_write_transaction([&] { return insert_request_message(*this, request_id, m, files, state); });
  }
  Result<std::optional<model::NewAttachment>> attachment(int64_t request_id, int64_t attachment_id) override {
    ReadTransaction tx(db_);
    return select_attachment(*this, request_id, attachment_id);
  }

  Result<int64_t> register_provider(const model::Registration& g, const model::InfoRequest& r,
                                    const model::RequestMessage& first, const std::vector<model::NewAttachment>& files) override {
    return in_write_transaction([&] { return insert_registration(*this, g, r, first, files); });
  }
  Result<std::vector<model::Registration>> registrations(int64_t id, const std::string& inami) override {
    ReadTransaction tx(db_);
    return select_registrations(*this, id, inami);
  }
  Result<int64_t> decide_registration(const model::Registration& g, const std::optional<model::HolderAccount>& holder) override {
    return in_write_transaction([&] { return update_registration(*this, g, holder); });
  }

  // ---- accounts (store/accounts_sql.h)

  Result<int64_t> create_user(const model::User& u) override {
    return in_write_transaction([&] { return insert_user(*this, u); });
  }
  Result<std::optional<model::User>> user_by_name(const std::string& username) override {
    ReadTransaction tx(db_);
    return select_user(*this, 0, username);
  }
  Result<std::optional<model::User>> user(int64_t id) override {
    ReadTransaction tx(db_);
    return select_user(*this, id, "");
  }
  Result<std::vector<model::User>> users() override {
    ReadTransaction tx(db_);
    return select_users(*this);
  }
  Result<void> update_user(const model::User& u) override {
    return in_write_transaction([&] { return write_user(*this, u); });
  }
  Result<std::vector<model::Membership>> memberships(int64_t user_id) override {
    ReadTransaction tx(db_);
    return select_memberships(*this, user_id, "");
  }
  Result<std::vector<model::Membership>> members_of(const std::string& inami) override {
    ReadTransaction tx(db_);
    return select_memberships(*this, 0, inami);
  }
  Result<void> set_membership(const model::Membership& m) override {
    return in_write_transaction([&] { return upsert_membership(*this, m); });
  }
  Result<void> remove_membership(int64_t user_id, const std::string& inami, const std::string& role) override {
    return in_write_transaction([&] { return delete_membership(*this, user_id, inami, role); });
  }
  Result<void> create_session(const model::Session& s) override {
    return in_write_transaction([&] { return insert_session(*this, s); });
  }
  Result<std::optional<model::Session>> session(const std::string& token_hash) override {
    ReadTransaction tx(db_);
    return select_session(*this, token_hash);
  }
  Result<void> update_session(const model::Session& s) override {
    return in_write_transaction([&] { return write_session(*this, s); });
  }
  Result<void> delete_session(const std::string& token_hash) override {
    return in_write_transaction([&] { return delete_sessions(*this, token_hash, 0); });
  }
  Result<void> create_reset(const std::string& token_hash, int64_t user_id, int64_t created, int64_t expires) override {
    return in_write_transaction([&] { return insert_reset(*this, token_hash, user_id, created, expires); });
  }
  Result<std::optional<int64_t>> take_reset(const std::string& token_hash, int64_t now) override {
    return in_write_transaction([&] { return use_reset(*this, token_hash, now); });
  }
  Result<int64_t> last_reset(int64_t user_id) override {
    ReadTransaction tx(db_);
    return select_last_reset(*this, user_id);
  }
  Result<void> delete_sessions_of(int64_t user_id) override {
    return in_write_transaction([&] { return delete_sessions(*this, "", user_id); });
  }
  Result<void> append_audit(const std::vector<model::AuditEntry>& entries) override {
    return in_write_transaction([&] { return insert_audit(*this, entries); });
  }
  Result<std::pair<std::vector<model::AuditEntry>, int64_t>> audit(const model::AuditQuery& q) override {
    ReadTransaction tx(db_);
    return select_audit(*this, q);
  }

  Result<int64_t> open_dispute(const model::Dispute& d) override {
    return in_write_transaction([&] { return insert_dispute(*this, d); });
  }
  Result<std::vector<model::Dispute>> disputes(int64_t id, const std::string& third_party) override {
    ReadTransaction tx(db_);
    return select_disputes(*this, id, third_party);
  }
  Result<void> dispute_step(int64_t id, model::DisputeState expected, const model::Dispute& after,
                            const model::DisputeEvent& event, const std::optional<model::Regularisation>& reg) override {
    return in_write_transaction([&]() -> Result<void> {
      int64_t reg_id = 0;
      if (reg) {
        auto r = insert_regularisation(*this, *reg);
        if (!r) return fail(r.error());
        reg_id = *r;
      }
      return apply_dispute_step(*this, id, expected, after, event, reg_id);
    });
  }

  Result<model::RetentionReport> apply_retention(model::Date cutoff, bool dry_run) override {
    if (auto b = exec("BEGIN IMMEDIATE"); !b) return fail(b.error());
    auto r = store::apply_retention(*this, cutoff);
    if (!r || dry_run) {
      (void)exec("ROLLBACK");
      return r;
    }
    if (auto c = exec("COMMIT"); !c) return fail(c.error());
    return r;
  }

  Result<int64_t> add_regularisation(const model::Regularisation& x) override { return insert_regularisation(*this, x); }
  // Workers take received envois from a queue in a PostgreSQL store (SELECT ... FOR UPDATE
  // SKIP LOCKED); on one machine, `mutua adjudicate` judges them in order.
  Result<int64_t> enqueue(const std::string&, std::string_view, model::Date) override { return no_queue(); }
  Result<std::optional<model::QueuedEnvoi>> claim(const std::string&) override { return no_queue(); }
  Result<void> finish(int64_t, const std::string&, const std::string&) override { return no_queue(); }
  Result<void> release() override { return no_queue(); }
  Result<model::QueueStatus> queue_status() override { return no_queue(); }

 private:
  tl::unexpected<Error> no_queue() const {
    return error_of("received envois wait for workers in a PostgreSQL store (--db postgresql://...); "
                    "on SQLite, `mutua adjudicate` judges them in order");
  }
  std::unique_ptr<BackgroundCheckpointer> checkpointer_;
  // The large history's filter as this connection last read it, and the stored generation it was.
  std::shared_ptr<const HistoryFilter> kept_filter_;
  int64_t kept_filter_generation_ = 0;
  // The store file, as one name for all its connections; none for a store in memory.
  std::string store_key() const {
    if (path_.empty() || path_ == ":memory:" || path_.starts_with("file:")) return {};
    std::error_code ec;
    auto canonical = std::filesystem::weakly_canonical(path_, ec);
    return ec ? std::string() : canonical.string();
  }
  inline static const std::string kSelectEnvoi =
      "SELECT id, third_party, year, month, number, status, test, received, file_name, content_hash, batch, "
      "error_rate_bp, lines, rejected_lines, asked_cents, accepted_cents, refused_cents, federation, "
      "accepted_a_cents, accepted_b_cents, account_c_cents, pending_cents FROM envois";

  Result<std::vector<EnvoiRecord>> read_envois(Stmt& s) {
    std::vector<EnvoiRecord> out;
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      EnvoiRecord e;
      e.id = s.i64(0);
      e.third_party = s.text(1);
      e.year = static_cast<int>(s.i64(2));
      e.month = static_cast<int>(s.i64(3));
      e.number = static_cast<int>(s.i64(4));
      e.status = status_of(s.text(5));
      e.test = s.i64(6) != 0;
      e.received = model::parse_iso_date(s.text(7));
      e.file_name = s.text(8);
      e.content_hash = s.text(9);
      e.batch = s.text(10);
      e.error_rate_bp = s.i64(11);
      e.lines = static_cast<uint64_t>(s.i64(12));
      e.rejected_lines = static_cast<uint64_t>(s.i64(13));
      e.asked_cents = s.i64(14);
      e.accepted_cents = s.i64(15);
      e.refused_cents = s.i64(16);
      e.federation = s.text(17);
      e.accepted_a_cents = s.i64(18);
      e.accepted_b_cents = s.i64(19);
      e.account_c_cents = s.i64(20);
      e.pending_cents = s.i64(21);
      out.push_back(std::move(e));
    }
    if (rc != SQLITE_DONE) return fail(last_error("read envois"));
    return out;
  }

  // The lines' places in NISS order, a patient's lines in theirs. Sorted on each NISS's first
  // eight bytes as one number, the whole NISS only on a tie: comparing the strings themselves
  // was 1 % of an adjudication's CPU.
  static std::vector<size_t> in_niss_order(const std::vector<HistoryLine>& lines) {
    struct Key {
      uint64_t head;
      size_t at;
    };
    std::vector<Key> keys(lines.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      unsigned char b[8] = {};
      std::memcpy(b, lines[i].niss.data(), std::min<size_t>(8, lines[i].niss.size()));
      uint64_t head = 0;
      for (unsigned char c : b) head = head << 8 | c;
      keys[i] = {head, i};
    }
    std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
      if (a.head != b.head) return a.head < b.head;
      if (int c = lines[a.at].niss.compare(lines[b.at].niss); c != 0) return c < 0;
      return a.at < b.at;
    });
    std::vector<size_t> order(keys.size());
    for (size_t i = 0; i < keys.size(); ++i) order[i] = keys[i].at;
    return order;
  }

  // envoi_id < 0: keep each line's own envoi id (bulk loads). Into `table`: the recent history
  // for what an envoi or a decision adds, the large one for bulk loads. Ids follow every id of
  // both tables, so that a line keeps its place in order of acceptance when merged.
  Result<void> insert_history(const std::vector<HistoryLine>& lines, int64_t envoi_id, std::string_view table) {
    if (lines.empty()) return {};
    Stmt last(db_, std::string("SELECT ") + kLastHistoryId);
    if (last.step() != SQLITE_ROW) return fail(last_error("read the last history id"));
    const int64_t first_id = last.i64(0) + 1;
    // Rows go in kRowsPerInsert to a statement: one run of the statement's program for many
    // lines (a run of its own per line was half the insert's CPU); the rest one at a time.
    constexpr int kColumns = 14;
    constexpr size_t kRowsPerInsert = 64;
    auto insert_of = [&](size_t rows) {
      std::string sql = fmt::format("INSERT INTO {} (envoi_id, niss, code, first_date, last_date, units, amount, "
                                    "provider, third_party, invoice_number, record, billed, envoi_number, id) VALUES ",
                                    table);
      for (size_t r = 0; r < rows; ++r) {
        sql += r ? ",(" : "(";
        for (int c = 1; c <= kColumns; ++c) sql += fmt::format("{}?{}", c > 1 ? "," : "", r * kColumns + c);
        sql += ')';
      }
      return sql;
    };
    Stmt many(db_, insert_of(kRowsPerInsert));
    Stmt one(db_, insert_of(1));
    // In NISS order (a patient's lines keep theirs, so their ids still say which came first):
    // the (NISS, code) index of the recent history, or the key of the large one for a bulk load,
    // then takes its inserts page after page instead of at random, each page read, changed and
    // written once, not once per line when the page cache cannot hold them all.
    std::vector<size_t> order = in_niss_order(lines);
    int64_t next_id = first_id;
    for (size_t at = 0; at < order.size();) {
      const size_t rows = order.size() - at >= kRowsPerInsert ? kRowsPerInsert : 1;
      Stmt& h = rows == kRowsPerInsert ? many : one;
      for (size_t r = 0; r < rows; ++r) {
        const auto& l = lines[order[at + r]];
        const int p = static_cast<int>(r) * kColumns;
        h.bind(p + 1, envoi_id < 0 ? l.envoi_id : envoi_id)
            .bind_view(p + 2, l.niss)
            .bind_view(p + 3, l.code)
            .bind(p + 4, int64_t{l.first_date})
            .bind(p + 5, int64_t{l.last_date})
            .bind(p + 6, int64_t{l.units})
            .bind(p + 7, l.amount)
            .bind_view(p + 8, l.provider)
            .bind_view(p + 9, l.third_party)
            .bind(p + 10, static_cast<int64_t>(l.invoice_number))
            .bind(p + 11, static_cast<int64_t>(l.record))
            .bind(p + 12, int64_t{l.billed})
            .bind(p + 13, int64_t{l.envoi_number})
            .bind(p + 14, next_id++);
      }
      if (h.step() != SQLITE_DONE) return fail(last_error("insert history"));
      h.rewind();
      at += rows;
    }
    return {};
  }

  Result<std::string> file_column(int64_t envoi_id, const char* column) {
    Stmt s(db_, fmt::format("SELECT {} FROM envoi_files WHERE envoi_id = ?1", column));
    s.bind(1, envoi_id);
    if (s.step() != SQLITE_ROW) return fail(error(fmt::format("no envoi {} in the store", envoi_id)).error());
    return unpacked(s.text(0));
  }

  Result<int64_t> refdata_version() {
    Stmt s(db_, "SELECT version FROM refdata_version");
    if (s.step() != SQLITE_ROW) return fail(last_error("read refdata version"));
    return s.i64(0);
  }

  // An envoi's patients (sorted), with the rows per file of the current import: a small table
  // is scanned once rather than looked up per patient; every patient table is read whole, once
  // for all connections of the process, when the patients this connection expects to ask for
  // would cost more looked up one by one (ResidentPatients).
  Result<model::RefData> load_patients(const std::vector<std::string>& niss, const std::vector<std::string>* files) {
    ReadTransaction tx(db_);  // the version, the rows held in memory and the look-ups: one import
    auto version = refdata_version();
    if (!version) return fail(version.error());
    if (counts_version_ != *version) {
      counts_.clear();
      counts_version_ = *version;
      resident_.reset();
      asked_ = 0;
    }
    // Sorted, each patient once (asked twice, a patient's rows still come once).
    std::vector<std::string> sorted;
    const std::vector<std::string>* keys = &niss;
    if (std::adjacent_find(niss.begin(), niss.end(), std::greater_equal<>()) != niss.end()) {
      sorted = niss;
      std::sort(sorted.begin(), sorted.end());
      sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
      keys = &sorted;
    }
    asked_ += keys->size();
    if (!resident_ && !files) {
      auto held = resident_patients(std::max(asked_, expected_));
      if (!held) return fail(held.error());
      resident_ = std::move(*held);
    }
    if (resident_)
      return read_refdata(*this, {.niss = keys, .shared = false, .only = files, .resident = resident_.get()}, {});
    // Only whether a table holds more rows than twice the patients matters: counted that far
    // (with room for larger envois), never whole. Counting the million members and their
    // insurability on each connection was 0.3 s of every run on bench/engine.sh's world.
    const uint64_t scanned_up_to = keys->size() * 2;
    for (const auto& spec : model::ref_table_specs()) {
      if (!spec.per_patient) continue;
      auto& known = counts_[spec.file];
      if (known.exact || known.rows > scanned_up_to) continue;
      const uint64_t limit = scanned_up_to * 2 + 1024;
      const int64_t rows = rows_up_to(db_, spec.table, static_cast<int64_t>(limit));
      if (rows < 0) return fail(last_error("count " + spec.file));
      known.rows = static_cast<uint64_t>(rows);
      known.exact = known.rows <= limit;
    }
    std::map<std::string, uint64_t> counts;
    for (const auto& [file, known] : counts_) counts[file] = known.rows;
    return read_refdata(*this, {.niss = keys, .shared = false, .only = files}, counts);
  }

  // The patient tables held in memory when `patients` looked up one by one would cost more than
  // reading them whole (inside the caller's read transaction); null when not.
  Result<std::shared_ptr<const ResidentPatients>> resident_patients(uint64_t patients) {
    auto rows = patient_rows(*this);
    if (!rows) return fail(rows.error());
    if (!reading_whole_pays(patients, rows->rows)) return std::shared_ptr<const ResidentPatients>();
    Result<void> read_error;
    auto held = shared_resident_patients(store_key(), rows->imported, [&]() -> std::shared_ptr<const ResidentPatients> {
      auto all = read_patient_tables(*this, *rows);
      if (!all) {
        read_error = fail(all.error());
        return nullptr;
      }
      return std::make_shared<const ResidentPatients>(std::move(*all));
    });
    if (!read_error) return fail(read_error.error());
    return held;
  }

  void expect_patients(uint64_t patients) override { expected_ = std::max(expected_, patients); }

  // Rows of each patient file of the import `counts_version_`, or more than `rows` when not exact.
  struct KnownRows {
    uint64_t rows = 0;
    bool exact = false;
  };
  std::map<std::string, KnownRows> counts_;
  int64_t counts_version_ = -1;
  // The patient tables in memory at `counts_version_`, once asked for enough patients; the
  // patients asked for at that version, and those a caller said it expects (a batch).
  std::shared_ptr<const ResidentPatients> resident_;
  uint64_t asked_ = 0, expected_ = 0;
  std::shared_ptr<SharedRecentPairs> recent_pairs_;  // made or shared at the first read that uses it
  std::shared_ptr<const model::RefData> shared_;
  int64_t shared_version_ = -1;
};

}  // namespace

// SQLite counts every allocation under a global mutex unless told so before its first use, and
// mutua never reads those counters. Said when the program loads: said at the first store's
// opening, it came after the look at the store's version (`sqlite_stored_version`) had started
// SQLite and was refused, so the reading ahead and the judging connections waited on each
// other's allocations (0.34 s asleep on that mutex in a run of bench/engine.sh's ten envois).
[[maybe_unused]] const bool kSqliteAllocationsUncounted = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0) == SQLITE_OK;

int sqlite_schema_version() { return static_cast<int>(migrations().size()); }

bool valid_sqlite_page_bytes(int64_t bytes) { return bytes >= 512 && bytes <= 65536 && (bytes & (bytes - 1)) == 0; }

namespace {
// The first column of `sql`'s first row on the store at `path`, opened read-only (nullopt when
// the statement fails or returns no row).
Result<std::optional<int64_t>> read_only_value(const std::string& path, const char* sql) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close_v2(db);
    return fail({.code = "Z00200", .message = m, .file = path});
  }
  std::optional<int64_t> value;
  {
    Stmt s(db, sql);
    if (s.ok() && s.step() == SQLITE_ROW) value = s.i64(0);
  }
  sqlite3_close_v2(db);
  return value;
}
}  // namespace

Result<int> sqlite_page_bytes(const std::string& path) {
  auto bytes = read_only_value(path, "PRAGMA page_size");
  if (!bytes) return fail(bytes.error());
  if (!*bytes) return fail({.code = "Z00200", .message = "cannot read the store's page size", .file = path});
  return static_cast<int>(**bytes);
}

Result<int> sqlite_stored_version(const std::string& path) {
  // No schema_version table yet: version 0.
  auto version = read_only_value(path, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
  if (!version) return fail(version.error());
  return static_cast<int>(version->value_or(0));
}

Result<std::unique_ptr<model::Store>> open_sqlite(const std::string& path, const SqliteOptions& options) {
  // Refused before the file is opened: a refused size makes no empty file.
  if (!valid_sqlite_page_bytes(options.page_bytes))
    return fail({.code = "Z00200", .message = fmt::format("page size {}: a power of two from 512 to 65536", options.page_bytes),
                 .file = path});
  sqlite3* db = nullptr;
  // A store belongs to one thread at a time (the Store interface says so), so its connection
  // goes without SQLite's per-call mutex: 4 % of an adjudication's main thread went into it.
  // Through the VFS that writes the WAL's frames in large pieces (store/wal_vfs.h).
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      wal_gathering_vfs()) != SQLITE_OK) {
    std::string m = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close_v2(db);
    return fail({.code = "Z00200", .message = m, .file = path});
  }
  sqlite3_busy_timeout(db, 10000);
  auto store = std::make_unique<SqliteStore>(db, path);
  const int64_t cache_kib = std::max<int64_t>(options.cache_bytes / 1024, 64);
  if (auto r = store->exec_pragma(fmt::format("PRAGMA cache_size=-{}", cache_kib)); !r) return fail(r.error());
  if (auto r = store->migrate(options.page_bytes); !r) return fail(r.error());
  // The default of 200 MB (50,000 pages of 4 KiB): checkpoints rewrite every index page touched
  // since the last one, so too often and the same pages of a 20M-line history index are written
  // again and again; too rarely and the WAL (and the final checkpoint at close) grows. SQLite
  // counts the WAL in pages, of the store's own size.
  const char* file = sqlite3_db_filename(db, "main");
  const int64_t wal_bytes = options.checkpoint_bytes > 0 ? options.checkpoint_bytes : SqliteOptions{}.checkpoint_bytes;
  const int wal_pages = static_cast<int>(std::clamp<int64_t>(wal_bytes / store->page_bytes(), 1, INT32_MAX));
  if (options.checkpoint_bytes > 0 && file && *file) {
    store->checkpoint_in_background(wal_pages);
  } else if (auto r = store->exec_pragma(fmt::format("PRAGMA wal_autocheckpoint={}", wal_pages)); !r) {
    return fail(r.error());
  }
  if (options.mmap_bytes > 0)
    if (auto r = store->map_reads(options.mmap_bytes); !r) return fail(r.error());
  return std::unique_ptr<model::Store>(std::move(store));
}

}  // namespace mutua::store
