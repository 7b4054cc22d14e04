// A small, valid billing file that tests break one rule at a time.
#pragma once
#include <string>

#include "mutua/model/envoi.h"
#include "mutua/record.h"

namespace mutua::testing {

model::EnvoiHeader baseline_header();
std::vector<model::Invoice> baseline_invoices();
// The baseline envoi as bytes.
std::string baseline_file(Framing framing = Framing::Flat);
std::string temp_path(const std::string& name);

// Runs the mutua binary with these arguments (stderr joined to stdout).
struct CmdResult {
  int code;
  std::string out;
};
CmdResult run_mutua(const std::string& args);

}  // namespace mutua::testing
