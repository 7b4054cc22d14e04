// Pre-flight validation of billing files: every check that needs no fund data, streamed over
// the file, with findings grouped by code for a person (text) or a program (JSON).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "mutua/model/envoi.h"
#include "mutua/reader.h"
#include "mutua/record.h"
#include "mutua/finding.h"

namespace mutua::engine {

struct PreflightOptions {
  model::Date today = 0;          // judges dates; 0 = do not judge against today
  size_t list_per_code = 100;     // findings listed per code (all are counted)
  std::string language = "fr";    // labels: fr or nl (both are in JSON)
};

struct FileSummary {
  std::string file;
  bool readable = true;
  MessageType message = MessageType::Unknown;
  Framing framing = Framing::Flat;
  uint64_t bytes = 0;
  uint64_t records = 0;
  uint64_t invoices = 0;
  uint64_t prestations = 0;
  // From ET 10, for cross-file checks.
  std::string third_party;
  int sending_number = 0;
  int year = 0;
  model::Date created = 0;
  std::string billing_content;
};

struct PreflightReport {
  std::vector<FileSummary> files;
  mutua::Findings findings;
  explicit PreflightReport(size_t keep) : findings(keep) {}
  // 0: nothing of type B, F or R; 1: something; 2: a file could not be read at all.
  int exit_code() const;
};

// Validates files one after the other, then checks them against each other (100721, 100724).
// `progress` (may be null) is called with bytes read so far and total bytes.
using ProgressFn = void (*)(uint64_t done, uint64_t total, void* user);
PreflightReport preflight(const std::vector<std::string>& paths, const PreflightOptions& options,
                          ProgressFn progress = nullptr, void* user = nullptr);

// Runs the file rules over an open reader (a file or memory), adding to `report`.
void preflight_reader(Reader& reader, const PreflightOptions& options, PreflightReport& report,
                      ProgressFn progress = nullptr, void* user = nullptr, uint64_t done_before = 0, uint64_t total = 0);

std::string render_text(const PreflightReport& report, const PreflightOptions& options);
std::string render_json(const PreflightReport& report, const PreflightOptions& options);

}  // namespace mutua::engine
