// `mutua serve`: the server on a store, until SIGINT or SIGTERM.
#include <pthread.h>

#include <filesystem>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "commands.h"
#include "store_access.h"
#include "mutua/server/server.h"
#include "mutua/settlement/config.h"
#include "mutua/store/postgresql.h"

namespace mutua::cli {

void add_serve(CLI::App& app) {
  struct Opts {
    std::string db = default_db(), listen = "127.0.0.1:8080", config, outbox = "outbox", mail_from = "mutua@localhost", public_url,
        books;
    size_t connections = 8;
    int64_t slow_ms = 1000;
    std::string smtp;
    bool smtp_require_tls = false;
    std::vector<std::string> funds, fund_configs;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "serve",
      "Serve the JSON API (docs/server.md; the document at /openapi.json, readable at /api) on a store.\n"
      "On a store without users, creates the first support administrator and prints its one-time password.\n"
      "Stops on Ctrl-C (SIGINT) or SIGTERM.");
  cmd->add_option("--db", opts->db, "Store: SQLite file (created when absent) or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  cmd->add_option("--listen", opts->listen, "Address and port (port 0: a free one)")->capture_default_str();
  cmd->add_option("--connections", opts->connections, "Store connections and HTTP threads")->capture_default_str()->check(CLI::Range(1, 256));
  cmd->add_option("--config", opts->config, "The fund's payment configuration (JSON, docs/settlement.md): its name on payment letters");
  cmd->add_option("--fund", opts->funds,
                  "NUMBER=STORE: serve several funds (unions), each on its own store; --db then holds the accounts, "
                  "sessions, audit and registrations shared by all (repeat for each fund; the first is the default)");
  cmd->add_option("--fund-config", opts->fund_configs, "NUMBER=FILE: a served fund's payment configuration (its name on letters)");
  cmd->add_option("--books", opts->books,
                  "Folder of the providers' books (one SQLite file per provider), which their people work through the API "
                  "(attestations, envois, what to correct, bank statements); none: no book is kept");
  cmd->add_option("--outbox", opts->outbox, "Folder where the server writes its mails (RFC 5322 files) for the mail relay")
      ->capture_default_str();
  cmd->add_option("--mail-from", opts->mail_from, "Sender address of its mails")->capture_default_str();
  cmd->add_option("--smtp", opts->smtp,
                  "Send mails to this SMTP server (smtp://HOST:PORT, STARTTLS when offered; smtps:// for TLS) instead of "
                  "the outbox; credentials from $MUTUA_SMTP_USER and $MUTUA_SMTP_PASSWORD; a mail it refuses stays in the outbox");
  cmd->add_flag("--smtp-require-tls", opts->smtp_require_tls, "Never send a mail over an unencrypted SMTP connection");
  cmd->add_option("--slow-ms", opts->slow_ms,
                  "Requests taking this long or longer are written on stderr with where the time went (0: none)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--public-url", opts->public_url, "The address people reach the server at, for links in mails (default: the listening one)");
  cmd->callback([opts] {
    if (!opts->config.empty())
      if (auto c = settlement::load_config(opts->config); !c) return command_failed(c.error());
    server::ServeOptions o;
    o.db = opts->db;
    auto split = [](const std::string& arg, std::string& number, std::string& rest) {
      const auto eq = arg.find('=');
      if (eq == std::string::npos || eq == 0 || eq + 1 == arg.size()) return false;
      number = arg.substr(0, eq);
      rest = arg.substr(eq + 1);
      return number.size() == 3 && number.find_first_not_of("0123456789") == std::string::npos;
    };
    for (const auto& f : opts->funds) {
      server::FundOption fund;
      if (!split(f, fund.number, fund.db)) {
        std::fprintf(stderr, "mutua serve: --fund is NUMBER=STORE with the fund's three-digit number, e.g. 300=fund300.db\n");
        exit_code() = 2;
        return;
      }
      for (const auto& g : o.funds)
        if (g.number == fund.number) {
          std::fprintf(stderr, "mutua serve: fund %s is given twice\n", fund.number.c_str());
          exit_code() = 2;
          return;
        }
      o.funds.push_back(fund);
    }
    if (!o.funds.empty() && !opts->config.empty()) {
      std::fprintf(stderr, "mutua serve: with --fund, give each fund's configuration with --fund-config NUMBER=FILE\n");
      exit_code() = 2;
      return;
    }
    for (const auto& c : opts->fund_configs) {
      std::string number, file;
      const bool named = split(c, number, file);
      auto it = std::find_if(o.funds.begin(), o.funds.end(), [&](const server::FundOption& f) { return f.number == number; });
      if (!named || it == o.funds.end()) {
        std::fprintf(stderr, "mutua serve: --fund-config is NUMBER=FILE for a fund given with --fund\n");
        exit_code() = 2;
        return;
      }
      auto config = settlement::load_config(file);
      if (!config) return command_failed(config.error());
      if (!config->fund_number.empty() && config->fund_number != number) {
        std::fprintf(stderr, "mutua serve: %s is the configuration of fund %s, not %s\n", file.c_str(), config->fund_number.c_str(),
                     number.c_str());
        exit_code() = 2;
        return;
      }
      it->payment_config = file;
    }
    // The stores exist and are migrated before the server's connections open them.
    if (!open_store(opts->db, false, /*create=*/true)) return;
    for (const auto& f : o.funds)
      if (!open_store(f.db, false, /*create=*/true)) return;
    const auto colon = opts->listen.rfind(':');
    if (colon == std::string::npos) {
      std::fprintf(stderr, "mutua serve: --listen is HOST:PORT, e.g. 127.0.0.1:8080\n");
      exit_code() = 2;
      return;
    }
    o.host = opts->listen.substr(0, colon);
    try {
      o.port = std::stoi(opts->listen.substr(colon + 1));
    } catch (...) {
      o.port = -1;
    }
    if (o.port < 0 || o.port > 65535) {
      std::fprintf(stderr, "mutua serve: '%s' is not a port\n", opts->listen.substr(colon + 1).c_str());
      exit_code() = 2;
      return;
    }
    o.connections = opts->connections;
    o.payment_config = opts->config;
    o.outbox = opts->outbox;
    o.books = opts->books;
    if (!o.books.empty()) std::filesystem::create_directories(o.books);
    o.mail_from = opts->mail_from;
    o.public_url = opts->public_url;
    o.slow_request_ms = opts->slow_ms;
    o.smtp = opts->smtp;
    o.smtp_require_tls = opts->smtp_require_tls;
    auto srv = server::Server::open(o);
    if (!srv) return command_failed(srv.error());
    auto first = (*srv)->ensure_first_admin();
    if (!first) return command_failed(first.error());
    if (auto b = (*srv)->bind(); !b) return command_failed(b.error());
    std::printf("mutua serving %s on http://%s:%d (API document: /openapi.json, readable: /api)\n",
                store::display_name(opts->db).c_str(), o.host.c_str(), (*srv)->port());
    for (const auto& f : o.funds) std::printf("  fund %s on %s\n", f.number.c_str(), store::display_name(f.db).c_str());
    if (*first)
      std::printf("first support administrator: %s, one-time password: %s (change it at first sign-in, then set up "
                  "the second factor)\n",
                  (*first)->username.c_str(), (*first)->one_time_password.c_str());
    std::fflush(stdout);
    server::Server* running = srv->get();
    run_until_stopped([running] { running->run(); }, [running] { running->stop(); });
    std::printf("mutua serve: stopped\n");
  });
}

}  // namespace mutua::cli
