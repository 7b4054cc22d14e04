// A synthetic, consistent world for tests and benchmarks: reference data (members, providers,
// nomenclature, hospital stays, care pathways, medical houses, agreements, palliative
// notifications) and envois in the billing-file format, with a ground-truth file listing every
// error injected on purpose. Same seed, same bytes.
#pragma once
#include <cstdint>
#include <string>

#include "mutua/error.h"
#include "mutua/model/envoi.h"
#include "mutua/record.h"

namespace mutua::gen {

struct Options {
  uint64_t seed = 7;
  uint64_t members = 100000;
  uint64_t providers = 2000;
  uint64_t lines = 1000000;        // prestation lines (ET 50) over all envois
  uint64_t envoi_lines = 100000;   // at most per envoi
  double error_rate = 0.03;        // fraction of lines given an injected error
  std::string out;                 // output directory
  model::Date today = 20261115;    // the world's "now": envois are billed for the months before it
  Framing framing = Framing::Flat;
  double test_files = 0.02;        // fraction of envois written as test files (version 9991999)
  double credit_notes = 0.005;     // fraction of invoices written as credit notes
  uint64_t senders = 0;            // providers that send envois (groupings first); 0 = all, each a
                                   // share of the lines; else each envoi is filled to envoi_lines
};

struct Summary {
  uint64_t envois = 0, invoices = 0, lines = 0, records = 0, bytes = 0, injected = 0;
};

using ProgressFn = void (*)(uint64_t lines_done, uint64_t lines_total, void* user);

Result<Summary> generate(const Options& options, ProgressFn progress = nullptr, void* user = nullptr);

}  // namespace mutua::gen
