#include <malloc.h>
#include <unistd.h>

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

namespace {
// malloc's memory in transparent huge pages: an adjudication touches gigabytes of fresh memory
// (envois, history, responses freed and allocated again in several threads) and paid a fault per
// 4 KiB page, 13 % of its CPU; with the tunable the ten 100k-line envois of bench/engine.sh take
// 18.3-19.3 s instead of 21.3-21.7 s. glibc reads its tunables only when a process starts, so
// mutua starts itself once more with the tunable added (same pid, same arguments). A
// GLIBC_TUNABLES that already says something of hugetlb is left as it is.
void restart_with_huge_pages(char** argv) {
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables && std::strstr(tunables, "glibc.malloc.hugetlb")) return;
  std::string value = tunables && *tunables ? std::string(tunables) + ":" : std::string();
  value += "glibc.malloc.hugetlb=1";
  // The binary's own path, not /proc/self/exe: the process keeps its name (ps, top).
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return;
  self[n] = '\0';
  if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) return;
  execv(self, argv);
  // No exec: run as is, with the tunable's ordinary pages.
}
}  // namespace

int main(int argc, char** argv) {
  restart_with_huge_pages(argv);
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
