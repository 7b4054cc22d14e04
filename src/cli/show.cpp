// `mutua show`: the envoi as a tree (envoi -> invoices -> prestations) with labelled zones,
// for billing files and responses alike.
#include <cstdio>
#include <iostream>

#include <fmt/format.h>

#include "cli/commands.h"
#include "mutua/catalog.h"
#include "mutua/layout.h"
#include "mutua/reader.h"

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
    if (z.pos - 1 + z.len > bytes.size()) break;
    std::string_view v = z.in(bytes);
    if (!all && empty_value(z, v)) continue;
    std::string shown;
    for (unsigned char c : v) shown += (c >= 32 && c < 127) ? static_cast<char>(c) : '?';
    while (!shown.empty() && shown.back() == ' ' && z.type == ZoneType::Alpha) shown.pop_back();
    out += fmt::format("{:{}}{:<5} {:<48} {}\n", "", indent, z.id, z.name, shown);
  }
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
