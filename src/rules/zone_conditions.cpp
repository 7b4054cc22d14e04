#include "rules/zone_conditions.h"

#include <algorithm>
#include <sstream>
#include <stdexcept>

#include <fmt/format.h>

#include "format/embedded.h"
#include "mutua/tsv.h"

namespace mutua::rules {

namespace {

using K = RecordKind;



// "a,b,c" -> {"a", "b", "c"}: the value lists of the table.
std::vector<std::string> split_commas(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream values(text);
  for (std::string v; std::getline(values, v, ',');) out.push_back(v);
  return out;
}

// A pattern of the official labels: its digits as written, '?' any digit.
bool matches(std::string_view v, std::string_view pattern) {
  if (v.size() != pattern.size()) return false;
  for (size_t i = 0; i < v.size(); ++i)
    if (pattern[i] == '?' ? (v[i] < '0' || v[i] > '9') : v[i] != pattern[i]) return false;
  return true;
}

std::string join_commas(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : ", ") + v;
  return out;
}

}  // namespace

ZoneConditionRule::ZoneConditionRule() {
  const Layout& L = Layout::builtin();
  auto table = format::parse_table(embedded::zone_conditions(), '\t');
  const int c_code = table.column("code"), c_rec = table.column("record"), c_zone = table.column("zone"),
            c_wzone = table.column("when_zone"), c_when = table.column("when"), c_rule = table.column("rule"),
            c_period = table.column("period"), c_and = table.column("and");
  // An optional column: empty when the table or the row does not have it.
  auto cell = [](const std::vector<std::string>& row, int c) {
    return c >= 0 && static_cast<size_t>(c) < row.size() ? row[c] : std::string();
  };
  for (auto& row : table.rows) {
    const K k = record_kind_from_name(row[c_rec]);
    Condition c{row[c_code], L.find(k, row[c_zone]), L.find(k, row[c_wzone])};
    std::string when = row[c_when];
    if (when == "any") {
      c.when_is = When::Any;
    } else if (when.rfind("date_from:", 0) == 0 || when.rfind("date_before:", 0) == 0) {
      c.when_is = when[5] == 'f' ? When::DateFrom : When::DateBefore;
      const std::string dates = when.substr(when.find(':') + 1);
      c.when_date = std::stoull(dates);
      if (const size_t comma = dates.find(','); comma != std::string::npos) c.when_date_end = std::stoull(dates.substr(comma + 1));
    } else if (when.rfind("pattern:", 0) == 0) {
      c.when_is = When::Matches;
      c.when_patterns = split_commas(when.substr(8));
    } else if (when == "present") {
      c.when_is = When::Present;
    } else if (when == "absent") {
      c.when_is = When::Absent;
    } else if (when.rfind("same_as:", 0) == 0 || when.rfind("not_same_as:", 0) == 0) {
      c.when_is = when[0] == 's' ? When::SameAs : When::NotSameAs;
      c.when_other = L.find(k, when.substr(when.find(':') + 1));
      if (!c.when_other) throw std::logic_error("zone-conditions.tsv names an unknown zone: " + c.code);
    } else {
      if (when.rfind("not:", 0) == 0) {
        c.when_is = When::NotIn;
        when = when.substr(4);
      }
      for (const std::string& v : split_commas(when)) c.when.push_back(std::stoull(v));
    }
    const std::string& rule = row[c_rule];
    if (rule == "forbidden") {
      c.want = Want::Forbidden;
    } else if (rule.rfind("differs:", 0) == 0) {
      c.want = Want::Differs;
      c.other = L.find(k, rule.substr(8));
    } else if (rule.rfind("equals:", 0) == 0) {
      c.want = Want::Equals;
      c.other = L.find(k, rule.substr(7));
    } else if (rule.rfind("not_before:", 0) == 0) {
      c.want = Want::NotBefore;
      c.other = L.find(k, rule.substr(11));
    } else if (rule.rfind("one_of:", 0) == 0) {
      c.want = Want::OneOf;
      for (const std::string& v : split_commas(rule.substr(7))) c.allowed.push_back(std::stoull(v));
    } else if (rule.rfind("pattern:", 0) == 0) {
      c.want = Want::Pattern;
      c.patterns = split_commas(rule.substr(8));
    } else if (rule == "zeros") {
      c.want = Want::Zeros;
    } else if (rule == "digits") {
      c.want = Want::Digits;
    } else if (rule == "date") {
      c.want = Want::Date;
    } else if (rule != "required") {
      throw std::logic_error("zone-conditions.tsv: unknown rule " + rule);
    }
    c.period = PeriodLimit::parse(cell(row, c_period));
    if (const std::string also = cell(row, c_and); !also.empty()) {
      const size_t eq = also.find('=');
      c.and_zone = eq == std::string::npos ? nullptr : L.find(k, also.substr(0, eq));
      if (!c.and_zone) throw std::logic_error("zone-conditions.tsv: bad 'and' " + also);
      std::string values = also.substr(eq + 1);
      if (values.rfind("not:", 0) == 0) {
        c.and_not = true;
        values = values.substr(4);
      } else if (values.rfind("pattern:", 0) == 0) {
        c.and_pattern = true;
        values = values.substr(8);
      }
      c.and_values = split_commas(values);
    }
    if (!c.zone || !c.when_zone || ((c.want == Want::Differs || c.want == Want::Equals || c.want == Want::NotBefore) && !c.other))
      throw std::logic_error("zone-conditions.tsv names an unknown zone: " + c.code);
    for (const Zone* z : {c.zone, c.when_zone, c.other, c.when_other, c.and_zone})
      if (z) c.end = std::max(c.end, z->end());
    conditions_[static_cast<int>(k)].push_back(std::move(c));
  }
}

