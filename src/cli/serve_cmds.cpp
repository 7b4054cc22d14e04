// `mutua serve`: the server on a store, until SIGINT or SIGTERM.
#include <pthread.h>

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
    std::string db = default_db(), listen = "127.0.0.1:8080", config, outbox = "outbox", mail_from = "mutua@localhost", public_url;
    size_t connections = 8;
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
  cmd->add_option("--outbox", opts->outbox, "Folder where the server writes its mails (RFC 5322 files) for the mail relay")
      ->capture_default_str();
  cmd->add_option("--mail-from", opts->mail_from, "Sender address of its mails")->capture_default_str();
  cmd->add_option("--public-url", opts->public_url, "The address people reach the server at, for links in mails (default: the listening one)");
  cmd->callback([opts] {
    if (!opts->config.empty())
      if (auto c = settlement::load_config(opts->config); !c) return command_failed(c.error());
    // The store exists and is migrated before the server's connections open it.
    if (!open_store(opts->db, false, /*create=*/true)) return;
    server::ServeOptions o;
    o.db = opts->db;
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
    o.mail_from = opts->mail_from;
    o.public_url = opts->public_url;
    auto srv = server::Server::open(o);
    if (!srv) return command_failed(srv.error());
    auto first = (*srv)->ensure_first_admin();
    if (!first) return command_failed(first.error());
    if (auto b = (*srv)->bind(); !b) return command_failed(b.error());
    std::printf("mutua serving %s on http://%s:%d (API document: /openapi.json, readable: /api)\n",
                store::display_name(opts->db).c_str(), o.host.c_str(), (*srv)->port());
    if (*first)
      std::printf("first support administrator: %s, one-time password: %s (change it at first sign-in, then set up "
                  "the second factor)\n",
                  (*first)->username.c_str(), (*first)->one_time_password.c_str());
    std::fflush(stdout);
    // SIGINT and SIGTERM are taken by one thread that stops the server (nothing is done inside
    // a signal handler); the HTTP threads start after, with both blocked.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    server::Server* running = srv->get();
    std::thread([stop_signals, running]() mutable {
      int sig = 0;
      sigwait(&stop_signals, &sig);
      running->stop();
    }).detach();
    running->run();
    std::printf("mutua serve: stopped\n");
  });
}

}  // namespace mutua::cli
