#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <thread>
#include <cctype>
#include <future>
#include <map>
#include <memory>
#include <set>
#include <unordered_set>

#include <fmt/format.h>
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <pqxx/pqxx>
#include <pqxx/tablewriter>

#include "format/embedded.h"
#include "mutua/model/dates.h"
#include "mutua/model/refdata_tables.h"
#include "mutua/store/postgresql.h"
#include "mutua/store/sqlite.h"
#include "store/shared_refdata.h"
#include "store/advisor_sql.h"
#include "store/blobs.h"
#include "store/accounts_sql.h"
#include "store/patients_sql.h"
#include "store/requests_sql.h"
#include "store/disputes_sql.h"
#include "store/ledger_sql.h"
#include "store/pg_layout.h"
#include "store/retention_sql.h"
#include "store/sql.h"

namespace mutua::store {

namespace {

using model::EnvoiRecord;
using model::HistoryLine;
using model::StoredResponse;

std::vector<std::string_view> migrations() {
  return {embedded::postgresql_001_init(), embedded::postgresql_002_queue(), embedded::postgresql_003_accounts(), embedded::postgresql_004_requests(),
          embedded::postgresql_005_password_resets(), embedded::postgresql_006_registrations(), embedded::postgresql_007_audit_fund(),
          embedded::postgresql_008_sms_second_factor(), embedded::postgresql_009_ledger_searches(),
          embedded::postgresql_010_nomenclature_labels(), embedded::postgresql_011_history_key(),
          embedded::postgresql_012_time_partitions(), embedded::postgresql_013_bytewise_text()};
}

// The URL without its password (user:password@ or ?password=), for messages.
std::string redacted(std::string url) {
  const size_t scheme = url.find("://");
  const size_t at = url.find('@');
  if (scheme != std::string::npos && at != std::string::npos && at > scheme) {
    const size_t colon = url.find(':', scheme + 3);
    if (colon != std::string::npos && colon < at) url = url.substr(0, colon) + ":***" + url.substr(at);
  }
  for (size_t p = url.find("password="); p != std::string::npos; p = url.find("password=", p + 1)) {
    const size_t end = url.find('&', p);
    url = url.substr(0, p) + "password=***" + (end == std::string::npos ? "" : url.substr(end));
  }
  return url;
}

std::string first_line(const char* what) {
  std::string m = what ? what : "unknown error";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  const size_t nl = m.find('\n');
  return nl == std::string::npos ? m : m.substr(0, nl);
}

// A text[] literal: every element quoted, so any text goes in as it is.
std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

// An integer[] or bigint[] literal.
template <class Numbers>
std::string array_literal(const Numbers& values) {
  std::string out = "{";
  for (const auto& v : values) out += (out.size() > 1 ? "," : "") + std::to_string(v);
  return out + "}";
}

// This year by the system clock (UTC), for the partitions made ahead (migration 12).
int current_year() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  return utc.tm_year + 1900;
}

// The month (YYYYMM, UTC) of an instant in Unix seconds: audit's partition (migration 12).
int utc_month(int64_t at) {
  const std::time_t t = static_cast<std::time_t>(at);
  std::tm utc{};
  gmtime_r(&t, &utc);
  return (utc.tm_year + 1900) * 100 + utc.tm_mon + 1;
}

// History is read by key: a few hundred patients, or the lines after an id. A year's partition
// made empty ahead and filled faster than autovacuum analyses it (the first weeks of a year, a
// benchmark) would be planned as empty and scanned whole at every read.
void read_by_index(pqxx::transaction_base& t, bool by_index = true) {
  t.exec0(by_index ? "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off"
                   : "SET LOCAL enable_seqscan = on; SET LOCAL enable_bitmapscan = on");
}

// One row for COPY, cell after cell as text (pqxx escapes them).
class CopyLine final : public model::RowSink {
 public:
  std::vector<std::string> cells;
  void integer(int64_t v) override { cells.push_back(std::to_string(v)); }
  void text(std::string_view v) override { cells.emplace_back(v); }
};

// COPY ... FROM STDIN of rows of text cells (an empty cell is the empty text, never NULL).
// libpqxx 6 (Debian 12) takes rows of a run-time number of columns only through tablewriter,
// deprecated since stream_to came (which wants tuples of compile-time types).
class Copy {
 public:
  Copy(pqxx::transaction_base& w, const std::string& table, const std::vector<std::string>& columns)
      : quoted_(quoted(columns)), writer_(w, table, quoted_.begin(), quoted_.end()) {}
  // Escaped here for COPY's text format: tablewriter's own escaping mangles bytes past ASCII
  // ("Infirmière" came back with octal digits in it).
  void row(const std::vector<std::string>& cells) {
    line_.clear();
    for (size_t i = 0; i < cells.size(); ++i) {
      if (i) line_ += '\t';
      for (char c : cells[i]) {
        switch (c) {
          case '\\': line_ += "\\\\"; break;
          case '\t': line_ += "\\t"; break;
          case '\n': line_ += "\\n"; break;
          case '\r': line_ += "\\r"; break;
          default: line_ += c;
        }
      }
    }
    writer_.write_raw_line(line_);
  }
  void complete() { writer_.complete(); }

 private:
  static std::vector<std::string> quoted(const std::vector<std::string>& columns) {
    std::vector<std::string> out;
    for (const auto& c : columns) out.push_back("\"" + c + "\"");  // "end", "union": keywords
    return out;
  }
  std::vector<std::string> quoted_;
  pqxx::tablewriter writer_;
  std::string line_;
};

// A row's fields in order through one iterator: pqxx 6 copies the result (an atomic count up and
// down) for every field taken by index; a worker's profile had 5 % of its samples in those
// copies, most of them converting history rows.
class Fields {
 public:
  explicit Fields(const pqxx::row& r) : at_(r.begin()) {}
  template <class T>
  T next() {
    T v = at_->as<T>();
    ++at_;
    return v;
  }
  std::string text() {
    std::string v = at_->is_null() ? std::string() : std::string(at_->c_str(), at_->size());
    ++at_;
    return v;
  }

 private:
  pqxx::row::const_iterator at_;
};

class RowReader final : public model::RowSource {
 public:
  explicit RowReader(const pqxx::row& r) : fields_(r) {}
  int64_t integer() override { return fields_.next<int64_t>(); }
  std::string text() override { return fields_.text(); }

 private:
  Fields fields_;
};

// The portable statements of store/sql.h on a PostgreSQL transaction: ?N becomes $K with the
// type of what was bound (an unbound one NULL), run when first stepped.
class PgSql final : public SqlDb {
 public:
  PgSql(pqxx::transaction_base& t, const std::string& where) : t(t), where_(where) {}
  std::unique_ptr<QueryImpl> query(std::string_view sql) override;
  bool postgres() const override { return true; }
  Error last_error(const std::string& what) const override {
    return {.code = "Z00200", .message = fmt::format("{}: {}", what, message), .file = where_};
  }
  const std::string& where() const override { return where_; }

  pqxx::transaction_base& t;
  std::string message;  // of the last statement that failed

