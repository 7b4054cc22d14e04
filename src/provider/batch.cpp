// Attestations in the provider's book, and batching them into envois (docs/provider.md).
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <functional>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mutua/catalog.h"
#include "mutua/engine/adjudicate.h"
#include "mutua/layout.h"
#include "mutua/model/envoi_writer.h"
#include "mutua/provider/book.h"
#include "mutua/store/sqlite.h"
#include "mutua/tsv.h"
#include "provider/book_impl.h"
#include "store/blobs.h"

namespace mutua::provider {

using Json = nlohmann::json;
using engine::RejectedLine;
using exchange::Environment;
using store::Stmt;

namespace {

Json to_json(const Attestation& a) {
  Json lines = Json::array();
  for (const auto& l : a.lines)
    lines.push_back({{"code", l.code}, {"date", l.date}, {"amount_cents", l.amount_cents}, {"units", l.units},
                     {"prescriber", l.prescriber}, {"prescription_date", l.prescription_date}, {"performer", l.performer},
                     {"related", l.related}, {"personal_share_cents", l.personal_share_cents}, {"tariff_approval", l.tariff_approval},
                     {"eid", l.eid}, {"eid_time", l.eid_time}});
  return {{"niss", a.niss},   {"affiliation", a.affiliation}, {"destination", a.destination}, {"ct1", a.ct1},
          {"ct2", a.ct2},     {"sex", a.sex},                 {"commitment", a.commitment},   {"commitment_date", a.commitment_date},
          {"limitation_waiver", a.limitation_waiver}, {"lines", lines}};
}

Attestation from_json(const std::string& reference, const Json& j) {
  Attestation a;
  a.reference = reference;
  a.niss = j.value("niss", "");
  a.affiliation = j.value("affiliation", "");
  a.destination = j.value("destination", "");
  a.ct1 = j.value("ct1", 110);
  a.ct2 = j.value("ct2", 110);
  a.sex = j.value("sex", 1);
  a.commitment = j.value("commitment", "");
  a.commitment_date = j.value("commitment_date", model::Date{0});
  a.limitation_waiver = j.value("limitation_waiver", 0);
  for (const auto& l : j["lines"])
    a.lines.push_back({l.value("code", ""), l.value("date", model::Date{0}), l.value("amount_cents", int64_t{0}), l.value("units", 1),
                       l.value("prescriber", ""), l.value("prescription_date", model::Date{0}), l.value("performer", ""),
                       l.value("related", ""), l.value("personal_share_cents", int64_t{0}), l.value("tariff_approval", ""),
                       l.value("eid", false), l.value("eid_time", 0)});
  return a;
}

// The union a destination mutuality belongs to: its first digit, then 00 (mutuality 319 is of union 300).
std::string union_of(const std::string& destination) { return destination.empty() ? "" : destination.substr(0, 1) + "00"; }

bool digits(const std::string& s, size_t n) { return s.size() == n && s.find_first_not_of("0123456789") == std::string::npos; }

bool is_json(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n\xEF\xBB\xBF");
  return first != std::string_view::npos && (text[first] == '[' || text[first] == '{');
}

// Attestations as JSON (docs/provider.md): an array of objects, each with its lines, read into
// the rows the CSV would have, so that both are checked alike; "line" is the attestation's
// rank in the array.
Result<format::Table> table_from_json(const std::string& text, const std::string& path) {
  const Json doc = Json::parse(text, nullptr, false);
  if (doc.is_discarded())
    return fail({.code = "Z00224", .message = "not JSON (docs/provider.md: an array of attestations, each with its lines)", .file = path});
  const Json& list = doc.is_object() && doc.contains("attestations") ? doc["attestations"] : doc;
  if (!list.is_array()) return fail({.code = "Z00224", .message = "an array of attestations (or {\"attestations\": [...]})", .file = path});
  static const char* kAttestation[] = {"attestation", "niss", "affiliation", "destination", "ct1", "ct2", "sex", "commitment",
                                       "commitment_date", "limitation_waiver"};
  static const char* kLine[] = {"date", "code", "amount_cents", "units", "prescriber", "prescription_date", "performer",
                                "related", "personal_share_cents", "tariff_approval", "eid_time"};
  format::Table t;
  for (const char* c : kAttestation) t.header.push_back(c);
  for (const char* c : kLine) t.header.push_back(c);
  auto cell = [](const Json& o, const char* key) -> std::string {
    if (!o.is_object() || !o.contains(key) || o[key].is_null()) return "";
    const Json& v = o[key];
    if (v.is_string()) return v.get<std::string>();
    if (v.is_number_integer()) return std::to_string(v.get<int64_t>());
    return v.dump();  // anything else is said wrong by the checks, as it is
  };
  for (size_t i = 0; i < list.size(); ++i) {
    const Json& a = list[i];
    const Json empty = Json::array();
    const Json& lines = a.is_object() && a.contains("lines") && a["lines"].is_array() ? a["lines"] : empty;
    if (lines.empty()) {
      t.problems.push_back({i + 1, 0, "an attestation has \"lines\": an array of at least one line of care"});
      continue;
    }
    for (const auto& l : lines) {
      std::vector<std::string> row;
      for (const char* c : kAttestation) row.push_back(cell(a, c));
      for (const char* c : kLine) row.push_back(cell(l, c));
      t.rows.push_back(std::move(row));
      t.line_numbers.push_back(i + 1);
    }
  }
  return t;
}

}  // namespace

Result<void> Book::Impl::attestations_to_correct(int64_t id, const Response& answer) {
  std::string why;
  std::map<std::string, std::string> lines;  // attestation -> its rejected lines' codes
  if (answer.message == "920099" || answer.message == "920999") {
    why = fmt::format("the fund answered {} for the whole envoi", answer.message);
  } else if (answer.message == "920900") {
    // Each ET 50 carries its attestation's number in zone 28 (batch writes it there).
    const Zone* z28 = Layout::builtin().find(RecordKind::Et50, "28");
    for (const auto& rec : answer.records) {
      if (rec.record_type != "50" || !rec.rejected() || !z28 || rec.bytes.size() < z28->end()) continue;
      std::string ref(z28->in(rec.bytes));
      while (!ref.empty() && ref.back() == ' ') ref.pop_back();
      for (const auto& c : rec.codes)
        if (c.letter == 'B' || c.letter == 'F' || c.letter == 'R')
          lines[ref] += fmt::format("{}{}{} {}{}", lines[ref].empty() ? "" : "; ", c.letter, c.code, c.label_fr,
                                    rec.comment.empty() ? "" : " (" + rec.comment + ")");
    }
  } else {
    return {};
  }
  if (!why.empty()) {
    store::Stmt u(db, "UPDATE attestations SET state = 'to correct', reason = ?1 WHERE envoi_id = ?2 AND state = 'batched'");
    u.bind(1, why).bind(2, id);
    if (u.step() != SQLITE_DONE) return error("mark attestations to correct");
    return {};
  }
  for (const auto& [ref, codes] : lines) {
    store::Stmt u(db, "UPDATE attestations SET state = 'to correct', reason = ?1 WHERE envoi_id = ?2 AND reference = ?3 AND state = 'batched'");
    u.bind(1, "the fund rejected: " + codes).bind(2, id).bind(3, ref);
    if (u.step() != SQLITE_DONE) return error("mark an attestation to correct");
  }
  return {};
}

Result<int64_t> Book::mark(const std::vector<std::string>& references, const std::string& state, const std::string& reason) {
  if (state != "corrected" && state != "archived")
    return fail({.code = "Z00224", .message = "an attestation to correct is marked corrected or archived"});
  std::lock_guard<std::mutex> lock(impl_->m);
  // All or none; one already in that state counts as marked (a mark run again after it was
  // interrupted finishes the job instead of failing on what it did).
  if (auto b = impl_->exec("BEGIN IMMEDIATE"); !b) return fail(b.error());
  auto rollback = [&](Error e) {
    (void)impl_->exec("ROLLBACK");
    return fail(std::move(e));
  };
  int64_t n = 0;
  for (const auto& ref : references) {
    Stmt u(impl_->db, "UPDATE attestations SET state = ?1, reason = ?2 WHERE reference = ?3 AND state = 'to correct'");
    u.bind(1, state).bind(2, reason).bind(3, ref);
    if (u.step() != SQLITE_DONE) return rollback(impl_->error("mark attestation " + ref).value());
    if (sqlite3_changes(impl_->db) == 0) {
      Stmt now(impl_->db, "SELECT state FROM attestations WHERE reference = ?1");
      now.bind(1, ref);
      const bool known = now.step() == SQLITE_ROW;
      if (!known || now.text(0) != state)
        return rollback({.code = "Z00224", .message = known ? fmt::format("attestation {} is {}, not to correct", ref, now.text(0))
                                                             : fmt::format("no attestation {} in the book", ref)});
    }
    ++n;
  }
  if (auto c = impl_->exec("COMMIT"); !c) return fail(c.error());
  return n;
}

Result<ImportOutcome> Book::import_attestations(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail({.code = "Z00200", .message = "cannot read it", .file = path});
  std::ostringstream text;
  text << in.rdbuf();
  return import_attestations_text(text.str(), path);
}

Result<ImportOutcome> Book::import_attestations_text(const std::string& text, const std::string& csv_path) {
  auto parsed = is_json(text) ? table_from_json(text, csv_path) : format::parse_table(text, ',');
  if (!parsed) return fail(parsed.error());
  const format::Table& t = *parsed;
  ImportOutcome out;
  for (const auto& p : t.problems)
    out.problems.push_back({.code = "Z00224", .message = p.column ? fmt::format("column {}: {}", p.column, p.message) : p.message,
                            .file = csv_path, .record = p.line});
  const char* needed[] = {"attestation", "niss", "affiliation", "destination", "date", "code", "amount_cents"};
  for (const char* c : needed)
    if (t.column(c) < 0)
      return fail({.code = "Z00224", .message = fmt::format("no column '{}' (docs/provider.md lists them)", c), .file = csv_path});
  auto cell = [&](const std::vector<std::string>& row, const char* name) -> std::string {
    const int c = t.column(name);
    return c >= 0 && static_cast<size_t>(c) < row.size() ? row[static_cast<size_t>(c)] : std::string();
  };
  std::map<std::string, Attestation> read;
  std::vector<std::string> order;
  std::set<std::string> bad;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const auto& row = t.rows[i];
    const uint64_t line = t.line_numbers[i];
    auto problem = [&](const char* column, const std::string& why) {
      out.problems.push_back({.code = "Z00224", .message = fmt::format("{}: {}", column, why), .file = csv_path, .record = line,
                              .zone = column});
      bad.insert(cell(row, "attestation"));
    };
    const std::string ref = cell(row, "attestation");
    if (ref.empty()) {
      problem("attestation", "empty");
      continue;
    }
    AttestationLine l;
    l.code = cell(row, "code");
    l.date = model::parse_iso_date(cell(row, "date"));
    l.prescriber = cell(row, "prescriber");
    l.prescription_date = model::parse_iso_date(cell(row, "prescription_date"));
    l.performer = cell(row, "performer");
    if (!l.performer.empty() && !digits(l.performer, 11)) problem("performer", "an INAMI number is 11 digits");
    l.related = cell(row, "related");
    if (!l.related.empty() && !digits(l.related, 6)) problem("related", "the related prestation's code, 6 digits");
    l.tariff_approval = cell(row, "tariff_approval");
    if (l.tariff_approval.size() > 32) problem("tariff_approval", "an approval number has at most 32 characters");
    if (const std::string t = cell(row, "eid_time"); !t.empty()) {
      // The eID was read for this line at HHMM.
      if (!digits(t, 4) || std::stoi(t) / 100 > 23 || std::stoi(t) % 100 > 59) problem("eid_time", "the time the eID was read, HHMM");
      else {
        l.eid = true;
        l.eid_time = std::stoi(t);
      }
    }
    if (!digits(l.code, 6)) problem("code", "a nomenclature code is 6 digits");
    if (!l.date) problem("date", "YYYY-MM-DD");
    try {
      l.amount_cents = std::stoll(cell(row, "amount_cents"));
      l.units = cell(row, "units").empty() ? 1 : std::stoi(cell(row, "units"));
      l.personal_share_cents = cell(row, "personal_share_cents").empty() ? 0 : std::stoll(cell(row, "personal_share_cents"));
    } catch (...) {
      problem("amount_cents", "amounts and units are whole numbers (cents)");
    }
    if (!l.prescriber.empty() && !digits(l.prescriber, 11)) problem("prescriber", "an INAMI number is 11 digits");
    auto [it, fresh] = read.try_emplace(ref);
    Attestation& a = it->second;
    if (fresh) {
      order.push_back(ref);
      a.reference = ref;
      a.niss = cell(row, "niss");
      a.affiliation = cell(row, "affiliation");
      a.destination = cell(row, "destination");
      if (!cell(row, "ct1").empty()) a.ct1 = std::atoi(cell(row, "ct1").c_str());
      if (!cell(row, "ct2").empty()) a.ct2 = std::atoi(cell(row, "ct2").c_str());
      if (!cell(row, "sex").empty()) a.sex = std::atoi(cell(row, "sex").c_str());
      a.commitment = cell(row, "commitment");
      a.commitment_date = model::parse_iso_date(cell(row, "commitment_date"));
      if (const std::string w = cell(row, "limitation_waiver"); !w.empty()) {
        if (!digits(w, 1)) problem("limitation_waiver", "one digit: the code of the lifting of the limitation period");
        else a.limitation_waiver = w[0] - '0';
      }
      if (!digits(a.niss, 11)) problem("niss", "11 digits");
      if (!digits(a.affiliation, 3)) problem("affiliation", "the patient's mutuality, 3 digits");
      if (!digits(a.destination, 3)) problem("destination", "the mutuality billed, 3 digits");
    } else if (cell(row, "niss") != a.niss || cell(row, "destination") != a.destination) {
      problem("niss", "an attestation is one patient billed to one mutuality");
    }
    a.lines.push_back(l);
  }
  std::lock_guard<std::mutex> lock(impl_->m);
  sqlite3* db = impl_->db;
  if (auto b = impl_->exec("BEGIN IMMEDIATE"); !b) return fail(b.error());
  Stmt ins(db, "INSERT INTO attestations (reference, destination, billed_month, state, recorded) "
               "VALUES (?1, ?2, ?3, 'waiting', strftime('%s', 'now')) ON CONFLICT (reference) DO UPDATE SET "
               "destination = excluded.destination, billed_month = excluded.billed_month, "
               "state = 'corrected', reason = '' WHERE attestations.state = 'to correct' RETURNING id, state");
  Stmt says(db, "INSERT INTO attestation_contents (attestation_id, content) VALUES (?1, ?2) "
                "ON CONFLICT (attestation_id) DO UPDATE SET content = excluded.content");
  for (const auto& ref : order) {
    if (bad.count(ref)) continue;  // said above; the rest goes in
    const Attestation& a = read[ref];
    // Billed month: the month of its care; an attestation does not straddle two (102311).
    std::set<int> months;
    for (const auto& l : a.lines) months.insert(static_cast<int>(l.date / 100));
    if (months.size() != 1) {
      out.problems.push_back({.code = "102311", .message = fmt::format("attestation {} has care in {} months: one attestation per month",
                                                                       ref, months.size()), .file = csv_path});
      continue;
    }
    // An attestation to correct takes the new content and is corrected; any other already in
    // the book stays as it is. (RETURNING says which happened.)
    ins.bind(1, ref).bind(2, a.destination).bind(3, std::to_string(*months.begin()));
    const int rc = ins.step();
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
      (void)impl_->exec("ROLLBACK");
      return impl_->error("record attestation " + ref);
    }
    if (rc == SQLITE_ROW) {
      (ins.text(1) == "corrected" ? out.corrected : out.imported) += 1;
      says.bind(1, ins.i64(0)).bind(2, to_json(a).dump());
      if (says.step() != SQLITE_DONE) {
        (void)impl_->exec("ROLLBACK");
        return impl_->error("record attestation " + ref);
      }
      says.reset();
    } else {
      ++out.already;
    }
    ins.reset();
  }
  if (auto c = impl_->exec("COMMIT"); !c) return fail(c.error());
  return out;
}

