// `mutua serve`: the fund's front door. A JSON API over HTTP (cpp-httplib) for everything the
// engine and the fund do, behind accounts with the 4CP roles, a second factor, and an audit log
// of every read of personal data and every change (docs/server.md, /openapi.json).
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mutua/error.h"

namespace mutua::server {

// Sends a text message to a mobile number (E.164: "+32470123456"): the second factor by SMS.
// By default the server writes each message as a file into its outbox folder (`NAME.sms`: a
// `To:` line, a blank line, the text) for an SMS gateway's relay to pick up; a deployment plugs
// its gateway's client in here instead (ServeOptions::sms).
class SmsSender {
 public:
  virtual ~SmsSender() = default;
  virtual Result<void> send(const std::string& phone, const std::string& text) = 0;
};

// One fund (union) served by the deployment: its own store of envois, payments, reference data
// and information requests.
struct FundOption {
  std::string number;          // e.g. "300"; "" when a deployment of one fund does not say it
  std::string name;            // as people read it; from the payment configuration when given
  std::string db;              // its store: SQLite file or postgresql:// URL
  std::string payment_config;  // its payment configuration (its name on letters); optional
};

struct ServeOptions {
  // The accounts (users, memberships, sessions, audit, registrations): one set of credentials
  // across the funds. Also the one fund's store when `funds` is empty.
  std::string db;                       // SQLite file or postgresql:// URL
  // The funds served; empty: one fund, on `db`, named by `payment_config`.
  std::vector<FundOption> funds;
  std::string host = "127.0.0.1";
  int port = 8080;                      // 0: a free port, said by Server::port()
  size_t connections = 8;               // store connections (and HTTP worker threads)
  int64_t session_idle_seconds = 30 * 60;   // a session unused this long ends
  int64_t session_max_seconds = 12 * 3600;  // and none lives longer
  int max_failed_sign_ins = 5;          // then the account is locked for lockout_seconds
  int64_t lockout_seconds = 15 * 60;
  std::string issuer = "mutua";         // the name authenticator apps show
  uint64_t max_upload_bytes = 400ULL << 20;  // a billing file of 999,999 records fits
  std::string payment_config;           // one fund's payment configuration, when `funds` is empty
  std::string outbox = "outbox";        // where mails are written (RFC 5322 files) for the mail relay
  // Mails sent to this SMTP server instead (smtp://host:port, STARTTLS when offered; smtps:// for
  // TLS from the start); the credentials, if any, from $MUTUA_SMTP_USER and $MUTUA_SMTP_PASSWORD.
  // A mail it does not take is kept in the outbox, and said on stderr.
  std::string smtp;
  bool smtp_require_tls = false;        // refuse to send over a connection that is not encrypted
  std::string mail_from = "mutua@localhost";
  std::string public_url;               // the address people reach the server at, in mails' links
  std::shared_ptr<SmsSender> sms;       // null: .sms files in the outbox
  // A request that takes longer is written on stderr with where its time went (waiting for a
  // store connection, handling, waiting for its audit entries' commit); 0: none.
  int64_t slow_request_ms = 1000;
  // Where the providers' books are kept (one SQLite file per provider: INAMI.db), for their
  // people to work through the API (docs/server.md "The provider's book"); empty: none.
  std::string books;
};

// A user created at start: the first support administrator of an empty store.
struct FirstAdmin {
  std::string username;
  std::string one_time_password;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> open(const ServeOptions& options);
  ~Server();
  // When the store has no user yet: a support administrator with a one-time password (changed
  // at first sign-in, then a second factor is set up).
  Result<std::optional<FirstAdmin>> ensure_first_admin();
  // Binds the address (a free port when 0). Then port() says which.
  Result<void> bind();
  int port() const;
  // Serves until stop() (from another thread or a signal handler's thread).
  void run();
  void stop();

 private:
  struct Impl;
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mutua::server
