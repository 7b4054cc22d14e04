// `mutua exchange`: the MyCareNet-like exchange (serve, party add) and a fund's connection to
// it (fund-sync). docs/exchange.md.
#include <pthread.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "commands.h"
#include "dates.h"
#include "store_access.h"
#include "mutua/exchange/exchange.h"
#include "mutua/exchange/fund.h"

namespace mutua::cli {

namespace {

std::atomic<bool> g_stop{false};
void on_stop(int) { g_stop = true; }

bool host_port(const std::string& listen, std::string& host, int& port) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return false;
  host = listen.substr(0, colon);
  try {
    port = std::stoi(listen.substr(colon + 1));
  } catch (...) {
    return false;
  }
  return port >= 0 && port <= 65535;
}

void add_exchange_serve(CLI::App& parent) {
  struct Opts {
    std::string db = "exchange.db", listen = "127.0.0.1:8090", faults;
    std::vector<std::string> fault;
    int64_t interval = 30;
    int max = 1000;
    uint64_t max_message_mb = 400;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = parent.add_subcommand("serve", "Serve the exchange over HTTP until Ctrl-C or SIGTERM");
  cmd->add_option("--db", opts->db, "Its SQLite file (parties, messages, acknowledgements)")->capture_default_str();
  cmd->add_option("--listen", opts->listen, "Address and port (port 0: a free one)")->capture_default_str();
  cmd->add_option("--poll-interval", opts->interval, "Seconds a party waits between two gets in one environment")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-per-get", opts->max, "Items one get gives at most")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_option("--max-message-mb", opts->max_message_mb, "The largest message taken, in MiB (unpacked, when it comes as zstd)")
      ->capture_default_str()
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--faults", opts->faults,
                  "SEED[:P]: misbehave for tests, each fault (duplicate, reorder, dropped confirmation, delay, refused "
                  "get, 920999 cut short) with probability P (default 0.2), drawn from SEED");
  cmd->add_option("--fault", opts->fault,
                  "NAME=P: one fault at probability P (duplicate, reorder, drop-confirmation, delay, refuse-get, cut-920999); "
                  "with --faults' seed (default 0)");
  cmd->callback([opts] {
    exchange::ExchangeOptions o;
    o.db = opts->db;
    o.poll_interval_seconds = opts->interval;
    o.max_per_get = opts->max;
    o.max_message_bytes = opts->max_message_mb << 20;
    if (!host_port(opts->listen, o.host, o.port)) {
      std::fprintf(stderr, "mutua exchange serve: --listen is HOST:PORT, e.g. 127.0.0.1:8090\n");
      exit_code() = 2;
      return;
    }
    if (!opts->faults.empty()) {
      const auto colon = opts->faults.find(':');
      try {
        const uint64_t seed = std::stoull(opts->faults.substr(0, colon));
        const double p = colon == std::string::npos ? 0.2 : std::stod(opts->faults.substr(colon + 1));
        if (p < 0 || p > 1) throw std::out_of_range("p");
        o.faults = exchange::faults_at(seed, p);
      } catch (...) {
        std::fprintf(stderr, "mutua exchange serve: --faults is SEED or SEED:P (P from 0 to 1)\n");
        exit_code() = 2;
        return;
      }
    }
    for (const auto& f : opts->fault) {
      const auto eq = f.find('=');
      double p = -1;
      try {
        if (eq != std::string::npos) p = std::stod(f.substr(eq + 1));
      } catch (...) {
      }
      const std::string name = f.substr(0, eq);
      double* slot = name == "duplicate" ? &o.faults.duplicate : name == "reorder" ? &o.faults.reorder
                   : name == "drop-confirmation" ? &o.faults.drop_confirmation : name == "delay" ? &o.faults.delay
                   : name == "refuse-get" ? &o.faults.refuse_poll : name == "cut-920999" ? &o.faults.cut_920999 : nullptr;
      if (!slot || p < 0 || p > 1) {
        std::fprintf(stderr, "mutua exchange serve: --fault is NAME=P, NAME one of duplicate, reorder, drop-confirmation, "
                             "delay, refuse-get, cut-920999, P from 0 to 1\n");
        exit_code() = 2;
        return;
      }
      *slot = p;
    }
    auto ex = exchange::Exchange::open(o);
    if (!ex) return command_failed(ex.error());
    if (auto b = (*ex)->bind(); !b) return command_failed(b.error());
    std::printf("mutua exchange on http://%s:%d (store %s, gets at least %lld s apart%s)\n", o.host.c_str(), (*ex)->port(),
                o.db.c_str(), static_cast<long long>(o.poll_interval_seconds), o.faults.any() ? ", FAULT MODE" : "");
    std::fflush(stdout);
    exchange::Exchange* running = ex->get();
    run_until_stopped([running] { running->run(); }, [running] { running->stop(); });
  });
}

void add_exchange_party(CLI::App& parent) {
  auto* party = parent.add_subcommand("party", "The exchange's parties (providers and funds)");
  party->require_subcommand(1);
  struct Opts {
    std::string db = "exchange.db", id;
    bool fund = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* add = party->add_subcommand("add", "Add a party (or give it a new token) and print its token, shown once");
  add->add_option("--db", opts->db, "The exchange's SQLite file")->capture_default_str();
  add->add_option("--id", opts->id, "A provider's INAMI number (11 digits), or with --fund a union (300)")->required();
  add->add_flag("--fund", opts->fund, "The party is a fund");
  add->callback([opts] {
    auto token = exchange::add_party(opts->db, {opts->id, opts->fund ? exchange::PartyKind::Fund : exchange::PartyKind::Provider});
    if (!token) return command_failed(token.error());
    std::printf("%s\n", token->c_str());
  });
}

void add_exchange_fund_sync(CLI::App& parent) {
  struct Opts {
    std::string db = default_db(), url = "http://127.0.0.1:8090", environment = "production", today;
    int max = 100;
    int64_t every = 0, threshold = -1;
    std::string threshold_text;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = parent.add_subcommand(
      "fund-sync",
      "As a fund: take the billing files posted to it, answer each (931000, then 920999 / 920099 / 920900 and 920098), "
      "confirm. The fund's token in $MUTUA_EXCHANGE_TOKEN.");
  cmd->add_option("--db", opts->db, "The fund's store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  cmd->add_option("--exchange", opts->url, "The exchange's address")->capture_default_str();
  cmd->add_option("--environment", opts->environment, "test or production")->capture_default_str()->check(CLI::IsMember({"test", "production"}));
  cmd->add_option("--max", opts->max, "Items per get")->capture_default_str()->check(CLI::Range(1, 100000));
  cmd->add_option("--today", opts->today, "Day the files are judged as received (YYYY-MM-DD; default today)");
  cmd->add_option("--threshold", opts->threshold_text, "Error-rate threshold in percent (default parameters.tsv: 5)");
  cmd->add_option("--every", opts->every, "Keep going: a round every this many seconds, until Ctrl-C (0: one round)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->callback([opts] {
    const char* token = std::getenv("MUTUA_EXCHANGE_TOKEN");
    if (!token || !*token) {
      std::fprintf(stderr, "mutua exchange fund-sync: the fund's token goes in $MUTUA_EXCHANGE_TOKEN (mutua exchange party add --fund)\n");
      exit_code() = 2;
      return;
    }
    exchange::FundRoundOptions o;
    o.environment = opts->environment == "test" ? exchange::Environment::Test : exchange::Environment::Production;
    o.max = opts->max;
    if (!opts->today.empty() && bad_date("exchange fund-sync", "--today", opts->today, o.today)) return;
    if (!opts->threshold_text.empty() && !read_threshold("exchange fund-sync", opts->threshold_text, o.threshold_bp)) return;
    // One fund-sync at a time on a store: two would both judge a file delivered to both (the
    // second would then refuse its number as already accepted, and answer that too). On a
    // SQLite store the second waits for the first (a lock beside the file); on PostgreSQL, run
    // one per fund (docs/exchange.md).
    int lock_fd = -1;
    if (opts->db.rfind("postgres", 0) != 0) {
      const std::string lock = opts->db + ".fund-sync.lock";
      lock_fd = ::open(lock.c_str(), O_CREAT | O_RDWR | O_CLOEXEC, 0600);
      if (lock_fd >= 0 && ::flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
        std::fprintf(stderr, "mutua exchange fund-sync: another fund-sync works on %s: waiting for it\n", opts->db.c_str());
        (void)::flock(lock_fd, LOCK_EX);
      }
    }
    struct Unlock {
      int fd;
      ~Unlock() {
        if (fd >= 0) ::close(fd);
      }
    } unlock{lock_fd};
    auto store = open_store(opts->db, false, /*create=*/false);
    if (!store) return;
    auto client = exchange::exchange_client(opts->url, token);
    std::signal(SIGINT, on_stop);
    std::signal(SIGTERM, on_stop);
    for (;;) {
      auto round = exchange::fund_round(*store, *client, o, [](const exchange::FundRoundEvent& e) {
        std::printf("%s from %s: %s%s\n", e.input_reference.c_str(), e.provider.c_str(), e.message.c_str(),
                    e.again ? " (delivered again: answers as recorded)" : "");
      });
      if (!round) {
        print_error(round.error());
        if (opts->every == 0) {
          exit_code() = 2;
          return;
        }
      } else {
        for (const auto& p : round->problems) print_error(p);
        std::printf("round: %lld billing files, %lld answered (%lld again), %lld acknowledgements\n",
                    static_cast<long long>(round->received), static_cast<long long>(round->answered),
                    static_cast<long long>(round->again), static_cast<long long>(round->acknowledgements));
        if (opts->every == 0 && !round->problems.empty()) exit_code() = 1;
      }
      std::fflush(stdout);
      if (opts->every == 0) return;
      for (int64_t i = 0; i < opts->every * 10 && !g_stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (g_stop) return;
    }
  });
}

}  // namespace

void add_exchange_fund_notify(CLI::App& parent) {
  struct Opts {
    std::string db = default_db(), url = "http://127.0.0.1:8090", environment = "production", run;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = parent.add_subcommand(
      "fund-notify",
      "As a fund, after a payment run: send each paid envoi that came through the exchange its 920900 again, with the\n"
      "payments' references in its ET 91s, so that the provider matches its bank's credits by them. The fund's token in\n"
      "$MUTUA_EXCHANGE_TOKEN; posting again sends nothing twice.");
  cmd->add_option("--run", opts->run, "The payment run (its key, as `mutua settle --run` names it: default its date)")->required();
  cmd->add_option("--db", opts->db, "The fund's store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  cmd->add_option("--exchange", opts->url, "The exchange's address")->capture_default_str();
  cmd->add_option("--environment", opts->environment, "test or production")->capture_default_str()->check(CLI::IsMember({"test", "production"}));
  cmd->callback([opts] {
    const char* token = std::getenv("MUTUA_EXCHANGE_TOKEN");
    if (!token || !*token) {
      std::fprintf(stderr, "mutua exchange fund-notify: the fund's token goes in $MUTUA_EXCHANGE_TOKEN (mutua exchange party add --fund)\n");
      exit_code() = 2;
      return;
    }
    auto store = open_store(opts->db, false, /*create=*/false);
    if (!store) return;
    auto client = exchange::exchange_client(opts->url, token);
    auto r = exchange::notify_payments(*store, *client, opts->run,
                                       opts->environment == "test" ? exchange::Environment::Test : exchange::Environment::Production);
    if (!r) return command_failed(r.error());
    for (const auto& p : r->problems) print_error(p);
    std::printf("run %s: %lld paid envois told their payments, %lld paid envois came another way\n", opts->run.c_str(),
                static_cast<long long>(r->posted), static_cast<long long>(r->elsewhere));
    if (!r->problems.empty()) exit_code() = 1;
  });
}

void add_exchange(CLI::App& app) {
  auto* cmd = app.add_subcommand("exchange", "The MyCareNet-like exchange between providers and funds (docs/exchange.md)");
  cmd->require_subcommand(1);
  add_exchange_serve(*cmd);
  add_exchange_party(*cmd);
  add_exchange_fund_sync(*cmd);
  add_exchange_fund_notify(*cmd);
}

}  // namespace mutua::cli
