// Cascades, applied once after every other rule and never chained (DOMAIN.md, "Decisions"):
// the detail records of an invoice rejected with an F code carry 500119 (300119 / 400119 for ET
// 30 / 40); a rejected record takes its block with it (an ET 50 with its ET 51 / 52: 510119 /
// 520119 / 500119; a flat fee
// with its statistical records, norm 9; an error in an ET 52 rejects its line and that line's ET
// 51 with 500120 / 510120); a rejected nursing line takes the other nursing lines
// of the same patient and day in this envoi (500118). S, E and 500434 trigger nothing.
#include <set>

#include "mutua/model/dates.h"
#include "rules/lines/families.h"

namespace mutua::rules {

namespace {

// The record type's own "rejected with its block" code: 300119 for an ET 30, 400119 for an
// ET 40, 500119 / 510119 / 520119.
std::string block_code(RecordKind k) { return std::string(record_kind_name(k)) + "0119"; }

std::string first_code(const Verdicts& v, size_t record) {
  for (const auto& x : v.by_record[record])
    if ((x.type == 'B' || x.type == 'F' || x.type == 'R') && !is_pending_code(x.code)) return x.code;
  return {};
}

}  // namespace

void apply_cascades(Context& ctx, const std::vector<Patient>& patients) {
  const Envoi& e = ctx.envoi;
  Verdicts& v = ctx.verdicts;
  // The snapshot the cascades start from: what the rules themselves rejected.
  std::vector<char> rejected(e.records.size(), 0);
  for (size_t i = 0; i < e.records.size(); ++i) rejected[i] = v.rejected(i) ? 1 : 0;
  auto reason = [&](size_t record) {
    return std::map<std::string, std::string>{{"record", std::to_string(e.records[record].number)},
                                              {"reason", first_code(v, record)}};
  };

  // F on the invoice: every detail record of it.
  for (const auto& inv : e.invoices) {
    size_t f_record = SIZE_MAX;
    for (size_t r : {inv.et20, inv.et80})
      for (const auto& x : v.by_record[r])
        if (x.type == 'F' && f_record == SIZE_MAX) f_record = r;
    if (f_record == SIZE_MAX) continue;
    for (size_t li : inv.lines) {
      const Line& l = e.lines[li];
      v.add(l.record, block_code(l.kind), "cascades", reason(f_record));
      for (size_t a : l.attached) v.add(a, block_code(e.records[a].kind), "cascades", reason(f_record));
    }
  }

  // Blocks: a line with its ET 51 / 52, and a flat fee with the statistical records before it.
  auto any_rejected = [&](const std::vector<size_t>& lines) {
    for (size_t li : lines) {
      if (rejected[e.lines[li].record]) return true;
      for (size_t a : e.lines[li].attached)
        if (rejected[a]) return true;
    }
    return false;
  };
  for (const auto& inv : e.invoices) {
    if (!any_rejected(inv.lines)) continue;  // most invoices: nothing to carry over
    std::vector<std::vector<size_t>> blocks;  // record indexes
    std::vector<size_t> statistical;
    for (size_t li : inv.lines) {
      const Line& l = e.lines[li];
      std::vector<size_t> block = {l.record};
      block.insert(block.end(), l.attached.begin(), l.attached.end());
      if (l.norm == 9) {
        statistical.insert(statistical.end(), block.begin(), block.end());
        continue;
      }
      block.insert(block.end(), statistical.begin(), statistical.end());
      statistical.clear();
      blocks.push_back(std::move(block));
    }
    if (!statistical.empty()) blocks.push_back(std::move(statistical));
    for (const auto& block : blocks) {
      size_t cause = SIZE_MAX;
      for (size_t r : block)
        if (rejected[r] && cause == SIZE_MAX) cause = r;
      if (cause == SIZE_MAX) continue;
      // An error in an ET 52 (the eID reading) has its own codes for the line it belongs to
      // and that line's ET 51: 500120 / 510120. The rest of a flat-fee block gets the block codes.
      const bool eid_cause = e.records[cause].kind == RecordKind::Et52;
      size_t owner = SIZE_MAX;
      if (eid_cause)
        for (size_t r : block)
          if (e.records[r].kind == RecordKind::Et50 && r < cause && (owner == SIZE_MAX || r > owner)) owner = r;
      for (size_t r : block) {
        if (r == cause || rejected[r]) continue;
        const RecordKind kind = e.records[r].kind;
        const bool same_line = eid_cause && r >= owner && r < cause + 1 && owner != SIZE_MAX;
        const std::string code = same_line && (kind == RecordKind::Et50 || kind == RecordKind::Et51)
                                     ? std::string(record_kind_name(kind)) + "0120"
                                     : block_code(kind);
        v.add(r, code, "cascades", reason(cause));
      }
    }
  }

  // Nursing day: same patient, same day, in this envoi.
  const auto& nursing_sectors = ctx.data.list("nursing_sectors");
  for (const auto& p : patients) {
    bool any = false;
    for (size_t li : p.lines) any = any || rejected[e.lines[li].record];
    if (!any) continue;
    std::map<Date, std::vector<size_t>> days;
    for (size_t li : p.lines) {
      const Line& l = e.lines[li];
      const auto* r = ctx.ref.rule(l.code, l.first);
      if (r && contains(nursing_sectors, r->sector)) days[l.first].push_back(li);
    }
    for (const auto& [day, lines] : days) {
      size_t cause = SIZE_MAX;
      for (size_t li : lines)
        if (rejected[e.lines[li].record] && cause == SIZE_MAX) cause = e.lines[li].record;
      if (cause == SIZE_MAX) continue;
      for (size_t li : lines) {
        const Line& l = e.lines[li];
        if (l.record == cause || rejected[l.record]) continue;
        std::map<std::string, std::string> facts = reason(cause);
        for (size_t lj : lines)
          if (e.lines[lj].record == cause) {
            facts["code"] = e.lines[lj].code;
            facts["date"] = model::dmy(day);
          }
        v.add(l.record, "500118", "cascades", std::move(facts));
        for (size_t a : l.attached) v.add(a, block_code(e.records[a].kind), "cascades", reason(l.record));
      }
    }
  }
}

}  // namespace mutua::rules
