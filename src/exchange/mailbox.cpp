#include "exchange/mailbox.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <fmt/format.h>

#include "store/blobs.h"
#include "store/sqlite_db.h"  // the prepared statement every SQLite file of mutua uses

namespace mutua::exchange {

namespace {

using store::Stmt;

const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS parties (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK (kind IN ('provider', 'fund')),
  token_hash TEXT NOT NULL UNIQUE
);
-- Every post's acknowledgement, by the poster's reference: the same reference answers the same.
CREATE TABLE IF NOT EXISTS posts (
  sender TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('test', 'production')),
  input_reference TEXT NOT NULL,
  success INTEGER NOT NULL,
  reason TEXT NOT NULL,
  reference TEXT NOT NULL,
  recipient TEXT NOT NULL,
  message_type TEXT NOT NULL,
  PRIMARY KEY (sender, environment, input_reference)
);
-- What a party's get gives: messages posted to it, acknowledgements of what it posted.
CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY,
  party TEXT NOT NULL,
  environment TEXT NOT NULL CHECK (environment IN ('test', 'production')),
  kind TEXT NOT NULL CHECK (kind IN ('message', 'ack')),
  sender TEXT NOT NULL,
  input_reference TEXT NOT NULL,
  message_type TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  content BLOB NOT NULL,
  success INTEGER NOT NULL DEFAULT 1,
  reason TEXT NOT NULL DEFAULT '',
  reference TEXT NOT NULL DEFAULT '',
  recipient TEXT NOT NULL DEFAULT '',
  posted INTEGER NOT NULL,
  visible_after INTEGER NOT NULL,
  confirmed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS items_waiting ON items (party, environment, id) WHERE confirmed = 0;
CREATE TABLE IF NOT EXISTS polls (
  party TEXT NOT NULL,
  environment TEXT NOT NULL,
  last INTEGER NOT NULL,
  PRIMARY KEY (party, environment)
);
)";

std::string env_text(Environment e) { return std::string(environment_name(e)); }

}  // namespace

std::string sha256_hex(const std::string& text) { return sha256_hex_of({text}); }

std::string sha256_hex_of(std::initializer_list<std::string_view> parts) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr);
  for (std::string_view p : parts) EVP_DigestUpdate(ctx, p.data(), p.size());
  EVP_DigestFinal_ex(ctx, md, &n);
  EVP_MD_CTX_free(ctx);
  std::string hex;
  for (unsigned int i = 0; i < n; ++i) hex += fmt::format("{:02x}", md[i]);
  return hex;
}

std::string_view environment_name(Environment e) { return e == Environment::Test ? "test" : "production"; }

Result<std::unique_ptr<Mailbox>> Mailbox::open(const std::string& path) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nullptr) != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "cannot open";
    sqlite3_close_v2(db);
    return fail({.code = "Z00200", .message = why, .file = path});
  }
  sqlite3_busy_timeout(db, 10000);
  std::unique_ptr<Mailbox> box(new Mailbox(db));
  if (auto r = box->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"); !r) return fail(r.error());
  if (auto r = box->exec(kSchema); !r) return fail(r.error());
  return box;
}

Mailbox::~Mailbox() { sqlite3_close_v2(db_); }

Result<void> Mailbox::exec(const char* sql) {
  char* why = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &why) != SQLITE_OK) {
    Error e{.code = "Z00200", .message = why ? why : "exchange store error"};
    sqlite3_free(why);
    return fail(e);
  }
  return {};
}

Result<void> Mailbox::put_party(const Party& party, const std::string& token_hash) {
  std::lock_guard<std::mutex> lock(m_);
  Stmt s(db_, "INSERT INTO parties (id, kind, token_hash) VALUES (?1, ?2, ?3) "
              "ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, token_hash = excluded.token_hash");
  s.bind(1, party.id).bind(2, std::string(party.kind == PartyKind::Fund ? "fund" : "provider")).bind(3, token_hash);
  if (s.step() != SQLITE_DONE) return fail({.code = "Z00200", .message = sqlite3_errmsg(db_)});
  return {};
}

Result<std::optional<Party>> Mailbox::party_of_token(const std::string& token_hash) {
  std::lock_guard<std::mutex> lock(m_);
  Stmt s(db_, "SELECT id, kind FROM parties WHERE token_hash = ?1");
  s.bind(1, token_hash);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<Party>();
  if (rc != SQLITE_ROW) return fail({.code = "Z00200", .message = sqlite3_errmsg(db_)});
  return std::optional<Party>(Party{s.text(0), s.text(1) == "fund" ? PartyKind::Fund : PartyKind::Provider});
}

