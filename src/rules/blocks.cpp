#include "rules/blocks.h"

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
  const bool statistical = L.at(RecordKind::Et50, "3").in(rec.bytes) == "9";
  if (first_.empty()) {
    if (statistical) first_.assign(rec.bytes);
    return;
  }
  static const struct {
    const char* zone;
    const char* code;
  } same[] = {{"5", "500517"}, {"6", "500617"}, {"8", "500817"}, {"13", "501317"}, {"14", "501417"}};
  for (const auto& s : same) {
    const Zone& z = L.at(RecordKind::Et50, s.zone);
    std::string_view theirs = z.in(first_);
    if (z.in(rec.bytes) != theirs)
      out.add(at(rec, z, s.code, std::string(theirs), "the other records of its flat-fee block say otherwise"));
  }
  if (!statistical) first_.clear();  // the flat fee closes its block
}

}  // namespace mutua::rules
