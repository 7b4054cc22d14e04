// The responses of recorded envois as the provider gets them: after payment, the 920900 with
// the payment references in its ET 91s.
#include <cstdio>
#include <filesystem>
#include <set>

#include <fmt/format.h>

#include "commands.h"
#include "store_access.h"
#include "mutua/settlement/responses.h"

namespace mutua::cli {

namespace fs = std::filesystem;

void add_response(CLI::App& app) {
  struct Opts {
    std::string db = default_db(), provider, run, out = "responses";
    int envoi = 0;
    int64_t reception = 0;
  };
  auto o = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "response",
      "Write again the responses to recorded envois (billing format and JSON), as the provider gets them: once an\n"
      "envoi is paid, its 920900 carries the references of its transfers in every ET 91 (zone 423 account A,\n"
      "zone 424 account B) and its JSON lists the payments, complements included. One envoi (--reception, or\n"
      "--envoi with --provider) or every envoi a payment run paid (--run).\n"
      "Exit 0 when written, 1 when no such envoi or run, 2 on an error.");
  auto* by_reception = cmd->add_option("--reception", o->reception, "Reception id (as `mutua adjudicate` prints it)");
  auto* by_envoi = cmd->add_option("--envoi", o->envoi, "Envoi number (latest reception with that number)");
  cmd->add_option("--provider", o->provider, "Third-party number, when several providers used the number");
  auto* by_run = cmd->add_option("--run", o->run, "Every envoi this payment run paid (its key, as given to settle --run)");
  by_reception->excludes(by_envoi)->excludes(by_run);
  by_envoi->excludes(by_run);
  cmd->add_option("--out", o->out, "Directory for the responses")->capture_default_str();
  cmd->add_option("--db", o->db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  cmd->callback([o] {
    if (!o->reception && !o->envoi && o->run.empty()) {
      std::fprintf(stderr, "mutua response: give --reception, --envoi or --run\n");
      exit_code() = 2;
      return;
    }
    auto store = open_store(o->db);
    if (!store) return;
    std::vector<model::EnvoiRecord> envois;
    if (o->run.empty()) {
      auto e = find_envoi(*store, "response", o->reception, o->envoi, o->provider);
      if (!e) return;
      envois.push_back(std::move(*e));
    } else {
      auto run = store->payment_run(o->run);
      if (!run) return command_failed(run.error());
      if (!*run) {
        std::fprintf(stderr, "mutua response: no payment run '%s' in the store\n", o->run.c_str());
        exit_code() = 1;
        return;
      }
      auto payments = store->run_payments((*run)->id);
      if (!payments) return command_failed(payments.error());
      std::set<int64_t> seen;
      for (const auto& p : *payments) {
        if (!seen.insert(p.envoi_id).second) continue;
        if (!o->provider.empty() && p.third_party != o->provider) continue;
        auto e = store->envoi(p.envoi_id);
        if (!e) return command_failed(e.error());
        if (*e) envois.push_back(std::move(**e));
      }
    }
    std::error_code ec;
    fs::create_directories(o->out, ec);
    size_t files = 0;
    for (const auto& e : envois) {
      auto responses = settlement::responses_as_sent(*store, e.id);
      if (!responses) return command_failed(responses.error());
      // The names `mutua adjudicate` gave them, prefixed by the reception: a number is reused
      // after a 920099, and the same file name may come from several providers.
      const std::string stem = fmt::format("{}-{}", e.id, fs::path(e.file_name).stem().string());
      for (const auto& r : *responses)
        for (const auto& [ext, content] : {std::pair{".efact", &r.bytes}, {".json", &r.json}}) {
          if (content->empty()) continue;
          const fs::path p = fs::path(o->out) / (stem + "." + r.message + ext);
          if (!write_file(p, *content)) return;
          std::printf("wrote %s\n", p.c_str());
          ++files;
        }
    }
    std::printf("%zu envoi(s), %zu file(s)\n", envois.size(), files);
  });
}

}  // namespace mutua::cli
