#include "engine/response.h"

#include "engine/json_out.h"
#include "format/reuse_pool.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mutua/catalog.h"
#include "mutua/check_digits.h"
#include "mutua/layout.h"
#include "mutua/model/dates.h"
#include "mutua/writer.h"

namespace mutua::engine {

namespace {

using K = RecordKind;

// Codes listed on a record: the wanted type letters, B, F, R, S, E then catalog order.
std::vector<const rules::Verdict*> listed(const std::vector<rules::Verdict>& all, std::string_view types) {
  std::vector<const rules::Verdict*> out;
  for (const auto& v : all)
    if (types.find(v.type) != std::string_view::npos) out.push_back(&v);
  std::stable_sort(out.begin(), out.end(), [](const rules::Verdict* a, const rules::Verdict* b) {
    if (type_rank(a->type) != type_rank(b->type)) return type_rank(a->type) < type_rank(b->type);
    return a->code < b->code;
  });
  return out;
}

std::string with_message(std::string_view segment200, std::string_view message) {
  std::string s = echoed(segment200);
  if (s.size() >= 6) s.replace(0, 6, message);
  return s;
}

// The zones a detail response writes on every echoed record, found once per record kind (as
// RecordBuilder finds a zone by its id: the record's own zones first, then the response block's),
// where looking each up by its id cost two searches per zone and record.
enum EchoZone { Z100, Z101, Z102, Z103, Z107, Z108, Z111a, Z111b, Z112a, Z112b, Z113a, Z113b, Z149, Z114, Z115, Z151,
                Z4, kEchoZones };
struct EchoZones {
  std::array<const Zone*, kEchoZones> at{};
  const Zone& operator[](EchoZone z) const { return *at[z]; }
  const Zone* code() const { return at[Z4]; }  // the nomenclature code (zone 4), if the record has one
};
const EchoZones& echo_zones(K kind) {
  static const auto table = [] {
    constexpr std::array<std::string_view, kEchoZones> ids = {"100",  "101",  "102",  "103",  "107", "108",
                                                              "111a", "111b", "112a", "112b", "113a", "113b",
                                                              "149",  "114",  "115",  "151",  "4"};
    const Layout& L = Layout::builtin();
    std::array<EchoZones, kRecordKindCount> t;
    for (int k = 0; k < kRecordKindCount; ++k)
      for (int z = 0; z < kEchoZones; ++z) {
        const Zone* own = L.find(static_cast<K>(k), ids[z]);
        t[k].at[z] = own || z == Z4 ? own : L.find(K::ResponseBlock, ids[z]);
      }
    return t;
  }();
  return table[static_cast<int>(kind)];
}

void amount_pair(RecordBuilder& r, int sign_zone, int64_t v) {
  r.text(std::to_string(sign_zone), v < 0 ? "-" : "+");
  r.number(std::to_string(sign_zone + 1), static_cast<uint64_t>(v < 0 ? -v : v));
}

}  // namespace

std::string ascii(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out += static_cast<char>(c);
      continue;
    }
    // Two-byte UTF-8 Latin-1 letters: drop the accent.
    if ((c == 0xC3) && i + 1 < s.size()) {
      unsigned char d = static_cast<unsigned char>(s[++i]);
      static const char* map = "AAAAAAACEEEEIIIIDNOOOOOxOUUUUYTsaaaaaaaceeeeiiiidnooooo/ouuuuyty";
      out += d >= 0x80 && d <= 0xBF ? map[d - 0x80] : '?';
      continue;
    }
    while (i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) ++i;
    out += '?';
  }
  return out;
}

namespace {

// Strings of at least this capacity are worth keeping for the next envoi.
constexpr size_t kWorthKeeping = size_t{1} << 20;

// The buffers given back by recycle_responses, the files' and the JSON's apart (a JSON buffer
// taken for a 920900 would be too small and grown afresh). Never destroyed: a buffer may come
// back from a thread still running at exit. Three of each: the responses of the envoi before
// are still being written and recorded when the next one's are made, and sometimes those of
// the one before it too (a pool of two missed once in the peer's ten envois).
ReusePool<std::string>& kept_buffers(bool json) {
  static auto* bytes = new ReusePool<std::string>(3);
  static auto* text = new ReusePool<std::string>(3);
  return json ? *text : *bytes;
}

std::string response_buffer(bool json, size_t capacity) {
  std::string out;
  if (capacity >= kWorthKeeping)
    if (auto kept = kept_buffers(json).take()) out = std::move(*kept);
  out.clear();
  reserve_with_room(out, capacity);
  return out;
}

}  // namespace