 private:
  std::string where_;
};

class PgQuery final : public QueryImpl {
 public:
  PgQuery(PgSql& db, std::string_view sql) : db_(db), sql_(sql) {}
  void bind(int i, std::string_view v) override { param(i) = {true, false, std::string(v)}; }
  void bind(int i, int64_t v) override { param(i) = {true, true, std::to_string(v)}; }
  int step() override {
    if (!ran_) {
      ran_ = true;
      rc_ = run();
      next_ = 0;
    }
    if (rc_ != kSqlDone) return rc_;
    if (next_ < result_.size()) {
      current_ = next_++;
      return kSqlRow;
    }
    return kSqlDone;
  }
  void reset() override {
    ran_ = false;
    params_.clear();
    result_ = pqxx::result();
  }
  int64_t i64(int c) const override {
    const auto f = result_[current_][c];
    return f.is_null() ? 0 : f.as<int64_t>();
  }
  std::string text(int c) const override {
    const auto f = result_[current_][c];
    return f.is_null() ? std::string() : std::string(f.c_str(), f.size());
  }
  int64_t changes() const override { return static_cast<int64_t>(result_.affected_rows()); }

 private:
  struct Param {
    bool set = false, integer = false;
    std::string value;
  };
  Param& param(int i) {
    if (static_cast<size_t>(i) >= params_.size()) params_.resize(static_cast<size_t>(i) + 1);
    return params_[static_cast<size_t>(i)];
  }
  int run() {
    std::string sql;
    std::vector<std::string> values;
    std::vector<int> number(params_.size(), 0);  // ?N -> $K
    for (size_t i = 0; i < sql_.size(); ++i) {
      if (sql_[i] != '?' || i + 1 >= sql_.size() || !std::isdigit(static_cast<unsigned char>(sql_[i + 1]))) {
        sql += sql_[i];
        continue;
      }
      size_t n = 0;
      while (i + 1 < sql_.size() && std::isdigit(static_cast<unsigned char>(sql_[i + 1]))) n = n * 10 + static_cast<size_t>(sql_[++i] - '0');
      if (n >= params_.size() || !params_[n].set) {
        sql += "NULL";
        continue;
      }
      if (!number[n]) {
        values.push_back(params_[n].value);
        number[n] = static_cast<int>(values.size());
      }
      sql += fmt::format("${}::{}", number[n], params_[n].integer ? "bigint" : "text");
    }
    try {
      result_ = db_.t.exec_params(sql, pqxx::prepare::make_dynamic_params(values));
      return kSqlDone;
    } catch (const pqxx::integrity_constraint_violation& e) {
      db_.message = first_line(e.what());
      return kSqlConstraint;
    } catch (const std::exception& e) {
      db_.message = first_line(e.what());
      return kSqlError;
    }
  }

  PgSql& db_;
  std::string sql_;
  std::vector<Param> params_;
  bool ran_ = false;
  int rc_ = kSqlDone;
  pqxx::result result_;
  pqxx::result::size_type next_ = 0, current_ = 0;
};

std::unique_ptr<QueryImpl> PgSql::query(std::string_view sql) { return std::make_unique<PgQuery>(*this, sql); }

std::string column_list(const model::RefTableSpec& spec) {
  std::string out;
  for (const auto& c : spec.columns) out += fmt::format("{}\"{}\"", out.empty() ? "" : ", ", c.name);
  return out;
}

std::string bytes_of(const pqxx::field& f) {
  pqxx::binarystring b(f);
  return b.str();
}

constexpr const char* kSelectEnvoi =
    "SELECT id, third_party, year, month, number, status, test, received, file_name, content_hash, batch, "
    "error_rate_bp, lines, rejected_lines, asked_cents, accepted_cents, refused_cents, federation, "
    "accepted_a_cents, accepted_b_cents, account_c_cents, pending_cents FROM envois ";

// A patient asked for this many codes of history or more is read whole (history_of_codes), as
// on SQLite.
constexpr size_t kCodesReadWhole = 5;

constexpr const char* kSelectHistory =
    "SELECT id, envoi_id, niss, code, first_date, last_date, units, amount, provider, third_party, "
    "invoice_number, record, billed, envoi_number, reversed FROM history ";

const std::vector<std::string> kHistoryColumns = {"envoi_id", "niss", "code", "first_date", "last_date",
                                                  "units", "amount", "provider", "third_party", "invoice_number",
                                                  "record", "billed", "envoi_number"};

// Recording envois is one writer at a time (as on SQLite, where the write lock says it): the
// ids they take are then in the order they commit, which the store's marks rely on.
constexpr int64_t kRecordLock = 0x6d75747561;  // "mutua"
constexpr int64_t kMigrateLock = 0x6d75747562;

EnvoiRecord envoi_of(const pqxx::row& r) {
  EnvoiRecord e;
  e.id = r[0].as<int64_t>();
  e.third_party = r[1].c_str();
  e.year = r[2].as<int>();
  e.month = r[3].as<int>();
  e.number = r[4].as<int>();
  const std::string status = r[5].c_str();
  e.status = status == "accepted"   ? model::EnvoiStatus::Accepted
             : status == "rejected" ? model::EnvoiStatus::Rejected
                                    : model::EnvoiStatus::Refused;
  e.test = r[6].as<int>() != 0;
  e.received = model::parse_iso_date(r[7].c_str());
  e.file_name = r[8].c_str();
  e.content_hash = r[9].c_str();
  e.batch = r[10].c_str();
  e.error_rate_bp = r[11].as<int64_t>();
  e.lines = r[12].as<uint64_t>();
  e.rejected_lines = r[13].as<uint64_t>();
  e.asked_cents = r[14].as<int64_t>();
  e.accepted_cents = r[15].as<int64_t>();
  e.refused_cents = r[16].as<int64_t>();
  e.federation = r[17].c_str();
  e.accepted_a_cents = r[18].as<int64_t>();
  e.accepted_b_cents = r[19].as<int64_t>();
  e.account_c_cents = r[20].as<int64_t>();
  e.pending_cents = r[21].as<int64_t>();
  return e;
}

HistoryLine history_of(const pqxx::row& r) {
  Fields f(r);
  HistoryLine h;
  h.id = f.next<int64_t>();
  h.envoi_id = f.next<int64_t>();
  h.niss = f.text();
  h.code = f.text();
  h.first_date = f.next<model::Date>();
  h.last_date = f.next<model::Date>();
  h.units = f.next<int>();
  h.amount = f.next<int64_t>();
  h.provider = f.text();
  h.third_party = f.text();
  h.invoice_number = f.next<uint64_t>();
  h.record = f.next<uint64_t>();
  h.billed = f.next<model::Date>();
  h.envoi_number = f.next<int>();
  h.reversed = f.next<int>() != 0;
  return h;
}

class PgStore final : public model::Store {
 public:
  explicit PgStore(const std::string& url) : conn_(url), url_(url), where_(redacted(url)) {}

  Result<void> migrate() {
    return guard<void>("migrate", [&]() -> Result<void> {
      const auto all = migrations();
      for (;;) {
        pqxx::work w(conn_);
        // Processes opening a new database at once: one migrates, the others wait, then see it.
        w.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrateLock);
        w.exec0("CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)");
        const int version = w.exec1("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0].as<int>();
        if (version > static_cast<int>(all.size()))
          return error(fmt::format("store schema version {} is newer than this mutua ({})", version, all.size()));
        if (version == static_cast<int>(all.size())) {
          // This year's and next year's history, this month's and the next two months' audit,
          // made before they are first written (migration 12).
          const int64_t now = static_cast<int64_t>(std::time(nullptr));
          const std::set<int64_t> months_ahead{now, now + 31 * 86400, now + 62 * 86400};
          w.exec_params("SELECT mutua_history_years($1::integer[]), mutua_audit_months($2::bigint[])",
                        array_literal(std::set<int>{current_year(), current_year() + 1}), array_literal(months_ahead));
          w.commit();
          for (const int64_t at : months_ahead) audit_months_.insert(utc_month(at));
          return {};
        }
        w.exec0(std::string(all[static_cast<size_t>(version)]));
        w.exec_params0("INSERT INTO schema_version VALUES ($1)", version + 1);
        w.commit();
      }
    });
  }

