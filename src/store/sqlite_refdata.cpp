#include "store/sqlite_refdata.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <memory>
#include <unordered_set>

#include <fmt/format.h>

#include "mutua/model/refdata_tables.h"

namespace mutua::store {

namespace {

using model::RefTableSpec;

class BindSink final : public model::RowSink {
 public:
  BindSink(Stmt& s, int first) : s_(s), at_(first) {}
  void integer(int64_t v) override { s_.bind(at_++, v); }
  void text(std::string_view v) override { s_.bind(at_++, v); }

 private:
  Stmt& s_;
  int at_;
};

class ColumnSource final : public model::RowSource {
 public:
  explicit ColumnSource(Stmt& s) : s_(s) {}
  int64_t integer() override { return s_.i64(at_++); }
  std::string text() override { return s_.text(at_++); }

 private:
  Stmt& s_;
  int at_ = 0;
};

std::string column_list(const RefTableSpec& spec) {
  std::string out;
  for (const auto& c : spec.columns) out += fmt::format("{}\"{}\"", out.empty() ? "" : ", ", c.name);
  return out;
}

bool wanted_file(const RefRead& what, const RefTableSpec& spec) {
  if (spec.per_patient ? !what.patient : !what.shared) return false;
  return !what.only || std::find(what.only->begin(), what.only->end(), spec.file) != what.only->end();
}

// Runs `s` once per patient (binding ?1), or once when `niss` is null.
template <class F>
Result<void> per_patient(SqliteDb& db, Stmt& s, const std::vector<std::string>* niss, const char* what, F&& row) {
  const std::vector<std::string> once = {std::string()};
  for (const auto& patient : niss ? *niss : once) {
    if (niss) s.bind(1, patient);
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) row();
    if (rc != SQLITE_DONE) return fail(db.last_error(std::string("read ") + what));
    s.reset();
  }
  return {};
}

// Commitments issued by the fund's consultations, as commitments.csv rows of these patients.
Result<void> add_issued_commitments(SqliteDb& db, model::RefData& out, const std::vector<std::string>* niss) {
  // They grow with every consultation: a scan when they are few next to the envoi's patients,
  // else one look-up per patient (never every consultation for every envoi).
  const bool by_niss =
      niss && !rows_at_most(db.db_, "consultations WHERE commitment IS NOT NULL", static_cast<int64_t>(niss->size()) * 2);
  Stmt s(db.db_, std::string("SELECT niss, commitment, date, ct1, ct2, mutuality FROM consultations "
                             "WHERE commitment IS NOT NULL AND niss <> ''") +  // '': anonymised (retention)
                     (by_niss ? " AND niss = ?1" : "") + " ORDER BY id");
  if (!s.ok()) return fail(db.last_error("prepare consultations"));
  std::unordered_set<std::string> wanted;
  if (niss && !by_niss) wanted.insert(niss->begin(), niss->end());
  return per_patient(db, s, by_niss ? niss : nullptr, "consultations", [&] {
    std::string patient = s.text(0);
    if (niss && !by_niss && !wanted.count(patient)) return;
    model::PaymentCommitment c;
    c.niss = std::move(patient);
    c.number = s.text(1);
    c.consulted = static_cast<model::Date>(s.i64(2));
    c.ct1 = static_cast<int>(s.i64(3));
    c.ct2 = static_cast<int>(s.i64(4));
    c.mutuality = s.text(5);
    out.commitments.push_back(std::move(c));
  });
}

// Agreements recorded by the fund's advisor, as agreements.csv rows (not decided yet: D).
Result<void> add_recorded_agreements(SqliteDb& db, model::RefData& out, const std::vector<std::string>* niss) {
  // The requests grow over the years: never all of them for every envoi.
  const bool by_niss = niss && !rows_at_most(db.db_, "agreements", static_cast<int64_t>(niss->size()) * 2);
  Stmt s(db.db_,
         std::string("SELECT niss, code, decision, request_date, decision_date, valid_from, valid_to FROM agreements "
                     "WHERE niss <> ''") +  // '': anonymised (retention)
             (by_niss ? " AND niss = ?1" : "") + " ORDER BY id");
  if (!s.ok()) return fail(db.last_error("prepare agreements"));
  std::unordered_set<std::string> wanted;
  if (niss && !by_niss) wanted.insert(niss->begin(), niss->end());
  return per_patient(db, s, by_niss ? niss : nullptr, "agreements", [&] {
    std::string patient = s.text(0);
    if (niss && !by_niss && !wanted.count(patient)) return;
    model::Agreement a;
    a.niss = std::move(patient);
    a.code = s.text(1);
    const std::string decision = s.text(2);
    a.decision = decision.empty() ? 'D' : decision[0];
    a.request_date = static_cast<model::Date>(s.i64(3));
    a.decision_date = static_cast<model::Date>(s.i64(4));
    a.valid_from = static_cast<model::Date>(s.i64(5));
    const auto to = static_cast<model::Date>(s.i64(6));
    a.valid_to = to == 0 ? model::kOpenEnd : to;
    out.agreements.push_back(std::move(a));
  });
}

// What the fund recorded itself, after a file's own rows: the commitments of its consultations,
// its advisor's agreements (they change without an import, so they are never held in memory).
Result<void> add_recorded_rows(SqliteDb& db, const RefTableSpec& spec, model::RefData& out,
                               const std::vector<std::string>* niss) {
  if (spec.file == "commitments.csv") return add_issued_commitments(db, out, niss);
  if (spec.file == "agreements.csv") return add_recorded_agreements(db, out, niss);
  return {};
}

}  // namespace

