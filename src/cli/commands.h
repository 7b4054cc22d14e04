#pragma once
#include <CLI/CLI.hpp>

namespace mutua::cli {

void add_validate(CLI::App& app);
void add_show(CLI::App& app);
void add_gen(CLI::App& app);
void add_refdata(CLI::App& app);
void add_db(CLI::App& app);
void add_adjudicate(CLI::App& app);
void add_explain(CLI::App& app);
void add_settle(CLI::App& app);
void add_ledger(CLI::App& app);
void add_regularisation(CLI::App& app);
void add_insurability(CLI::App& app);
void add_agreement(CLI::App& app);
void add_dispute(CLI::App& app);
void add_letters(CLI::App& app);
void add_retention(CLI::App& app);
void add_response(CLI::App& app);
void add_receive(CLI::App& app);
void add_worker(CLI::App& app);
void add_queue(CLI::App& app);
void add_serve(CLI::App& app);
void add_exchange(CLI::App& app);
void add_provider(CLI::App& app);
// Exit code the chosen subcommand set.
int& exit_code();

}  // namespace mutua::cli