Result<bool> Mailbox::party_exists(const std::string& id) {
  std::lock_guard<std::mutex> lock(m_);
  Stmt s(db_, "SELECT 1 FROM parties WHERE id = ?1");
  s.bind(1, id);
  const int rc = s.step();
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail({.code = "Z00200", .message = sqlite3_errmsg(db_)});
  return rc == SQLITE_ROW;
}

namespace {

Result<std::optional<Acknowledgement>> select_post(sqlite3* db, const std::string& sender, Environment env,
                                                   const std::string& input_reference) {
  Stmt s(db, "SELECT success, reason, reference, recipient, message_type FROM posts "
             "WHERE sender = ?1 AND environment = ?2 AND input_reference = ?3");
  s.bind(1, sender).bind(2, env_text(env)).bind(3, input_reference);
  const int rc = s.step();
  if (rc == SQLITE_DONE) return std::optional<Acknowledgement>();
  if (rc != SQLITE_ROW) return fail({.code = "Z00200", .message = sqlite3_errmsg(db)});
  Acknowledgement a;
  a.success = s.i64(0) != 0;
  a.reason = s.text(1);
  a.reference = s.text(2);
  a.recipient = s.text(3);
  a.message_type = s.text(4);
  a.input_reference = input_reference;
  return std::optional<Acknowledgement>(a);
}

}  // namespace

Result<std::optional<Acknowledgement>> Mailbox::earlier_post(const std::string& sender, Environment env,
                                                            const std::string& input_reference) {
  std::lock_guard<std::mutex> lock(m_);
  return select_post(db_, sender, env, input_reference);
}

