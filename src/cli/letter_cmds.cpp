// Payment letters of a recorded run: PDF for the provider, CSV and XLSX detail.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "commands.h"
#include "progress.h"
#include "store_access.h"
#include "mutua/settlement/letters.h"

namespace mutua::cli {

namespace fs = std::filesystem;

void add_letters(CLI::App& app) {
  struct Opts {
    std::string db = default_db(), config, run, out = "letters", formats = "pdf,csv,xlsx", provider;
  };
  auto o = std::make_shared<Opts>();
  const char* env = std::getenv("MUTUA_PAYMENT_CONFIG");
  o->config = env && *env ? env : "mutua-payments.json";
  auto* cmd = app.add_subcommand(
      "letters",
      "Payment letters of a recorded payment run, one per payment, in the provider's language: a PDF (accepted, refused, "
      "pending, regularisations set off, paid to which account under which reference; per invoice; every line not paid "
      "with its codes) and the detail of every line as CSV and XLSX with the provider's invoice numbers");
  cmd->add_option("--run", o->run, "The run (its key, as given to settle --run; default key: its date YYYY-MM-DD)")->required();
  cmd->add_option("--out", o->out, "Directory for the letters")->capture_default_str();
  cmd->add_option("--format", o->formats, "Any of pdf, csv, xlsx, comma-separated")->capture_default_str();
  cmd->add_option("--provider", o->provider, "Only the letters of this INAMI number");
  cmd->add_option("--config", o->config, "Payment configuration (the fund's name); default $MUTUA_PAYMENT_CONFIG or ./mutua-payments.json");
  cmd->add_option("--db", o->db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  cmd->callback([o] {
    std::set<std::string> formats;
    std::stringstream ss(o->formats);
    for (std::string f; std::getline(ss, f, ',');) {
      if (f != "pdf" && f != "csv" && f != "xlsx") {
        std::fprintf(stderr, "mutua letters: unknown format '%s' (pdf, csv, xlsx)\n", f.c_str());
        exit_code() = 2;
        return;
      }
      formats.insert(f);
    }
    auto config = settlement::load_config(o->config);
    if (!config) {
      command_failed(config.error());
      return;
    }
    auto store = open_store(o->db);
    if (!store) return;
    auto letters = settlement::gather_letters(*store, *config, o->run);
    if (!letters) {
      command_failed(letters.error());
      return;
    }
    std::error_code ec;
    fs::create_directories(o->out, ec);
    Progress progress("letters");
    size_t written = 0, done = 0;
    for (const auto& l : *letters) {
      progress.update(++done, letters->size());
      if (!o->provider.empty() && l.payment.third_party != o->provider) continue;
      const fs::path stem = fs::path(o->out) / settlement::letter_name(l);
      if (formats.count("pdf"))
        if (auto r = settlement::write_letter_pdf(l, stem.string() + ".pdf"); !r) {
          command_failed(r.error());
          return;
        }
      if (formats.count("xlsx"))
        if (auto r = settlement::write_letter_xlsx(l, stem.string() + ".xlsx"); !r) {
          command_failed(r.error());
          return;
        }
      if (formats.count("csv") && !write_file(stem.string() + ".csv", settlement::letter_csv(l))) return;
      ++written;
    }
    std::printf("%zu letter(s) of run %s in %s (%s)\n", written, o->run.c_str(), o->out.c_str(), o->formats.c_str());
  });
}

}  // namespace mutua::cli