Result<void> write_refdata(SqliteDb& db, const model::RefData& data) {
  for (const auto& spec : model::ref_table_specs()) {
    if (auto d = db.exec("DELETE FROM " + spec.table); !d) return d;
    const size_t n = spec.rows(data);
    if (n == 0) continue;
    std::string params = "?1";
    for (size_t i = 0; i < spec.columns.size(); ++i) params += fmt::format(", ?{}", i + 2);
    Stmt ins(db.db_, fmt::format("INSERT INTO {} (seq, {}) VALUES ({})", spec.table, column_list(spec), params));
    if (!ins.ok()) return fail(db.last_error("prepare insert into " + spec.table));
    for (size_t row = 0; row < n; ++row) {
      ins.bind(1, static_cast<int64_t>(row + 1));
      BindSink sink(ins, 2);
      spec.write(data, row, sink);
      if (ins.step() != SQLITE_DONE) return fail(db.last_error("insert into " + spec.table));
      ins.reset();
    }
  }
  return {};
}

Result<model::RefData> read_refdata(SqliteDb& db, const RefRead& what, const std::map<std::string, uint64_t>& counts) {
  ReadTransaction tx(db.db_);
  model::RefData out;
  // The patients as a set of views of `what.niss` (a row's NISS is looked up where SQLite holds
  // it, not copied), made at the first row of the first table scanned, for all of them: one set
  // per table, made even for an empty one, was 1.5 % of a run on the SQL peer's data.
  std::unique_ptr<std::unordered_set<std::string_view>> patient_set;
  for (const auto& spec : model::ref_table_specs()) {
    if (!wanted_file(what, spec)) continue;
    if (spec.per_patient && what.niss && what.resident) {
      what.resident->append(spec, *what.niss, out);
      if (auto r = add_recorded_rows(db, spec, out, what.niss); !r) return fail(r.error());
      continue;
    }
    bool by_niss = what.niss && spec.per_patient;
    // Many patients and a small table (stays, pathways...): one scan filtered here costs less
    // than one look-up per patient.
    bool wanted = false;
    if (by_niss) {
      auto it = counts.find(spec.file);
      if (it != counts.end() && it->second <= what.niss->size() * 2) {
        wanted = true;
        by_niss = false;
      }
    }
    // A patient's rows come in file order from the primary key (NISS, seq); whole, in file order.
    const std::string order = by_niss ? "" : wanted ? " ORDER BY niss, seq" : " ORDER BY seq";
    Stmt s(db.db_, fmt::format("SELECT {} FROM {}{}{}", column_list(spec), spec.table,
                               by_niss ? " WHERE niss = ?1" : "", order));
    if (!s.ok()) return fail(db.last_error("prepare " + spec.table));
    auto r = per_patient(db, s, by_niss ? what.niss : nullptr, spec.table.c_str(), [&] {
      if (wanted) {
        if (!patient_set)
          patient_set = std::make_unique<std::unordered_set<std::string_view>>(what.niss->begin(), what.niss->end());
        if (!patient_set->count(s.view(0))) return;
      }
      ColumnSource source(s);
      spec.read(source, out);
    });
    if (!r) return fail(r.error());
    if (auto a = add_recorded_rows(db, spec, out, what.niss); !a) return fail(a.error());
  }
  return out;
}

