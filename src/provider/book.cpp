#include "mutua/provider/book.h"

#include <sqlite3.h>

#include <chrono>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "mutua/catalog.h"
#include "mutua/engine/adjudicate.h"
#include "mutua/model/dates.h"
#include "mutua/response_reader.h"
#include "provider/book_impl.h"
#include "store/blobs.h"

namespace mutua::provider {

using exchange::Delivered;
using exchange::Environment;
using store::Stmt;

namespace {

const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS envois (
  id INTEGER PRIMARY KEY,
  environment TEXT NOT NULL CHECK (environment IN ('test', 'production')),
  recipient TEXT NOT NULL,
  input_reference TEXT NOT NULL,
  file_name TEXT NOT NULL,
  content BLOB NOT NULL,
  envoi_number INTEGER NOT NULL,
  billed_month TEXT NOT NULL,
  state TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  recorded INTEGER NOT NULL,
  resent INTEGER NOT NULL DEFAULT 0,  -- a rejected or refused envoi whose number a new one took
  UNIQUE (environment, input_reference)
);
-- What came back for an envoi: each message once, however often it was delivered.
CREATE TABLE IF NOT EXISTS answers (
  id INTEGER PRIMARY KEY,
  envoi_id INTEGER NOT NULL REFERENCES envois (id),
  message TEXT NOT NULL,
  content BLOB NOT NULL,
  received INTEGER NOT NULL,
  UNIQUE (envoi_id, message)
);
-- The provider's attestations (one invoice each) and where each stands; what each says, as
-- imported, apart (attestation_contents), so that moving a month's attestations from one state
-- to the next writes their small rows only.
CREATE TABLE IF NOT EXISTS attestations (
  id INTEGER PRIMARY KEY,
  reference TEXT NOT NULL UNIQUE,
  destination TEXT NOT NULL,
  billed_month TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('waiting', 'batched', 'to correct', 'corrected', 'archived', 'paid')),
  reason TEXT NOT NULL DEFAULT '',
  envoi_id INTEGER REFERENCES envois (id),
  recorded INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS attestations_state ON attestations (state);
CREATE TABLE IF NOT EXISTS attestation_contents (
  attestation_id INTEGER PRIMARY KEY REFERENCES attestations (id),
  content TEXT NOT NULL  -- JSON (docs/provider.md): the patient, the care, the amounts
);
-- Credits of the bank statements read, each once, and the envoi each pays.
CREATE TABLE IF NOT EXISTS statement_lines (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL UNIQUE,  -- the bank's own reference of the movement: a statement read twice is kept once
  source TEXT NOT NULL,
  line INTEGER NOT NULL,
  booked INTEGER NOT NULL,
  cents INTEGER NOT NULL,
  communication TEXT NOT NULL,
  payer_reference TEXT NOT NULL,
  counterparty TEXT NOT NULL,
  payment_reference TEXT NOT NULL,
  envoi_number INTEGER NOT NULL,
  billed_month TEXT NOT NULL,
  complement INTEGER NOT NULL,
  account TEXT NOT NULL,  -- A, B or C: one payment per envoi and account
  state TEXT NOT NULL CHECK (state IN ('matched', 'complement', 'unmatched', 'finalised', 'not billing')),
  reason TEXT NOT NULL DEFAULT '',
  envoi_id INTEGER REFERENCES envois (id),
  recorded INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS statement_lines_reference ON statement_lines (payment_reference);
-- The provider's own fix hints, before the built-in ones (data/codes/hints.tsv): what this
-- practice learnt to do about a code.
CREATE TABLE IF NOT EXISTS hints (
  code TEXT PRIMARY KEY,
  hint TEXT NOT NULL,
  recorded INTEGER NOT NULL
);
-- Messages that answer no envoi of this book (or could not be read): kept, not lost.
CREATE TABLE IF NOT EXISTS unmatched (
  hash TEXT PRIMARY KEY,
  environment TEXT NOT NULL,
  sender TEXT NOT NULL,
  message TEXT NOT NULL,
  content BLOB NOT NULL,
  reason TEXT NOT NULL,
  received INTEGER NOT NULL
);
)";

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string env_text(Environment e) { return std::string(exchange::environment_name(e)); }

EnvoiState state_of(const std::string& s) {
  for (auto st : {EnvoiState::Waiting, EnvoiState::Sent, EnvoiState::NotTaken, EnvoiState::Acknowledged, EnvoiState::Accepted,
                  EnvoiState::Rejected, EnvoiState::Refused, EnvoiState::Paid})
    if (state_name(st) == s) return st;
  return EnvoiState::Waiting;
}

bool final_state(EnvoiState s) {
  return s == EnvoiState::Accepted || s == EnvoiState::Rejected || s == EnvoiState::Refused || s == EnvoiState::Paid;
}

std::string without_zeros(std::string_view z) {
  const auto first = z.find_first_not_of("0 ");
  return first == std::string_view::npos ? "0" : std::string(z.substr(first));
}

}  // namespace

std::string_view state_name(EnvoiState s) {
  switch (s) {
    case EnvoiState::Waiting: return "waiting";
    case EnvoiState::Sent: return "sent";
    case EnvoiState::NotTaken: return "not taken";
    case EnvoiState::Acknowledged: return "acknowledged";
    case EnvoiState::Accepted: return "accepted";
    case EnvoiState::Rejected: return "rejected";
    case EnvoiState::Refused: return "refused";
    case EnvoiState::Paid: return "paid";
  }
  return "waiting";
}

Book::Book(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Book::~Book() {
  if (impl_ && impl_->db) sqlite3_close_v2(impl_->db);
}

Result<std::unique_ptr<Book>> Book::open(const std::string& path) {
  auto impl = std::make_unique<Impl>();
  if (sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) != SQLITE_OK) {
    std::string why = impl->db ? sqlite3_errmsg(impl->db) : "cannot open";
    return fail({.code = "Z00200", .message = why, .file = path});
  }
  sqlite3_busy_timeout(impl->db, 10000);
  if (auto r = impl->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"); !r) return fail(r.error());
  if (auto r = impl->exec(kSchema); !r) return fail(r.error());
  // A book made before attestations could be paid: its table takes the new state.
  {
    Stmt t(impl->db, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'attestations'");
    if (t.step() == SQLITE_ROW && t.text(0).find("'paid'") == std::string::npos) {
      std::string create = t.text(0);
      t.reset();
      create.replace(create.find("'archived')"), 11, "'archived', 'paid')");
      create.replace(create.find("attestations"), 12, "attestations_paid");
      const std::string sql = "PRAGMA foreign_keys=OFF; BEGIN IMMEDIATE; " + create +
                              "; INSERT INTO attestations_paid SELECT * FROM attestations; DROP TABLE attestations; "
                              "ALTER TABLE attestations_paid RENAME TO attestations; COMMIT; PRAGMA foreign_keys=ON;";
      if (auto r = impl->exec(sql.c_str()); !r) return fail(r.error());
    }
  }
  // A book made before the attestations' contents were kept apart: moved there.
  {
    Stmt t(impl->db, "SELECT 1 FROM pragma_table_info('attestations') WHERE name = 'content'");
    if (t.step() == SQLITE_ROW) {
      t.reset();
      const char* sql =
          "PRAGMA foreign_keys=OFF; BEGIN IMMEDIATE; "
          "INSERT INTO attestation_contents (attestation_id, content) SELECT id, content FROM attestations; "
          "CREATE TABLE attestations_apart (id INTEGER PRIMARY KEY, reference TEXT NOT NULL UNIQUE, destination TEXT NOT NULL, "
          "billed_month TEXT NOT NULL, state TEXT NOT NULL CHECK (state IN ('waiting', 'batched', 'to correct', 'corrected', "
          "'archived', 'paid')), reason TEXT NOT NULL DEFAULT '', envoi_id INTEGER REFERENCES envois (id), recorded INTEGER NOT NULL); "
          "INSERT INTO attestations_apart SELECT id, reference, destination, billed_month, state, reason, envoi_id, recorded "
          "FROM attestations; DROP TABLE attestations; ALTER TABLE attestations_apart RENAME TO attestations; "
          "CREATE INDEX attestations_state ON attestations (state); COMMIT; PRAGMA foreign_keys=ON;";
      if (auto r = impl->exec(sql); !r) {
        (void)impl->exec("ROLLBACK; PRAGMA foreign_keys=ON;");
        return fail(r.error());
      }
    }
  }
  return std::unique_ptr<Book>(new Book(std::move(impl)));
}

Result<SendRound> Book::send(exchange::Transport& exchange, Environment env,
                             const std::vector<std::pair<std::string, std::string>>& named_files) {
  std::lock_guard<std::mutex> lock(impl_->m);
  SendRound round;
  sqlite3* db = impl_->db;
  for (const auto& [name, bytes] : named_files) {
    const auto got = engine::receive(bytes, name, model::local_today());
    const std::string fund = engine::federation_of(got);
    if (!got.parsed || fund.empty()) {
      round.problems.push_back(got.parsed ? Error{.code = "Z00224", .message = "no invoice says which union it is for", .file = name}
                                          : got.unreadable);
      continue;
    }
    const std::string zone202 = bytes.substr(12, 2);
    if ((zone202 == "92") != (env == Environment::Test)) {
      round.problems.push_back({.code = "Z00224",
                                .message = fmt::format("segment 200 zone 202 is {} ({}): not for {}", zone202,
                                                       zone202 == "92" ? "test" : "production", env_text(env)),
                                .file = name, .record_type = "200", .zone = "202", .position = 13});
      continue;
    }
    Stmt ins(db, "INSERT INTO envois (environment, recipient, input_reference, file_name, content, envoi_number, billed_month, "
                 "state, recorded) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'waiting', ?8) "
                 "ON CONFLICT (environment, input_reference) DO NOTHING");
    const std::string number = bytes.substr(67 + 8, 3);
    const store::Packed kept = store::packed(bytes);
    ins.bind(1, env_text(env)).bind(2, fund).bind(3, without_zeros(bytes.substr(20, 14))).bind(4, name).blob(5, kept.bytes);
    ins.bind(6, static_cast<int64_t>(std::strtol(number.c_str(), nullptr, 10))).bind(7, bytes.substr(67, 6)).bind(8, unix_now());
    if (ins.step() != SQLITE_DONE) return impl_->error("record " + name);
  }
  // Every envoi waiting in this environment: posted (again, if the answer was lost: the exchange
  // answers the same acknowledgement).
  std::vector<std::tuple<int64_t, std::string, std::string, std::string>> waiting;
  {
    Stmt w(db, "SELECT id, recipient, input_reference, content FROM envois WHERE environment = ?1 AND state = 'waiting' ORDER BY id");
    w.bind(1, env_text(env));
    // A zstd frame since batch keeps them so (posted as it is); the bytes themselves before.
    while (w.step() == SQLITE_ROW) waiting.emplace_back(w.i64(0), w.text(1), w.text(2), w.text(3));
  }
  for (const auto& [id, recipient, reference, content] : waiting) {
    auto ack = store::frame_size(content) ? exchange.post_packed(env, recipient, reference, content)
                                          : exchange.post(env, recipient, reference, content);
    if (!ack) {
      ++round.waiting;
      round.problems.push_back(ack.error());
      continue;
    }
    if (ack->success) ++round.sent;
    else ++round.not_taken;
    if (auto r = impl_->set_state(id, ack->success ? EnvoiState::Sent : EnvoiState::NotTaken, ack->reason); !r) return fail(r.error());
  }
  return round;
}

Result<SyncRound> Book::sync(exchange::Transport& exchange, Environment env, int max) {
  auto items = exchange.get(env, max);
  if (!items) return fail(items.error());
  std::lock_guard<std::mutex> lock(impl_->m);
  sqlite3* db = impl_->db;
  SyncRound round;
  std::vector<std::string> handled;
  std::set<std::string> seen;
  auto envoi_of = [&](const std::string& reference) -> std::pair<int64_t, EnvoiState> {
    Stmt s(db, "SELECT id, state FROM envois WHERE environment = ?1 AND input_reference = ?2");
    s.bind(1, env_text(env)).bind(2, reference);
    if (s.step() != SQLITE_ROW) return {0, EnvoiState::Waiting};
    return {s.i64(0), state_of(s.text(1))};
  };
  for (const auto& d : *items) {
    if (!seen.insert(d.hash).second) continue;  // given twice in one answer
    if (d.kind == Delivered::Kind::Acknowledgement) {
      ++round.acknowledgements;
      auto [id, state] = envoi_of(d.input_reference);
      if (id && (state == EnvoiState::Waiting || state == EnvoiState::Sent))
        if (auto r = impl_->set_state(id, d.ack.success ? EnvoiState::Sent : EnvoiState::NotTaken, d.ack.reason); !r) return fail(r.error());
      handled.push_back(d.hash);
      continue;
    }
    auto keep_unmatched = [&](const std::string& why) -> Result<void> {
      Stmt u(db, "INSERT OR IGNORE INTO unmatched (hash, environment, sender, message, content, reason, received) "
                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
      u.bind(1, d.hash).bind(2, env_text(env)).bind(3, d.sender).bind(4, d.message_type).blob(5, d.content).bind(6, why).bind(7, unix_now());
      if (u.step() != SQLITE_DONE) return impl_->error("keep an unmatched message");
      ++round.unmatched;
      round.problems.push_back({.code = "Z00233", .message = fmt::format("message {} from {} kept apart: {}", d.message_type, d.sender, why)});
      return {};
    };
    auto r = read_response(d.content, "answer-" + d.input_reference);
    if (!r) {
      if (auto k = keep_unmatched("unreadable: " + r.error().message); !k) return fail(k.error());
      handled.push_back(d.hash);
      continue;
    }
    auto [id, state] = envoi_of(without_zeros(r->provider_reference));
    if (!id) {
      if (auto k = keep_unmatched("no envoi of this book has reference " + r->provider_reference); !k) return fail(k.error());
      handled.push_back(d.hash);
      continue;
    }
    // A 920900 the fund sends again once it has paid carries the payments' references (ET 91
    // zones 423 / 424): it takes the place of the first, so the bank's credits match by them.
    bool paid_notice = false;
    if (r->message == "920900")
      for (const auto& t : r->mutualities) paid_notice = paid_notice || !t.payment_reference_a.empty() || !t.payment_reference_b.empty();
    Stmt a(db, paid_notice ? "INSERT INTO answers (envoi_id, message, content, received) VALUES (?1, ?2, ?3, ?4) "
                             "ON CONFLICT (envoi_id, message) DO UPDATE SET content = excluded.content, received = excluded.received "
                             "WHERE answers.content <> excluded.content"
                           : "INSERT INTO answers (envoi_id, message, content, received) VALUES (?1, ?2, ?3, ?4) "
                             "ON CONFLICT (envoi_id, message) DO NOTHING");
    a.bind(1, id).bind(2, r->message).blob(3, d.content).bind(4, unix_now());
    if (a.step() != SQLITE_DONE) return impl_->error("keep an answer");
    if (sqlite3_changes(db) == 0) ++round.again;
    else ++round.answers;
    // Answers may come in any order: a final state is never taken back by a 931000.
    EnvoiState next = state;
    if (state == EnvoiState::Paid) {  // an answer delivered again after its payment was found
      handled.push_back(d.hash);
      continue;
    }
    if (r->message == "931000" && !final_state(state)) next = EnvoiState::Acknowledged;
    if (r->message == "920900") next = EnvoiState::Accepted;
    if (r->message == "920099") next = EnvoiState::Rejected;
    if (r->message == "920999") next = EnvoiState::Refused;
    if (next != state) {
      if (auto s = impl_->set_state(id, next, ""); !s) return fail(s.error());
      if (auto c = impl_->attestations_to_correct(id, *r); !c) return fail(c.error());
    }
    handled.push_back(d.hash);
  }
  if (!handled.empty()) {
    auto c = exchange.confirm(env, handled);
    if (!c) return fail(c.error());
  }
  return round;
}

namespace {

// The main answer of an envoi (920900, 920099 or 920999), read.
std::optional<Response> read_main_answer(sqlite3* db, int64_t id) {
  Stmt s(db, "SELECT content FROM answers WHERE envoi_id = ?1 AND message IN ('920900', '920099', '920999') ORDER BY id DESC LIMIT 1");
  s.bind(1, id);
  if (s.step() != SQLITE_ROW) return std::nullopt;
  auto r = read_response(s.text(0), "answer");
  if (!r) return std::nullopt;
  return *r;
}

}  // namespace

Result<std::vector<SentEnvoi>> Book::envois() {
  std::lock_guard<std::mutex> lock(impl_->m);
  sqlite3* db = impl_->db;
  std::vector<SentEnvoi> out;
  Stmt s(db, "SELECT id, environment, recipient, input_reference, file_name, envoi_number, billed_month, state, reason "
             "FROM envois ORDER BY id");
  while (s.step() == SQLITE_ROW) {
    SentEnvoi e;
    e.id = s.i64(0);
    e.environment = s.text(1) == "test" ? Environment::Test : Environment::Production;
    e.recipient = s.text(2);
    e.input_reference = s.text(3);
    e.file_name = s.text(4);
    e.envoi_number = static_cast<int>(s.i64(5));
    e.billed_month = s.text(6);
    e.state = state_of(s.text(7));
    e.reason = s.text(8);
    Stmt a(db, "SELECT message FROM answers WHERE envoi_id = ?1 ORDER BY id");
    a.bind(1, e.id);
    while (a.step() == SQLITE_ROW) e.answers.push_back(a.text(0));
    Stmt p(db, "SELECT cents, payment_reference FROM statement_lines WHERE envoi_id = ?1 AND state IN ('matched', 'complement', "
               "'finalised') ORDER BY id");
    p.bind(1, e.id);
    while (p.step() == SQLITE_ROW) {
      e.paid_cents += p.i64(0);
      if (!p.text(1).empty()) e.payment_references.push_back(p.text(1));
    }
    if (auto r = read_main_answer(db, e.id)) {
      for (const auto& rec : r->records) {
        if (rec.record_type != "50") continue;
        ++e.lines;
        if (rec.rejected()) ++e.rejected_lines;
        e.accepted_cents += rec.amount_accepted.value_or(0);
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

std::string Book::Impl::hint(const std::string& code) {
  Stmt s(db, "SELECT hint FROM hints WHERE code = ?1");
  s.bind(1, code);
  if (s.step() == SQLITE_ROW) return s.text(0);
  return std::string(Catalog::builtin().hint(code));
}

Result<void> Book::set_hint(const std::string& code, const std::string& hint) {
  if (code.size() != 6) return fail({.code = "Z00224", .message = "a code has six characters (500450, 5004K6...)"});
  std::lock_guard<std::mutex> lock(impl_->m);
  Stmt s(impl_->db, hint.empty() ? "DELETE FROM hints WHERE code = ?1"
                                 : "INSERT INTO hints (code, hint, recorded) VALUES (?1, ?2, strftime('%s', 'now')) "
                                   "ON CONFLICT (code) DO UPDATE SET hint = excluded.hint, recorded = excluded.recorded");
  s.bind(1, code);
  if (!hint.empty()) s.bind(2, hint);
  if (s.step() != SQLITE_DONE) return impl_->error("keep a hint");
  return {};
}

Result<std::vector<std::pair<std::string, std::string>>> Book::hints() {
  std::lock_guard<std::mutex> lock(impl_->m);
  std::vector<std::pair<std::string, std::string>> out;
  Stmt s(impl_->db, "SELECT code, hint FROM hints ORDER BY code");
  while (s.step() == SQLITE_ROW) out.emplace_back(s.text(0), s.text(1));
  return out;
}

Result<std::optional<Response>> Book::answer(int64_t id, const std::string& message) {
  std::lock_guard<std::mutex> lock(impl_->m);
  if (message.empty()) return read_main_answer(impl_->db, id);
  Stmt s(impl_->db, "SELECT content FROM answers WHERE envoi_id = ?1 AND message = ?2");
  s.bind(1, id).bind(2, message);
  if (s.step() != SQLITE_ROW) return std::optional<Response>();
  auto r = read_response(s.text(0), message);
  if (!r) return fail(r.error());
  return std::optional<Response>(std::move(*r));
}

Result<std::vector<LineToCorrect>> Book::to_correct() {
  auto list = envois();
  if (!list) return fail(list.error());
  std::lock_guard<std::mutex> lock(impl_->m);
  std::vector<LineToCorrect> out;
  const Catalog& catalog = Catalog::builtin();
  for (const auto& e : *list) {
    if (!final_state(e.state)) continue;
    auto r = read_main_answer(impl_->db, e.id);
    if (!r) continue;
    for (const auto& rec : r->records) {
      LineToCorrect base{e.input_reference, e.envoi_number, r->message, rec.number, rec.record_type, rec.niss, rec.nomenclature, rec.date};
      for (const auto& c : rec.codes) {
        if (c.code.empty() || c.code == "000000" || !(c.letter == 'B' || c.letter == 'F' || c.letter == 'R')) continue;
        LineToCorrect l = base;
        l.code = std::string(1, c.letter) + c.code;
        l.label_fr = c.label_fr.empty() ? std::string(catalog.label(c.code, "fr")) : c.label_fr;
        l.label_nl = c.label_nl.empty() ? std::string(catalog.label(c.code, "nl")) : c.label_nl;
        l.comment = rec.comment;
        l.hint = impl_->hint(c.code);
        out.push_back(std::move(l));
      }
      for (const auto& z : rec.zone_errors) {
        LineToCorrect l = base;
        l.code = fmt::format("zone {} = {}", z.zone, z.code);
        l.label_fr = z.label_fr;
        l.label_nl = z.label_nl;
        l.comment = fmt::format("zone {} holds '{}'", z.data_zone, z.value);
        out.push_back(std::move(l));
      }
    }
  }
  return out;
}

}  // namespace mutua::provider
