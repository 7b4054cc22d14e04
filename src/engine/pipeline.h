// The engine's insides, for its own files, the benchmarks and the tests: the parsed envoi,
// the rule families run over data in memory, and a judgement that keeps its verdicts.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "mutua/engine/adjudicate.h"
#include "rules/lines/adjudication.h"

namespace mutua::engine {

struct ParsedEnvoi {
  std::shared_ptr<rules::Envoi> envoi;
};

// What a judgement decided, record by record, beside its public outcome (explain, predict).
struct Judged {
  std::shared_ptr<rules::Envoi> envoi;        // null when unreadable
  std::shared_ptr<rules::Verdicts> verdicts;
};

// adjudicate(), keeping the parsed envoi and its verdicts in `judged` when not null.
Result<Adjudication> judge(Reception reception, JudgingStores store, const AdjudicateOptions& options, Judged* judged);

// Time spent per rule family (and the cascades), for the benchmark's cost table.
struct FamilyCost {
  std::string family;
  uint64_t nanoseconds = 0;
};

// The core: the rule families and cascades over a parsed envoi, data in memory (benchmarks).
// With `costs`, each family's time is added to its entry (created on first use).
void run_rules(const rules::Envoi& envoi, const model::RefIndex& ref,
               const std::unordered_map<std::string, std::vector<model::HistoryLine>>& history, model::Date today,
               rules::Verdicts& verdicts, std::vector<FamilyCost>* costs = nullptr);

// Cuts a readable envoi into records, invoices and lines (no judgement).
Result<std::shared_ptr<rules::Envoi>> parse_envoi(std::shared_ptr<const std::string> bytes, const std::string& name);
// The same on a copy of `bytes`.
Result<std::shared_ptr<rules::Envoi>> parse_envoi(const std::string& bytes, const std::string& name);

}  // namespace mutua::engine