Result<std::vector<Attestation>> Book::attestations() {
  std::lock_guard<std::mutex> lock(impl_->m);
  return impl_->read_attestations();
}

Result<std::vector<Attestation>> Book::Impl::read_attestations(bool waiting_only) {
  std::vector<Attestation> out;
  Stmt s(db, waiting_only ? "SELECT reference, content, state, reason, COALESCE(envoi_id, 0) FROM attestations "
                            "JOIN attestation_contents ON attestation_id = id WHERE state IN ('waiting', 'corrected') ORDER BY id"
                          : "SELECT reference, content, state, reason, COALESCE(envoi_id, 0) FROM attestations "
                            "JOIN attestation_contents ON attestation_id = id ORDER BY id");
  while (s.step() == SQLITE_ROW) {
    Attestation a = from_json(s.text(0), Json::parse(s.text(1)));
    a.state = s.text(2);
    a.reason = s.text(3);
    a.envoi_id = s.i64(4);
    out.push_back(std::move(a));
  }
  return out;
}

namespace {

// The billing file of these attestations (invoice numbers 1, 2... in their order).
Result<std::string> write_file(const model::EnvoiHeader& h, const std::vector<const Attestation*>& list, const std::string& provider) {
  std::vector<model::Invoice> invoices;
  uint64_t n = 0;
  for (const Attestation* a : list) {
    model::Invoice inv;
    inv.affiliation = a->affiliation;
    inv.destination = a->destination;
    inv.niss = a->niss;
    inv.sex = a->sex;
    inv.ct1 = a->ct1;
    inv.ct2 = a->ct2;
    inv.provider = provider;
    inv.number = ++n;
    inv.reference = a->reference.substr(0, 25);
    inv.billing_date = h.created;
    inv.commitment = a->commitment;
    inv.commitment_date = a->commitment_date;
    inv.limitation_waiver = a->limitation_waiver;
    for (const auto& l : a->lines) {
      model::Prestation p;
      p.nomenclature = l.code;
      p.first_date = p.last_date = l.date;
      p.provider = l.performer.empty() ? provider : l.performer;
      p.amount = l.amount_cents;
      p.units = l.units;
      p.prescriber = l.prescriber;
      p.prescription_date = l.prescription_date;
      p.reference = a->reference.substr(0, 25);
      p.related_code = l.related;
      p.personal_share = l.personal_share_cents;
      if (!l.tariff_approval.empty()) {
        p.has_commitment = true;
        p.commitment_number = l.tariff_approval;
        p.commitment_date = l.date;
      }
      if (l.eid) {
        p.has_eid = true;
        p.eid_read_date = l.date;
        p.eid_time_hhmm = l.eid_time;
      }
      inv.lines.push_back(p);
    }
    invoices.push_back(std::move(inv));
  }
  // Invoices go in ascending destination mutuality (201812).
  std::stable_sort(invoices.begin(), invoices.end(), [](const auto& a, const auto& b) { return a.destination < b.destination; });
  return model::envoi_bytes(h, invoices);
}

}  // namespace

