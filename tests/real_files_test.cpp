// Files nobody on this project wrote (../shared/data/peer/, read in place): the CIN's 920000
// certification files and 27 responses of real funds from MyCareNet's acceptance environment.
// The validator gives the CIN's files only their known check-digit offset, every file reads and
// writes back byte for byte, and the response reader finds in each response what an
// independent reading of its bytes at the positions of FORMAT.md §3 finds.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>
#include <set>

#include <nlohmann/json.hpp>

#include "baseline.h"
#include "mutua/reader.h"
#include "mutua/response_reader.h"
#include "mutua/writer.h"

namespace fs = std::filesystem;
using mutua::testing::read_all;
using mutua::testing::run_mutua;

namespace {

const fs::path kPeer = fs::path(MUTUA_SOURCE_DIR) / ".." / "shared" / "data" / "peer";

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST(RealFiles, TheCorpusIsThere) {
  ASSERT_TRUE(fs::exists(kPeer / "README.md")) << kPeer;
  EXPECT_EQ(files_in(kPeer / "cin").size(), 3u);
  EXPECT_EQ(files_in(kPeer / "responses").size(), 27u);
}

TEST(RealFiles, CinFilesGetOnlyTheirKnownCheckDigitOffset) {
  for (const auto& f : files_in(kPeer / "cin")) {
    auto r = run_mutua("validate --json --today 2026-12-04 " + f.string());
    EXPECT_EQ(r.code, 1) << r.out;  // B codes: the offset is an error a fund reports
    auto j = nlohmann::json::parse(r.out.substr(r.out.find('{')));
    std::set<std::string> codes;
    for (const auto& c : j["codes"]) {
      codes.insert(c["code"].get<std::string>());
      for (const auto& finding : c["findings"]) {
        ASSERT_EQ(finding["zone"], "99") << c.dump();
        // The CIN's zone 99 is the FORMAT.md value + 10, mod 97 (0 written 97).
        const int expected = std::stoi(finding["expected"].get<std::string>());
        const int written = std::stoi(finding["value"].get<std::string>());
        EXPECT_EQ((expected + 10) % 97 == 0 ? 97 : (expected + 10) % 97, written) << c.dump();
      }
    }
    std::set<std::string> want = {"109902", "209902", "509902", "809902", "909902"};
    if (read_all(f).find("\n") == std::string::npos && read_all(f).size() == 3027) want.insert("519902");
    EXPECT_EQ(codes, want) << f << "\n" << r.out;
  }
}

TEST(RealFiles, EveryRealFileReadsAndWritesBackByteForByte) {
  const std::string dir = mutua::testing::temp_path("real-roundtrip");
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::vector<fs::path> all = files_in(kPeer / "cin");
  for (const auto& f : files_in(kPeer / "responses")) all.push_back(f);
  for (const auto& f : all) {
    auto reader = mutua::Reader::open(f.string());
    ASSERT_TRUE(reader) << f << ": " << reader.error().to_string();
    const std::string out_path = dir + "/" + f.filename().string();
    auto out = mutua::FileWriter::create(out_path);
    ASSERT_TRUE(out);
    auto copied = mutua::copy_file(**reader, *out);
    ASSERT_TRUE(copied);
    EXPECT_TRUE(copied->empty()) << f << ": " << copied->front().to_string();
    ASSERT_TRUE(out->close());
    EXPECT_EQ(read_all(out_path), read_all(f)) << f;
  }
}

// What the bytes say at FORMAT.md's positions, read here without the layout table: per record
// after the header, its type and its (letter, code) pairs.
struct RawRecord {
  std::string type;
  std::vector<std::string> codes;
};
std::vector<RawRecord> raw_records(const std::string& bytes) {
  std::vector<RawRecord> out;
  for (size_t at = 677; at + 800 <= bytes.size(); at += 800) {
    RawRecord r{bytes.substr(at, 2), {}};
    for (size_t k = 0; k < 3; ++k) {
      std::string pair = bytes.substr(at + 456 + 7 * k, 7);
      if (pair.substr(1).find_first_not_of("0 ") != std::string::npos) r.codes.push_back(pair);
    }
    out.push_back(r);
  }
  return out;
}

TEST(RealFiles, TheResponseReaderFindsEveryCodeAndAmountOfEveryRealResponse) {
  for (const auto& f : files_in(kPeer / "responses")) {
    const std::string bytes = read_all(f);
    auto read = mutua::read_response_file(f.string());
    ASSERT_TRUE(read) << f << ": " << read.error().to_string();
    const mutua::Response& r = *read;
    const std::string name = f.filename().string();
    EXPECT_EQ(r.message, name.substr(5, 6)) << name;
    EXPECT_TRUE(r.test) << name;  // all from the acceptance environment (zone 202 = 92)
    EXPECT_TRUE(r.problems.empty()) << name << ": " << r.problems.front().to_string();
    if (r.message == "931000") {
      EXPECT_EQ(r.acknowledged, "920000") << name;  // padded with spaces by one fund, zeros by another
      EXPECT_TRUE(r.records.empty());
      continue;
    }
    if (r.message == "920999") continue;  // its own test below
    auto raw = raw_records(bytes);
    ASSERT_EQ(r.records.size(), raw.size()) << name;
    for (size_t i = 0; i < raw.size(); ++i) {
      EXPECT_EQ(r.records[i].record_type, raw[i].type) << name << " record " << i + 1;
      std::vector<std::string> got;
      for (const auto& c : r.records[i].codes) got.push_back(std::string(1, c.letter) + c.code);
      EXPECT_EQ(got, raw[i].codes) << name << " record " << i + 1;
      for (const auto& c : r.records[i].codes)
        if (c.known()) {
          EXPECT_FALSE(c.label_nl.empty()) << c.code;
        }
    }
    if (r.message == "920900") {
      ASSERT_FALSE(r.mutualities.empty()) << name;
      ASSERT_TRUE(r.total) << name;
      // What real funds write: asked = accepted + refused on each account, per mutuality and in total.
      for (const auto* t : {&r.mutualities.front(), &*r.total}) {
        ASSERT_TRUE(t->asked_a && t->accepted_a && t->refused_a) << name;
        EXPECT_EQ(*t->asked_a, *t->accepted_a + *t->refused_a) << name;
        EXPECT_EQ(*t->asked_b, *t->accepted_b + *t->refused_b) << name;
      }
    }
  }
}

TEST(RealFiles, ARejectedLineOfA920900CarriesItsCodeCommentAndAmounts) {
  auto r = mutua::read_response_file((kPeer / "responses" / "real-920900-01.txt").string());
  ASSERT_TRUE(r);
  const mutua::ResponseRecord* line = nullptr;
  for (const auto& rec : r->records)
    if (rec.kind == mutua::RecordKind::Et50) line = &rec;
  ASSERT_NE(line, nullptr);
  EXPECT_TRUE(line->rejected());
  ASSERT_EQ(line->codes.size(), 1u);
  EXPECT_EQ(line->codes[0].letter, 'R');
  EXPECT_EQ(line->codes[0].code, "502405");
  EXPECT_TRUE(line->codes[0].known());
  EXPECT_EQ(line->comment, "Test comment 000003 / 0567011");
  EXPECT_EQ(line->nomenclature, "567011");
  EXPECT_EQ(line->amount_billed, 2375);
  EXPECT_EQ(line->amount_accepted, 0);
  EXPECT_EQ(r->mutualities.front().payment_reference_a, "713/202402/900/");
  EXPECT_EQ(r->error_rate_bp, 0);
  // The echoed ET 10 and ET 90 carry masks of 1s and 9s, not a comment or references.
  EXPECT_TRUE(r->records.front().comment.empty());
  EXPECT_TRUE(r->records.front().oa_reference_a.empty());
}

TEST(RealFiles, ANewerCodeIsReadAndSaidUnknownAndABlankErrorBlockIsNoCode) {
  auto r = mutua::read_response_file((kPeer / "responses" / "real-920900-05.txt").string());
  ASSERT_TRUE(r);
  bool newer = false;
  for (const auto& rec : r->records)
    for (const auto& c : rec.codes)
      if (c.code == "521919") newer = !c.known() && c.letter == 'R';
  EXPECT_TRUE(newer);
  // One fund writes " 0000 " where there is no code.
  auto blank = mutua::read_response_file((kPeer / "responses" / "real-920099-29.txt").string());
  ASSERT_TRUE(blank);
  EXPECT_TRUE(blank->records.front().codes.empty());
  EXPECT_EQ(blank->error_rate_bp, 10000);
  EXPECT_EQ(blank->refusal_type, "02");
}

TEST(RealFiles, A920999IsTwoHeadersAndOneEt96WithTwoDigitZoneCodesEvenCutShort) {
  const std::string bytes = read_all(kPeer / "responses" / "real-920999-01.txt");
  for (size_t cut : {size_t{0}, size_t{7}, size_t{20}}) {
    auto r = mutua::read_response(std::string_view(bytes).substr(0, bytes.size() - cut), "920999");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, "40");
    ASSERT_EQ(r->records.size(), 1u);
    EXPECT_EQ(r->records[0].kind, mutua::RecordKind::Et96);
    EXPECT_EQ(r->records[0].cut_short, cut > 0);
    EXPECT_EQ(r->problems.size(), cut > 0 ? 1u : 0u);
    ASSERT_EQ(r->records[0].zone_errors.size(), 1u);
    const auto& e = r->records[0].zone_errors[0];
    EXPECT_EQ(e.zone, "5011");
    EXPECT_EQ(e.value, "100");
    EXPECT_EQ(e.code, "20");
    EXPECT_EQ(e.label_en, "Value not allowed");
    ASSERT_TRUE(r->total);
    EXPECT_EQ(r->total->asked_a, 2235);
    EXPECT_EQ(r->billing_month, "202401");
    EXPECT_EQ(r->sending_number, "001");
  }
}

