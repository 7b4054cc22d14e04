#include "mutua/model/envoi_writer.h"

#include <cstring>

#include <fmt/format.h>

#include "mutua/check_digits.h"
#include "mutua/network_reference.h"

namespace mutua::model {

namespace {

// ET 20 / ET 51 zones 42-45 as the CIN writes them: the number in zone 42, parts N and V zeros,
// part A = 2 and three zeros; 48 zeros without a reference (mutua/network_reference.h).
void put_network_reference(RecordBuilder& r, std::string_view number) {
  const std::string zones = network_reference_zones(number);
  std::memcpy(r.mutable_bytes().data() + kNetworkReferencePos - 1, zones.data(), zones.size());
}

// A zone of the built-in layout, looked up once per call site (each lambda has its own
// static): the writer fills ~30 zones per record, millions of records.
#define ZONE(kind, id)                                                            \
  ([]() -> const Zone& {                                                          \
    static const Zone& z = Layout::builtin().at(RecordKind::kind, id);           \
    return z;                                                                     \
  }())

uint64_t code_value(std::string_view code) {
  uint64_t v = 0;
  for (char c : code)
    if (c >= '0' && c <= '9') v = v * 10 + static_cast<uint64_t>(c - '0');
  return v;
}

}  // namespace

std::string pad_inami(std::string_view eleven) {
  if (eleven.empty()) return std::string(12, '0');
  std::string out(12 - std::min<size_t>(12, eleven.size()), '0');
  out += eleven;
  return out;
}

EnvoiWriter::EnvoiWriter(FileWriter& out, const EnvoiHeader& header, Framing framing)
    : out_(out), header_(header), framing_(framing) {
  const std::string version = header.test ? "9991999" : "0001999";
  const bool two_accounts = !header.iban_b.empty();
  RecordBuilder s200(RecordKind::Segment200);
  s200.digits("200", "920000").number("201", 1).number("202", header.test ? 92 : 12);
  uint64_t federation = code_value(header.federation);
  s200.number("204", static_cast<uint64_t>(header.year) * 1000000ULL + federation * 1000ULL +
                         static_cast<uint64_t>(header.sending_number));
  RecordBuilder s300(RecordKind::Segment300);
  s300.number("300", static_cast<uint64_t>(header.year * 100 + header.month))
      .number("301", static_cast<uint64_t>(header.sending_number))
      .number("302", header.created)
      .text("303", fmt::format("{:04d}{:02d}{:03d}", header.year, header.month, header.sending_number))
      .digits("304", version)
      .text("305", header.contact_last)
      .text("306", header.contact_first)
      .number("308", static_cast<uint64_t>(header.invoice_type))
      .number("309", two_accounts ? 2 : 1);
  out_.write(s200.bytes());
  out_.write(s300.bytes());
  out_.write(framing_separator(framing_));

  RecordBuilder r10(RecordKind::Et10);
  r10.number("3", two_accounts ? 1 : 0)
      .digits("4", version)
      .number("7", static_cast<uint64_t>(header.sending_number))
      .number("13", 40)
      .digits("14", pad_inami(header.third_party))
      .number("22", static_cast<uint64_t>(header.year))
      .number("23", static_cast<uint64_t>(header.month))
      .number("25", header.created)
      .digits("27", header.bce)
      .text("28", header.reference)
      .text("31", header.bic_a)
      .text("36", header.iban_a)
      .text("43a", header.bic_b)
      .text("49", header.iban_b);
  emit(r10.finish(++sequence_));
}

void EnvoiWriter::emit(const std::string& record) {
  if (tamper_) {
    std::string copy = record;
    tamper_(record_kind_from_type(std::string_view(copy).substr(0, 2)), sequence_, copy);
    out_.write(copy);
    out_.write(framing_separator(framing_));
    return;
  }
  out_.write(record);
  out_.write(framing_separator(framing_));
}

void EnvoiWriter::add(const Invoice& inv) {
  using K = RecordKind;
  Totals& mut = by_mutuality_[inv.destination];
  const std::string provider = pad_inami(inv.provider);
  const uint64_t ct = static_cast<uint64_t>(inv.ct1 * 1000 + inv.ct2);

  RecordBuilder r20(K::Et20);
  r20.number(ZONE(Et20, "3"), 1)
      .number(ZONE(Et20, "5"), inv.admission_date)
      .number(ZONE(Et20, "6"), inv.discharge_date)
      .digits(ZONE(Et20, "7"), inv.affiliation)
      .digits(ZONE(Et20, "8"), inv.niss)
      .number(ZONE(Et20, "9"), static_cast<uint64_t>(inv.sex))
      .number(ZONE(Et20, "10"), static_cast<uint64_t>(inv.invoice_type))
      .number(ZONE(Et20, "11"), static_cast<uint64_t>(inv.billing_type))
      .digits(ZONE(Et20, "14"), provider)
      .digits(ZONE(Et20, "15"), inv.stay_institution.empty() ? "" : pad_inami(inv.stay_institution))
      .number(ZONE(Et20, "16"), static_cast<uint64_t>(inv.limitation_waiver))
      .digits(ZONE(Et20, "13"), inv.service)
      .digits(ZONE(Et20, "18"), inv.destination)
      .number(ZONE(Et20, "19"), inv.admission_number)
      .number(ZONE(Et20, "24"), inv.number)
      .number(ZONE(Et20, "27"), ct)
      .text(ZONE(Et20, "28"), inv.reference)
      .number(ZONE(Et20, "29"), inv.previous_invoice)
      .number(ZONE(Et20, "32"), 1)
      .number(ZONE(Et20, "34"), static_cast<uint64_t>(inv.previous_sending))
      .digits(ZONE(Et20, "37"), inv.previous_mutuality)
      .number(ZONE(Et20, "41"), static_cast<uint64_t>(inv.previous_year_month))
      .text(ZONE(Et20, "38"), inv.fund_reference_a)
      .text(ZONE(Et20, "49"), inv.fund_reference_b)
      .number(ZONE(Et20, "47"), inv.billing_date);
  put_network_reference(r20, inv.commitment);
  if (!inv.commitment.empty()) {
    r20.number(ZONE(Et20, "53"), inv.insurability_start)
        .number(ZONE(Et20, "54"), inv.insurability_end)
        .number(ZONE(Et20, "55"), inv.commitment_date);
  }
  emit(r20.finish(++sequence_));
  uint64_t records = 1;

  int64_t total_a = 0, total_b = 0, personal = 0, supplements = 0;
  uint64_t code_sum = 0;
  for (const auto& p : inv.lines) {
    const std::string code7 = "0" + p.nomenclature;
    // ET 30 and 40 have ET 50's skeleton (FORMAT.md): the same zones at the same places, but
    // for ET 30's zone 24 (an indicative amount, left at +0) and zone 47 (a date).
    const K kind = p.record_type == 30 ? K::Et30 : p.record_type == 40 ? K::Et40 : K::Et50;
    RecordBuilder r50(kind);
    r50.number(ZONE(Et50, "3"), static_cast<uint64_t>(p.norm))
        .digits(ZONE(Et50, "4"), code7)
        .number(ZONE(Et50, "5"), p.first_date)
        .number(ZONE(Et50, "6"), p.last_date ? p.last_date : p.first_date)
        .digits(ZONE(Et50, "7"), inv.affiliation)
        .digits(ZONE(Et50, "8"), inv.niss)
        .number(ZONE(Et50, "9"), static_cast<uint64_t>(inv.sex))
        .number(ZONE(Et50, "11"), static_cast<uint64_t>(p.account))
        .number(ZONE(Et50, "12"), static_cast<uint64_t>(p.urgency))
        .digits(ZONE(Et50, "13"), p.service_code)
        .digits(ZONE(Et50, "14"), p.place.empty() ? "" : pad_inami(p.place))
        .digits(ZONE(Et50, "15"), pad_inami(p.provider))
        .number(ZONE(Et50, "16"), static_cast<uint64_t>(p.provider_norm))
        .digits(ZONE(Et50, "17"), p.related_code.empty() ? "" : "0" + p.related_code)
        .amount(ZONE(Et50, "19"), p.amount)
        .number(ZONE(Et50, "20"), p.prescription_date)
        .amount(ZONE(Et50, "22"), p.units)
        .number(ZONE(Et50, "23"), static_cast<uint64_t>(p.identical_flag))
        .number(ZONE(Et50, "26"), static_cast<uint64_t>(p.prescriber_norm))
        .amount(ZONE(Et50, "27"), p.personal_share)
        .text(ZONE(Et50, "28"), p.reference)
        .amount(ZONE(Et50, "30"), p.supplement)
        .number(ZONE(Et50, "32"), static_cast<uint64_t>(p.tp_exception))
        .number(ZONE(Et50, "33"), static_cast<uint64_t>(p.social_category))
        .number(ZONE(Et50, "34"), static_cast<uint64_t>(p.laterality))
        .number(ZONE(Et50, "36"), static_cast<uint64_t>(p.time_hhmm))
        .digits(ZONE(Et50, "49"), p.gmd_holder.empty() ? "" : pad_inami(p.gmd_holder));
    if (kind != K::Et30) r50.digits(ZONE(Et50, "24"), p.prescriber.empty() ? "" : pad_inami(p.prescriber));
    emit(r50.finish(++sequence_));
    ++records;
    code_sum += code_value(code7);
    (p.account == 1 ? total_b : total_a) += p.amount;
    personal += p.personal_share;
    supplements += p.supplement;
    if (p.has_commitment) {
      RecordBuilder r51(K::Et51);
      r51.digits(ZONE(Et51, "4"), code7)
          .number(ZONE(Et51, "5"), p.first_date)
          .digits(ZONE(Et51, "8"), inv.niss)
          .digits(ZONE(Et51, "15"), pad_inami(p.provider))
          .amount(ZONE(Et51, "19"), p.amount)
          .number(ZONE(Et51, "27"), ct)
          .number(ZONE(Et51, "55"), p.commitment_date);
      put_network_reference(r51, p.commitment_number);
      emit(r51.finish(++sequence_));
      ++records;
      code_sum += code_value(code7);
    }
    if (p.has_eid) {
      RecordBuilder r52(K::Et52);
      r52.digits(ZONE(Et52, "4"), code7)
          .number(ZONE(Et52, "5"), p.first_date)
          .number(ZONE(Et52, "6"), p.eid_read_date ? p.eid_read_date : p.first_date)
          .digits(ZONE(Et52, "8"), inv.niss)
          .number(ZONE(Et52, "12"), static_cast<uint64_t>(p.eid_time_hhmm))
          .digits(ZONE(Et52, "15"), pad_inami(p.provider));
      emit(r52.finish(++sequence_));
      ++records;
      code_sum += code_value(code7);
    }
  }

  RecordBuilder r80(K::Et80);
  r80.number(ZONE(Et80, "5"), inv.admission_date)
      .number(ZONE(Et80, "6"), inv.discharge_date)
      .digits(ZONE(Et80, "7"), inv.affiliation)
      .digits(ZONE(Et80, "13"), inv.service)
      .digits(ZONE(Et80, "8"), inv.niss)
      .number(ZONE(Et80, "9"), static_cast<uint64_t>(inv.sex))
      .number(ZONE(Et80, "10"), static_cast<uint64_t>(inv.invoice_type))
      .digits(ZONE(Et80, "14"), provider)
      .amount(ZONE(Et80, "15"), total_b)
      .digits(ZONE(Et80, "18"), inv.destination)
      .amount(ZONE(Et80, "19"), total_a)
      .number(ZONE(Et80, "20"), inv.billing_date)
      .number(ZONE(Et80, "24"), inv.number)
      .amount(ZONE(Et80, "27"), personal)
      .text(ZONE(Et80, "28"), inv.reference)
      .amount(ZONE(Et80, "30"), supplements)
      .number(ZONE(Et80, "32"), 1)
      .number(ZONE(Et80, "98"), static_cast<uint64_t>(check::control_mod97(code_sum)));
  emit(r80.finish(++sequence_));
  ++records;

  mut.a += total_a;
  mut.b += total_b;
  mut.records += records;
  mut.code_sum += code_sum;
  file_.a += total_a;
  file_.b += total_b;
  file_.records += records;
  file_.code_sum += code_sum;
}

void EnvoiWriter::finish() {
  if (finished_) return;
  finished_ = true;
  using K = RecordKind;
  RecordBuilder r90(K::Et90);
  r90.number("7", static_cast<uint64_t>(header_.sending_number))
      .digits("14", pad_inami(header_.third_party))
      .amount("15", file_.b)
      .amount("19", file_.a)
      .number("22", static_cast<uint64_t>(header_.year))
      .number("23", static_cast<uint64_t>(header_.month))
      .digits("27", header_.bce)
      .text("28", header_.reference)
      .text("31", header_.bic_a)
      .text("36", header_.iban_a)
      .text("43a", header_.bic_b)
      .text("49", header_.iban_b)
      .number("98", static_cast<uint64_t>(check::control_mod97(file_.code_sum)));
  emit(r90.finish(++sequence_));

  auto totals = [&](RecordKind kind, int base, std::string_view mutuality, uint64_t recap, const Totals& t,
                    uint64_t records) {
    RecordBuilder r(kind);
    auto id = [&](int offset) { return std::to_string(base + offset); };
    auto sign = [](int64_t v) { return v < 0 ? "-" : "+"; };
    auto mag = [](int64_t v) { return static_cast<uint64_t>(v < 0 ? -v : v); };
    r.digits(id(1), mutuality)
        .number(id(2), recap)
        .text(id(3), sign(t.a))
        .number(id(4), mag(t.a))
        .text(id(5), sign(t.b))
        .number(id(6), mag(t.b))
        .text(id(7), sign(t.a + t.b))
        .number(id(8), mag(t.a + t.b))
        .number(id(9), records)
        .number(id(10), static_cast<uint64_t>(check::control_mod97(t.code_sum)));
    emit(r.bytes());
  };
  const uint64_t recap = (static_cast<uint64_t>(header_.year) * 1000000ULL +
                          code_value(header_.federation) * 1000ULL + static_cast<uint64_t>(header_.sending_number)) %
                         1000000000000ULL;
  for (const auto& [mutuality, t] : by_mutuality_) totals(K::Et95, 400, mutuality, recap, t, t.records);
  std::string federation = header_.federation.empty() ? std::string("000") : header_.federation;
  if (federation.size() == 3) federation = federation.substr(0, 1) + "99";
  totals(K::Et96, 500, federation, 0, file_, file_.records + 2);
}

Result<void> write_envoi(const std::string& path, const EnvoiHeader& header, const std::vector<Invoice>& invoices,
                         Framing framing) {
  auto out = FileWriter::create(path);
  if (!out) return fail(out.error());
  EnvoiWriter w(*out, header, framing);
  for (const auto& inv : invoices) w.add(inv);
  w.finish();
  return out->close();
}

std::string envoi_bytes(const EnvoiHeader& header, const std::vector<Invoice>& invoices, Framing framing) {
  std::string bytes;
  auto out = FileWriter::to_memory(&bytes);
  EnvoiWriter w(out, header, framing);
  for (const auto& inv : invoices) w.add(inv);
  w.finish();
  return bytes;
}

}  // namespace mutua::model