namespace {

// One patient file's rows whole, in (NISS, file order), appended to its vector in `out`.
Result<void> read_patient_table(SqliteDb& db, const RefTableSpec& spec, const PatientRows& rows, model::RefData& out) {
  if (auto n = rows.by_file.find(spec.file); n != rows.by_file.end()) spec.reserve(out, n->second);
  Stmt s(db.db_, fmt::format("SELECT {} FROM {} ORDER BY niss, seq", column_list(spec), spec.table));
  if (!s.ok()) return fail(db.last_error("prepare " + spec.table));
  return per_patient(db, s, nullptr, spec.table.c_str(), [&] {
    ColumnSource source(s);
    spec.read(source, out);
  });
}

// The same on a connection of its own to the file, in a read transaction that must see the
// import `rows` counted (else nothing is read: false).
Result<bool> read_patient_table_beside(const std::string& path, const RefTableSpec& spec, const PatientRows& rows,
                                       model::RefData& out) {
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
  std::unique_ptr<sqlite3, int (*)(sqlite3*)> own(raw, sqlite3_close);
  if (rc != SQLITE_OK) return false;
  SqliteDb db(raw, path);
  ReadTransaction tx(raw);
  Stmt v(raw, "SELECT imported FROM refdata_version");
  if (v.step() != SQLITE_ROW || v.i64(0) != rows.imported) return false;
  if (auto r = read_patient_table(db, spec, rows, out); !r) return fail(r.error());
  return true;
}

}  // namespace

Result<model::RefData> read_patient_tables(SqliteDb& db, const PatientRows& rows) {
  model::RefData out;
  // The largest file (members, on bench/peer's data a million rows of the two million) is read
  // on a second connection beside the others: the copy is made while the envoi that asked for it
  // waits, a second on one core. Each file's rows go to a vector of their own.
  const RefTableSpec* largest = nullptr;
  uint64_t largest_rows = 0;
  for (const auto& spec : model::ref_table_specs()) {
    auto n = rows.by_file.find(spec.file);
    if (spec.per_patient && n != rows.by_file.end() && n->second > largest_rows) {
      largest = &spec;
      largest_rows = n->second;
    }
  }
  constexpr uint64_t kRowsWorthAConnection = 100000;
  const bool on_disk = !db.path_.empty() && db.path_ != ":memory:" && !db.path_.starts_with("file:");
  std::future<Result<bool>> beside;
  if (largest_rows >= kRowsWorthAConnection && on_disk)
    beside = std::async(std::launch::async, [&] { return read_patient_table_beside(db.path_, *largest, rows, out); });
  else
    largest = nullptr;
  Result<void> read;
  for (const auto& spec : model::ref_table_specs()) {
    if (!spec.per_patient || &spec == largest) continue;
    if (read = read_patient_table(db, spec, rows, out); !read) break;
  }
  if (largest) {
    auto done = beside.get();
    if (!done) return fail(done.error());
    // Not opened, or another import since: read here, in the caller's transaction.
    if (read && !*done) read = read_patient_table(db, *largest, rows, out);
  }
  if (!read) return fail(read.error());
  return out;
}

Result<PatientRows> patient_rows(SqliteDb& db) {
  PatientRows out;
  {
    Stmt v(db.db_, "SELECT imported FROM refdata_version");
    if (v.step() != SQLITE_ROW) return fail(db.last_error("read the reference data's import"));
    out.imported = v.i64(0);
  }
  Stmt s(db.db_, "SELECT file, rows FROM ref_rows");
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    const std::string file = s.text(0);
    for (const auto& spec : model::ref_table_specs())
      if (spec.per_patient && spec.file == file) {
        out.rows += static_cast<uint64_t>(s.i64(1));
        out.by_file[file] = static_cast<uint64_t>(s.i64(1));
      }
  }
  if (rc != SQLITE_DONE) return fail(db.last_error("read the reference tables' rows"));
  return out;
}

