#include <malloc.h>

#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace mutua::cli {
int& exit_code() {
  static int code = 0;
  return code;
}
}  // namespace mutua::cli

int main(int argc, char** argv) {
  // Envois of 100k lines come with buffers of 50-120 MB. glibc maps such blocks afresh and
  // unmaps them on free, so each envoi paid every page fault again: keep them in the heap.
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  CLI::App app{"mutua: open third-party-payer billing engine (eFact billing files: generate, validate, show; the fund side: refdata, adjudicate, explain, settle, response, letters, ledger, regularisation, insurability, agreement, dispute, retention)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mutua 0.1.0");
  mutua::cli::add_validate(app);
  mutua::cli::add_show(app);
  mutua::cli::add_gen(app);
  mutua::cli::add_refdata(app);
  mutua::cli::add_adjudicate(app);
  mutua::cli::add_explain(app);
  mutua::cli::add_settle(app);
  mutua::cli::add_ledger(app);
  mutua::cli::add_regularisation(app);
  mutua::cli::add_insurability(app);
  mutua::cli::add_agreement(app);
  mutua::cli::add_dispute(app);
  mutua::cli::add_letters(app);
  mutua::cli::add_retention(app);
  mutua::cli::add_response(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return mutua::cli::exit_code();
}