void recycle_responses(std::vector<model::StoredResponse>& responses) {
  for (auto& r : responses)
    for (const auto& [text, json] : {std::pair{&r.bytes, false}, std::pair{&r.json, true}})
      if (text->capacity() >= kWorthKeeping) kept_buffers(json).give_back(std::make_unique<std::string>(std::move(*text)));
}

std::string write_detail_response(const ResponseInput& in) {
  const rules::Envoi& e = *in.envoi;
  std::string out = response_buffer(false, e.records.size() * 800 + 677);
  out += with_message(std::string_view(e.header).substr(0, 67), in.message);
  // Segment 300, 610 characters: the 160 received, zones 310/311 filled, the rest reserved.
  RecordBuilder s300(K::Segment300Response);
  std::string_view received300 = std::string_view(e.header).substr(67, 140);
  echo_bytes(s300.mutable_bytes().data(), received300);
  s300.number("310", static_cast<uint64_t>(std::min<int64_t>(in.error_rate_bp, 99999)))
      .number("311", static_cast<uint64_t>(in.refusal_type));
  out += s300.bytes();

  const std::string billed = fmt::format("{:04d}{:02d}", e.year, e.month);
  const bool settlement = in.message == "920900";
  struct Totals {
    int64_t asked_a = 0, asked_b = 0, acc_a = 0, acc_b = 0, ref_a = 0, ref_b = 0;
    uint64_t records = 0, code_sum = 0;
  };
  std::map<std::string, Totals> by_mutuality;
  Totals all;
  std::string mutuality;
  int ct1 = 0, ct2 = 0;
  // A 920098 / 920099 echoes, as real funds send them, only the records with a code, the ET 20
  // and ET 80 of their invoices, and ET 10 / ET 90; a 920900 echoes every record.
  std::vector<bool> echoed(e.records.size(), settlement);
  if (!settlement) {
    std::vector<size_t> invoice_of(e.records.size(), SIZE_MAX);
    std::vector<bool> invoice_coded(e.invoices.size(), false);
    size_t current = SIZE_MAX;
    for (size_t i = 0; i < e.records.size(); ++i) {
      const K k = e.records[i].kind;
      if (k == K::Et20) current = e.invoice_at[i];
      if (k == K::Et10 || k == K::Et90 || k == K::Et95 || k == K::Et96) current = SIZE_MAX;
      invoice_of[i] = current;
      const bool coded = !listed(in.verdicts->by_record[i], in.types).empty();
      echoed[i] = coded || k == K::Et10 || k == K::Et90;
      if (coded && current != SIZE_MAX && current < invoice_coded.size()) invoice_coded[current] = true;
    }
    for (size_t i = 0; i < e.records.size(); ++i) {
      const K k = e.records[i].kind;
      if ((k == K::Et20 || k == K::Et80) && invoice_of[i] != SIZE_MAX && invoice_coded[invoice_of[i]]) echoed[i] = true;
    }
  }
  for (size_t i = 0; i < e.records.size(); ++i) {
    const auto& rec = e.records[i];
    if (rec.kind == K::Et95 || rec.kind == K::Et96) continue;  // replaced by ET 91 / 92, or not echoed
    if (rec.kind == K::Et20 && e.invoice_at[i] != SIZE_MAX) {
      const auto& inv = e.invoices[e.invoice_at[i]];
      mutuality = inv.destination;
      ct1 = inv.ct1;
      ct2 = inv.ct2;
    }
    if (!echoed[i]) continue;
    const K kind = rec.kind == K::Unknown ? K::Et50 : rec.kind;
    const EchoZones& z = echo_zones(kind);
    RecordBuilder r(kind, true);
    std::string& b = r.mutable_bytes();
    echo_bytes(b.data(), std::string_view(rec.bytes).substr(0, std::min<size_t>(350, b.size())));
    r.number(z[Z100], static_cast<uint64_t>(e.number))
        .number(z[Z101], in.today)
        .digits(z[Z102], billed)
        .digits(z[Z103], rec.kind == K::Et10 || rec.kind == K::Et90 ? std::string_view(e.federation)
                                                                    : std::string_view(mutuality))
        .number(z[Z107], static_cast<uint64_t>(ct1))
        .number(z[Z108], static_cast<uint64_t>(ct2));
    auto codes = listed(in.verdicts->by_record[i], in.types);
    constexpr EchoZone letters[] = {Z111a, Z112a, Z113a};
    constexpr EchoZone numbers[] = {Z111b, Z112b, Z113b};
    for (size_t k = 0; k < codes.size() && k < 3; ++k) {
      r.text(z[letters[k]], std::string_view(&codes[k]->type, 1));
      r.text(z[numbers[k]], codes[k]->code);
    }
    if (!codes.empty()) r.text(z[Z149], ascii(codes.front()->comment));
    r.amount(z[Z114], in.amounts->accepted[i]).amount(z[Z115], in.amounts->refused[i]);
    r.number(z[Z151], static_cast<uint64_t>(rec.number));  // the record echoed, as some funds do
    out += r.bytes();

    if (rec.kind == K::Et30 || rec.kind == K::Et40 || rec.kind == K::Et50 || rec.kind == K::Et51 ||
        rec.kind == K::Et52 || rec.kind == K::Et20 || rec.kind == K::Et80) {
      Totals& t = by_mutuality[mutuality];
      if (e.line_at[i] != SIZE_MAX) {
        const auto& l = e.lines[e.line_at[i]];
        const bool b_account = l.account == 1;
        for (Totals* x : {&t, &all}) {
          (b_account ? x->asked_b : x->asked_a) += l.amount;
          (b_account ? x->acc_b : x->acc_a) += in.amounts->accepted[i];
          (b_account ? x->ref_b : x->ref_a) += in.amounts->refused[i];
        }
      }
      if (rec.kind != K::Et20 && rec.kind != K::Et80) {
        const Zone* code = z.code();
        if (code && code->end() <= rec.bytes.size()) {
          uint64_t v = 0;
          for (char c : code->in(rec.bytes))
            if (c >= '0' && c <= '9') v = v * 10 + static_cast<uint64_t>(c - '0');
          t.code_sum += v;
          all.code_sum += v;
        }
      }
      ++t.records;
      ++all.records;
    }
  }
  if (settlement) {
    auto totals = [&](K kind, int base, const std::string& mut, const Totals& t) {
      RecordBuilder r(kind);
      auto id = [&](int o) { return std::to_string(base + o); };
      r.digits(id(1), mut)
          .number(id(2), static_cast<uint64_t>(e.year) * 1000000ULL + static_cast<uint64_t>(e.number))
          .number(id(9), t.records)
          .number(id(10), static_cast<uint64_t>(check::control_mod97(t.code_sum)));
      amount_pair(r, base + 3, t.asked_a);
      amount_pair(r, base + 5, t.asked_b);
      amount_pair(r, base + 7, t.asked_a + t.asked_b);
      amount_pair(r, base + 11, t.acc_a);
      amount_pair(r, base + 13, t.ref_a);
      amount_pair(r, base + 15, t.acc_b);
      amount_pair(r, base + 17, t.ref_b);
      amount_pair(r, base + 19, t.acc_a + t.acc_b);
      amount_pair(r, base + 21, t.ref_a + t.ref_b);
      out += r.bytes();
    };
    for (const auto& [mut, t] : by_mutuality) totals(K::Et91, 400, mut, t);
    std::string fed = e.federation.empty() ? std::string("000") : e.federation.substr(0, 1) + "99";
    totals(K::Et92, 500, fed, all);
  }
  return out;
}

