// Cuts a received envoi into the records, invoices and lines the rule families judge.
#include <fmt/format.h>

#include <array>

#include "engine/pipeline.h"
#include "format/reuse_pool.h"
#include "mutua/layout.h"
#include "mutua/network_reference.h"
#include "mutua/reader.h"
#include "rules/file_rule.h"
#include "mutua/finding.h"
#include "rules/lines/adjudication.h"

namespace mutua::engine {

namespace {

using K = RecordKind;

// A zone is named by its id ("19"), found in the layout for the record's kind, or given as
// found once (LineZones).
struct Get {
  const Layout& L = Layout::builtin();
  std::string_view bytes;
  K kind;
  const Zone* zone(const char* id) const { return L.find(kind, id); }
  static const Zone* zone(const Zone* z) { return z; }
  template <class Z>
  std::string_view raw(Z id) const {
    const Zone* z = zone(id);
    return z && z->end() <= bytes.size() ? z->in(bytes) : std::string_view();
  }
  template <class Z>
  int64_t num(Z id) const {
    auto v = raw(id);
    return rules::is_digits(v) ? static_cast<int64_t>(rules::digits_value(v)) : 0;
  }
  template <class Z>
  int64_t amount(Z id) const { return rules::signed_value(raw(id)); }
  // The last `n` digits of a numeric zone ("0" + INAMI, "00" + NISS); "" when all zeros.
  template <class Z>
  std::string id(Z zone, size_t n) const {
    auto v = raw(zone);
    if (v.size() > n) v = v.substr(v.size() - n);
    if (v.find_first_not_of('0') == std::string_view::npos) return {};
    return std::string(v);
  }
  template <class Z>
  std::string text(Z id) const {
    auto v = raw(id);
    while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    return std::string(v);
  }
};

// The zones a detail record (ET 30, 40, 50) is read by, found once per kind: a look-up by id
// for each of them on each of an envoi's lines cost 2 % of a run's CPU.
struct LineZones {
  const Zone *code, *first, *last, *niss, *sex, *norm, *account, *service, *place, *provider, *provider_norm,
      *related, *amount, *units, *identical, *prescriber, *personal_share, *reference, *supplement, *tp_exception,
      *social_category, *laterality;
};

const LineZones& line_zones(K kind) {
  static const std::array<LineZones, 3> zones = [] {
    std::array<LineZones, 3> out{};
    const K kinds[] = {K::Et30, K::Et40, K::Et50};
    for (size_t i = 0; i < 3; ++i) {
      auto z = [&](const char* id) { return Layout::builtin().find(kinds[i], id); };
      out[i] = {z("4"),  z("5"),  z("6"),  z("8"),  z("9"),  z("3"),  z("11"), z("13"), z("14"), z("15"), z("16"),
                z("17"), z("19"), z("22"), z("23"), z("24"), z("27"), z("28"), z("30"), z("32"), z("33"), z("34")};
    }
    return out;
  }();
  return zones[kind == K::Et30 ? 0 : kind == K::Et40 ? 1 : 2];
}

// The network reference number of an ET 20 / ET 51 (zones 42-45, part A = 2), empty without one.
std::string network_number(std::string_view record) {
  const NetworkReference ref = read_network_reference(record);
  return ref.network() ? std::string(ref.number) : std::string();
}

}  // namespace

Result<std::shared_ptr<rules::Envoi>> parse_envoi(const std::string& bytes, const std::string& name) {
  return parse_envoi(std::make_shared<const std::string>(bytes), name);
}

namespace {

// The two largest vectors of a parsed envoi (a 100k-line envoi's records and lines, 30-40 MB
// each), kept emptied when the envoi goes, for the next one parsed: made afresh, each envoi of a
// batch faulted in and zeroed their pages again (3 % of the CPU of bench/peer's ten envois).
struct EnvoiVectors {
  std::vector<rules::EnvoiRecordBytes> records;
  std::vector<rules::Line> lines;
};

ReusePool<EnvoiVectors>& envoi_vectors() {
  // Never destroyed: envois may go at exit. Three: one read, one judged, one recorded.
  static auto* pool = new ReusePool<EnvoiVectors>(3);
  return *pool;
}

std::shared_ptr<rules::Envoi> new_envoi() {
  auto e = std::make_unique<rules::Envoi>();
  if (auto kept = envoi_vectors().take()) {
    e->records = std::move(kept->records);
    e->lines = std::move(kept->lines);
  }
  return std::shared_ptr<rules::Envoi>(e.release(), [](rules::Envoi* gone) {
    auto kept = std::make_unique<EnvoiVectors>();
    gone->records.clear();
    gone->lines.clear();
    kept->records = std::move(gone->records);
    kept->lines = std::move(gone->lines);
    delete gone;
    envoi_vectors().give_back(std::move(kept));
  });
}

}  // namespace

Result<std::shared_ptr<rules::Envoi>> parse_envoi(std::shared_ptr<const std::string> bytes, const std::string& name) {
  if (!bytes) bytes = std::make_shared<const std::string>();
  auto reader = Reader::from_view(*bytes, name);
  if (!reader) return fail(reader.error());
  auto e = new_envoi();
  e->source = bytes;
  e->file = name;
  // The two segments without the line breaks a file may put after each: a response echoes
  // segment 300 from byte 68, wherever the received file had it.
  e->header = std::string((*reader)->segment200());
  e->header += (*reader)->segment300();
  e->test = (*reader)->segment200().substr(12, 2) == "92";
  std::vector<Error> problems;
  // First the records, as views into the received bytes; then the lines, reserved once for as
  // many as there are detail records (a Line is large, junk has few).
  RecordView view;
  size_t details = 0, invoices = 0;
  const std::string_view all(*bytes);
  // Records are 350 bytes or more: never more slots than that, and no regrowth (each one copied
  // every record and faulted in fresh pages: a third of a 100k-line envoi's page faults).
  reserve_with_room(e->records, bytes->size() / 350 + 2);
  while ((*reader)->next(view, problems)) {
    // The reader's view is into its own buffer, which moves on: the same bytes in `all`.
    e->records.push_back({view.kind, view.number, all.substr(view.offset, view.bytes.size())});
    details += view.kind == K::Et30 || view.kind == K::Et40 || view.kind == K::Et50;
    invoices += view.kind == K::Et20;
  }
  reserve_with_room(e->lines, details);
  e->invoices.reserve(invoices);
  rules::Invoice* inv = nullptr;
  rules::Line* line = nullptr;
  for (size_t index = 0; index < e->records.size(); ++index) {
    const rules::EnvoiRecordBytes& rec = e->records[index];
    Get g{Layout::builtin(), rec.bytes, rec.kind};
    switch (rec.kind) {
      case K::Et10:
        e->et10 = index;
        e->third_party = g.id("14", 11);
        // Not digits: the file checks say so; kept printable for messages and the store.
        if (!rules::is_digits(e->third_party)) e->third_party = mutua::printable(e->third_party);
        e->number = static_cast<int>(g.num("7"));
        e->year = static_cast<int>(g.num("22"));
        e->month = static_cast<int>(g.num("23"));
        e->created = static_cast<model::Date>(g.num("25"));
        e->iban_a = g.text("36");
        e->iban_b = g.text("49");
        break;
      case K::Et20: {
        e->invoices.emplace_back();
        inv = &e->invoices.back();
        line = nullptr;
        inv->et20 = inv->et80 = index;
        inv->affiliation = std::string(g.raw("7"));
        inv->niss = g.id("8", 11);
        inv->invoice_type = static_cast<int>(g.num("10"));
        inv->billing_type = static_cast<int>(g.num("11"));
        inv->provider = g.id("14", 11);
        inv->stay = g.id("15", 11);
        inv->service = std::string(g.raw("13"));
        inv->destination = std::string(g.raw("18"));
        inv->number = static_cast<uint64_t>(g.num("24"));
        int64_t ct = g.num("27") % 1000000;
        inv->ct1 = static_cast<int>(ct / 1000);
        inv->ct2 = static_cast<int>(ct % 1000);
        inv->commitment = network_number(rec.bytes);
        inv->admission = static_cast<model::Date>(g.num("5"));
        inv->discharge = static_cast<model::Date>(g.num("6"));
        inv->previous_sending = static_cast<int>(g.num("34"));
        inv->previous_year_month = static_cast<int>(g.num("41"));
        inv->limitation_waiver = static_cast<int>(g.num("16"));
        if (e->federation.empty() && inv->destination.size() == 3) e->federation = inv->destination.substr(0, 1) + "00";
        break;
      }
      case K::Et30:
      case K::Et40:
      case K::Et50: {
        if (!inv) break;  // a detail record outside an invoice: the file checks report it
        rules::Line l;
        l.record = index;
        l.invoice = static_cast<size_t>(inv - e->invoices.data());
        l.kind = rec.kind;
        const LineZones& z = line_zones(rec.kind);
        auto code = g.raw(z.code);
        l.code = std::string(code.size() == 7 ? code.substr(1) : code);
        l.first = static_cast<model::Date>(g.num(z.first));
        l.last = static_cast<model::Date>(g.num(z.last));
        if (!l.last) l.last = l.first;
        l.niss = g.id(z.niss, 11);
        if (l.niss.empty()) l.niss = inv->niss;
        l.sex = static_cast<int>(g.num(z.sex));
        l.norm = static_cast<int>(g.num(z.norm));
        l.account = static_cast<int>(g.num(z.account));
        l.service = std::string(g.raw(z.service));
        l.place = g.id(z.place, 11);
        l.provider = g.id(z.provider, 11);
        l.provider_norm = static_cast<int>(g.num(z.provider_norm));
        l.related = g.id(z.related, 6);
        l.amount = g.amount(z.amount);
        l.units = static_cast<int>(g.amount(z.units));
        if (l.units < 0) l.units = -l.units;
        l.identical = static_cast<int>(g.num(z.identical));
        l.prescriber = g.id(z.prescriber, 11);
        l.personal_share = g.amount(z.personal_share);
        l.reference = g.text(z.reference);
        l.supplement = g.amount(z.supplement);
        l.tp_exception = static_cast<int>(g.num(z.tp_exception));
        l.social_category = static_cast<int>(g.num(z.social_category));
        l.laterality = static_cast<int>(g.num(z.laterality));
        l.credit = inv->billing_type == 3 || l.amount < 0;
        inv->lines.push_back(e->lines.size());
        e->lines.push_back(std::move(l));
        line = &e->lines.back();
        break;
      }
      case K::Et51:
      case K::Et52:
        if (line) {
          line->attached.push_back(index);
          (rec.kind == K::Et51 ? line->tariff_commitment : line->eid) = true;
          if (rec.kind == K::Et51) {
            line->tariff_record = index;
            line->tariff_number = network_number(rec.bytes);
          }
        }
        break;
      case K::Et80:
        if (inv) inv->et80 = index;
        inv = nullptr;
        line = nullptr;
        break;
      case K::Et90:
        e->et90 = index;
        break;
      case K::Et96: {
        // Account C as the envoi declares it: reported by the settlement, not paid by it.
        const int64_t c = g.num("512");
        e->account_c = g.text("511") == "-" ? -c : c;
        break;
      }
      default:
        break;
    }
  }
  e->line_at.assign(e->records.size(), SIZE_MAX);
  e->invoice_at.assign(e->records.size(), SIZE_MAX);
  for (size_t i = 0; i < e->lines.size(); ++i) e->line_at[e->lines[i].record] = i;
  for (size_t i = 0; i < e->invoices.size(); ++i) {
    e->invoice_at[e->invoices[i].et20] = i;
    e->invoice_at[e->invoices[i].et80] = i;
  }
  return e;
}

}  // namespace mutua::engine