  // ---- reference data

  Result<void> replace_refdata(const model::RefData& data) override {
    return guard<void>("replace reference data", [&]() -> Result<void> {
      pqxx::work w(conn_);
      std::string tables;
      for (const auto& spec : model::ref_table_specs()) tables += (tables.empty() ? "" : ", ") + spec.table;
      w.exec0("TRUNCATE " + tables);
      for (const auto& spec : model::ref_table_specs()) {
        const size_t n = spec.rows(data);
        if (n == 0) continue;
        std::vector<std::string> cols = {"seq"};
        for (const auto& c : spec.columns) cols.push_back(c.name);
        Copy copy(w, spec.table, cols);
        for (size_t row = 0; row < n; ++row) {
          CopyLine line;
          line.integer(static_cast<int64_t>(row + 1));
          spec.write(data, row, line);
          copy.row(line.cells);
        }
        copy.complete();
      }
      w.exec0("UPDATE refdata_version SET version = version + 1");
      w.commit();
      return {};
    });
  }

  Result<model::RefData> load_refdata() override { return read_refdata(nullptr, true, true, nullptr); }

  Result<std::map<std::string, uint64_t>> refdata_counts() override {
    return guard<std::map<std::string, uint64_t>>("count reference data", [&] {
      pqxx::read_transaction r(conn_);
      std::map<std::string, uint64_t> out;
      for (const auto& spec : model::ref_table_specs())
        out[spec.file] = r.exec1("SELECT COUNT(*) FROM " + spec.table)[0].as<uint64_t>();
      return Result<std::map<std::string, uint64_t>>(std::move(out));
    });
  }

  Result<model::RefData> load_refdata_for(const std::vector<std::string>& niss) override {
    return read_refdata(&niss, true, false, nullptr);
  }
  Result<model::RefData> load_patient_files(const std::vector<std::string>& niss,
                                            const std::vector<std::string>& files) override {
    return read_refdata(&niss, true, false, &files);
  }

  Result<std::vector<std::string>> patients_where(const std::string& file, const std::string& column,
                                                  const std::string& value) override {
    return read<std::vector<std::string>>("read the patients of " + file,
                                          [&](PgSql& db) { return select_patients_where(db, file, column, value); });
  }

  Result<int64_t> refdata_version() {
    return guard<int64_t>("read the reference data version", [&] {
      pqxx::read_transaction r(conn_);
      return Result<int64_t>(r.exec1("SELECT version FROM refdata_version")[0].as<int64_t>());
    });
  }

  void adopt_shared_refdata(std::shared_ptr<const model::RefData> data) override {
    adopt_if_current(shared_, shared_version_, std::move(data), [&] { return refdata_version(); });
  }

  Result<std::shared_ptr<const model::RefData>> shared_refdata() override {
    auto version = refdata_version();
    if (!version) return fail(version.error());
    if (shared_ && shared_version_ == *version) return shared_;
    auto data = read_refdata(nullptr, false, true, nullptr);
    if (!data) return fail(data.error());
    auto kept = guard<void>("read which reference files are kept", [&]() -> Result<void> {
      pqxx::read_transaction r(conn_);
      for (const auto& spec : model::ref_table_specs())
        if (spec.per_patient && r.exec1("SELECT EXISTS (SELECT 1 FROM " + spec.table + ")")[0].as<bool>())
          data->kept.insert(spec.file);
      return {};
    });
    if (!kept) return fail(kept.error());
    data->version = *version;
    shared_ = std::make_shared<const model::RefData>(std::move(*data));
    shared_version_ = *version;
    return shared_;
  }

  // ---- envois and history

  Result<std::vector<EnvoiRecord>> receptions(const std::string& third_party, int year, int number) override {
    return envois_where("WHERE third_party = $1 AND year = $2 AND number = $3 ORDER BY id", third_party, year, number);
  }

  Result<std::vector<EnvoiRecord>> batch_receptions(const std::string& batch, const std::string& file_name) override {
    return envois_where("WHERE batch = $1 AND file_name = $2 ORDER BY id", batch, file_name);
  }

  Result<std::optional<EnvoiRecord>> envoi(int64_t id) override {
    auto v = envois_where("WHERE id = $1", id);
    if (!v) return fail(v.error());
    return v->empty() ? std::optional<EnvoiRecord>() : std::optional<EnvoiRecord>(v->front());
  }

  Result<int64_t> first_reception_named(const std::string& file_name) override {
    return guard<int64_t>("read receptions by file name", [&] {
      pqxx::read_transaction r(conn_);
      return Result<int64_t>(
          r.exec_params1("SELECT COALESCE(MIN(id), 0) FROM envois WHERE file_name = $1", file_name)[0].as<int64_t>());
    });
  }

  Result<std::vector<EnvoiRecord>> envois() override { return envois_where("ORDER BY id"); }
  Result<std::vector<EnvoiRecord>> envois_of(const std::string& third_party) override {
    return envois_where("WHERE third_party = $1 ORDER BY id", third_party);
  }

  Result<std::unordered_map<std::string, std::vector<HistoryLine>>> history(const std::vector<std::string>& niss,
                                                                            int64_t before_envoi) override {
    return read_history(std::string(kSelectHistory) +
                            "WHERE niss = ANY($1::text[]) AND reversed = 0 AND ($2 = 0 OR envoi_id < $2) ORDER BY niss, id",
                        text_array(niss), std::string(), before_envoi);
  }

  Result<std::unordered_map<std::string, std::vector<HistoryLine>>> history_of_codes(
      const std::vector<model::PatientCodes>& wanted, int64_t before_envoi) override {
    // Each hash partition of history is sent only its own patients: joined to the partitioned
    // table, every key went down the indexes of all 16 partitions (PostgreSQL does not prune
    // hash partitions per row of a join). A patient asked for many codes (a nursing patient:
    // every code with a role, 60 and more) is read whole and the other codes dropped here: one
    // index descent and about twenty rows instead of a descent per code (six times faster on
    // the workers' world); a patient asked for a few codes is read by (patient, code).
    using Out = std::unordered_map<std::string, std::vector<HistoryLine>>;
    return guard<Out>("read history", [&]() -> Result<Out> {
      pqxx::read_transaction r(conn_);
      read_by_index(r);
      r.exec0("SET LOCAL plan_cache_mode = force_generic_plan");
      std::vector<std::string> patients;
      patients.reserve(wanted.size());
      for (const auto& w : wanted) patients.push_back(w.niss);
      // PostgreSQL's own partition of a text key, asked of the server (hash_combine64 of the
      // seeded text hash, modulo 16: its low four bits).
      std::unordered_map<std::string, int> partition;
      static_assert(kHistoryHashPartitions == 16, "the partition below is computed modulo 16");
      for (const auto& row : r.exec_params(
               fmt::format("SELECT n, (((hashtextextended(n, 8816678312871386365) & 15) + 3) & 15)::int "
                           "FROM unnest($1::text[]) AS n"),
               text_array(patients)))
        partition[row[0].c_str()] = row[1].as<int>();
      struct Keys {
        std::vector<std::string> whole, niss, codes;
      };
      std::vector<Keys> keys(kHistoryHashPartitions);
      std::unordered_map<std::string, const model::PatientCodes*> asked;
      for (const auto& w : wanted) {
        Keys& k = keys[static_cast<size_t>(partition[w.niss])];
        asked[w.niss] = &w;
        if (w.code_count() >= kCodesReadWhole) {
          k.whole.push_back(w.niss);
          continue;
        }
        for (std::string_view c : w.each_code()) {
          k.niss.push_back(w.niss);
          k.codes.emplace_back(c);
        }
      }
      Out out;
      // Kept if wanted: another code of a patient read whole, or a nursing role's line of another
      // day, is left.
      auto take = [&](const pqxx::result& rows) {
        for (const auto& row : rows) {
          HistoryLine h = history_of(row);
          if (!asked.at(h.niss)->wants(h.code, h.first_date)) continue;
          out[h.niss].push_back(std::move(h));
        }
      };
      for (int p = 0; p < kHistoryHashPartitions; ++p) {
        const Keys& k = keys[static_cast<size_t>(p)];
        if (!k.whole.empty())
          take(r.exec_prepared(history_read(p, true), text_array(k.whole), before_envoi));
        if (!k.niss.empty())
          take(r.exec_prepared(history_read(p, false), text_array(k.niss), before_envoi, text_array(k.codes)));
      }
      // A patient's lines are in one partition: in the order they were accepted.
      for (auto& [patient, lines] : out)
        std::sort(lines.begin(), lines.end(), [](const HistoryLine& a, const HistoryLine& b) { return a.id < b.id; });
      return out;
    });
  }