std::string envelope_code(std::string_view finding_code, std::string_view value) {
  if (value.find_first_not_of(' ') == std::string_view::npos) return "10";
  if (finding_code.size() == 6 && finding_code.substr(4) == "01") return "11";
  return "20";
}

std::string write_refusal(const rules::Envoi& e, const std::vector<EnvelopeMark>& marks) {
  const Layout& L = Layout::builtin();
  std::string head = with_message(std::string_view(e.header).substr(0, 67), "920999");
  head.resize(67, '0');
  head.replace(L.at(K::Segment200, "203").pos - 1, 2, "40");  // the status real funds give a 920999
  std::string s300 = echoed(std::string_view(e.header).substr(std::min<size_t>(67, e.header.size()), 160));
  s300.resize(160, ' ');
  // The file's totals as received: its ET 96, or one built empty when it has none.
  std::string et96;
  for (const auto& rec : e.records)
    if (rec.kind == K::Et96) et96 = echoed(rec.bytes);
  if (et96.empty()) et96 = RecordBuilder(K::Et96).bytes();
  et96.resize(350, ' ');
  auto put = [](std::string& bytes, const Zone* z, const std::string& code) {
    if (z && z->end() <= bytes.size()) bytes.replace(z->pos - 1, z->len, code);
  };
  for (const auto& m : marks) {
    if (m.record == SIZE_MAX) {
      // Segment 300 or 200: the 2-digit error zone follows the data zone, zone id + "1".
      if (const Zone* z = L.find(K::Segment300, m.zone + "1")) put(s300, z, m.code);
      else if (const Zone* z2 = L.find(K::Segment200, m.zone + "1")) put(head, z2, m.code);
      else put(et96, L.find(K::Et96, "5001"), m.code);  // about the whole file (a missing record...)
      continue;
    }
    const K kind = m.record < e.records.size() ? e.records[m.record].kind : K::Unknown;
    std::string zone = m.zone;
    if (kind == K::Et95 && zone.size() == 3 && zone[0] == '4') zone[0] = '5';  // 404 -> 504
    else if (kind != K::Et96) zone = "501";  // a record the 920999 does not echo: the file is refused
    put(et96, L.find(K::Et96, zone + "1"), m.code);
  }
  return head + s300 + et96;
}

