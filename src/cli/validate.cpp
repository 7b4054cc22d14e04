#include <cstdio>
#include <iostream>

#include "cli/commands.h"
#include "cli/dates.h"
#include "cli/progress.h"
#include "mutua/preflight.h"

namespace mutua::cli {

void add_validate(CLI::App& app) {
  struct Opts {
    std::vector<std::string> files;
    std::string today;
    bool json = false;
    size_t list = 100;
    std::string language = "fr";
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
    std::cout << (opts->json ? engine::render_json(report, options) : engine::render_text(report, options));
    exit_code() = report.exit_code();
  });
}

}  // namespace mutua::cli