  // The statement reading one hash partition's patients whole, or their (patient, code)
  // pairs, prepared once per connection and planned once (the caller forces the generic plan):
  // a custom plan of `niss = ANY(1,600 NISS)` over the partition's years took the server 6 ms
  // of planning, for 0.2 ms of the generic one and the same index scans, 36 statements an envoi.
  std::string history_read(int partition, bool whole) {
    std::string select = kSelectHistory;
    select.replace(select.find("FROM history "), 13, fmt::format("FROM history_p{:02d} ", partition));
    return prepared(fmt::format("history_{}_p{:02d}", whole ? "whole" : "codes", partition),
                    select + (whole ? "WHERE niss = ANY($1::text[]) AND reversed = 0 AND ($2 = 0 OR envoi_id < $2)"
                                    : "WHERE (niss, code) IN (SELECT * FROM unnest($1::text[], $3::text[])) "
                                      "AND reversed = 0 AND ($2 = 0 OR envoi_id < $2)"));
  }

  // `name`, prepared as `sql` on this connection the first time it is asked for.
  std::string prepared(std::string name, const std::string& sql) {
    if (prepared_.insert(name).second) conn_.prepare(name, sql);
    return name;
  }

  Result<model::StoreMark> mark() override {
    return guard<model::StoreMark>("read the store's mark", [&] {
      pqxx::read_transaction r(conn_);
      return Result<model::StoreMark>(mark_in(r));
    });
  }

  Result<std::vector<std::string>> patients_recorded_since(const model::StoreMark& since,
                                                           const std::vector<std::string>& patients) override {
    // The lines recorded since are few (an envoi or two): read by the id indexes, kept here if
    // theirs is one of `patients` (a semi-join would go down each partition per patient).
    using Out = std::vector<std::string>;
    return guard<Out>("read the lines recorded since", [&]() -> Result<Out> {
      pqxx::read_transaction r(conn_);
      read_by_index(r);
      std::set<std::string> hit;
      for (const auto& row : r.exec_params("SELECT DISTINCT niss FROM history WHERE id > $1 UNION "
                                           "SELECT DISTINCT niss FROM pending_lines WHERE id > $2",
                                           since.history, since.pending)) {
        std::string niss = row[0].c_str();
        if (std::binary_search(patients.begin(), patients.end(), niss)) hit.insert(std::move(niss));
      }
      return Out(hit.begin(), hit.end());
    });
  }

  Result<int64_t> record(const model::EnvoiOutcome& o) override {
    // The blobs are compressed on another core while the history lines go in.
    auto packing = pack_outcome(o);
    if (o.envoi.id > 0)
      if (auto turn = wait_for_turn(o.envoi.id); !turn) {
        if (packing.valid()) packing.wait();
        return fail(turn.error());
      }
    auto done = guard<int64_t>("record envoi", [&]() -> Result<int64_t> {
      const auto& e = o.envoi;
      pqxx::work w(conn_);
      w.exec_params("SELECT pg_advisory_xact_lock($1)", kRecordLock);
      if (o.judged_at) {
        const std::string changed = changed_since(w, *o.judged_at, o);
        if (!changed.empty()) return fail({.code = model::kStoreConflict, .message = changed, .file = where_});
      }
      int64_t id = 0;
      try {
        pqxx::subtransaction insert(w, "envoi");
        id = insert
                 .exec_params1(
                     "INSERT INTO envois (third_party, year, month, number, status, test, received, file_name, "
                     "content_hash, batch, error_rate_bp, lines, rejected_lines, asked_cents, accepted_cents, "
                     "refused_cents, federation, accepted_a_cents, accepted_b_cents, account_c_cents, pending_cents, id) "
                     "VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21, "
                     "COALESCE($22, nextval(pg_get_serial_sequence('envois', 'id')))) RETURNING id",
                     e.third_party, e.year, e.month, e.number, std::string(model::status_name(e.status)),
                     e.test ? 1 : 0, model::iso(e.received), e.file_name, e.content_hash, e.batch, e.error_rate_bp,
                     static_cast<int64_t>(e.lines), static_cast<int64_t>(e.rejected_lines), e.asked_cents,
                     e.accepted_cents, e.refused_cents, e.federation, e.accepted_a_cents, e.accepted_b_cents,
                     e.account_c_cents, e.pending_cents,
                     e.id > 0 ? std::optional<int64_t>(e.id) : std::optional<int64_t>())[0]
                 .as<int64_t>();
        insert.commit();
      } catch (const pqxx::unique_violation&) {
        return fail({.code = model::kStoreConflict,
                     .message = fmt::format("envoi {} of {} for {} is already accepted", e.number, e.third_party, e.year),
                     .file = where_});
      }
      copy_history(w, o.accepted, id);
      PgSql db(w, where_);
      if (auto p = insert_pending(db, o.pending, id); !p) return fail(p.error());
      const PackedOutcome blobs = packing.get();
      auto bytea = [](const Packed& p) { return pqxx::binarystring(p.bytes.data(), p.bytes.size()); };
      w.exec_params0("INSERT INTO envoi_files (envoi_id, received, verdicts) VALUES ($1, $2, $3)", id,
                     bytea(blobs.received), bytea(blobs.verdicts));
      int seq = 0;
      for (const auto& r : blobs.responses)
        w.exec_params0("INSERT INTO responses (envoi_id, seq, message, bytes, json) VALUES ($1, $2, $3, $4, $5)", id,
                       ++seq, r.message, bytea(r.bytes), bytea(r.json));
      for (int64_t hid : o.reversed_ids) w.exec_params0("UPDATE history SET reversed = 1 WHERE id = $1", hid);
      w.commit();
      return id;
    });
    if (packing.valid()) packing.wait();  // never leave the packer viewing a gone outcome
    return done;
  }

  Result<std::vector<StoredResponse>> responses(int64_t envoi_id) override {
    return guard<std::vector<StoredResponse>>("read responses", [&]() -> Result<std::vector<StoredResponse>> {
      pqxx::read_transaction r(conn_);
      std::vector<StoredResponse> out;
      for (const auto& row :
           r.exec_params("SELECT message, bytes, json FROM responses WHERE envoi_id = $1 ORDER BY seq", envoi_id)) {
        auto bytes = unpacked(bytes_of(row[1]));
        auto json = unpacked(bytes_of(row[2]));
        if (!bytes) return fail(bytes.error());
        if (!json) return fail(json.error());
        out.push_back({row[0].c_str(), std::move(*bytes), std::move(*json)});
      }
      return out;
    });
  }

