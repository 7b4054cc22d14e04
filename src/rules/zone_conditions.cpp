#include "rules/zone_conditions.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "format/embedded.h"
#include "format/tsv.h"

namespace mutua::rules {

namespace {

using K = RecordKind;


bool blank_or_zero(std::string_view v) { return v.find_first_not_of(" 0") == std::string_view::npos; }

}  // namespace

ZoneConditionRule::ZoneConditionRule() {
  const Layout& L = Layout::builtin();
  auto table = format::parse_table(embedded::zone_conditions(), '\t');
  const int c_code = table.column("code"), c_rec = table.column("record"), c_zone = table.column("zone"),
            c_wzone = table.column("when_zone"), c_when = table.column("when"), c_rule = table.column("rule");
  for (auto& row : table.rows) {
    const K k = record_kind_from_name(row[c_rec]);
    Condition c{row[c_code], L.find(k, row[c_zone]), L.find(k, row[c_wzone]), {}, Want::Required};
    std::istringstream values(row[c_when]);
    for (std::string v; std::getline(values, v, ',');) c.when.push_back(std::stoull(v));
    const std::string& rule = row[c_rule];
    if (rule == "forbidden") {
      c.want = Want::Forbidden;
    } else if (rule.rfind("differs:", 0) == 0) {
      c.want = Want::Differs;
      c.other = L.find(k, rule.substr(8));
    } else if (rule != "required") {
      throw std::logic_error("zone-conditions.tsv: unknown rule " + rule);
    }
    if (!c.zone || !c.when_zone || (c.want == Want::Differs && !c.other))
      throw std::logic_error("zone-conditions.tsv names an unknown zone: " + c.code);
    conditions_[static_cast<int>(k)].push_back(std::move(c));
  }
}

void ZoneConditionRule::record(const RecordView& rec, Findings& out) {
  if (ctx_->message != MessageType::Billing920000 || rec.kind == K::Unknown) return;
  for (const Condition& c : conditions_[static_cast<int>(rec.kind)]) {
    if (rec.bytes.size() < static_cast<size_t>(std::max(c.zone->pos - 1 + c.zone->len, c.when_zone->pos - 1 + c.when_zone->len)))
      continue;
    std::string_view when = c.when_zone->in(rec.bytes);
    if (!is_digits(when) || std::find(c.when.begin(), c.when.end(), digits_value(when)) == c.when.end()) continue;
    std::string_view v = c.zone->in(rec.bytes);
    const bool found = c.want == Want::Required  ? blank_or_zero(v)
                       : c.want == Want::Forbidden ? !blank_or_zero(v)
                                                   : !blank_or_zero(v) && v == c.other->in(rec.bytes);
    if (!found) continue;
    // Worded only for a finding: most invoices meet a condition (type 3) and satisfy it.
    const std::string because = fmt::format("since ET {} zone {} = {}", record_kind_name(rec.kind), c.when_zone->id, when);
    const std::string expected = c.want == Want::Required    ? "a value, " + because
                                 : c.want == Want::Forbidden ? "zeros, " + because
                                                             : fmt::format("another number than zone {}, {}", c.other->id, because);
    out.add(at(rec, *c.zone, c.code, expected));
  }
}

}  // namespace mutua::rules
