#include <cstdio>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "dates.h"
#include "progress.h"
#include "store_access.h"
#include "mutua/engine/explain.h"
#include "mutua/model/refdata.h"
#include "mutua/preflight.h"
#include "mutua/store/sqlite.h"

namespace mutua::cli {

void add_validate(CLI::App& app) {
  struct Opts {
    std::vector<std::string> files;
    std::string today;
    bool json = false;
    size_t list = 100;
    std::string language = "fr";
    std::string refdata;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("validate",
                                 "Check billing files with every rule that needs no fund data (pre-flight).\n"
                                 "Exit 0: nothing of type B, F or R; 1: rejections found; 2: a file is unreadable.");
  cmd->add_option("files", opts->files, "Billing files (920000); several files are also checked against each other")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--today", opts->today, "Date that date rules judge against (YYYY-MM-DD); default: the system date");
  cmd->add_flag("--json", opts->json, "Print the report as JSON");
  cmd->add_option("--list", opts->list, "Findings listed per code (all are counted)")->capture_default_str();
  cmd->add_option("--refdata", opts->refdata,
                  "Also run the fund's engine on what the provider knows: the reference CSV files of this directory "
                  "(docs/refdata.md; members, insurability, nomenclature... as far as known). The files are judged in "
                  "the order given, each seeing the lines of the ones before as history; the report adds the "
                  "engine's codes and the predicted answer (920900, 920099 or 920999) of each file")
      ->check(CLI::ExistingDirectory);
  cmd->add_option("--lang", opts->language, "Label language in the text report: fr or nl")
      ->check(CLI::IsMember({"fr", "nl"}))
      ->capture_default_str();
  cmd->callback([opts] {
    engine::PreflightOptions options;
    options.today = opts->today.empty() ? system_today() : parse_date(opts->today);
    if (options.today == 0) {
      std::fprintf(stderr, "mutua validate: --today '%s' is not a date (YYYY-MM-DD)\n", opts->today.c_str());
      exit_code() = 2;
      return;
    }
    options.list_per_code = opts->list;
    options.language = opts->language;
    Progress bar("validate", isatty(2) && !opts->json);
    auto report = engine::preflight(
        opts->files, options,
        [](uint64_t done, uint64_t total, void* user) { static_cast<Progress*>(user)->update(done, total, " bytes"); },
        &bar);
    // Pre-flight with the engine: the same pipeline as `mutua adjudicate`, on a store in memory.
    nlohmann::json predicted = nlohmann::json::array();
    std::string predicted_text;
    if (!opts->refdata.empty()) {
      auto store = scratch_refdata("validate", opts->refdata);
      if (!store) return;
      auto judged = engine::predict(opts->files, *store, options.today, report);
      if (!judged) {
        print_error(judged.error());
        exit_code() = 2;
        return;
      }
      for (const auto& p : *judged) {
        predicted.push_back({{"file", p.file}, {"message", p.message}, {"summary", p.summary},
                             {"error_rate", fmt::format("{}.{:02d}", p.error_rate_bp / 100, p.error_rate_bp % 100)}});
        predicted_text += fmt::format("{}: predicted answer {}\n", p.file, p.message);
        for (const auto& line : p.summary) predicted_text += "  " + line + "\n";
      }
    }
    if (opts->json) {
      auto j = nlohmann::json::parse(engine::render_json(report, options));
      if (!opts->refdata.empty()) {
        j["predicted"] = predicted;
        j["exit_code"] = report.exit_code();
      }
      std::cout << j.dump(1) << "\n";
    } else {
      std::cout << engine::render_text(report, options);
      if (!predicted_text.empty()) std::cout << "\nWith the reference data of " << opts->refdata << ":\n" << predicted_text;
    }
    exit_code() = report.exit_code();
  });
}

}  // namespace mutua::cli
