#include "mutua/engine/explain.h"

#include <fmt/format.h>

#include "engine/pipeline.h"
#include "mutua/preflight.h"
#include "mutua/record.h"

namespace mutua::engine {

Result<Explanation> explain(JudgingStores store, const model::EnvoiRecord& envoi, uint64_t record) {
  auto bytes = store.envois.received_bytes(envoi.id);
  if (!bytes) return fail(bytes.error());
  AdjudicateOptions options;
  options.today = envoi.received;
  options.record = false;
  options.trace = true;
  options.history_before = envoi.id;  // as on its day: only what was recorded before it
  Judged judged;
  auto r = judge(receive(*bytes, envoi.file_name, options.today), store, options, &judged);
  if (!r) return fail(r.error());
  if (!judged.envoi || !judged.verdicts)
    return fail({.code = "Z00001",
                 .message = fmt::format("reception {} cannot be judged again: it was refused unread", envoi.id),
                 .file = envoi.file_name});
  const rules::Envoi& e = *judged.envoi;
  size_t index = SIZE_MAX;
  for (size_t i = 0; i < e.records.size(); ++i)
    if (e.records[i].number == record) index = i;
  if (index == SIZE_MAX)
    return fail({.code = "Z00210",
                 .message = fmt::format("envoi {} (reception {}) has no record {}", envoi.number, envoi.id, record),
                 .file = envoi.file_name,
                 .record = record});
  Explanation out;
  out.envoi = envoi;
  out.record = record;
  out.record_type = std::string(record_kind_name(e.records[index].kind));
  if (e.line_at[index] != SIZE_MAX) {
    const auto& l = e.lines[e.line_at[index]];
    out.prestation = true;
    out.code = l.code;
    out.niss = l.niss;
    out.provider = l.provider;
    out.date = l.first;
    out.units = l.units;
    out.amount = l.amount;
  }
  for (const auto& n : judged.verdicts->trace)
    if (n.record == index) out.notes.push_back({n.rule, n.note});
  for (const auto& v : judged.verdicts->by_record[index]) out.codes.push_back({v.type, v.code, v.rule, v.comment, v.facts});
  return out;
}

Result<std::vector<Prediction>> predict(const std::vector<std::string>& files, model::Store& scratch, model::Date today,
                                        PreflightReport& report) {
  std::vector<Prediction> out;
  AdjudicateOptions options;
  options.today = today;
  for (const auto& file : files) {
    auto received = receive_file(file, today);
    if (!received) return fail(received.error());
    Judged judged;
    auto r = judge(std::move(*received), scratch, options, &judged);
    if (!r) return fail(r.error());
    out.push_back({file, r->message, r->summary, r->envoi.error_rate_bp});
    if (!judged.envoi || !judged.verdicts) continue;
    const rules::Envoi& e = *judged.envoi;
    for (size_t i = 0; i < e.records.size(); ++i)
      for (const auto& v : judged.verdicts->by_record[i]) {
        if (v.rule == "file") continue;  // already in the report, from the file checks
        Finding f;
        f.code = v.code;
        f.type = v.type;
        f.file = file;
        f.record = e.records[i].number;
        f.record_type = std::string(record_kind_name(e.records[i].kind));
        f.message = v.comment.empty() ? v.rule : v.comment;
        for (const char* k : {"code", "date", "niss"})
          if (auto it = v.facts.find(k); it != v.facts.end()) f.value += (f.value.empty() ? "" : " ") + it->second;
        report.findings.add(std::move(f));
      }
  }
  return out;
}

}  // namespace mutua::engine
