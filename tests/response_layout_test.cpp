// The settlement file (920900) byte by byte, at the positions FORMAT.md §3.2 and §3.3 give,
// written here as numbers rather than read from the layout table the writer uses: every
// record 800 characters; on each detail record the sending number (351), the date of the
// answer (354), the billed month (362), the error letter and code pairs (457 / 458...), the
// accepted and refused amounts (478, 490), the zone 149 comment (534) and the index (795); one
// ET 91 per mutuality and the ET 92 with the totals (80: accepted A, 94: refused A).
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "baseline.h"
#include "mutua/model/dates.h"
#include "mutua/model/envoi_writer.h"
#include "mutua/reader.h"

namespace fs = std::filesystem;
namespace model = mutua::model;
using mutua::testing::read_all;
using mutua::testing::run_mutua;

namespace {

const std::string kBase = std::string(MUTUA_TEST_DATA) + "/scenarios/base";
const std::string kNurse = "40765140401";

// A signed amount zone: sign then 11 digits, in cents.
int64_t signed_amount(std::string_view z) {
  EXPECT_EQ(z.size(), 12u);
  EXPECT_TRUE(z[0] == '+' || z[0] == '-' || z[0] == ' ' || z[0] == '0') << z;
  int64_t v = std::stoll(std::string(z.substr(1)));
  return z[0] == '-' ? -v : v;
}

std::string trim(std::string_view s) {
  size_t end = s.find_last_not_of(' ');
  return end == std::string_view::npos ? std::string() : std::string(s.substr(0, end + 1));
}

TEST(ResponseLayout, SettlementFileRecordsSitWhereTheFormatSays) {
  const std::string dir = mutua::testing::temp_path("response-layout");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = dir + "/m.db";
  ASSERT_EQ(run_mutua("refdata import " + kBase + " --db " + db).code, 0);

  model::EnvoiHeader h;
  h.third_party = kNurse;
  h.sending_number = 31;
  h.year = 2026;
  h.month = 10;
  h.created = model::parse_iso_date("2026-11-05");
  h.bce = "0123456749";  // enterprise number, required since 2015 (102710)
  h.federation = "300";
  h.iban_a = "BE71096123456769";
  h.bic_a = "GKCCBEBB";
  auto invoice = [](const std::string& niss, const std::string& mutuality, uint64_t number, int ct,
                    std::vector<std::pair<std::string, std::string>> lines) {
    model::Invoice inv;
    inv.niss = niss;
    inv.affiliation = inv.destination = mutuality;
    inv.provider = kNurse;
    inv.number = number;
    inv.ct1 = inv.ct2 = ct;
    inv.invoice_type = 3;
    inv.sex = 1;
    inv.billing_date = model::parse_iso_date("2026-11-05");
    for (const auto& [code, date] : lines) {
      model::Prestation p;
      p.nomenclature = code;
      p.first_date = p.last_date = model::parse_iso_date(date);
      p.provider = kNurse;
      p.amount = 1250;
      p.reference = code + date;
      inv.lines.push_back(p);
    }
    return inv;
  };
  // Accepted lines for two mutualities, and one refused: CT1-CT2 not the fund's (500522).
  std::vector<model::Invoice> invoices = {
      invoice("85073003328", "301", 1, 110, {{"425014", "2026-10-01"}, {"425014", "2026-10-02"}}),
      invoice("60010112347", "301", 2, 110, {{"425014", "2026-10-03"}}),
      invoice("45050500153", "302", 3, 110, {{"425014", "2026-10-04"}}),
  };
  const std::string envoi = dir + "/envoi.efact";
  ASSERT_TRUE(model::write_envoi(envoi, h, invoices));
  auto a = run_mutua("adjudicate --db " + db + " --today 2026-11-23 --threshold 100 --out " + dir + " " + envoi);
  ASSERT_EQ(a.code, 0) << a.out;

  const std::string file = read_all(dir + "/envoi.920900.efact");
  auto json = nlohmann::json::parse(read_all(dir + "/envoi.920900.json"));
  std::map<uint64_t, nlohmann::json> by_record;
  for (const auto& r : json["records"]) by_record[r["record"].get<uint64_t>()] = r;

  // 200 (67) + 300 (610), then records of 800, no separators.
  ASSERT_EQ(file.substr(0, 6), "920900");
  ASSERT_EQ((file.size() - 677) % 800, 0u) << file.size();
  const size_t records = (file.size() - 677) / 800;
  int64_t accepted_a = 0, refused_a = 0, index = 0, refused_lines = 0;
  std::map<std::string, int64_t> accepted_by_mutuality;
  std::vector<std::string> et91;
  std::string et92;
  for (size_t k = 0; k < records; ++k) {
    const std::string rec = file.substr(677 + k * 800, 800);
    const std::string type = rec.substr(0, 2);
    if (type == "91") {
      et91.push_back(rec);
      continue;
    }
    if (type == "92") {
      et92 = rec;
      continue;
    }
    SCOPED_TRACE("record " + std::to_string(k + 1) + " type " + type);
    EXPECT_EQ(rec.substr(350, 3), "031");        // zone 100: sending number
    EXPECT_EQ(rec.substr(353, 8), "20261123");   // zone 101: date of the answer
    EXPECT_EQ(rec.substr(361, 6), "202610");     // zone 102: billed month
    EXPECT_EQ(std::stoll(rec.substr(794, 6)), ++index);  // zone 151
    if (type != "50") continue;
    const uint64_t number = std::stoull(rec.substr(2, 6));  // ET 50 zone 2: its record number
    ASSERT_TRUE(by_record.count(number)) << number;
    const auto& j = by_record[number];
    const int64_t acc = signed_amount(std::string_view(rec).substr(477, 12));  // zone 114
    const int64_t ref = signed_amount(std::string_view(rec).substr(489, 12));  // zone 115
    EXPECT_EQ(acc, j["accepted"].get<int64_t>());
    EXPECT_EQ(ref, j["refused"].get<int64_t>());
    EXPECT_EQ(acc + ref, 1250);
    accepted_a += acc;
    refused_a += ref;
    accepted_by_mutuality[rec.substr(367, 3)] += acc;  // zone 103: the invoice's mutuality
    if (j["codes"].empty()) {
      EXPECT_EQ(rec.substr(456, 1), " ");  // zone 111a: no letter
      EXPECT_EQ(trim(rec.substr(533, 200)), "");
      continue;
    }
    ++refused_lines;
    const auto& first = j["codes"][0];
    EXPECT_EQ(rec.substr(456, 1), first["type"].get<std::string>());  // zone 111a
    EXPECT_EQ(rec.substr(457, 6), first["code"].get<std::string>());  // zone 111b
    EXPECT_EQ(rec.substr(457, 6), "500522");
    EXPECT_EQ(rec.substr(406, 3), "110");  // zone 107: CT1 of the invoice
    // Zone 149: the comment in ASCII (accents dropped), left-aligned.
    const std::string comment = trim(rec.substr(533, 200));
    EXPECT_FALSE(comment.empty());
    EXPECT_NE(comment.find("111/111"), std::string::npos) << comment;  // the fund's CT1-CT2
    for (unsigned char c : rec) EXPECT_LT(c, 0x80);
  }
  EXPECT_EQ(refused_lines, 1);
  EXPECT_EQ(refused_a, 1250);
  EXPECT_EQ(accepted_a, 3 * 1250);

  // One ET 91 per mutuality, in order, then the ET 92 for all.
  ASSERT_EQ(et91.size(), 2u);
  ASSERT_FALSE(et92.empty());
  EXPECT_EQ(et91[0].substr(4, 3), "301");
  EXPECT_EQ(et91[1].substr(4, 3), "302");
  for (const auto& r : et91) {
    const std::string mut = r.substr(4, 3);
    EXPECT_EQ(signed_amount(std::string_view(r).substr(79, 12)), accepted_by_mutuality[mut]) << mut;  // zones 411-412
    EXPECT_EQ(r.substr(163, 22), std::string(22, ' '));  // zone 423: no payment yet
    EXPECT_EQ(r.substr(187, 22), std::string(22, ' '));  // zone 424
  }
  EXPECT_EQ(signed_amount(std::string_view(et91[0]).substr(93, 12)), 1250);  // zone 413-414: refused A at 301
  EXPECT_EQ(signed_amount(std::string_view(et92).substr(79, 12)), accepted_a);  // zones 511-512
  EXPECT_EQ(signed_amount(std::string_view(et92).substr(93, 12)), refused_a);   // zones 513-514
  EXPECT_EQ(signed_amount(std::string_view(et92).substr(23, 12)), accepted_a + refused_a);  // 503-504: asked A
  if (!HasFailure()) fs::remove_all(dir);
}

// The JSON response is written record by record without a document tree (engine/json_out.h):
// each record's line must be what the library writes for it. References (zone 28, free text)
// with a quote, a backslash, a Latin-1 byte (invalid UTF-8, replaced by U+FFFD) and UTF-8.
TEST(ResponseLayout, JsonRecordsAreWrittenAsTheLibraryWritesThem) {
  const std::string dir = mutua::testing::temp_path("response-json");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string db = dir + "/m.db";
  ASSERT_EQ(run_mutua("refdata import " + kBase + " --db " + db).code, 0);
  const model::EnvoiHeader h = mutua::testing::nurse_header(41);
  const std::vector<std::string> references = {"A\"B", "C\\D", "E\xE9" "F", "G\xC3\xA9H", "plain"};
  std::vector<model::Invoice> invoices;
  for (size_t i = 0; i < references.size(); ++i) {
    model::Invoice inv = mutua::testing::patient_invoice(h.third_party);
    inv.number = i + 1;
    model::Prestation p;
    p.nomenclature = "425014";
    p.first_date = p.last_date = 20261001 + static_cast<model::Date>(i);
    p.provider = h.third_party;
    p.amount = 1250;
    p.reference = references[i];
    inv.lines.push_back(p);
    invoices.push_back(std::move(inv));
  }
  const std::string envoi = dir + "/refs.efact";
  ASSERT_TRUE(model::write_envoi(envoi, h, invoices));
  auto a = run_mutua("adjudicate --db " + db + " --today 2026-11-23 --threshold 100 --out " + dir + " " + envoi);
  // Judged (rejected, for the byte not allowed in an alphanumeric zone: its codes and facts are
  // in the JSON too).
  ASSERT_TRUE(a.code == 0 || a.code == 1) << a.out;
  std::string json_path;
  for (const auto& f : fs::directory_iterator(dir))
    if (f.path().filename().string().starts_with("refs.92") && f.path().extension() == ".json") json_path = f.path();
  ASSERT_FALSE(json_path.empty()) << a.out;
  const std::string text = read_all(json_path);
  std::vector<std::string> seen;
  size_t start = text.find("\n{");
  ASSERT_NE(start, std::string::npos) << text;
  while (start != std::string::npos) {
    const size_t end = text.find('\n', start + 1);
    std::string line = text.substr(start + 1, end - start - 1);
    if (line.ends_with(',')) line.pop_back();
    if (line == "]}") break;
    const auto parsed = nlohmann::ordered_json::parse(line);
    EXPECT_EQ(line, parsed.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    if (parsed.contains("reference")) seen.push_back(parsed["reference"].get<std::string>());
    start = end;
  }
  const std::vector<std::string> expected = {"A\"B", "C\\D", "E\xEF\xBF\xBD" "F", "G\xC3\xA9H", "plain"};
  EXPECT_EQ(seen, expected);
  EXPECT_NE(text.find(R"("reference":"A\"B")"), std::string::npos);
  EXPECT_NE(text.find(R"("reference":"C\\D")"), std::string::npos);
}

}  // namespace