Result<void> write_ref_rows(SqliteDb& db, const model::RefData* data) {
  if (auto d = db.exec("DELETE FROM ref_rows"); !d) return d;
  Stmt ins(db.db_, "INSERT INTO ref_rows (file, rows) VALUES (?1, ?2)");
  for (const auto& spec : model::ref_table_specs()) {
    int64_t rows = 0;
    if (data) {
      rows = static_cast<int64_t>(spec.rows(*data));
    } else {
      Stmt count(db.db_, "SELECT COUNT(*) FROM " + spec.table);
      if (count.step() != SQLITE_ROW) return fail(db.last_error("count " + spec.table));
      rows = count.i64(0);
    }
    ins.bind(1, spec.file);
    ins.bind(2, rows);
    if (ins.step() != SQLITE_DONE) return fail(db.last_error("write the rows of " + spec.file));
    ins.reset();
  }
  const auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  return db.exec(fmt::format("UPDATE refdata_version SET imported = MAX(imported + 1, {})", now));
}

Result<std::map<std::string, uint64_t>> count_refdata(SqliteDb& db) {
  ReadTransaction tx(db.db_);
  std::map<std::string, uint64_t> out;
  for (const auto& spec : model::ref_table_specs()) {
    Stmt s(db.db_, "SELECT COUNT(*) FROM " + spec.table);
    if (s.step() != SQLITE_ROW) return fail(db.last_error("count " + spec.file));
    out[spec.file] = static_cast<uint64_t>(s.i64(0));
  }
  return out;
}

Result<void> carry_over_text_refdata(SqliteDb& db) {
  model::RefTables tables;
  for (const auto& spec : model::ref_table_specs()) {
    const std::string old = "old_" + spec.table;
    format::Table t;
    {
      Stmt cols(db.db_, "PRAGMA table_info(" + old + ")");
      while (cols.step() == SQLITE_ROW)
        if (cols.text(1) != "line") t.header.push_back(cols.text(1));
    }
    if (t.header.empty()) continue;
    std::string list;
    for (const auto& c : t.header) list += fmt::format(", \"{}\"", c);
    Stmt s(db.db_, fmt::format("SELECT line{} FROM {} ORDER BY rowid", list, old));
    if (!s.ok()) return fail(db.last_error("prepare " + old));
    int rc;
    while ((rc = s.step()) == SQLITE_ROW) {
      std::vector<std::string> row;
      row.reserve(t.header.size());
      for (size_t i = 0; i < t.header.size(); ++i) row.push_back(s.text(static_cast<int>(i) + 1));
      t.rows.push_back(std::move(row));
      t.line_numbers.push_back(static_cast<size_t>(s.i64(0)));
    }
    if (rc != SQLITE_DONE) return fail(db.last_error("read " + old));
    tables[spec.file] = std::move(t);
  }
  std::vector<Error> problems;
  auto data = model::parse_refdata(tables, db.path_, problems);
  if (!data) {
    const std::string first = problems.empty() ? data.error().message
                                               : fmt::format("{}:{}: {}", problems[0].file, problems[0].record,
                                                             problems[0].message);
    return db.error("the reference data of this store does not read as this mutua reads reference files (" + first +
                    "): import the files again with the mutua that made the store, or start a new store");
  }
  if (auto c = add_missing_ref_columns(db); !c) return c;
  if (auto w = write_refdata(db, *data); !w) return w;
  for (const auto& spec : model::ref_table_specs())
    if (auto d = db.exec("DROP TABLE IF EXISTS old_" + spec.table); !d) return d;
  return {};
}

Result<void> add_missing_ref_columns(SqliteDb& db) {
  for (const auto& spec : model::ref_table_specs()) {
    std::set<std::string> have;
    {
      Stmt cols(db.db_, "PRAGMA table_info(" + spec.table + ")");
      while (cols.step() == SQLITE_ROW) have.insert(cols.text(1));
    }
    if (have.empty()) continue;  // not a table of this version yet
    for (const auto& c : spec.columns)
      if (!have.count(c.name)) {
        const bool text = c.type == model::ColumnType::Text;
        if (auto r = db.exec(fmt::format("ALTER TABLE {} ADD COLUMN {} {} NOT NULL DEFAULT {}", spec.table, c.name,
                                         text ? "TEXT" : "INTEGER", text ? "''" : "0"));
            !r)
          return r;
      }
  }
  return {};
}

}  // namespace mutua::store