namespace {

using Clock = std::chrono::steady_clock;
using Timings = std::vector<std::pair<std::string, double>>;

void add_seconds(Timings& timings, const std::string& what, double seconds) {
  for (auto& [name, t] : timings)
    if (name == what) return void(t += seconds);
  timings.emplace_back(what, seconds);
}

void add_time(Timings& timings, const char* what, Clock::time_point since) {
  add_seconds(timings, what, std::chrono::duration<double>(Clock::now() - since).count());
}

// Runs work(0) ... work(n - 1) on up to `threads` threads.
void in_parallel(size_t n, unsigned threads, const std::function<void(size_t)>& work) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i; (i = next++) < n;) work(i);
  };
  std::vector<std::thread> others;
  for (unsigned t = 1; t < threads && t < n; ++t) others.emplace_back(worker);
  worker();
  for (auto& t : others) t.join();
}

// One envoi of a union and billed month, as the batch makes it.
struct Planned {
  std::string fund, month;
  int number = 0;
  int64_t resends = 0;  // the rejected or refused envoi whose number this one takes again (its id)
  model::EnvoiHeader header;
  std::vector<const Attestation*> list;  // what it holds once pre-flight held back the rest
  // Made, away from the book:
  std::string bytes;
  struct Held {
    const Attestation* attestation;
    std::vector<RejectedLine::Code> codes;
  };
  std::vector<Held> held;            // what pre-flight held back, in the order it did
  std::vector<HeldBack> refused;     // when pre-flight says the whole file would be refused (920999)
  int64_t lines_judged = 0, lines_rejected = 0;  // by the first pre-flight, before holding back
  Timings timings;
  Result<void> made;  // or why it could not be made
};