void ZoneConditionRule::begin(const FileContext& ctx, Findings& out) {
  FileRule::begin(ctx, out);
  period_ = EnvoiPeriod{};
  dates_reversed_ = false;
  activate();
}

void ZoneConditionRule::activate() {
  for (int k = 0; k < kRecordKindCount; ++k) {
    active_[k].clear();
    for (const Condition& c : conditions_[k])
      if (c.period.holds(period_)) active_[k].push_back(&c);
  }
}

bool ZoneConditionRule::applies(const Condition& c, std::string_view when, std::string_view record) {
  switch (c.when_is) {
    case When::Any: return true;
    case When::DateFrom:
    case When::DateBefore:
      if (!is_valid_date(when)) return false;  // the date's own finding says it
      if (c.when_is == When::DateBefore) return digits_value(when) < c.when_date;
      return digits_value(when) >= c.when_date && (c.when_date_end == 0 || digits_value(when) < c.when_date_end);
    case When::Matches:
      return std::any_of(c.when_patterns.begin(), c.when_patterns.end(), [&](const std::string& p) { return matches(when, p); });
    case When::Present: return !blank_or_zero_signed(when);
    case When::Absent: return blank_or_zero_signed(when);
    case When::SameAs: return !blank_or_zero_signed(when) && when == c.when_other->in(record);
    case When::NotSameAs: return !blank_or_zero_signed(when) && when != c.when_other->in(record);
    case When::In:
    case When::NotIn: {
      if (!is_digits(when)) return false;  // the zone's own format finding says it
      const bool in = std::find(c.when.begin(), c.when.end(), digits_value(when)) != c.when.end();
      return c.when_is == When::In ? in : !in;
    }
  }
  return false;
}