std::string response_json(const ResponseInput& in, const std::vector<std::string>& summary) {
  const rules::Envoi& e = *in.envoi;
  // Room enough at once: pages reserved and never written cost nothing, where outgrowing the
  // reserve copied 22 MB into 44 MB of fresh pages (a line is 220-260 bytes, a coded record with
  // its labels and facts up to a kilobyte).
  size_t coded = 0;
  for (const auto& v : in.verdicts->by_record) coded += v.empty() ? 0 : 1;
  std::string text = response_buffer(true, e.lines.size() * 320 + coded * 1200 + 4096);
  JsonRecords doc(text,
                  {{"message", in.message},
                   {"file", e.file},
                   {"third_party", e.third_party},
                   {"envoi_number", e.number},
                   {"billed_month", fmt::format("{:04d}-{:02d}", e.year, e.month)},
                   {"date", model::iso(in.today)},
                   {"error_rate", fmt::format("{}.{:02d}", in.error_rate_bp / 100, in.error_rate_bp % 100)},
                   {"summary", summary}},
                  "records");
  const Catalog& cat = Catalog::builtin();
  // Each record written in place, in the order and bytes of the document it was (keys, then
  // the codes as the library writes them): 100k records through a document tree cost 0.2 s.
  std::string r;
  auto key = [&r](std::string_view k) {
    r += ',';
    append_json_key(r, k);
  };
  for (size_t i = 0; i < e.records.size(); ++i) {
    auto codes = listed(in.verdicts->by_record[i], in.types);
    const bool detail = e.line_at[i] != SIZE_MAX;
    if (codes.empty() && !detail) continue;
    r = "{";
    append_json_key(r, "record");
    append_json_number(r, uint64_t{e.records[i].number});
    key("record_type");
    append_json_string(r, record_kind_name(e.records[i].kind));
    if (detail) {
      const auto& l = e.lines[e.line_at[i]];
      key("niss");
      append_json_string(r, l.niss);
      key("code");
      append_json_string(r, l.code);
      key("date");
      append_json_string(r, model::iso(l.first));
      key("reference");
      append_json_string(r, l.reference);
      key("invoice");
      append_json_number(r, uint64_t{e.invoices[l.invoice].number});
      key("amount");
      append_json_number(r, int64_t{l.amount});
      key("account");
      r += l.account == 1 ? "\"B\"" : "\"A\"";
      key("accepted");
      append_json_number(r, int64_t{in.amounts->accepted[i]});
      key("refused");
      append_json_number(r, int64_t{in.amounts->refused[i]});
      key("status");
      r += in.verdicts->rejected(i) ? "\"rejected\"" : in.verdicts->pending(i) ? "\"pending\"" : "\"accepted\"";
    }
    key("codes");
    if (codes.empty()) {
      r += "[]";
    } else {
      nlohmann::ordered_json list = nlohmann::ordered_json::array();
      for (const auto* v : codes)
        list.push_back({{"type", std::string(1, v->type)},
                        {"code", v->code},
                        {"label_fr", cat.label(v->code, "fr")},
                        {"label_nl", cat.label(v->code, "nl")},
                        {"comment", v->comment},
                        {"rule", v->rule},
                        {"facts", v->facts}});
      r += dump_json(list);
    }
    r += '}';
    doc.add_written(r);
  }
  doc.finish();
  return text;
}

}  // namespace mutua::engine