// Writes the envoi and, with a pre-flight store, judges it with the fund's engine, holding back
// the attestations with a line it would reject and writing the envoi again without them. Every
// rule that looks at other lines looks at the same patient's, so the envoi is judged again only
// when a patient of what was held back still has lines in it (they might have counted on it).
// Envois are made on several threads at once: the reference data is read by all of them, the
// receptions and history (a store that holds none: the provider's pre-flight knows none) are
// each envoi's own.
void make_envoi(Planned& p, const std::string& provider, model::RefDataStore* preflight, model::Date today) {
  bool judge = preflight != nullptr;
  std::unique_ptr<model::Store> envois;
  if (judge) {
    auto opened = store::open_sqlite(":memory:");
    if (!opened) {
      p.made = fail(opened.error());
      return;
    }
    envois = std::move(*opened);
  }
  for (int round = 0;; ++round) {
    if (p.list.empty()) break;
    auto written = Clock::now();
    auto file = write_file(p.header, p.list, provider);
    if (!file) {
      p.made = fail(file.error());
      return;
    }
    p.bytes = std::move(*file);
    add_time(p.timings, "write the envois", written);
    if (!judge || round == 3) break;
    engine::AdjudicateOptions a;
    a.today = today;
    a.record = false;
    a.decisions_only = true;
    auto judging = Clock::now();
    engine::Reception reception = engine::receive(p.bytes, fmt::format("batch-{}-{}-{}.efact", p.fund, p.month, p.number), today);
    for (const auto& [phase, seconds] : reception.phases) add_seconds(p.timings, "  of which " + phase, seconds);
    auto judged = engine::adjudicate(std::move(reception), engine::JudgingStores(*preflight, *envois), a);
    if (!judged) {
      p.made = fail(judged.error());
      return;
    }
    add_time(p.timings, "pre-flight: the fund's engine", judging);
    for (const auto& [phase, seconds] : judged->phases) add_seconds(p.timings, "  of which " + phase, seconds);
    std::set<uint64_t> rejected_invoices;
    std::map<uint64_t, std::vector<RejectedLine::Code>> codes_of;
    const int64_t lines = judged->lines, rejected = static_cast<int64_t>(judged->rejected.size());
    for (const auto& r : judged->rejected) {
      rejected_invoices.insert(r.invoice);
      for (const auto& c : r.codes) codes_of[r.invoice].push_back(c);
    }
    if (round == 0) {
      p.lines_judged = lines;
      p.lines_rejected = rejected;
    }
    if (judged->message == "920999" && rejected_invoices.empty()) {
      for (const auto* at : p.list)
        p.refused.push_back({at->reference, "920999", "", "", "", "the whole file would be refused: " +
                                                                      (judged->summary.empty() ? std::string() : judged->summary[0])});
      p.list.clear();
      break;
    }
    if (rejected_invoices.empty()) break;
    std::vector<const Attestation*> kept;
    std::set<std::string> patients_held;
    for (size_t i = 0; i < p.list.size(); ++i) {
      const uint64_t inv = i + 1;
      if (!rejected_invoices.count(inv)) {
        kept.push_back(p.list[i]);
        continue;
      }
      patients_held.insert(p.list[i]->niss);
      p.held.push_back({p.list[i], std::move(codes_of[inv])});
    }
    p.list = std::move(kept);
    judge = false;
    for (const auto* at : p.list) judge = judge || patients_held.count(at->niss);
  }
}

}  // namespace

