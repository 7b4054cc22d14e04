#include "rules/period.h"

#include <stdexcept>

#include <fmt/format.h>

#include "rules/file_rule.h"

namespace mutua::rules {

EnvoiPeriod EnvoiPeriod::of_et10(std::string_view rec, const Layout& L) {
  EnvoiPeriod p;
  const Zone &year = L.at(RecordKind::Et10, "22"), &month = L.at(RecordKind::Et10, "23"),
             &created = L.at(RecordKind::Et10, "25");
  if (rec.size() >= month.end()) {
    std::string_view y = year.in(rec), m = month.in(rec);
    if (is_digits(y) && is_digits(m) && digits_value(m) >= 1 && digits_value(m) <= 12)
      p.billing = static_cast<int64_t>(digits_value(y) * 100 + digits_value(m));
  }
  if (rec.size() >= created.end() && is_valid_date(created.in(rec)))
    p.created = static_cast<int64_t>(digits_value(created.in(rec)));
  return p;
}

PeriodLimit PeriodLimit::parse(std::string_view text) {
  PeriodLimit limit;
  if (text.empty()) return limit;
  const size_t colon = text.find(':');
  const std::string_view kind = text.substr(0, colon), bound = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  if (kind == "from") limit.kind = Kind::From;
  else if (kind == "before") limit.kind = Kind::Before;
  else if (kind == "created_after") limit.kind = Kind::CreatedAfter;
  else throw std::logic_error("unknown period limit: " + std::string(text));
  if (bound.empty() || !is_digits(bound)) throw std::logic_error("bad period limit: " + std::string(text));
  limit.bound = static_cast<int64_t>(digits_value(bound));
  return limit;
}

bool PeriodLimit::holds(const EnvoiPeriod& p) const {
  switch (kind) {
    case Kind::Any: return true;
    case Kind::From: return p.billing >= 0 && p.billing >= bound;
    case Kind::Before: return p.billing >= 0 && p.billing < bound;
    case Kind::CreatedAfter: return p.created >= 0 && p.created > bound;
  }
  return false;
}

std::string PeriodLimit::describe(const EnvoiPeriod& p) const {
  switch (kind) {
    case Kind::Any: return {};
    case Kind::From: return fmt::format("for a billing period (ET 10 zones 22-23) {} from {} on", p.billing, bound);
    case Kind::Before: return fmt::format("for a billing period (ET 10 zones 22-23) {} before {}", p.billing, bound);
    case Kind::CreatedAfter: return fmt::format("for an envoi created (ET 10 zone 25) {} after {}", p.created, bound);
  }
  return {};
}

}  // namespace mutua::rules
