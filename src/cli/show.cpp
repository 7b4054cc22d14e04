// `mutua show`: the envoi as a tree (envoi -> invoices -> prestations) with labelled zones,
// for billing files and responses alike.
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "commands.h"
#include "mutua/catalog.h"
#include "mutua/layout.h"
#include "mutua/reader.h"
#include "mutua/response_reader.h"

namespace mutua::cli {

namespace {

using K = RecordKind;

int depth_of(K k) {
  switch (k) {
    case K::Et10: case K::Et90: case K::Et91: case K::Et92: case K::Et95: case K::Et96: return 1;
    case K::Et20: case K::Et80: return 2;
    case K::Et30: case K::Et40: case K::Et50: return 3;
    case K::Et51: case K::Et52: return 4;
    default: return 1;
  }
}

const char* title_of(K k) {
  switch (k) {
    case K::Et10: return "envoi header";
    case K::Et20: return "invoice";
    case K::Et30: return "hospital days / flat fee";
    case K::Et40: return "pharmaceutical supply";
    case K::Et50: return "prestation";
    case K::Et51: return "tariff / payment commitment";
    case K::Et52: return "eID reading";
    case K::Et80: return "invoice trailer";
    case K::Et90: return "envoi trailer";
    case K::Et91: return "settlement per mutuality";
    case K::Et92: return "settlement total";
    case K::Et95: return "mutuality totals";
    case K::Et96: return "file totals";
    default: return "unknown record";
  }
}

bool empty_value(const Zone& z, std::string_view v) {
  if (z.type == ZoneType::ReservedFree || z.type == ZoneType::ReservedZero) return true;
  if (z.id == "1" || z.id == "2" || z.id == "99") return true;
  if (z.id.size() == 4 && z.id.back() == '1' && (z.record >= K::Et91 || z.record <= K::Segment300Ack)) return v == "00";
  return v.find_first_not_of(z.type == ZoneType::Alpha ? " " : "0+ ") == std::string_view::npos;
}

void print_zones(std::string& out, K kind, std::string_view bytes, int indent, bool all) {
  const Layout& L = Layout::builtin();
  for (const Zone& z : L.zones(kind)) {
    if (z.end() > bytes.size()) break;
    std::string_view v = z.in(bytes);
    if (!all && empty_value(z, v)) continue;
    std::string shown;
    for (unsigned char c : v) shown += (c >= 32 && c < 127) ? static_cast<char>(c) : '?';
    while (!shown.empty() && shown.back() == ' ' && z.type == ZoneType::Alpha) shown.pop_back();
    out += fmt::format("{:{}}{:<5} {:<48} {}\n", "", indent, z.id, z.name, shown);
  }
}

std::string money(int64_t cents) {
  const int64_t a = cents < 0 ? -cents : cents;
  return fmt::format("{}{}.{:02d}", cents < 0 ? "-" : "", a / 100, a % 100);
}

std::string amount_or_dash(const std::optional<int64_t>& v) { return v ? money(*v) : std::string("-"); }

void print_zone_errors(std::string& out, const std::vector<ZoneErrorCode>& errors, int indent, std::string_view lang) {
  for (const auto& e : errors) {
    const std::string& label = lang == "nl" ? e.label_nl : e.label_fr;
    out += fmt::format("{:{}}zone {} ('{}'): error {} {}\n", "", indent, e.data_zone, e.value, e.code,
                       label.empty() ? std::string("(meaning not known)") : label);
  }
}

// A fund's response (931000, 920999, 920098, 920099, 920900), read by the library function the
// provider's side uses: a record cut short is shown with what it has.
void show_response(const std::string& file, bool all, size_t max_invoices, std::string_view lang) {
  auto read = read_response_file(file);
  if (!read) {
    std::fprintf(stderr, "mutua show: %s\n", read.error().to_string().c_str());
    exit_code() = 2;
    return;
  }
  const Response& r = *read;
  const K s300 = is_detailed_response(r.type) ? K::Segment300Response
                 : r.type == MessageType::Ack931000 ? K::Segment300Ack
                                                     : K::Segment300;
  std::string bytes;
  {
    auto whole = Reader::open(file);  // only for the header bytes as written
    if (whole) bytes = std::string((*whole)->header_bytes());
  }
  std::string out = fmt::format("{}: message {} ({}){}\n", file, r.message, r.test ? "test" : "production",
                                r.type == MessageType::Ack931000 ? ", acknowledges " + r.acknowledged : "");
  out += "  segment 200 (message header)\n";
  if (bytes.size() >= 67) print_zones(out, K::Segment200, std::string_view(bytes).substr(0, 67), 4, all);
  out += "  segment 300 (sending header)\n";
  if (bytes.size() > 67) {
    std::string_view h = std::string_view(bytes).substr(67);
    while (!h.empty() && (h.front() == '\r' || h.front() == '\n')) h.remove_prefix(1);
    print_zones(out, s300, h, 4, all);
  }
  print_zone_errors(out, r.header_errors, 4, lang);
  size_t invoices = 0, lines = 0, rejected_lines = 0;
  for (const auto& rec : r.records) {
    if (rec.kind == K::Et20 && max_invoices && ++invoices > max_invoices) {
      out += fmt::format("  ... (stopped after {} invoices)\n", max_invoices);
      break;
    }
    const int d = depth_of(rec.kind) * 2;
    out += fmt::format("{:{}}ET {} {} (record {}, byte {}){}\n", "", d, rec.record_type, title_of(rec.kind), rec.number,
                       rec.offset + 1, rec.cut_short ? fmt::format(" cut short: {} bytes", rec.bytes.size()) : "");
    if (rec.kind == K::Unknown) continue;
    print_zones(out, rec.kind, rec.bytes, d + 2, all);
    print_zone_errors(out, rec.zone_errors, d + 2, lang);
    if (rec.bytes.size() > 350 && rec.kind >= K::Et10 && rec.kind <= K::Et90) {
      out += fmt::format("{:{}}response:\n", "", d + 2);
      print_zones(out, K::ResponseBlock, rec.bytes, d + 4, all);
    }
    const bool detail = rec.kind == K::Et30 || rec.kind == K::Et40 || rec.kind == K::Et50;
    if (detail) {
      ++lines;
      if (rec.rejected()) ++rejected_lines;
      if (is_detailed_response(r.type))
        out += fmt::format("{:{}}=> {} {} of {}: billed {}, accepted {}, refused {}\n", "", d + 4,
                           rec.rejected() ? "rejected" : "accepted", rec.nomenclature, rec.date,
                           amount_or_dash(rec.amount_billed), amount_or_dash(rec.amount_accepted),
                           amount_or_dash(rec.amount_refused));
    }
    for (const auto& c : rec.codes) {
      const std::string& label = lang == "nl" ? c.label_nl : c.label_fr;
      out += fmt::format("{:{}}{}{} {}\n", "", d + 4, c.letter, c.code,
                         c.known() ? label : std::string("(not in mutua's list of codes: newer than its 2018-2019 snapshot)"));
    }
    if (!rec.comment.empty()) out += fmt::format("{:{}}comment: {}\n", "", d + 4, rec.comment);
    if (out.size() > (1 << 20)) {
      std::fwrite(out.data(), 1, out.size(), stdout);
      out.clear();
    }
  }
  for (const auto& p : r.problems) out += fmt::format("  !! {}\n", p.to_string());
  out += "  summary:\n";
  if (r.error_rate_bp) out += fmt::format("    error rate {}.{:02d} %\n", *r.error_rate_bp / 100, *r.error_rate_bp % 100);
  if (lines) out += fmt::format("    {} line(s), {} rejected\n", lines, rejected_lines);
  auto totals = [&](const ResponseTotals& t, const char* what) {
    out += fmt::format("    {} {}: asked A {} B {}", what, t.mutuality, amount_or_dash(t.asked_a), amount_or_dash(t.asked_b));
    if (t.accepted_a || t.refused_a)
      out += fmt::format(", accepted A {} B {}, refused A {} B {}", amount_or_dash(t.accepted_a),
                         amount_or_dash(t.accepted_b), amount_or_dash(t.refused_a), amount_or_dash(t.refused_b));
    if (!t.payment_reference_a.empty()) out += fmt::format(", payment reference A {}", t.payment_reference_a);
    if (!t.payment_reference_b.empty()) out += fmt::format(", payment reference B {}", t.payment_reference_b);
    out += "\n";
  };
  for (const auto& t : r.mutualities) totals(t, "mutuality");
  if (r.total) totals(*r.total, "file");
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace

void add_show(CLI::App& app) {
  struct Opts {
    std::string file;
    bool all = false;
    size_t max_invoices = 0;
    std::string language = "fr";
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand("show", "Print a billing file or response as a tree with labelled zones");
  cmd->add_option("file", opts->file, "Billing file or response")->required()->check(CLI::ExistingFile);
  cmd->add_flag("--all-zones", opts->all, "Also print empty and reserved zones");
  cmd->add_option("--max-invoices", opts->max_invoices, "Stop after this many invoices (0: all)");
  cmd->add_option("--lang", opts->language, "Language of error labels: fr or nl")->check(CLI::IsMember({"fr", "nl"}));
  cmd->callback([opts] {
    {
      // Responses are read whole by the library function programs use; billing files stream.
      std::FILE* f = std::fopen(opts->file.c_str(), "rb");
      char name[6] = {};
      const bool response = f && std::fread(name, 1, 6, f) == 6 &&
                            message_type_from_name(std::string_view(name, 6)) != MessageType::Unknown &&
                            message_type_from_name(std::string_view(name, 6)) != MessageType::Billing920000;
      if (f) std::fclose(f);
      if (response) {
        show_response(opts->file, opts->all, opts->max_invoices, opts->language);
        return;
      }
    }
    auto opened = Reader::open(opts->file);
    if (!opened) {
      std::fprintf(stderr, "mutua show: %s\n", opened.error().to_string().c_str());
      exit_code() = 2;
      return;
    }
    Reader& r = **opened;
    const Layout& L = Layout::builtin();
    const Catalog& catalog = Catalog::builtin();
    std::string out = fmt::format("{}: message {} ({})\n", opts->file, message_type_name(r.message_type()),
                                  framing_name(r.framing()));
    out += "  segment 200 (message header)\n";
    print_zones(out, K::Segment200, r.segment200(), 4, opts->all);
    K s300 = is_detailed_response(r.message_type()) ? K::Segment300Response
             : r.message_type() == MessageType::Ack931000 ? K::Segment300Ack
                                                           : K::Segment300;
    out += "  segment 300 (sending header)\n";
    print_zones(out, s300, r.segment300(), 4, opts->all);
    std::vector<Error> problems;
    RecordView rec;
    size_t invoices = 0;
    bool stopped = false;
    while (r.next(rec, problems)) {
      for (auto& p : problems) out += fmt::format("  !! {}\n", p.to_string());
      problems.clear();
      if (rec.kind == K::Et20 && opts->max_invoices && ++invoices > opts->max_invoices) {
        stopped = true;
        out += fmt::format("  ... (stopped after {} invoices)\n", opts->max_invoices);
        break;
      }
      int d = depth_of(rec.kind) * 2;
      out += fmt::format("{:{}}ET {} {} (record {}, byte {})\n", "", d, record_type_label(rec.kind), title_of(rec.kind),
                         rec.number, rec.offset + 1);
      if (rec.kind == K::Unknown) continue;
      print_zones(out, rec.kind, rec.bytes, d + 2, opts->all);
      if (rec.bytes.size() == 800 && rec.kind >= K::Et10 && rec.kind <= K::Et90) {
        out += fmt::format("{:{}}response:\n", "", d + 2);
        print_zones(out, K::ResponseBlock, rec.bytes, d + 4, opts->all);
        for (const char* id : {"111", "112", "113"}) {
          std::string_view letter = L.at(K::ResponseBlock, std::string(id) + "a").in(rec.bytes);
          std::string code(L.at(K::ResponseBlock, std::string(id) + "b").in(rec.bytes));
          if (code == "000000" || code == "      ") continue;
          out += fmt::format("{:{}}{}{} {}\n", "", d + 4, letter, code, catalog.label(code, opts->language));
        }
      }
      if (out.size() > (1 << 20)) {
        std::fwrite(out.data(), 1, out.size(), stdout);
        out.clear();
      }
    }
    if (!stopped)
      for (auto& p : problems) out += fmt::format("  !! {}\n", p.to_string());
    std::fwrite(out.data(), 1, out.size(), stdout);
  });
}

}  // namespace mutua::cli
