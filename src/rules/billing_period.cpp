#include "rules/billing_period.h"

#include <fmt/format.h>

namespace mutua::rules {

namespace {
using K = RecordKind;
}

Finding BillingPeriodRule::header_finding(K segment, const char* zone_id, std::string code, std::string expected,
                                          std::string message) const {
  const Zone& z = ctx_->layout->at(segment, zone_id);
  const std::string& bytes = segment == K::Segment200 ? ctx_->segment200 : ctx_->segment300;
  Finding f;
  f.code = std::move(code);
  f.type = type_of(f.code);
  f.file = ctx_->file;
  f.record_type = segment == K::Segment200 ? "200" : "300";
  f.zone = zone_id;
  size_t offset = segment == K::Segment200 ? 0 : (ctx_->framing == Framing::Flat ? 67 : 67 + framing_separator(ctx_->framing).size());
  f.position = offset + z.pos;
  if (z.end() <= bytes.size()) f.value = printable(z.in(bytes));
  f.expected = std::move(expected);
  f.message = std::move(message);
  return f;
}

void BillingPeriodRule::begin(const FileContext& ctx, Findings& out) {
  FileRule::begin(ctx, out);
  const Layout& L = *ctx.layout;
  // Segment zones: numeric content.
  auto check_numeric = [&](K seg, const std::string& bytes, const char* fallback) {
    for (const Zone& z : L.zones(seg)) {
      if (z.end() > bytes.size()) continue;
      std::string_view v = z.in(bytes);
      bool bad = (z.type == ZoneType::Numeric && !is_digits(v)) ||
                 (z.type == ZoneType::Date && (!is_digits(v) || (v != "00000000" && !is_valid_date(v))));
      if (bad) out.add(header_finding(seg, z.id.c_str(), fallback, z.type == ZoneType::Date ? "a date YYYYMMDD" : "digits"));
    }
  };
  check_numeric(K::Segment200, ctx.segment200, "Z20001");
  if (ctx.message == MessageType::Billing920000 || ctx.message == MessageType::Refusal920999)
    check_numeric(K::Segment300, ctx.segment300, "Z30001");
  std::string_view type = L.at(K::Segment200, "202").in(ctx.segment200);
  if (type != "12" && type != "92") out.add(header_finding(K::Segment200, "202", "Z20002", "12 or 92"));
  if (ctx.message == MessageType::Billing920000) {
    std::string_view version = L.at(K::Segment300, "304").in(ctx.segment300);
    if ((type == "12" && version != "0001999") || (type == "92" && version != "9991999"))
      out.add(header_finding(K::Segment300, "304", "Z30003", type == "92" ? "9991999" : "0001999",
                             fmt::format("segment 200 zone 202 is {}", type)));
  }
}

void BillingPeriodRule::record(const RecordView& rec, Findings& out) {
  if (ctx_->message != MessageType::Billing920000) return;
  const Layout& L = *ctx_->layout;
  if (rec.kind == K::Et10) {
    auto z = [&](const char* id) -> const Zone& { return L.at(K::Et10, id); };
    std::string_view year = z("22").in(rec.bytes), month = z("23").in(rec.bytes), created = z("25").in(rec.bytes);
    std::string_view version = z("4").in(rec.bytes), sending = z("7").in(rec.bytes);
    if (is_digits(version) && version != "0001999" && version != "9991999")
      out.add(at(rec, z("4"), "100403", "0001999 (production) or 9991999 (test)"));
    if (is_digits(sending) && digits_value(sending) == 0) out.add(at(rec, z("7"), "100703", "001 to 999"));
    bool month_ok = is_digits(month) && digits_value(month) >= 1 && digits_value(month) <= 12;
    if (is_digits(month) && !month_ok) out.add(at(rec, z("23"), "102303", "01 to 12"));

    // Segment 300 repeats ET 10.
    const std::string& s300 = ctx_->segment300;
    auto seg = [&](const char* id) { return L.at(K::Segment300, id).in(s300); };
    if (s300.size() >= 160) {
      std::string billed = fmt::format("{}{}", year.substr(1), month);
      if (seg("300") != billed)
        out.add(header_finding(K::Segment300, "300", "Z30002", billed, "ET 10 zones 22-23 say otherwise"));
      if (seg("301") != sending)
        out.add(header_finding(K::Segment300, "301", "Z30002", std::string(sending), "ET 10 zone 7 says otherwise"));
      if (seg("302") != created)
        out.add(header_finding(K::Segment300, "302", "Z30002", std::string(created), "ET 10 zone 25 says otherwise"));
      if (seg("304") != version)
        out.add(header_finding(K::Segment300, "304", "Z30002", std::string(version), "ET 10 zone 4 says otherwise"));
    }

    // The creation date and the billed year against today and each other (the month follows).
    if (ctx_->today && is_valid_date(created) && digits_value(created) > ctx_->today)
      out.add(at(rec, z("25"), "102510", fmt::format("at most {}", ctx_->today), "a creation date in the future"));
    if (is_digits(year)) {
      const uint64_t y = digits_value(year);
      if (ctx_->today && y > ctx_->today / 10000)
        out.add(at(rec, z("22"), "102210", fmt::format("at most {:05d}", ctx_->today / 10000), "billed year after today's"));
      if (is_valid_date(created) && y > digits_value(created) / 10000)
        out.add(at(rec, z("22"), "102211", fmt::format("at most {:05d}", digits_value(created) / 10000),
                   fmt::format("billed year after the creation date {}", created)));
    }
    billed_ = 0;
    if (is_digits(year) && month_ok) {
      uint64_t billed = digits_value(year) * 100 + digits_value(month);
      billed_ = billed;
      if (is_valid_date(created) && billed > digits_value(created) / 100)
        out.add(at(rec, z("23"), "102311", fmt::format("at most {}", digits_value(created) / 100),
                   fmt::format("billed month {:04d}-{:02d} is after the creation date {}", billed / 100, billed % 100,
                               created)));
      if (ctx_->today && billed > ctx_->today / 100)
        out.add(at(rec, z("23"), "102310", fmt::format("at most {}", ctx_->today / 100),
                   fmt::format("billed month {:04d}-{:02d} is after today {}", billed / 100, billed % 100, ctx_->today)));
    }
  } else if (rec.kind == K::Et30 || rec.kind == K::Et40 || rec.kind == K::Et50) {
    // Codes per record type: first date after today, last date after today, first date
    // more than a month after the billed month, last date likewise.
    struct Codes { const char *first_future, *last_future, *first_late, *last_late; };
    static const Codes et30{"300510", "300610", "300547", "300647"}, et40{"400510", "400610", "400547", "400647"},
        et50{"500510", "500610", "500547", "500647"};
    const Codes& c = rec.kind == K::Et30 ? et30 : rec.kind == K::Et40 ? et40 : et50;
    auto judge = [&](const char* zone_id, const char* future, const char* late) {
      const Zone& z = L.at(rec.kind, zone_id);
      std::string_view d = z.in(rec.bytes);
      if (!is_valid_date(d)) return;
      const uint64_t date = digits_value(d);
      if (ctx_->today && date > ctx_->today) {
        out.add(at(rec, z, future, fmt::format("at most {}", ctx_->today), "a date in the future"));
        return;
      }
      const uint64_t month_index = date / 10000 * 12 + date / 100 % 100;
      if (billed_ && month_index > billed_ / 100 * 12 + billed_ % 100 + 1)
        out.add(at(rec, z, late, fmt::format("at most the month after {:04d}-{:02d}", billed_ / 100, billed_ % 100),
                   "more than a month after the billed month (ET 10 zones 22-23)"));
    };
    judge("5", c.first_future, c.first_late);
    judge("6", c.last_future, c.last_late);
  } else if (rec.kind == K::Et20) {
    const Zone& z = L.at(K::Et20, "47");
    std::string_view d = z.in(rec.bytes);
    if (ctx_->today && is_valid_date(d) && digits_value(d) > ctx_->today)
      out.add(at(rec, z, "204710", fmt::format("at most {}", ctx_->today), "billing date in the future"));
    // The month a corrective invoice or credit note corrects (YYYYMM) cannot lie ahead.
    const Zone& previous = L.at(K::Et20, "41");
    std::string_view pm = previous.in(rec.bytes);
    if (is_digits(pm) && digits_value(pm) != 0) {
      const uint64_t month = digits_value(pm);
      if (ctx_->today && month > ctx_->today / 100)
        out.add(at(rec, previous, "204110", fmt::format("at most {}", ctx_->today / 100), "previous billed month in the future"));
      else if (billed_ && month > billed_)
        out.add(at(rec, previous, "204111", fmt::format("at most {}", billed_),
                   "previous billed month after this envoi's (ET 10 zones 22-23)"));
    }
  }
}

}  // namespace mutua::rules
