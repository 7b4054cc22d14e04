// ET 30 and ET 40 lines are judged by the same families as ET 50 lines, which give ET 50 codes;
// the official list has codes of the same meaning for those records (300420 "(pseudo-)code
// journée et/ou forfait non valable à la date", 400420...). The table of equivalents is data
// (data/rules/record-type-codes.tsv); a code without an equivalent stays the ET 50 code.
#include <unordered_map>

#include "format/embedded.h"
#include "mutua/tsv.h"
#include "rules/lines/adjudication.h"

namespace mutua::rules {

namespace {

struct Equivalents {
  std::string et30, et40;
};

const std::unordered_map<std::string, Equivalents>& equivalents() {
  static const auto table = [] {
    std::unordered_map<std::string, Equivalents> out;
    auto t = format::parse_table(embedded::record_type_codes(), '\t');
    const int c50 = t.column("code_50"), c30 = t.column("code_30"), c40 = t.column("code_40");
    for (const auto& row : t.rows) out[row[c50]] = {row[c30] == "-" ? "" : row[c30], row[c40] == "-" ? "" : row[c40]};
    return out;
  }();
  return table;
}

}  // namespace

void apply_record_type_codes(Context& ctx) {
  const auto& table = equivalents();
  for (const Line& l : ctx.envoi.lines) {
    if (l.kind != RecordKind::Et30 && l.kind != RecordKind::Et40) continue;
    if (l.record >= ctx.verdicts.by_record.size()) continue;
    for (Verdict& v : ctx.verdicts.by_record[l.record]) {
      auto it = table.find(v.code);
      if (it == table.end()) continue;
      const std::string& own = l.kind == RecordKind::Et30 ? it->second.et30 : it->second.et40;
      if (own.empty()) continue;
      MUTUA_NOTE(ctx.verdicts, l.record, v.rule, v.code + " is " + own + " on this record type");
      // The comment stays the one written from the rule's facts: the meaning is the same.
      v.code = own;
    }
  }
}

}  // namespace mutua::rules
