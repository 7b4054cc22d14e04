// `mutua provider`: the provider's side of the exchange (send, sync, status, to-correct), its
// envois kept in its own book (a SQLite file). docs/provider.md.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "store_access.h"
#include "dates.h"
#include "mutua/model/refdata.h"
#include "mutua/provider/book.h"
#include "mutua/store/sqlite.h"

namespace mutua::cli {

namespace {

std::atomic<bool> g_stop{false};
void on_stop(int) { g_stop = true; }

struct Common {
  std::string book = "provider.db", url = "http://127.0.0.1:8090", environment = "production";
};

void add_common(CLI::App* cmd, Common& c, bool exchange) {
  cmd->add_option("--book", c.book, "The provider's book: a SQLite file of its envois and their answers")->capture_default_str();
  if (!exchange) return;
  cmd->add_option("--exchange", c.url, "The exchange's address")->capture_default_str();
  cmd->add_option("--environment", c.environment, "test or production")->capture_default_str()->check(CLI::IsMember({"test", "production"}));
}

exchange::Environment env_of(const Common& c) {
  return c.environment == "test" ? exchange::Environment::Test : exchange::Environment::Production;
}

std::unique_ptr<exchange::Transport> client(const char* cmd, const Common& c) {
  const char* token = std::getenv("MUTUA_EXCHANGE_TOKEN");
  if (!token || !*token) {
    std::fprintf(stderr, "mutua provider %s: the provider's token goes in $MUTUA_EXCHANGE_TOKEN\n", cmd);
    exit_code() = 2;
    return nullptr;
  }
  return exchange::exchange_client(c.url, token);
}

std::unique_ptr<provider::Book> open_book(const Common& c) {
  auto book = provider::Book::open(c.book);
  if (!book) {
    command_failed(book.error());
    return nullptr;
  }
  return std::move(*book);
}

void print_envois(provider::Book& book) {
  auto list = book.envois();
  if (!list) return command_failed(list.error());
  std::printf("%-14s %-5s %-6s %-4s %-12s %6s %8s %12s %12s  %s\n", "reference", "union", "month", "no.", "state", "lines", "rejected",
              "accepted EUR", "paid EUR", "answers / reason");
  for (const auto& e : *list) {
    std::string answers;
    for (const auto& a : e.answers) answers += (answers.empty() ? "" : " ") + a;
    std::printf("%-14s %-5s %-6s %-4d %-12s %6lld %8lld %12.2f %12.2f  %s\n", e.input_reference.c_str(), e.recipient.c_str(),
                e.billed_month.c_str(), e.envoi_number, std::string(provider::state_name(e.state)).c_str(),
                static_cast<long long>(e.lines), static_cast<long long>(e.rejected_lines), static_cast<double>(e.accepted_cents) / 100,
                static_cast<double>(e.paid_cents) / 100, (e.reason.empty() ? answers : e.reason).c_str());
  }
}

void print_lines(const std::vector<provider::StatementLine>& lines) {
  std::printf("%5s %-10s %12s %-15s %-10s %-11s  %s\n", "line", "booked", "EUR", "reference", "envoi", "state", "communication / reason");
  for (const auto& l : lines) {
    const std::string envoi = l.envoi_number ? fmt::format("{:03d}/{}", l.envoi_number, l.billed_month) : "";
    std::printf("%5lld %-10s %12.2f %-15s %-10s %-11s  %s\n", static_cast<long long>(l.id), model::iso(l.booked).c_str(),
                static_cast<double>(l.cents) / 100, l.payment_reference.c_str(), envoi.c_str(), l.state.c_str(),
                (l.reason.empty() ? l.communication : l.communication + " -- " + l.reason).c_str());
  }
}

// Reconciliation: bank statements in, the fund's payments matched to the envois they pay.
void add_provider_payments(CLI::App* cmd) {
  {
    auto c = std::make_shared<Common>();
    auto files = std::make_shared<std::vector<std::string>>();
    auto* rec = cmd->add_subcommand("reconcile", "Read bank statements (CODA or CSV) and match the fund's payments to the envois they pay");
    add_common(rec, *c, false);
    rec->add_option("statements", *files, "Bank statement files (CODA .cod, or CSV: docs/provider.md)")->required()->check(CLI::ExistingFile);
    rec->callback([c, files] {
      auto book = open_book(*c);
      if (!book) return;
      for (const auto& f : *files) {
        auto r = book->reconcile(f);
        if (!r) return command_failed(r.error());
        for (const auto& p : r->problems) print_error(p);
        std::printf("%s: %lld credits (%lld read before): %lld matched, %lld complements, %lld unmatched, %lld not billing; "
                    "%lld envois and %lld attestations paid\n", f.c_str(), static_cast<long long>(r->credits),
                    static_cast<long long>(r->already), static_cast<long long>(r->matched), static_cast<long long>(r->complements),
                    static_cast<long long>(r->unmatched), static_cast<long long>(r->not_billing), static_cast<long long>(r->envois_paid),
                    static_cast<long long>(r->attestations_paid));
        if (!r->problems.empty() && exit_code() == 0) exit_code() = 1;
      }
      auto unmatched = book->statement_lines("unmatched");
      if (!unmatched) return command_failed(unmatched.error());
      if (!unmatched->empty()) {
        std::printf("unmatched (finalise by hand: mutua provider finalise LINE ...):\n");
        print_lines(*unmatched);
      }
    });
  }
  {
    auto c = std::make_shared<Common>();
    auto state = std::make_shared<std::string>();
    auto* list = cmd->add_subcommand("payments", "The credits of the statements read and what each was matched to");
    add_common(list, *c, false);
    list->add_option("--state", *state, "Only these: matched, complement, unmatched, finalised, not billing")
        ->check(CLI::IsMember({"matched", "complement", "unmatched", "finalised", "not billing"}));
    list->callback([c, state] {
      auto book = open_book(*c);
      if (!book) return;
      auto lines = book->statement_lines(*state);
      if (!lines) return command_failed(lines.error());
      print_lines(*lines);
    });
  }
  {
    struct Opts {
      Common c;
      int64_t line = 0;
      provider::Finalise what;
    };
    auto o = std::make_shared<Opts>();
    auto* fin = cmd->add_subcommand("finalise", "Say by hand what an unmatched credit pays: an envoi, attestations, or nothing billed");
    add_common(fin, o->c, false);
    fin->add_option("line", o->line, "The statement line (mutua provider payments --state unmatched)")->required();
    auto* envoi = fin->add_option("--envoi", o->what.envoi, "The envoi it pays: its input reference, or number/YYYYMM (e.g. 12/202611)");
    auto* att = fin->add_option("--attestation", o->what.attestations, "Attestations it pays (repeat the option)");
    auto* none = fin->add_flag("--not-billing", o->what.not_billing, "It pays nothing billed through the book (set aside)");
    envoi->excludes(att)->excludes(none);
    att->excludes(none);
    fin->add_option("--note", o->what.note, "Why, for whoever looks later");
    fin->callback([o] {
      auto book = open_book(o->c);
      if (!book) return;
      auto l = book->finalise(o->line, o->what);
      if (!l) return command_failed(l.error());
      print_lines({*l});
    });
  }
}

}  // namespace

void add_provider(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "provider", "The provider's side: attestations, batches with pre-flight, the exchange, what to correct, bank statements");
  cmd->require_subcommand(1);