  Result<std::vector<std::string>> response_messages(int64_t envoi_id) override {
    return guard<std::vector<std::string>>("read responses", [&] {
      pqxx::read_transaction r(conn_);
      std::vector<std::string> out;
      for (const auto& row : r.exec_params("SELECT message FROM responses WHERE envoi_id = $1 ORDER BY seq", envoi_id))
        out.push_back(row[0].c_str());
      return Result<std::vector<std::string>>(std::move(out));
    });
  }

  Result<std::optional<StoredResponse>> response(int64_t envoi_id, const std::string& message) override {
    return guard<std::optional<StoredResponse>>("read a response", [&]() -> Result<std::optional<StoredResponse>> {
      pqxx::read_transaction r(conn_);
      auto rows = r.exec_params(
          "SELECT message, bytes, json FROM responses WHERE envoi_id = $1 AND message = $2 ORDER BY seq DESC LIMIT 1", envoi_id,
          message);
      if (rows.empty()) return std::optional<StoredResponse>();
      auto bytes = unpacked(bytes_of(rows[0][1]));
      auto json = unpacked(bytes_of(rows[0][2]));
      if (!bytes) return fail(bytes.error());
      if (!json) return fail(json.error());
      return std::optional<StoredResponse>(StoredResponse{rows[0][0].c_str(), std::move(*bytes), std::move(*json)});
    });
  }

  Result<std::string> received_bytes(int64_t envoi_id) override { return file_column(envoi_id, "received"); }
  Result<std::string> verdicts(int64_t envoi_id) override { return file_column(envoi_id, "verdicts"); }

  Result<void> load_history(const std::vector<HistoryLine>& lines) override {
    return guard<void>("load history", [&]() -> Result<void> {
      pqxx::work w(conn_);
      copy_history(w, lines, -1);
      w.commit();
      return {};
    });
  }

  // ---- the roles written once for both stores (store/*_sql.cpp)

  Result<model::LedgerState> ledger(bool awaiting_only, bool history_sums) override {
    return read<model::LedgerState>("read the ledger", [&](PgSql& db) { return select_ledger(db, awaiting_only, history_sums); });
  }
  Result<std::vector<std::tuple<std::string, int, int64_t>>> last_sequences() override {
    return read<std::vector<std::tuple<std::string, int, int64_t>>>("read reference sequences",
                                                                     [&](PgSql& db) { return select_last_sequences(db); });
  }
  Result<std::optional<model::PaymentRun>> payment_run(const std::string& key) override {
    return read<std::optional<model::PaymentRun>>("read payment runs", [&](PgSql& db) { return select_payment_run(db, key); });
  }
  Result<std::vector<model::Payment>> run_payments(int64_t run_id) override {
    return read<std::vector<model::Payment>>("read payments", [&](PgSql& db) { return select_run_payments(db, run_id); });
  }
  Result<model::LedgerState> ledger_in(const model::LedgerScope& scope) override {
    return read<model::LedgerState>("read ledger", [&](PgSql& db) { return select_ledger_in(db, scope); });
  }
  Result<std::vector<model::Payment>> envoi_payments(int64_t envoi_id) override {
    return read<std::vector<model::Payment>>("read payments", [&](PgSql& db) { return select_envoi_payments(db, envoi_id); });
  }
  Result<int64_t> record_payment_run(const model::PaymentRunOutcome& o) override {
    return write<int64_t>("record payment run", [&](PgSql& db) { return insert_payment_run(db, o); });
  }
  Result<int64_t> add_regularisation(const model::Regularisation& x) override {
    return write<int64_t>("record regularisation", [&](PgSql& db) { return insert_regularisation(db, x); });
  }
  Result<std::vector<std::string>> record_consultations(const std::vector<model::Consultation>& list) override {
    return write<std::vector<std::string>>("record consultations", [&](PgSql& db) { return insert_consultations(db, list); });
  }
  Result<int64_t> record_agreement(const model::AgreementRecord& a) override {
    return write<int64_t>("record agreement", [&](PgSql& db) { return insert_agreement(db, a); });
  }
  Result<std::vector<model::AgreementRecord>> agreements(const model::AgreementQuery& q) override {
    return read<std::vector<model::AgreementRecord>>("read agreements", [&](PgSql& db) { return select_agreements(db, q); });
  }
  Result<std::vector<model::PendingLine>> pending_lines(const model::PendingQuery& q) override {
    return read<std::vector<model::PendingLine>>("read pending lines", [&](PgSql& db) { return select_pending(db, q); });
  }
  Result<void> record_decision(const model::AgreementDecision& d) override {
    return write<void>("record decision", [&](PgSql& db) -> Result<void> {
      if (auto r = apply_decision(db, d); !r) return r;
      copy_history(db.t, d.history, -1);
      return {};
    });
  }
  // ---- information requests (store/requests_sql.h)

  Result<int64_t> open_request(const model::InfoRequest& r, const model::RequestMessage& first,
                               const std::vector<model::NewAttachment>& files) override {
    return write<int64_t>("open a request", [&](PgSql& db) { return insert_request(db, r, first, files); });
  }
  Result<std::vector<model::InfoRequest>> requests(int64_t id, const std::string& third_party) override {
    return read<std::vector<model::InfoRequest>>("read requests", [&](PgSql& db) { return select_requests(db, id, third_party); });
  }
  Result<int64_t> add_request_message(int64_t request_id, const model::RequestMessage& m,
                                      const std::vector<model::NewAttachment>& files, model::RequestState state) override {
    return write<int64_t>("add to a request",
                          [&](PgSql& db) { return insert_request_message(db, request_id, m, files, state); });
  }
  Result<std::optional<model::NewAttachment>> attachment(int64_t request_id, int64_t attachment_id) override {
    return read<std::optional<model::NewAttachment>>("read an attachment",
                                                     [&](PgSql& db) { return select_attachment(db, request_id, attachment_id); });
  }

  Result<int64_t> register_provider(const model::Registration& g, const model::InfoRequest& r,
                                    const model::RequestMessage& first, const std::vector<model::NewAttachment>& files) override {
    return write<int64_t>("register a provider", [&](PgSql& db) { return insert_registration(db, g, r, first, files); });
  }
  Result<std::vector<model::Registration>> registrations(int64_t id, const std::string& inami) override {
    return read<std::vector<model::Registration>>("read registrations", [&](PgSql& db) { return select_registrations(db, id, inami); });
  }
  Result<int64_t> decide_registration(const model::Registration& g, const std::optional<model::HolderAccount>& holder) override {
    return write<int64_t>("decide a registration", [&](PgSql& db) { return update_registration(db, g, holder); });
  }

  // ---- accounts (store/accounts_sql.h)

