#include "mutua/preflight.h"

#include <fmt/format.h>

#include <map>
#include <nlohmann/json.hpp>

#include "mutua/catalog.h"
#include "mutua/layout.h"
#include "mutua/reader.h"
#include "rules/file_rule.h"

namespace mutua::engine {

namespace {

mutua::Finding from_error(const Error& e) {
  mutua::Finding f;
  f.code = e.code.empty() ? "Z00002" : e.code;
  f.type = mutua::type_of(f.code);
  f.file = e.file;
  f.record = e.record;
  f.record_type = e.record_type;
  f.zone = e.zone;
  f.position = e.position;
  f.message = e.message;
  return f;
}

}  // namespace

void preflight_reader(Reader& reader, const PreflightOptions& options, PreflightReport& report, ProgressFn progress,
                      void* user, uint64_t done_before, uint64_t total) {
  const std::string& path = reader.name();
  FileSummary summary;
  summary.file = path;
  summary.message = reader.message_type();
  summary.framing = reader.framing();

  rules::FileContext ctx;
  ctx.file = path;
  ctx.message = reader.message_type();
  ctx.framing = reader.framing();
  ctx.segment200 = std::string(reader.segment200());
  ctx.segment300 = std::string(reader.segment300());
  ctx.today = options.today;
  auto rules = rules::make_file_rules();
  for (auto& rule : rules) rule->begin(ctx, report.findings);

  const Layout& L = Layout::builtin();
  std::vector<Error> problems;
  RecordView rec;
  uint64_t next_progress = 0;
  while (reader.next(rec, problems)) {
    for (auto& p : problems) report.findings.add(from_error(p));
    problems.clear();
    ++summary.records;
    if (rec.kind == RecordKind::Et20) ++summary.invoices;
    else if (rec.kind == RecordKind::Et50 || rec.kind == RecordKind::Et30 || rec.kind == RecordKind::Et40) ++summary.prestations;
    else if (rec.kind == RecordKind::Et10 && summary.records == 1) {
      auto z = [&](const char* id) { return L.at(RecordKind::Et10, id).in(rec.bytes); };
      summary.third_party = std::string(z("14"));
      summary.sending_number = static_cast<int>(rules::digits_value(z("7")));
      summary.year = static_cast<int>(rules::digits_value(z("22")));
      summary.created = static_cast<model::Date>(rules::digits_value(z("25")));
      summary.billing_content = std::string(z("13"));
    }
    for (auto& rule : rules) rule->record(rec, report.findings);
    if (progress && reader.bytes_consumed() >= next_progress) {
      progress(done_before + reader.bytes_consumed(), total, user);
      next_progress = reader.bytes_consumed() + (64u << 20);
    }
  }
  for (auto& p : problems) report.findings.add(from_error(p));
  for (auto& rule : rules) rule->end(report.findings);
  summary.bytes = reader.bytes_consumed();
  report.files.push_back(std::move(summary));
}

namespace {

void validate_one(const std::string& path, const PreflightOptions& options, PreflightReport& report,
                  ProgressFn progress, void* user, uint64_t done_before, uint64_t total) {
  auto opened = Reader::open(path);
  if (!opened) {
    FileSummary summary;
    summary.file = path;
    summary.readable = false;
    report.findings.add(from_error(opened.error()));
    report.files.push_back(std::move(summary));
    return;
  }
  preflight_reader(**opened, options, report, progress, user, done_before, total);
}

// Checks between the files of one run: a sending number used twice by one third-party payer
// in one year (100721), more than one eFact file a day (100724).
void cross_file(PreflightReport& report) {
  std::map<std::tuple<std::string, int, int>, const FileSummary*> by_number;
  std::map<std::pair<std::string, model::Date>, const FileSummary*> by_day;
  for (const auto& f : report.files) {
    if (!f.readable || f.message != MessageType::Billing920000 || f.third_party.empty()) continue;
    auto add = [&](std::string code, std::string message) {
      mutua::Finding x;
      x.code = std::move(code);
      x.type = mutua::type_of(x.code);
      x.file = f.file;
      x.record = 1;
      x.record_type = "10";
      x.zone = x.code == "100721" ? "7" : "13";
      x.message = std::move(message);
      report.findings.add(std::move(x));
    };
    auto key = std::make_tuple(f.third_party, f.year, f.sending_number);
    if (auto [it, fresh] = by_number.emplace(key, &f); !fresh)
      add("100721", fmt::format("sending number {:03d} of {} is also used by {}", f.sending_number, f.year, it->second->file));
    if (f.billing_content == "040") {
      if (auto [it, fresh] = by_day.emplace(std::make_pair(f.third_party, f.created), &f); !fresh)
        add("100724", fmt::format("{} is a second eFact file created on {}", it->second->file, f.created));
    }
  }
}

}  // namespace

int PreflightReport::exit_code() const {
  for (const auto& f : files)
    if (!f.readable) return 2;
  return findings.count_types("BFR") > 0 ? 1 : 0;
}

PreflightReport preflight(const std::vector<std::string>& paths, const PreflightOptions& options, ProgressFn progress,
                          void* user) {
  PreflightReport report(options.list_per_code);
  uint64_t total = 0;
  for (const auto& p : paths) {
    if (auto r = Reader::open(p)) total += (*r)->file_size();
  }
  uint64_t done = 0;
  for (const auto& p : paths) {
    validate_one(p, options, report, progress, user, done, total);
    done += report.files.back().bytes;
  }
  cross_file(report);
  if (progress) progress(total, total, user);
  return report;
}

std::string render_text(const PreflightReport& report, const PreflightOptions& options) {
  const Catalog& catalog = Catalog::builtin();
  std::string out;
  for (const auto& f : report.files) {
    if (!f.readable) {
      out += fmt::format("{}: unreadable\n", f.file);
      continue;
    }
    out += fmt::format("{}: message {}, {}, {} bytes, {} records, {} invoices, {} prestations\n", f.file,
                       message_type_name(f.message), framing_name(f.framing), f.bytes, f.records, f.invoices,
                       f.prestations);
  }
  const auto& by_code = report.findings.by_code();
  if (by_code.empty()) {
    out += "\nNo findings: nothing of type B, F, R, S or E.\n";
    return out;
  }
  // Most severe first, then by code.
  std::vector<std::pair<std::string, const mutua::Findings::PerCode*>> order;
  for (const auto& [code, slot] : by_code) order.emplace_back(code, &slot);
  std::stable_sort(order.begin(), order.end(), [](auto& a, auto& b) {
    return type_rank(mutua::type_of(a.first)) < type_rank(mutua::type_of(b.first));
  });
  out += fmt::format("\n{:<8} {:<4} {:>9}  {}\n", "code", "type", "count", "label");
  for (auto& [code, slot] : order)
    out += fmt::format("{:<8} {:<4} {:>9}  {}\n", code, mutua::type_of(code), slot->count,
                       catalog.label(code, options.language));
  for (auto& [code, slot] : order) {
    const CodeInfo* info = catalog.find(code);
    out += fmt::format("\n== {} {} ({} found{}) ==\n", mutua::type_of(code), code, slot->count,
                       slot->count > slot->listed.size() ? fmt::format(", first {} listed", slot->listed.size()) : "");
    if (info) {
      out += fmt::format("   FR: {}\n   NL: {}\n", info->label_fr, info->label_nl);
      if (!info->label_en.empty()) out += fmt::format("   EN: {}\n", info->label_en);
    }
    if (auto hint = catalog.hint(code); !hint.empty()) out += fmt::format("   fix: {}\n", hint);
    for (const auto& x : slot->listed) {
      std::string where = x.file;
      if (x.record) where += fmt::format(" record {}", x.record);
      if (!x.record_type.empty()) where += fmt::format(" ET {}", x.record_type);
      if (!x.zone.empty()) where += fmt::format(" zone {}", x.zone);
      if (x.position) where += fmt::format(" byte {}", x.position);
      std::string detail;
      if (!x.value.empty()) detail += fmt::format(" value '{}'", x.value);
      if (!x.expected.empty()) detail += fmt::format(" expected {}", x.expected);
      if (!x.message.empty()) detail += fmt::format(" ({})", x.message);
      out += fmt::format("   - {}:{}\n", where, detail);
    }
  }
  uint64_t blocking = report.findings.count_types("BFR");
  uint64_t warnings = report.findings.count_types("SE");
  out += fmt::format("\n{} finding(s): {} rejecting (B/F/R), {} warning(s) (S/E)\n", report.findings.total(), blocking,
                     warnings);
  return out;
}

std::string render_json(const PreflightReport& report, const PreflightOptions& options) {
  (void)options;
  const Catalog& catalog = Catalog::builtin();
  nlohmann::json j;
  j["files"] = nlohmann::json::array();
  for (const auto& f : report.files) {
    j["files"].push_back({{"file", f.file},
                          {"readable", f.readable},
                          {"message", std::string(message_type_name(f.message))},
                          {"framing", f.framing == Framing::Flat ? "flat" : f.framing == Framing::LF ? "lf" : "crlf"},
                          {"bytes", f.bytes},
                          {"records", f.records},
                          {"invoices", f.invoices},
                          {"prestations", f.prestations}});
  }
  j["codes"] = nlohmann::json::array();
  for (const auto& [code, slot] : report.findings.by_code()) {
    const CodeInfo* info = catalog.find(code);
    nlohmann::json c = {{"code", code},
                        {"type", std::string(1, mutua::type_of(code))},
                        {"count", slot.count},
                        {"label_fr", info ? info->label_fr : ""},
                        {"label_nl", info ? info->label_nl : ""},
                        {"hint", std::string(catalog.hint(code))},
                        {"project_code", info ? info->project : false}};
    c["findings"] = nlohmann::json::array();
    for (const auto& x : slot.listed)
      c["findings"].push_back({{"file", x.file},
                               {"record", x.record},
                               {"record_type", x.record_type},
                               {"zone", x.zone},
                               {"position", x.position},
                               {"value", x.value},
                               {"expected", x.expected},
                               {"message", x.message}});
    j["codes"].push_back(std::move(c));
  }
  j["total"] = report.findings.total();
  j["rejecting"] = report.findings.count_types("BFR");
  j["warnings"] = report.findings.count_types("SE");
  j["exit_code"] = report.exit_code();
  // File names and messages may carry bytes of a broken file: never throw on invalid UTF-8.
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

}  // namespace mutua::engine