  {
    auto c = std::make_shared<Common>();
    auto files = std::make_shared<std::vector<std::string>>();
    auto* send = cmd->add_subcommand("send", "Record billing files in the book and post them (and any envoi still waiting) to the exchange");
    add_common(send, *c, true);
    send->add_option("files", *files, "Billing files (920000); none: the envois `provider batch` made")->check(CLI::ExistingFile);
    send->callback([c, files] {
      auto t = client("send", *c);
      if (!t) return;
      auto book = open_book(*c);
      if (!book) return;
      std::vector<std::pair<std::string, std::string>> named;
      for (const auto& f : *files) {
        std::ifstream in(f, std::ios::binary);
        std::ostringstream s;
        s << in.rdbuf();
        named.emplace_back(f, s.str());
      }
      auto round = book->send(*t, env_of(*c), named);
      if (!round) return command_failed(round.error());
      for (const auto& p : round->problems) print_error(p);
      std::printf("sent %lld, not taken %lld, still waiting %lld\n", static_cast<long long>(round->sent),
                  static_cast<long long>(round->not_taken), static_cast<long long>(round->waiting));
      print_envois(*book);
      if (!round->problems.empty() || round->not_taken) exit_code() = 1;
    });
  }
  {
    auto c = std::make_shared<Common>();
    auto every = std::make_shared<int64_t>(0);
    auto* sync = cmd->add_subcommand("sync", "Get what came back (acknowledgements, 931000, 920xxx), file it, confirm it");
    add_common(sync, *c, true);
    sync->add_option("--every", *every, "Keep polling every this many seconds (at least the exchange's interval), until Ctrl-C")
        ->check(CLI::NonNegativeNumber);
    sync->callback([c, every] {
      auto t = client("sync", *c);
      if (!t) return;
      auto book = open_book(*c);
      if (!book) return;
      std::signal(SIGINT, on_stop);
      std::signal(SIGTERM, on_stop);
      for (;;) {
        auto round = book->sync(*t, env_of(*c));
        if (!round) {
          print_error(round.error());
          if (*every == 0) {
            exit_code() = round.error().code == exchange::kNotEnoughTime ? 1 : 2;
            return;
          }
        } else {
          for (const auto& p : round->problems) print_error(p);
          std::printf("synced: %lld acknowledgements, %lld answers (%lld delivered again), %lld kept apart\n",
                      static_cast<long long>(round->acknowledgements), static_cast<long long>(round->answers),
                      static_cast<long long>(round->again), static_cast<long long>(round->unmatched));
        }
        std::fflush(stdout);
        if (*every == 0) break;
        for (int64_t i = 0; i < *every * 10 && !g_stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
        if (g_stop) break;
      }
      print_envois(*book);
    });
  }
  {
    auto c = std::make_shared<Common>();
    auto csv = std::make_shared<std::string>();
    auto* imp = cmd->add_subcommand("import", "Add attestations from a CSV or JSON file (docs/provider.md) to the book");
    add_common(imp, *c, false);
    imp->add_option("csv", *csv, "The attestations, one row per line")->required()->check(CLI::ExistingFile);
    imp->callback([c, csv] {
      auto book = open_book(*c);
      if (!book) return;
      auto r = book->import_attestations(*csv);
      if (!r) return command_failed(r.error());
      for (const auto& p : r->problems) print_error(p);
      std::printf("imported %lld attestations, %lld corrected (%lld were in the book already)\n", static_cast<long long>(r->imported),
                  static_cast<long long>(r->corrected), static_cast<long long>(r->already));
      if (!r->problems.empty()) exit_code() = 1;
    });
  }
  {
    struct BatchOpts {
      Common c;
      std::string provider, iban, bic, bce, refdata, today;
      bool timings = false;
    };
    auto b = std::make_shared<BatchOpts>();
    auto* batch = cmd->add_subcommand("batch",
                                      "Group the waiting attestations into envois (one per union and billed month), numbered; with "
                                      "--refdata, the fund's engine holds back what it would reject");
    add_common(batch, b->c, false);
    batch->add_option("--environment", b->c.environment, "test or production")->capture_default_str()->check(CLI::IsMember({"test", "production"}));
    batch->add_option("--provider", b->provider, "The billing third party's INAMI number (ET 10 zone 14)")->required();
    batch->add_option("--iban", b->iban, "Its account for payments (ET 10 zone 36)");
    batch->add_option("--bic", b->bic, "Its bank's BIC (ET 10 zone 31)");
    batch->add_option("--bce", b->bce, "Its enterprise number (ET 10 zone 27)");
    batch->add_option("--refdata", b->refdata, "Reference data the provider knows (docs/refdata.md): pre-flight with the fund's engine");
    batch->add_option("--today", b->today, "Creation date of the files (YYYY-MM-DD; default today)");
    batch->add_flag("--timings", b->timings, "Say where the time went (seconds per step, on stderr)");
    batch->callback([b] {
      auto book = open_book(b->c);
      if (!book) return;
      provider::BatchOptions o;
      o.environment = env_of(b->c);
      o.provider = b->provider;
      o.iban = b->iban;
      o.bic = b->bic;
      o.bce = b->bce;
      if (!b->today.empty() && bad_date("provider batch", "--today", b->today, o.today)) return;
      // The reference data loads while the book's attestations are read.
      std::future<std::unique_ptr<model::RefDataStore>> loading;
      std::unique_ptr<model::RefDataStore> scratch;
      if (!b->refdata.empty()) {
        loading = std::async(std::launch::async, [dir = b->refdata] { return refdata_in_memory("provider batch", dir); });
        o.preflight = [&] {
          scratch = loading.get();
          return scratch.get();
        };
      }
      auto r = book->batch(o);
      if (loading.valid()) scratch = loading.get();  // nothing waited: loaded, not used
      if (!r) return command_failed(r.error());
      for (const auto& w : r->warnings) std::printf("warning: %s\n", w.c_str());
      for (const auto& h : r->held_back)
        std::printf("held back: attestation %s: %s %s%s%s\n", h.attestation.c_str(), h.code.c_str(), h.label_fr.c_str(),
                    h.comment.empty() ? "" : (" (" + h.comment + ")").c_str(), h.hint.empty() ? "" : ("\n  fix: " + h.hint).c_str());
      for (const auto& e : r->envois)
        std::printf("envoi %d to union %s for %s: %lld lines, reference %s, waiting to be sent\n", e.envoi_number, e.recipient.c_str(),
                    e.billed_month.c_str(), static_cast<long long>(e.lines), e.input_reference.c_str());
      if (r->envois.empty() && r->held_back.empty()) std::printf("no attestation waiting\n");
      if (b->timings)
        for (const auto& [step, seconds] : r->timings) std::fprintf(stderr, "%-50s %8.3f s\n", step.c_str(), seconds);
    });
  }
  {
    struct MarkOpts {
      Common c;
      std::vector<std::string> refs;
      bool corrected = false, archived = false;
      std::string reason;
    };
    auto m = std::make_shared<MarkOpts>();
    auto* mark = cmd->add_subcommand("mark", "Mark attestations to correct as corrected (batched again as they are) or archived (lost)");
    add_common(mark, m->c, false);
    mark->add_option("attestations", m->refs, "Their references")->required();
    auto* corrected = mark->add_flag("--corrected", m->corrected, "Corrected: the next batch takes them again");
    auto* archived = mark->add_flag("--archived", m->archived, "Archived: not billed again");
    corrected->excludes(archived);
    mark->add_option("--reason", m->reason, "Why (e.g. 500423 already billed by another provider)");
    mark->callback([m] {
      if (m->corrected == m->archived) {
        std::fprintf(stderr, "mutua provider mark: --corrected or --archived\n");
        exit_code() = 2;
        return;
      }
      auto book = open_book(m->c);
      if (!book) return;
      auto n = book->mark(m->refs, m->corrected ? "corrected" : "archived", m->reason);
      if (!n) return command_failed(n.error());
      std::printf("%lld attestations %s\n", static_cast<long long>(*n), m->corrected ? "corrected" : "archived");
    });
  }
  {
    auto c = std::make_shared<Common>();
    auto* list = cmd->add_subcommand("attestations", "The attestations of the book and where each stands");
    add_common(list, *c, false);
    list->callback([c] {
      auto book = open_book(*c);
      if (!book) return;
      auto all = book->attestations();
      if (!all) return command_failed(all.error());
      for (const auto& a : *all)
        std::printf("%-16s %s %s %2zu lines  %-10s %s\n", a.reference.c_str(), a.niss.c_str(), a.destination.c_str(), a.lines.size(),
                    a.state.c_str(), a.reason.c_str());
    });
  }
  {
    auto c = std::make_shared<Common>();
    auto* status = cmd->add_subcommand("status", "Where each envoi of the book stands");
    add_common(status, *c, false);
    status->callback([c] {
      auto book = open_book(*c);
      if (book) print_envois(*book);
    });
  }
  {
    auto c = std::make_shared<Common>();
    auto json = std::make_shared<bool>(false);
    auto* fix = cmd->add_subcommand("to-correct", "Every rejected line of the answers: its code, labels, comment and fix hint");
    add_common(fix, *c, false);
    fix->add_flag("--json", *json, "As JSON");
    fix->callback([c, json] {
      auto book = open_book(*c);
      if (!book) return;
      auto lines = book->to_correct();
      if (!lines) return command_failed(lines.error());
      if (*json) {
        nlohmann::json out = nlohmann::json::array();
        for (const auto& l : *lines)
          out.push_back({{"input_reference", l.input_reference}, {"envoi_number", l.envoi_number}, {"message", l.message},
                         {"record", l.record}, {"record_type", l.record_type}, {"niss", l.niss}, {"code", l.code},
                         {"nomenclature", l.nomenclature}, {"date", l.date}, {"label_fr", l.label_fr}, {"label_nl", l.label_nl},
                         {"comment", l.comment}, {"hint", l.hint}});
        std::printf("%s\n", out.dump(1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        return;
      }
      for (const auto& l : *lines) {
        std::printf("%s envoi %d record %llu (ET %s) %s %s %s: %s\n", l.input_reference.c_str(), l.envoi_number,
                    static_cast<unsigned long long>(l.record), l.record_type.c_str(), l.niss.c_str(), l.nomenclature.c_str(),
                    l.code.c_str(), l.label_fr.c_str());
        if (!l.comment.empty()) std::printf("  comment: %s\n", l.comment.c_str());
        if (!l.hint.empty()) std::printf("  fix: %s\n", l.hint.c_str());
      }
    });
  }
  {
    struct HintOpts {
      Common c;
      std::string code, hint;
      bool remove = false;
    };
    auto h = std::make_shared<HintOpts>();
    auto* hint = cmd->add_subcommand("hint", "The practice's own fix hint for a rejection code, shown before the built-in one "
                                             "(none given: every hint of the book)");
    add_common(hint, h->c, false);
    hint->add_option("code", h->code, "The code (500450, 5004K6...)");
    hint->add_option("hint", h->hint, "What to do about it");
    hint->add_flag("--remove", h->remove, "Forget the book's hint for the code (the built-in one shows again)");
    hint->callback([h] {
      auto book = open_book(h->c);
      if (!book) return;
      if (!h->code.empty() && (!h->hint.empty() || h->remove)) {
        if (auto r = book->set_hint(h->code, h->remove ? "" : h->hint); !r) return command_failed(r.error());
      }
      auto all = book->hints();
      if (!all) return command_failed(all.error());
      for (const auto& [code, text] : *all)
        if (h->code.empty() || code == h->code) std::printf("%s\t%s\n", code.c_str(), text.c_str());
    });
  }
  add_provider_payments(cmd);
}

}  // namespace mutua::cli