Result<BatchOutcome> Book::batch(const BatchOptions& o) {
  if (!digits(o.provider, 11)) return fail({.code = "Z00224", .message = "--provider is the billing provider's INAMI number (11 digits)"});
  std::lock_guard<std::mutex> lock(impl_->m);
  sqlite3* db = impl_->db;
  // One transaction from reading the waiting attestations to recording the envois: two batches
  // at once (two windows of the practice's program) never take the same attestation or number.
  if (auto b = impl_->exec("BEGIN IMMEDIATE"); !b) return fail(b.error());
  struct Rollback {
    Impl* impl;
    bool done = false;
    ~Rollback() {
      if (!done) (void)impl->exec("ROLLBACK");
    }
  } rollback{impl_.get()};
  BatchOutcome out;
  auto reading = Clock::now();
  auto all = impl_->read_attestations(true);
  if (!all) return fail(all.error());
  add_time(out.timings, "read the waiting attestations", reading);
  const model::Date today = o.today ? o.today : model::local_today();
  const std::string env = std::string(exchange::environment_name(o.environment));
  // Waiting attestations by (union, billed month).
  std::map<std::pair<std::string, std::string>, std::vector<const Attestation*>> groups;
  for (const auto& a : *all) {
    std::set<int> months;
    for (const auto& l : a.lines) months.insert(static_cast<int>(l.date / 100));
    groups[{union_of(a.destination), std::to_string(*months.begin())}].push_back(&a);
  }
  model::RefDataStore* preflight = nullptr;
  if (o.preflight && !groups.empty()) {
    auto loading = Clock::now();
    preflight = o.preflight();
    if (!preflight) return fail({.code = "Z00224", .message = "the reference data for pre-flight could not be loaded"});
    add_time(out.timings, "waiting for the reference data", loading);
  }
  // Numbers first, from the book: a number each, as if none were held back whole (then
  // renumbered below, so that numbers follow one another).
  std::vector<Planned> plans;
  for (auto& [key, list] : groups) {
    Planned p;
    p.fund = key.first;
    p.month = key.second;
    p.list = std::move(list);
    const int year = std::stoi(p.month.substr(0, 4));
    // The next number of that year: after every envoi of the book (an accepted number is never used again).
    // A rejected or refused envoi of this union and month is resent with its number (the fund
    // refuses a number it accepted, never one it rejected); else the next number of the year.
    {
      Stmt again(db, "SELECT id, envoi_number FROM envois WHERE recipient = ?1 AND billed_month = ?2 AND environment = ?3 "
                     "AND state IN ('rejected', 'refused') AND resent = 0 ORDER BY id LIMIT 1");
      again.bind(1, p.fund).bind(2, p.month).bind(3, env);
      if (again.step() == SQLITE_ROW) {
        p.resends = again.i64(0);
        p.number = static_cast<int>(again.i64(1));
      }
    }
    if (!p.number) {
      // After the numbers of this batch's earlier envois of the same year too.
      Stmt next(db, "SELECT COALESCE(MAX(envoi_number), 0) + 1 FROM envois WHERE substr(billed_month, 1, 4) = ?1");
      next.bind(1, std::to_string(year));
      if (next.step() != SQLITE_ROW) return impl_->error("number an envoi");
      p.number = static_cast<int>(next.i64(0));
      for (const auto& earlier : plans)
        if (!earlier.resends && earlier.month.substr(0, 4) == p.month.substr(0, 4)) p.number = std::max(p.number, earlier.number + 1);
    }
    if (p.number > 999) return fail({.code = "Z00224", .message = fmt::format("no envoi number left in {} (999 used)", year)});
    model::EnvoiHeader& h = p.header;
    h.sending_number = p.number;
    h.third_party = o.provider;
    h.year = year;
    h.month = std::stoi(p.month.substr(4, 2));
    h.created = today;
    h.bce = o.bce;
    h.iban_a = o.iban;
    h.bic_a = o.bic;
    h.test = o.environment == Environment::Test;
    h.federation = p.fund;
    plans.push_back(std::move(p));
  }
  // Made and pre-flighted on every core, away from the book.
  const unsigned threads = std::max(1u, std::min(4u, std::thread::hardware_concurrency()));
  auto making = Clock::now();
  in_parallel(plans.size(), threads, [&](size_t i) { make_envoi(plans[i], o.provider, preflight, today); });
  if (plans.size() > 1 && threads > 1)
    add_seconds(out.timings, fmt::format("made and pre-flighted, {} envois at once (wall)", std::min<size_t>(threads, plans.size())),
                std::chrono::duration<double>(Clock::now() - making).count());
  for (auto& p : plans) {
    if (!p.made) return fail(p.made.error());
    for (const auto& [step, seconds] : p.timings) add_seconds(out.timings, step, seconds);
  }

  // An envoi that pre-flight emptied (everything held back) takes no number: the next ones of
  // its year move up and are written again with theirs (their attestations stay as judged: no
  // rule reads the envoi's number against what the provider knows).
  {
    std::map<std::string, int> next_of_year;
    for (auto& p : plans) {
      if (p.resends) continue;
      const std::string year = p.month.substr(0, 4);
      auto [it, fresh] = next_of_year.try_emplace(year, p.number);
      const int number = it->second;
      if (p.list.empty()) continue;
      it->second = number + 1;
      if (number == p.number) continue;
      p.number = p.header.sending_number = number;
      auto file = write_file(p.header, p.list, o.provider);
      if (!file) return fail(file.error());
      p.bytes = std::move(*file);
    }
  }

  // Into the book, in order: what was held back, then each envoi.
  const Catalog& catalog = Catalog::builtin();
  auto holding = Clock::now();
  Stmt hold(db, "UPDATE attestations SET state = 'to correct', reason = ?1 WHERE reference = ?2");
  for (auto& p : plans) {
    if (p.lines_judged > 0 && p.lines_rejected * 10000 / p.lines_judged > 500)
      out.warnings.push_back(fmt::format("envoi {} to union {} for {}: {} of {} lines would be rejected ({:.2f} %, over 5 %) before "
                                         "holding them back", p.number, p.fund, p.month, p.lines_rejected, p.lines_judged,
                                         100.0 * p.lines_rejected / p.lines_judged));
    for (auto& r : p.refused) out.held_back.push_back(std::move(r));
    for (const auto& held : p.held) {
      std::string reason;
      for (const auto& c : held.codes) {
        const std::string& code = c.code;
        HeldBack h{held.attestation->reference, code, std::string(catalog.label(code, "fr")), std::string(catalog.label(code, "nl")),
                   c.comment, impl_->hint(code)};
        reason += (reason.empty() ? "" : "; ") + code + " " + h.label_fr + (h.comment.empty() ? "" : " (" + h.comment + ")");
        out.held_back.push_back(std::move(h));
      }
      hold.bind(1, reason).bind(2, held.attestation->reference);
      if (hold.step() != SQLITE_DONE) return impl_->error("hold back an attestation");
      hold.reset();
    }
  }
  add_time(out.timings, "hold back what pre-flight would see rejected", holding);
  // Zone 204, the message's reference, unique in the book: a resent envoi keeps its number but
  // is a new message.
  auto recording = Clock::now();
  int64_t sequence = 0;
  {
    Stmt seq(db, "SELECT COALESCE(MAX(id), 0) FROM envois");
    if (seq.step() != SQLITE_ROW) return impl_->error("reference an envoi");
    sequence = seq.i64(0);
  }
  std::vector<Planned*> made;
  std::vector<std::string> references;
  for (auto& p : plans) {
    if (p.list.empty()) continue;
    references.push_back(fmt::format("{:08d}{:06d}", today, ++sequence % 1000000));
    p.bytes.replace(20, 14, references.back());
    made.push_back(&p);
  }
  // Kept as zstd frames, as the fund's store keeps files: a billing file is mostly blanks and
  // zeros, and writing it whole (and again at the checkpoint) was the batch's largest part.
  std::vector<store::Packed> kept(made.size());
  in_parallel(made.size(), threads, [&](size_t i) { kept[i] = store::packed(made[i]->bytes); });
  // Each envoi's row is the sequence its reference names.
  Stmt ins(db, "INSERT INTO envois (environment, recipient, input_reference, file_name, content, envoi_number, billed_month, "
               "state, recorded, id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'waiting', strftime('%s', 'now'), ?8) RETURNING id");
  for (size_t i = 0; i < made.size(); ++i) {
    const Planned& p = *made[i];
    const std::string name = fmt::format("{}-{}-{:03d}-{}.efact", o.provider, p.month, p.number, p.fund);
    const std::string input_reference = references[i].substr(references[i].find_first_not_of('0'));
    ins.bind(1, env).bind(2, p.fund).bind(3, input_reference).bind(4, name).blob(5, kept[i].bytes).bind(6, int64_t{p.number});
    ins.bind(7, p.month).bind(8, sequence - static_cast<int64_t>(made.size() - 1 - i));
    if (ins.step() != SQLITE_ROW) return impl_->error("record an envoi");
    const int64_t envoi_id = ins.i64(0);
    ins.reset();  // done with it before the commit
    if (p.resends) {
      Stmt r(db, "UPDATE envois SET resent = 1 WHERE id = ?1");
      r.bind(1, p.resends);
      if (r.step() != SQLITE_DONE) return impl_->error("mark an envoi resent");
    }
    // What this envoi holds is what of its union and month still waits (what pre-flight held
    // back is to correct by now): one statement for all of them.
    Stmt u(db, "UPDATE attestations SET state = 'batched', reason = '', envoi_id = ?1 WHERE state IN ('waiting', 'corrected') "
               "AND billed_month = ?2 AND substr(destination, 1, 1) || '00' = ?3");
    u.bind(1, envoi_id).bind(2, p.month).bind(3, p.fund);
    if (u.step() != SQLITE_DONE) return impl_->error("batch the attestations");
    if (sqlite3_changes(db) != static_cast<int>(p.list.size()))
      return fail({.code = "Z00200", .message = fmt::format("envoi {}: {} attestations waited in the book, {} were batched", p.number,
                                                            sqlite3_changes(db), p.list.size())});
    SentEnvoi e;
    e.id = envoi_id;
    e.environment = o.environment;
    e.recipient = p.fund;
    e.input_reference = input_reference;
    e.file_name = name;
    e.envoi_number = p.number;
    e.billed_month = p.month;
    e.lines = 0;
    for (const auto* at : p.list) e.lines += static_cast<int64_t>(at->lines.size());
    out.envois.push_back(std::move(e));
  }
  add_time(out.timings, "record the envois and their attestations", recording);
  auto committing = Clock::now();
  if (auto c = impl_->exec("COMMIT"); !c) return fail(c.error());
  rollback.done = true;
  add_time(out.timings, "commit", committing);
  return out;
}

}  // namespace mutua::provider