  Result<int64_t> create_user(const model::User& u) override {
    return write<int64_t>("create user", [&](PgSql& db) { return insert_user(db, u); });
  }
  Result<std::optional<model::User>> user_by_name(const std::string& username) override {
    return read<std::optional<model::User>>("read user", [&](PgSql& db) { return select_user(db, 0, username); });
  }
  Result<std::optional<model::User>> user(int64_t id) override {
    return read<std::optional<model::User>>("read user", [&](PgSql& db) { return select_user(db, id, ""); });
  }
  Result<std::vector<model::User>> users() override {
    return read<std::vector<model::User>>("read users", [&](PgSql& db) { return select_users(db); });
  }
  Result<void> update_user(const model::User& u) override {
    return write<void>("update user", [&](PgSql& db) { return write_user(db, u); });
  }
  Result<std::vector<model::Membership>> memberships(int64_t user_id) override {
    return read<std::vector<model::Membership>>("read memberships", [&](PgSql& db) { return select_memberships(db, user_id, ""); });
  }
  Result<std::vector<model::Membership>> members_of(const std::string& inami) override {
    return read<std::vector<model::Membership>>("read memberships", [&](PgSql& db) { return select_memberships(db, 0, inami); });
  }
  Result<void> set_membership(const model::Membership& m) override {
    return write<void>("write membership", [&](PgSql& db) { return upsert_membership(db, m); });
  }
  Result<void> remove_membership(int64_t user_id, const std::string& inami, const std::string& role) override {
    return write<void>("remove membership", [&](PgSql& db) { return delete_membership(db, user_id, inami, role); });
  }
  Result<void> create_session(const model::Session& s) override {
    return write<void>("create session", [&](PgSql& db) { return insert_session(db, s); });
  }
  Result<std::optional<model::Session>> session(const std::string& token_hash) override {
    return read<std::optional<model::Session>>("read session", [&](PgSql& db) { return select_session(db, token_hash); });
  }
  Result<void> update_session(const model::Session& s) override {
    return write<void>("update session", [&](PgSql& db) { return write_session(db, s); });
  }
  Result<void> delete_session(const std::string& token_hash) override {
    return write<void>("end session", [&](PgSql& db) { return delete_sessions(db, token_hash, 0); });
  }
  Result<void> create_reset(const std::string& token_hash, int64_t user_id, int64_t created, int64_t expires) override {
    return write<void>("write a lost-password link", [&](PgSql& db) { return insert_reset(db, token_hash, user_id, created, expires); });
  }
  Result<std::optional<int64_t>> take_reset(const std::string& token_hash, int64_t now) override {
    return write<std::optional<int64_t>>("use a lost-password link", [&](PgSql& db) { return use_reset(db, token_hash, now); });
  }
  Result<int64_t> last_reset(int64_t user_id) override {
    return read<int64_t>("read lost-password links", [&](PgSql& db) { return select_last_reset(db, user_id); });
  }
  Result<void> delete_sessions_of(int64_t user_id) override {
    return write<void>("end sessions", [&](PgSql& db) { return delete_sessions(db, "", user_id); });
  }
  Result<void> append_audit(const std::vector<model::AuditEntry>& entries) override {
    // Audit months are never dropped (retention blanks whose data it was): a month this store
    // has written or made is not asked for again, a round trip less for each request served.
    std::set<int64_t> instants;
    bool known = true;
    for (const auto& e : entries) {
      instants.insert(e.at);
      known = known && audit_months_.count(utc_month(e.at)) > 0;
    }
    auto written = write<void>("write audit", [&](PgSql& db) {
      if (!known) db.t.exec_params("SELECT mutua_audit_months($1::bigint[])", array_literal(instants));
      return insert_audit(db, entries);
    });
    if (written)
      for (const int64_t at : instants) audit_months_.insert(utc_month(at));
    return written;
  }
  Result<std::pair<std::vector<model::AuditEntry>, int64_t>> audit(const model::AuditQuery& q) override {
    return read<std::pair<std::vector<model::AuditEntry>, int64_t>>("read audit", [&](PgSql& db) { return select_audit(db, q); });
  }

  Result<int64_t> open_dispute(const model::Dispute& d) override {
    return write<int64_t>("open dispute", [&](PgSql& db) { return insert_dispute(db, d); });
  }
  Result<std::vector<model::Dispute>> disputes(int64_t id, const std::string& third_party) override {
    return read<std::vector<model::Dispute>>("read disputes", [&](PgSql& db) { return select_disputes(db, id, third_party); });
  }
  Result<void> dispute_step(int64_t id, model::DisputeState expected, const model::Dispute& after,
                            const model::DisputeEvent& event, const std::optional<model::Regularisation>& reg) override {
    return write<void>("record dispute step", [&](PgSql& db) -> Result<void> {
      int64_t reg_id = 0;
      if (reg) {
        auto r = insert_regularisation(db, *reg);
        if (!r) return fail(r.error());
        reg_id = *r;
      }
      return apply_dispute_step(db, id, expected, after, event, reg_id);
    });
  }
  Result<model::RetentionReport> apply_retention(model::Date cutoff, bool dry_run) override {
    return write<model::RetentionReport>("apply retention", [&](PgSql& db) { return store::apply_retention(db, cutoff); },
                                         /*commit=*/!dry_run);
  }

  // ---- received envois waiting for workers

  Result<int64_t> enqueue(const std::string& file_name, std::string_view bytes, model::Date today) override {
    return guard<int64_t>("receive envoi", [&]() -> Result<int64_t> {
      const Packed p = packed(bytes);
      pqxx::work w(conn_);
      // The envoi id, taken now: ids are the order of receipt whichever worker judges it.
      const int64_t id = w.exec1("SELECT nextval(pg_get_serial_sequence('envois', 'id'))")[0].as<int64_t>();
      w.exec_params0("INSERT INTO queue (id, today, file_name, bytes) VALUES ($1, $2, $3, $4)", id, today, file_name,
                     pqxx::binarystring(p.bytes.data(), p.bytes.size()));
      w.commit();
      return id;
    });
  }

  Result<std::optional<model::QueuedEnvoi>> claim(const std::string& worker) override {
    using Out = std::optional<model::QueuedEnvoi>;
    if (claim_work_) return error(fmt::format("reception {} is held already", claimed_));
    return guard<Out>("take a received envoi", [&]() -> Result<Out> {
      if (!claim_conn_) claim_conn_ = std::make_unique<pqxx::connection>(url_);
      auto w = std::make_unique<pqxx::work>(*claim_conn_);
      const auto rows = w->exec(
          "SELECT id, today, file_name, bytes FROM queue WHERE state = 'waiting' ORDER BY id LIMIT 1 "
          "FOR UPDATE SKIP LOCKED");
      if (rows.empty()) {
        w->abort();
        return Out();
      }
      model::QueuedEnvoi q;
      q.id = rows[0][0].as<int64_t>();
      q.today = rows[0][1].as<model::Date>();
      q.file_name = rows[0][2].c_str();
      auto bytes = unpacked(bytes_of(rows[0][3]));
      if (!bytes) return fail(bytes.error());
      q.bytes = std::move(*bytes);
      claim_work_ = std::move(w);
      claimed_ = q.id;
      worker_ = worker;
      return Out(std::move(q));
    });
  }

  Result<void> finish(int64_t id, const std::string& message, const std::string& failure) override {
    if (!claim_work_ || claimed_ != id) return error(fmt::format("reception {} is not held here", id));
    auto done = guard<void>("finish a received envoi", [&]() -> Result<void> {
      claim_work_->exec_params0(
          "UPDATE queue SET state = $2, message = $3, error = $4, worker = $5, done_at = now() WHERE id = $1", id,
          std::string(failure.empty() ? "done" : "failed"), message, failure, worker_);
      claim_work_->commit();
      return {};
    });
    claim_work_.reset();
    claimed_ = 0;
    return done;
  }

  Result<void> release() override {
    if (!claim_work_) return {};
    auto done = guard<void>("let a received envoi go", [&]() -> Result<void> {
      claim_work_->abort();
      return {};
    });
    claim_work_.reset();
    claimed_ = 0;
    return done;
  }

