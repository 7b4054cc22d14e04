#include "rules/blocks.h"

#include <algorithm>

#include <fmt/format.h>

namespace mutua::rules {

void BlockRule::record(const RecordView& rec, Findings& out) {
  if (ctx_->message != MessageType::Billing920000) return;
  if (rec.kind == RecordKind::Et20 || rec.kind == RecordKind::Et80) {
    first_.clear();
    return;
  }
  if (rec.kind != RecordKind::Et50) return;
  const Layout& L = *ctx_->layout;
  static const Zone& norm9 = Layout::builtin().at(RecordKind::Et50, "3");
  static const Zone& provider = Layout::builtin().at(RecordKind::Et50, "15");
  const bool statistical = norm9.in(rec.bytes) == "9";
  if (first_.empty()) {
    if (statistical) {
      first_.assign(rec.bytes);
      providers_.assign(1, std::string(provider.in(rec.bytes)));
    }
    return;
  }
  static const struct {
    const char* zone;
    const char* code;
  } same[] = {{"5", "500517"},  {"6", "500617"},  {"7", "500717"},  {"8", "500817"},  {"9", "500917"},
              {"10", "501017"}, {"11", "501117"}, {"12", "501217"}, {"13", "501317"}, {"14", "501417"}};
  for (const auto& s : same) {
    const Zone& z = L.at(RecordKind::Et50, s.zone);
    std::string_view theirs = z.in(first_);
    if (z.in(rec.bytes) != theirs)
      out.add(at(rec, z, s.code, std::string(theirs), "the other records of its flat-fee block say otherwise"));
  }
  if (statistical) {
    std::string_view who = provider.in(rec.bytes);
    if (std::find(providers_.begin(), providers_.end(), who) == providers_.end()) providers_.emplace_back(who);
    return;
  }
  // The flat fee closes its block.
  const Zone& norm = L.at(RecordKind::Et50, "16");
  std::string_view fee_norm = norm.in(rec.bytes), fee_provider = provider.in(rec.bytes);
  if (fee_norm == "1" && providers_.size() > 1)
    out.add(at(rec, norm, "501614", "9 (several nurses)",
               fmt::format("the block's statistical records name {} providers", providers_.size())));
  if (fee_norm == "9" && std::all_of(providers_.begin(), providers_.end(), [&](const std::string& p) { return p == fee_provider; }))
    out.add(at(rec, norm, "501615", "1 (one nurse)",
               fmt::format("the block's statistical records name no other provider than {}", fee_provider)));
  first_.clear();
  providers_.clear();
}

}  // namespace mutua::rules