Result<Acknowledgement> Mailbox::record_post(const std::string& sender, Environment env, const Acknowledgement& given,
                                             std::string_view content, int64_t now, int64_t visible_after) {
  std::lock_guard<std::mutex> lock(m_);
  if (auto b = exec("BEGIN IMMEDIATE"); !b) return fail(b.error());
  auto rollback = [&](Error e) {
    (void)exec("ROLLBACK");
    return fail(std::move(e));
  };
  auto before = select_post(db_, sender, env, given.input_reference);
  if (!before) return rollback(before.error());
  if (*before) {
    (void)exec("ROLLBACK");
    return **before;
  }
  Acknowledgement ack = given;
  // `id`: the item's row (0: the next one SQLite gives).
  auto insert_item = [&](const std::string& party, const char* kind, std::string_view bytes, int64_t visible,
                         int64_t id) -> Result<void> {
    Stmt s(db_, "INSERT INTO items (party, environment, kind, sender, input_reference, message_type, hash, content, success, "
                "reason, reference, recipient, posted, visible_after, id) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, NULLIF(?15, 0))");
    // The hash names the item: what it is, for whom, its bytes, and a salt of its own (two
    // refusals of the same reference in two environments are two items).
    unsigned char salt[16];
    RAND_bytes(salt, sizeof salt);
    const std::string hash = sha256_hex_of({fmt::format("{}|{}|{}|{}|{}|{}|", kind, party, env_text(env), sender, ack.input_reference, now),
                                            bytes, std::string_view(reinterpret_cast<const char*>(salt), sizeof salt)});
    s.bind(1, party).bind(2, env_text(env)).bind(3, std::string(kind)).bind(4, sender).bind(5, ack.input_reference);
    s.bind(6, ack.message_type).bind(7, hash).blob(8, bytes).bind(9, int64_t{ack.success}).bind(10, ack.reason);
    s.bind(11, ack.reference).bind(12, ack.recipient).bind(13, now).bind(14, visible);
    s.bind(15, id);
    if (s.step() != SQLITE_DONE) return fail({.code = "Z00200", .message = sqlite3_errmsg(db_)});
    return {};
  };
  if (ack.success) {
    // The message's reference is its row's id, known before it is written (the transaction
    // holds the file's write lock): a row updated afterwards would write its content again.
    Stmt next(db_, "SELECT COALESCE(MAX(id), 0) + 1 FROM items");
    if (next.step() != SQLITE_ROW) return rollback({.code = "Z00200", .message = sqlite3_errmsg(db_)});
    const int64_t id = next.i64(0);
    ack.reference = fmt::format("{:014d}", id);
    if (auto r = insert_item(ack.recipient, "message", content, visible_after, id); !r) return rollback(r.error());
  }
  if (auto r = insert_item(sender, "ack", "", now, 0); !r) return rollback(r.error());
  Stmt p(db_, "INSERT INTO posts (sender, environment, input_reference, success, reason, reference, recipient, message_type) "
              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  p.bind(1, sender).bind(2, env_text(env)).bind(3, ack.input_reference).bind(4, int64_t{ack.success}).bind(5, ack.reason);
  p.bind(6, ack.reference).bind(7, ack.recipient).bind(8, ack.message_type);
  if (p.step() != SQLITE_DONE) return rollback({.code = "Z00200", .message = sqlite3_errmsg(db_)});
  if (auto c = exec("COMMIT"); !c) return rollback(c.error());
  return ack;
}

Result<void> Mailbox::note_poll(const std::string& party, Environment env, int64_t now, int64_t interval) {
  std::lock_guard<std::mutex> lock(m_);
  Stmt last(db_, "SELECT last FROM polls WHERE party = ?1 AND environment = ?2");
  last.bind(1, party).bind(2, env_text(env));
  if (last.step() == SQLITE_ROW && now - last.i64(0) < interval)
    return fail({.code = kNotEnoughTime,
                 .message = fmt::format("not enough time since the last get: wait {} s more", interval - (now - last.i64(0)))});
  Stmt s(db_, "INSERT INTO polls (party, environment, last) VALUES (?1, ?2, ?3) "
              "ON CONFLICT (party, environment) DO UPDATE SET last = excluded.last");
  s.bind(1, party).bind(2, env_text(env)).bind(3, now);
  if (s.step() != SQLITE_DONE) return fail({.code = "Z00200", .message = sqlite3_errmsg(db_)});
  return {};
}

Result<std::vector<Delivered>> Mailbox::unconfirmed(const std::string& party, Environment env, int64_t now, int max) {
  std::lock_guard<std::mutex> lock(m_);
  Stmt s(db_, "SELECT kind, hash, sender, input_reference, message_type, content, success, reason, reference, recipient, posted "
              "FROM items WHERE party = ?1 AND environment = ?2 AND confirmed = 0 AND visible_after <= ?3 ORDER BY id LIMIT ?4");
  s.bind(1, party).bind(2, env_text(env)).bind(3, now).bind(4, int64_t{max});
  std::vector<Delivered> out;
  int rc;
  while ((rc = s.step()) == SQLITE_ROW) {
    Delivered d;
    d.kind = s.text(0) == "ack" ? Delivered::Kind::Acknowledgement : Delivered::Kind::Message;
    d.hash = s.text(1);
    d.sender = s.text(2);
    d.input_reference = s.text(3);
    d.message_type = s.text(4);
    auto content = store::unpacked(s.text(5));  // kept as a zstd frame (the bytes themselves before)
    if (!content) return fail(content.error());
    d.content = std::move(*content);
    d.ack.success = s.i64(6) != 0;
    d.ack.reason = s.text(7);
    d.ack.reference = s.text(8);
    d.ack.recipient = s.text(9);
    d.ack.input_reference = d.input_reference;
    d.ack.message_type = d.message_type;
    d.posted = s.i64(10);
    out.push_back(std::move(d));
  }
  if (rc != SQLITE_DONE) return fail({.code = "Z00200", .message = sqlite3_errmsg(db_)});
  return out;
}

Result<int64_t> Mailbox::confirm(const std::string& party, Environment env, const std::vector<std::string>& hashes) {
  std::lock_guard<std::mutex> lock(m_);
  if (auto b = exec("BEGIN IMMEDIATE"); !b) return fail(b.error());
  int64_t n = 0;
  for (const auto& h : hashes) {
    Stmt s(db_, "UPDATE items SET confirmed = 1 WHERE hash = ?1 AND party = ?2 AND environment = ?3 AND confirmed = 0");
    s.bind(1, h).bind(2, party).bind(3, env_text(env));
    if (s.step() != SQLITE_DONE) {
      (void)exec("ROLLBACK");
      return fail({.code = "Z00200", .message = sqlite3_errmsg(db_)});
    }
    n += sqlite3_changes(db_);
  }
  if (auto c = exec("COMMIT"); !c) return fail(c.error());
  return n;
}

}  // namespace mutua::exchange