void ZoneConditionRule::record(const RecordView& rec, Findings& out) {
  if (ctx_->message != MessageType::Billing920000 || rec.kind == K::Unknown) return;
  if (rec.kind == K::Et10) {
    period_ = EnvoiPeriod::of_et10(rec.bytes, *ctx_->layout);
    activate();
  }
  // An invoice with a record whose last date is before its first (x0612) is rejected whole
  // (200140), said once at its ET 20 when the invoice ends.
  if (rec.kind == K::Et20 || rec.kind == K::Et80 || rec.kind == K::Et90) {
    if (dates_reversed_) out.add(invoice_finding_);
    dates_reversed_ = false;
    if (rec.kind == K::Et20) invoice_finding_ = at(rec, ctx_->layout->at(K::Et20, "1"), "200140", "",
                                                   "a record of this invoice has its last date before its first (R-x0612)");
  }
  for (const Condition* cp : active_[static_cast<int>(rec.kind)]) {
    const Condition& c = *cp;
    if (rec.bytes.size() < c.end) continue;
    std::string_view when = c.when_zone->in(rec.bytes);
    if (!applies(c, when, rec.bytes)) continue;
    if (c.and_zone) {
      std::string_view a = c.and_zone->in(rec.bytes);
      const bool listed = c.and_pattern ? std::any_of(c.and_values.begin(), c.and_values.end(), [&](const std::string& p) { return matches(a, p); })
                                        : std::find(c.and_values.begin(), c.and_values.end(), a) != c.and_values.end();
      if (listed == c.and_not) continue;
    }
    std::string_view v = c.zone->in(rec.bytes);
    bool found = false;
    switch (c.want) {
      case Want::Required: found = blank_or_zero_signed(v); break;
      case Want::Forbidden: found = !blank_or_zero_signed(v); break;
      case Want::Zeros: found = v.find_first_not_of('0') != std::string_view::npos; break;
      case Want::Digits: found = !is_digits(v); break;
      case Want::Date: found = v.find_first_not_of('0') != std::string_view::npos && !(is_digits(v) && is_valid_date(v)); break;
      case Want::Differs: found = !blank_or_zero_signed(v) && v == c.other->in(rec.bytes); break;
      case Want::Equals: {  // judged when both are given: an absent one has its own code
        std::string_view o = c.other->in(rec.bytes);
        found = !blank_or_zero_signed(v) && !blank_or_zero_signed(o) && v != o;
        break;
      }
      case Want::OneOf:
        found = is_digits(v) && std::find(c.allowed.begin(), c.allowed.end(), digits_value(v)) == c.allowed.end();
        break;
      case Want::Pattern:
        // A numeric zone that is not numeric has its own finding.
        found = (c.zone->type != ZoneType::Numeric || is_digits(v)) &&
                std::none_of(c.patterns.begin(), c.patterns.end(), [&](const std::string& p) { return matches(v, p); });
        break;
      case Want::NotBefore: {
        // Dates as YYYYMMDD of the same length compare as text; unreadable ones have their own finding.
        std::string_view o = c.other->in(rec.bytes);
        found = is_digits(v) && is_digits(o) && !blank_or_zero_signed(v) && !blank_or_zero_signed(o) && v < o &&
                (c.zone->type != ZoneType::Date || (is_valid_date(v) && is_valid_date(o)));
        break;
      }
    }
    if (!found) continue;
    // Worded only for a finding: most invoices meet a condition (type 3) and satisfy it.
    std::string because =
        c.when_is == When::Any      ? std::string()
        : c.when_is == When::Matches ? fmt::format("since ET {} zone {} is {}", record_kind_name(rec.kind), c.when_zone->id, when)
        : c.when_is == When::DateFrom ? fmt::format("since ET {} zone {} ({}) is on or after {}{}", record_kind_name(rec.kind), c.when_zone->id, when, c.when_date,
                                                    c.when_date_end ? fmt::format(" and before {}", c.when_date_end) : "")
        : c.when_is == When::DateBefore ? fmt::format("since ET {} zone {} ({}) is before {}", record_kind_name(rec.kind), c.when_zone->id, when, c.when_date)
        : c.when_is == When::Present  ? fmt::format("since ET {} zone {} is filled ({})", record_kind_name(rec.kind), c.when_zone->id, when)
        : c.when_is == When::Absent ? fmt::format("since ET {} zone {} is empty", record_kind_name(rec.kind), c.when_zone->id)
        : c.when_is == When::SameAs ? fmt::format("since ET {} zone {} = zone {} ({})", record_kind_name(rec.kind), c.when_zone->id, c.when_other->id, when)
        : c.when_is == When::NotSameAs
            ? fmt::format("since ET {} zone {} ({}) is not zone {}", record_kind_name(rec.kind), c.when_zone->id, when, c.when_other->id)
                                    : fmt::format("since ET {} zone {} = {}", record_kind_name(rec.kind), c.when_zone->id, when);
    const std::string period = c.period.describe(period_);
    if (c.and_zone)
      because += fmt::format("{}ET {} zone {} = {}{}", because.empty() ? "" : " and ", record_kind_name(rec.kind), c.and_zone->id,
                             c.and_zone->in(rec.bytes), c.and_not ? " (not " + join_commas(c.and_values) + ")" : "");
    if (!period.empty()) because += (because.empty() ? "" : " and ") + period;
    auto with_because = [&](std::string what) { return because.empty() ? what : what + ", " + because; };
    std::string expected;
    switch (c.want) {
      case Want::Required: expected = with_because("a value"); break;
      case Want::Forbidden: expected = with_because("zeros"); break;
      case Want::Zeros: expected = with_because("zeros"); break;
      case Want::Digits: expected = with_because("digits only"); break;
      case Want::Date: expected = with_because("a date YYYYMMDD"); break;
      case Want::Differs: expected = with_because(fmt::format("another number than zone {}", c.other->id)); break;
      case Want::Equals: expected = with_because(fmt::format("zone {} ({})", c.other->id, c.other->in(rec.bytes))); break;
      case Want::OneOf: {
        std::string values;
        for (uint64_t a : c.allowed) values += (values.empty() ? "" : " or ") + std::to_string(a);
        expected = with_because(values);
        break;
      }
      case Want::NotBefore:
        expected = fmt::format("a date on or after zone {} ({})", c.other->id, c.other->in(rec.bytes));
        break;
      case Want::Pattern: {
        std::string forms;
        for (const auto& p : c.patterns) forms += (forms.empty() ? "" : " or ") + p;
        std::replace(forms.begin(), forms.end(), '?', 'X');
        expected = with_because(forms);
        break;
      }
    }
    if (c.code.size() == 6 && c.code.compare(2, 4, "0612") == 0) dates_reversed_ = true;
    out.add(at(rec, *c.zone, c.code, expected));
  }
}

}  // namespace mutua::rules