  Result<model::QueueStatus> queue_status() override {
    return guard<model::QueueStatus>("read the queue", [&]() -> Result<model::QueueStatus> {
      model::QueueStatus st;
      pqxx::work w(conn_);
      for (const auto& row : w.exec("SELECT state, COUNT(*) FROM queue GROUP BY state")) {
        const std::string state = row[0].c_str();
        const int64_t n = row[1].as<int64_t>();
        (state == "done" ? st.done : state == "failed" ? st.failed : st.waiting) = n;
      }
      // Held by a worker: waiting, and locked (the rows this transaction can lock are free).
      const int64_t free = w.exec1("SELECT COUNT(*) FROM (SELECT id FROM queue WHERE state = 'waiting' "
                                   "FOR UPDATE SKIP LOCKED) AS free")[0].as<int64_t>();
      st.in_progress = st.waiting - free;
      st.waiting = free;
      for (const auto& row : w.exec("SELECT id, file_name, error FROM queue WHERE state = 'failed' ORDER BY id"))
        st.failures.push_back({row[0].as<int64_t>(), row[1].c_str(), row[2].c_str()});
      w.abort();
      return st;
    });
  }

 private:
  // An envoi with its id from the queue is recorded when every earlier reception is done, so
  // that it was judged (or is judged again, the store's mark says) after all of them. Waits
  // while workers hold them; an earlier one that no worker holds (its worker died) comes first.
  Result<void> wait_for_turn(int64_t id) {
    for (;;) {
      auto free = guard<int64_t>("read the queue", [&]() -> Result<int64_t> {
        pqxx::work w(conn_);
        if (!w.exec_params1("SELECT EXISTS (SELECT 1 FROM queue WHERE id < $1 AND state = 'waiting')", id)[0].as<bool>())
          return int64_t{0};
        const auto rows = w.exec_params(
            "SELECT id FROM queue WHERE id < $1 AND state = 'waiting' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED", id);
        w.abort();
        return rows.empty() ? int64_t{-1} : rows[0][0].as<int64_t>();
      });
      if (!free) return fail(free.error());
      if (*free == 0) return {};
      if (*free > 0)
        return fail({.code = model::kNotItsTurn,
                     .message = fmt::format("reception {} is waiting and no worker holds it", *free),
                     .file = where_});
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  template <class T, class F>
  Result<T> guard(const std::string& what, F&& body) {
    try {
      return body();
    } catch (const pqxx::unique_violation& e) {
      return fail({.code = model::kStoreConflict, .message = fmt::format("{}: {}", what, first_line(e.what())), .file = where_});
    } catch (const std::exception& e) {
      return fail({.code = "Z00200", .message = fmt::format("{}: {}", what, first_line(e.what())), .file = where_});
    }
  }
  tl::unexpected<Error> error(const std::string& what) const {
    return fail({.code = "Z00200", .message = what, .file = where_});
  }
  // `body` on a read-only transaction.
  template <class T, class F>
  Result<T> read(const std::string& what, F&& body) {
    return guard<T>(what, [&]() -> Result<T> {
      pqxx::read_transaction r(conn_);
      PgSql db(r, where_);
      return body(db);
    });
  }
  // `body` in a write transaction, committed when it succeeds (and `commit`), rolled back when
  // not. Writers take one lock, as SQLite's single writer: the checks "only from the state it
  // was decided from" then see every earlier write.
  template <class T, class F>
  Result<T> write(const std::string& what, F&& body, bool commit = true) {
    return guard<T>(what, [&]() -> Result<T> {
      pqxx::work w(conn_);
      w.exec_params("SELECT pg_advisory_xact_lock($1)", kRecordLock);
      PgSql db(w, where_);
      Result<T> r = body(db);
      if (r && commit) w.commit();
      return r;
    });
  }

  template <class... Args>
  Result<std::vector<EnvoiRecord>> envois_where(const std::string& where, Args&&... args) {
    return guard<std::vector<EnvoiRecord>>("read envois", [&] {
      pqxx::read_transaction r(conn_);
      std::vector<EnvoiRecord> out;
      for (const auto& row : r.exec_params(std::string(kSelectEnvoi) + where, std::forward<Args>(args)...))
        out.push_back(envoi_of(row));
      return Result<std::vector<EnvoiRecord>>(std::move(out));
    });
  }

  Result<std::unordered_map<std::string, std::vector<HistoryLine>>> read_history(const std::string& sql,
                                                                                 const std::string& niss,
                                                                                 const std::string& codes,
                                                                                 int64_t before) {
    using Out = std::unordered_map<std::string, std::vector<HistoryLine>>;
    return guard<Out>("read history", [&] {
      pqxx::read_transaction r(conn_);
      Out out;
      const pqxx::result rows = codes.empty() ? r.exec_params(sql, niss, before) : r.exec_params(sql, niss, before, codes);
      for (const auto& row : rows) {
        HistoryLine h = history_of(row);
        out[h.niss].push_back(std::move(h));
      }
      return Result<Out>(std::move(out));
    });
  }

  static model::StoreMark mark_in(pqxx::transaction_base& t) {
    const auto row = t.exec1(
        "SELECT (SELECT COALESCE(MAX(id), 0) FROM envois), (SELECT COALESCE(MAX(id), 0) FROM history), "
        "(SELECT COALESCE(MAX(id), 0) FROM pending_lines)");
    return {row[0].as<int64_t>(), row[1].as<int64_t>(), row[2].as<int64_t>()};
  }

  // Inside the recording's transaction, under the recording lock: what was recorded after
  // `mark` that the outcome's judgement depends on, said for a person; empty when nothing.
  std::string changed_since(pqxx::work& w, const model::StoreMark& mark, const model::EnvoiOutcome& o) {
    const model::StoreMark now = mark_in(w);
    if (now.envoi == mark.envoi && now.history == mark.history && now.pending == mark.pending) return {};
    const auto& e = o.envoi;
    if (e.status == model::EnvoiStatus::Refused) return {};  // judged on the file alone
    const auto same = w.exec_params(
        "SELECT id FROM envois WHERE id > $1 AND status = 'accepted' AND third_party = $2 AND year = $3 "
        "AND number = $4 AND test = $5 LIMIT 1",
        mark.envoi, e.third_party, e.year, e.number, e.test ? 1 : 0);
    if (!same.empty())
      return fmt::format("envoi {} of {} for {} was accepted meanwhile (reception {})", e.number, e.third_party, e.year,
                         same[0][0].as<int64_t>());
    if (o.patients.empty()) return {};
    const std::string patients = text_array(o.patients);
    // Under the writers' lock: by the id indexes, never a scan of this year's partitions.
    read_by_index(w);
    std::string changed;
    for (const auto& [table, from] : {std::pair{"history", mark.history}, std::pair{"pending_lines", mark.pending}}) {
      const auto hit = w.exec_params(
          fmt::format("SELECT 1 FROM {} WHERE id > $1 AND niss = ANY($2::text[]) LIMIT 1", table), from, patients);
      if (!hit.empty()) {
        changed = "lines of one of its patients were recorded meanwhile by another envoi";
        break;
      }
    }
    read_by_index(w, false);
    return changed;
  }

  // envoi_id < 0: each line's own envoi id (bulk loads). In NISS order, each patient's lines in
  // theirs, so their ids still say which came first.
  static void copy_history(pqxx::transaction_base& w, const std::vector<HistoryLine>& lines, int64_t envoi_id) {
    if (lines.empty()) return;
    std::set<int> years;
    for (const auto& l : lines) years.insert(static_cast<int>(l.billed / 10000));
    w.exec_params("SELECT mutua_history_years($1::integer[])", array_literal(years));
    std::vector<size_t> order(lines.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return lines[a].niss < lines[b].niss; });
    Copy copy(w, "history", kHistoryColumns);
    for (size_t i : order) {
      const auto& l = lines[i];
      CopyLine line;
      line.integer(envoi_id < 0 ? l.envoi_id : envoi_id);
      line.text(l.niss);
      line.text(l.code);
      line.integer(l.first_date);
      line.integer(l.last_date);
      line.integer(l.units);
      line.integer(l.amount);
      line.text(l.provider);
      line.text(l.third_party);
      line.integer(static_cast<int64_t>(l.invoice_number));
      line.integer(static_cast<int64_t>(l.record));
      line.integer(l.billed);
      line.integer(l.envoi_number);
      copy.row(line.cells);
    }
    copy.complete();
  }

  Result<std::string> file_column(int64_t envoi_id, const char* column) {
    auto blob = guard<std::string>("read envoi file", [&]() -> Result<std::string> {
      pqxx::read_transaction r(conn_);
      const auto rows = r.exec_params(fmt::format("SELECT {} FROM envoi_files WHERE envoi_id = $1", column), envoi_id);
      if (rows.empty()) return error(fmt::format("no envoi {} in the store", envoi_id));
      return bytes_of(rows[0][0]);
    });
    if (!blob) return fail(blob.error());
    return unpacked(std::move(*blob));
  }

  // Patient files limited to `niss` (one query per file for the whole envoi) and/or the shared
  // ones, with what the fund recorded itself after the files' own rows.
  Result<model::RefData> read_refdata(const std::vector<std::string>* niss, bool patient, bool shared,
                                      const std::vector<std::string>* only) {
    return guard<model::RefData>("read reference data", [&] {
      pqxx::read_transaction r(conn_);
      model::RefData out;
      const std::string keys = niss ? text_array(*niss) : std::string();
      // A patient's rows by prepared statements planned once, as history is read (history_read).
      if (niss) r.exec0("SET LOCAL plan_cache_mode = force_generic_plan");
      bool by_index = false;
      for (const auto& spec : model::ref_table_specs()) {
        if (spec.per_patient ? !patient : !shared) continue;
        if (only && std::find(only->begin(), only->end(), spec.file) == only->end()) continue;
        const bool by_niss = niss && spec.per_patient;
        // `niss = ANY(array)` of thousands of patients is planned as a parallel scan of the whole
        // table (110 ms for 6,000 of 1M members, against 34 ms by the index), both cores taken
        // from the workers: read by the index, where the array's keys go down it in order (25k
        // of 1M members: 85 ms, against 135 ms for a semi-join of the unnested array).
        if (by_niss != by_index) {
          read_by_index(r, by_niss);
          by_index = by_niss;
        }
        const std::string sql =
            fmt::format("SELECT {} FROM {}{}", column_list(spec), spec.table,
                        by_niss ? " WHERE niss = ANY($1::text[]) ORDER BY niss, seq" : " ORDER BY seq");
        const pqxx::result rows = by_niss ? r.exec_prepared(prepared("patients_" + spec.table, sql), keys) : r.exec(sql);
        for (const auto& row : rows) {
          RowReader in(row);
          spec.read(in, out);
        }
        if (spec.file == "commitments.csv") {
          const std::string q =
              std::string("SELECT niss, commitment, date, ct1, ct2, mutuality FROM consultations WHERE commitment IS "
                          "NOT NULL AND niss <> ''") +
              (niss ? " AND niss = ANY($1::text[])" : "") + " ORDER BY id";
          for (const auto& row : niss ? r.exec_prepared(prepared("patients_commitments", q), keys) : r.exec(q)) {
            model::PaymentCommitment c;
            c.niss = row[0].c_str();
            c.number = row[1].c_str();
            c.consulted = row[2].as<model::Date>();
            c.ct1 = row[3].as<int>();
            c.ct2 = row[4].as<int>();
            c.mutuality = row[5].c_str();
            out.commitments.push_back(std::move(c));
          }
        }
        if (spec.file == "agreements.csv") {
          const std::string q =
              std::string("SELECT niss, code, decision, request_date, decision_date, valid_from, valid_to FROM "
                          "agreements WHERE niss <> ''") +
              (niss ? " AND niss = ANY($1::text[])" : "") + " ORDER BY id";
          for (const auto& row : niss ? r.exec_prepared(prepared("patients_agreements", q), keys) : r.exec(q)) {
            model::Agreement a;
            a.niss = row[0].c_str();
            a.code = row[1].c_str();
            const std::string decision = row[2].c_str();
            a.decision = decision.empty() ? 'D' : decision[0];
            a.request_date = row[3].as<model::Date>();
            a.decision_date = row[4].as<model::Date>();
            a.valid_from = row[5].as<model::Date>();
            const auto to = row[6].as<model::Date>();
            a.valid_to = to == 0 ? model::kOpenEnd : to;
            out.agreements.push_back(std::move(a));
          }
        }
      }
      return Result<model::RefData>(std::move(out));
    });
  }

  pqxx::connection conn_;
  std::string url_;  // with its password, for the queue's own connection; never shown
  std::string where_;
  // The reception this worker holds: a transaction of its own connection keeps its row locked.
  std::unique_ptr<pqxx::connection> claim_conn_;
  std::unique_ptr<pqxx::work> claim_work_;
  int64_t claimed_ = 0;
  std::string worker_;
  std::shared_ptr<const model::RefData> shared_;
  int64_t shared_version_ = -1;
  std::set<std::string> prepared_;  // statements prepared on conn_ (prepared())
  std::set<int> audit_months_;  // YYYYMM of audit partitions known to exist
};

}  // namespace

bool is_postgresql_url(const std::string& where) {
  return where.rfind("postgresql://", 0) == 0 || where.rfind("postgres://", 0) == 0;
}

std::string display_name(const std::string& where) { return is_postgresql_url(where) ? redacted(where) : where; }

int postgresql_schema_version() { return static_cast<int>(migrations().size()); }

Result<std::unique_ptr<model::Store>> open_postgresql(const std::string& url) {
  std::unique_ptr<PgStore> store;
  try {
    store = std::make_unique<PgStore>(url);
  } catch (const std::exception& e) {
    return fail({.code = "Z00200", .message = "cannot connect: " + first_line(e.what()), .file = redacted(url)});
  }
  if (auto m = store->migrate(); !m) return fail(m.error());
  return std::unique_ptr<model::Store>(std::move(store));
}

Result<int> stored_schema_version(const std::string& where) {
  if (!is_postgresql_url(where)) return sqlite_stored_version(where);
  try {
    pqxx::connection c(where);
    pqxx::read_transaction r(c);
    if (!r.exec1("SELECT to_regclass('schema_version') IS NOT NULL")[0].as<bool>()) return 0;
    return r.exec1("SELECT COALESCE(MAX(version), 0) FROM schema_version")[0].as<int>();
  } catch (const std::exception& e) {
    return fail({.code = "Z00200", .message = "cannot read the schema version: " + first_line(e.what()),
                 .file = redacted(where)});
  }
}

Result<std::unique_ptr<model::Store>> open_store_at(const std::string& where) {
  if (is_postgresql_url(where)) return open_postgresql(where);
  return open_sqlite(where);
}

}  // namespace mutua::store

#pragma GCC diagnostic pop