TEST(RealFiles, ShowPrintsEveryRealResponseWithItsCodesAndTotals) {
  for (const auto& f : files_in(kPeer / "responses")) {
    auto r = run_mutua("show " + f.string());
    EXPECT_EQ(r.code, 0) << f << "\n" << r.out;
    EXPECT_EQ(r.out.find("!!"), std::string::npos) << f << "\n" << r.out;
  }
  auto settled = run_mutua("show " + (kPeer / "responses" / "real-920900-01.txt").string());
  EXPECT_NE(settled.out.find("R502405 Numéro d'identification du prescripteur"), std::string::npos) << settled.out;
  EXPECT_NE(settled.out.find("comment: Test comment 000003 / 0567011"), std::string::npos);
  EXPECT_NE(settled.out.find("refused A 23.75"), std::string::npos);
  auto refused = run_mutua("show --lang nl " + (kPeer / "responses" / "real-920999-01.txt").string());
  EXPECT_NE(refused.out.find("zone 501 ('100'): error 20 Niet toegelaten waarde"), std::string::npos) << refused.out;
}

namespace {

// The record types of a response after its header, space-separated ("10 20 50 80 90 91 92").
std::string record_types(const std::string& bytes) {
  const bool detailed = bytes.compare(0, 6, "920999") != 0 && bytes.compare(0, 6, "931000") != 0;
  const size_t header = detailed ? 677 : 227, length = detailed ? 800 : 350;
  std::string out;
  for (size_t at = header; at < bytes.size(); at += length) out += (out.empty() ? "" : " ") + bytes.substr(at, 2);
  return out;
}

// What each message looks like in the real corpus.
const std::map<std::string, std::regex>& shapes() {
  static const std::map<std::string, std::regex> s = {
      {"920900", std::regex("10( 20( (30|40|50|51|52))* 80)* 90( 91)+ 92")},
      {"920099", std::regex("10( 20( (30|40|50|51|52))* 80)* 90")},
      {"920098", std::regex("10( 20( (30|40|50|51|52))* 80)* 90")},
      {"920999", std::regex("96")},
  };
  return s;
}

}  // namespace

