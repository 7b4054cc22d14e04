#include <cstdio>

#include <fmt/format.h>

#include "commands.h"
#include "dates.h"
#include "progress.h"
#include "mutua/gen/generator.h"

namespace mutua::cli {

void add_gen(CLI::App& app) {
  auto o = std::make_shared<gen::Options>();
  auto today = std::make_shared<std::string>();
  auto framing = std::make_shared<std::string>("flat");
  auto* cmd = app.add_subcommand("gen",
                                 "Generate a synthetic world: reference data (CSV), envois (billing files) and a "
                                 "ground-truth file of injected errors. Same seed, same bytes.");
  cmd->add_option("--seed", o->seed, "Random seed")->capture_default_str();
  cmd->add_option("--members", o->members, "Number of insured members")->capture_default_str();
  cmd->add_option("--providers", o->providers, "Number of providers (nurses, GPs, specialists, groupings)")->capture_default_str();
  cmd->add_option("--lines", o->lines, "Prestation lines (ET 50) over all envois")->capture_default_str();
  cmd->add_option("--envoi-lines", o->envoi_lines, "At most this many lines per envoi")->capture_default_str();
  cmd->add_option("--error-rate", o->error_rate, "Fraction of lines given an injected error (0..1)")
      ->check(CLI::Range(0.0, 1.0))
      ->capture_default_str();
  cmd->add_option("--test-files", o->test_files, "Fraction of envois written as test files")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--credit-notes", o->credit_notes, "Fraction of invoices written as credit notes")->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--senders", o->senders,
                  "Only this many providers send envois (groupings of nurses first), each envoi filled to --envoi-lines; "
                  "0 = every provider sends its share")
      ->capture_default_str();
  cmd->add_option("--today", *today, "The world's date (YYYY-MM-DD): envois bill the 12 months before it; default 2026-11-15");
  cmd->add_option("--framing", *framing, "Billing file form: flat (official), lf or crlf")
      ->check(CLI::IsMember({"flat", "lf", "crlf"}));
  cmd->add_option("--out", o->out, "Output directory")->required();
  cmd->callback([o, today, framing] {
    if (!today->empty() && !(o->today = parse_date(*today))) {
      std::fprintf(stderr, "mutua gen: --today '%s' is not a date\n", today->c_str());
      exit_code() = 2;
      return;
    }
    o->framing = *framing == "lf" ? Framing::LF : *framing == "crlf" ? Framing::CRLF : Framing::Flat;
    Progress bar("gen");
    auto result = gen::generate(
        *o, [](uint64_t done, uint64_t total, void* user) { static_cast<Progress*>(user)->update(done, total, " lines"); },
        &bar);
    if (!result) {
      std::fprintf(stderr, "mutua gen: %s\n", result.error().to_string().c_str());
      exit_code() = 2;
      return;
    }
    fmt::print("{}: {} envois, {} invoices, {} lines, {} records, {} bytes of billing files, {} injected errors\n", o->out,
               result->envois, result->invoices, result->lines, result->records, result->bytes, result->injected);
  });
}

}  // namespace mutua::cli
