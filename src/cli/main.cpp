#include <cstdlib>
#include <cstring>
#include <string>

#include <CLI/CLI.hpp>

#include "commands.h"

namespace mutua::cli {
int& exit_code() {
  static int code = 0;
  return code;
}
}  // namespace mutua::cli

// mutua allocates through jemalloc (linked in: CMakeLists.txt), set here. Measured against
// glibc's malloc (docs/performance.md): the portal's pages under wrk spent 45 % of their CPU in
// glibc's malloc and free across the HTTP threads' arenas, and serve 1.3-1.6x the pages a second
// with jemalloc; the ten 100k-line envois of an adjudication take as long (18.1-20.4 s against
// 18.5-25.4 s in interleaved runs) with a quarter less peak memory. thp: its extents in
// transparent huge pages (an adjudication touches gigabytes of fresh memory: a fault per 4 KiB
// page cost it 13 % of its CPU; without thp jemalloc took 30-32 s); background_thread: memory
// goes back to the system from a thread of its own, not from a request's. MALLOC_CONF still
// overrides any of these.
extern "C" {
// NOLINTNEXTLINE(cppcoreguidelines-avoid-non-const-global-variables): the name jemalloc reads
const char* malloc_conf = "thp:always,background_thread:true";
}

int main(int argc, char** argv) {
  CLI::App app{"mutua: open third-party-payer billing engine (eFact billing files: generate, validate, show; the fund side: refdata, adjudicate, explain, settle, response, letters, ledger, regularisation, insurability, agreement, dispute, retention)"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "mutua 0.1.0");
  mutua::cli::add_validate(app);
  mutua::cli::add_show(app);
  mutua::cli::add_gen(app);
  mutua::cli::add_db(app);
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
  mutua::cli::add_receive(app);
  mutua::cli::add_worker(app);
  mutua::cli::add_queue(app);
  mutua::cli::add_serve(app);
  mutua::cli::add_exchange(app);
  mutua::cli::add_provider(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  return mutua::cli::exit_code();
}