TEST(RealFiles, MutuaResponsesHaveTheShapesOfRealOnes) {
  // The real ones first: the shapes below are theirs.
  for (const auto& f : files_in(kPeer / "responses")) {
    const std::string bytes = read_all(f), message = bytes.substr(0, 6);
    if (message == "931000") continue;
    EXPECT_TRUE(std::regex_match(record_types(bytes), shapes().at(message))) << f << ": " << record_types(bytes);
  }
  const std::string dir = mutua::testing::temp_path("real-shapes");
  fs::remove_all(dir);
  ASSERT_EQ(run_mutua("gen --seed 3 --members 300 --providers 6 --lines 3000 --error-rate 0.004 --out " + dir).code, 0);
  const std::string db = " --db " + dir + "/m.db";
  ASSERT_EQ(run_mutua("refdata import " + dir + "/refdata" + db).code, 0);
  auto judged = run_mutua("adjudicate --today 2026-12-04 --out " + dir + "/out" + db + " " + dir + "/envois/*");
  std::string accepted_envoi;
  for (const auto& [name, bytes] : mutua::testing::files_of(dir + "/out"))
    if (name.find(".920900.efact") != std::string::npos && accepted_envoi.empty())
      accepted_envoi = name.substr(0, name.find(".920900"));
  ASSERT_FALSE(accepted_envoi.empty()) << judged.out;
  // The same envoi again: refused (920999) with the informative 920098.
  run_mutua("adjudicate --today 2026-12-04 --out " + dir + "/again" + db + " " + dir + "/envois/" + accepted_envoi + ".efact");
  std::map<std::string, int> seen;
  for (const std::string sub : {"/out", "/again"})
    for (const auto& [name, bytes] : mutua::testing::files_of(dir + sub)) {
      if (name.size() < 6 || name.substr(name.size() - 6) != ".efact") continue;
      const std::string message = bytes.substr(0, 6);
      ++seen[message];
      EXPECT_TRUE(std::regex_match(record_types(bytes), shapes().at(message))) << name << ": " << record_types(bytes);
      auto r = mutua::read_response(bytes, name);
      ASSERT_TRUE(r) << name;
      EXPECT_TRUE(r->problems.empty()) << name << ": " << r->problems.front().to_string();
      if (message == "920999") {
        EXPECT_EQ(bytes.size(), 227u + 350u);
        EXPECT_EQ(r->status, "40");
        ASSERT_EQ(r->header_errors.size(), 1u) << bytes.substr(0, 227);
        EXPECT_EQ(r->header_errors[0].zone, "3011");
        EXPECT_EQ(r->header_errors[0].code, "40");
      } else {
        EXPECT_EQ((bytes.size() - 677) % 800, 0u) << name;
      }
      if (message == "920900") {
        for (const auto& t : r->mutualities) {
          EXPECT_EQ(*t.asked_a, *t.accepted_a + *t.refused_a) << name;
          EXPECT_EQ(*t.asked_b, *t.accepted_b + *t.refused_b) << name;
        }
        ASSERT_TRUE(r->total);
        EXPECT_EQ(*r->total->asked_a, *r->total->accepted_a + *r->total->refused_a) << name;
        EXPECT_EQ(r->refusal_type, "00");
      }
      if (message == "920099") {
        EXPECT_TRUE(r->refusal_type == "01" || r->refusal_type == "02") << r->refusal_type;
      }
    }
  for (const char* m : {"920900", "920099", "920098", "920999"}) EXPECT_GT(seen[m], 0) << m;
}
