// The codec on real files: layout table, check digits, reader forms, byte-for-byte round trip.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <sstream>

#include <fmt/format.h>

#include "baseline.h"
#include "mutua/catalog.h"
#include "mutua/check_digits.h"
#include "mutua/layout.h"
#include "mutua/model/dates.h"
#include "mutua/reader.h"
#include "mutua/writer.h"
#include "rules/file_rule.h"

namespace mutua {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// echo_bytes checks eight bytes at a time: every byte value, at every place of every length up
// to three words (the tail after the last whole word too), becomes what the byte-by-byte rule
// says: a control byte (below 0x20, or DEL) is '?', anything else is kept.
TEST(Writer, EchoedBytesReplaceEveryControlByteWherever) {
  for (size_t len = 0; len <= 24; ++len)
    for (size_t at = 0; at < std::max<size_t>(len, 1); ++at)
      for (int b = 0; b < 256; ++b) {
        std::string src(len, 'A');
        for (size_t k = 0; k < len; ++k) src[k] = static_cast<char>(0x80 + (k * 7) % 0x7F);  // high bytes around
        if (len) src[at] = static_cast<char>(b);
        std::string want = src;
        for (char& c : want)
          if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) == 0x7F) c = '?';
        std::string got(len, ' ');
        mutua::echo_bytes(got.data(), src);
        ASSERT_EQ(got, want) << "length " << len << ", byte " << b << " at " << at;
      }
}

// iso() writes the dates of years 1000-9999 by hand: the bytes fmt writes, for values all
// along that range and past both its ends (a value that is no calendar date included).
TEST(Dates, IsoIsWhatFormattingWrites) {
  std::vector<mutua::model::Date> values = {1, 9999999, 10000000, 10000101, 20261123, 20261399, 99991231, 99999999,
                                            100000000, 123456789};
  for (mutua::model::Date d = 10000000; d <= 99999999; d += 9973) values.push_back(d);
  for (auto d : values)
    EXPECT_EQ(mutua::model::iso(d), fmt::format("{:04d}-{:02d}-{:02d}", d / 10000, (d / 100) % 100, d % 100)) << d;
  EXPECT_EQ(mutua::model::iso(0), "");
}

TEST(Layout, EveryRecordTilesItsLength) {
  const Layout& L = Layout::builtin();
  EXPECT_EQ(L.length(RecordKind::Segment200), 67);
  EXPECT_EQ(L.length(RecordKind::Segment300), 160);
  EXPECT_EQ(L.length(RecordKind::Segment300Response), 610);
  for (auto k : {RecordKind::Et10, RecordKind::Et20, RecordKind::Et30, RecordKind::Et40, RecordKind::Et50,
                 RecordKind::Et51, RecordKind::Et52, RecordKind::Et80, RecordKind::Et90, RecordKind::Et95, RecordKind::Et96})
    EXPECT_EQ(L.length(k), 350) << record_kind_name(k);
  EXPECT_EQ(L.length(RecordKind::Et91), 800);
  EXPECT_EQ(L.length(RecordKind::Et92), 800);
  EXPECT_EQ(L.length(RecordKind::ResponseBlock), 800);
  EXPECT_EQ(L.at(RecordKind::ResponseBlock, "149").pos, 534);
  EXPECT_EQ(L.at(RecordKind::Et50, "19").pos, 88);
}

TEST(Layout, RejectsAGap) {
  auto bad = Layout::parse("record\tzone\tpos\tlen\ttype\tname\tconfidence\n10\t1\t1\t2\tN\ttype\tV\n10\t2\t4\t6\tN\tseq\tV\n");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("gap or overlap"), std::string::npos);
}

TEST(Catalog, HoldsTheOfficialListAndProjectCodes) {
  const Catalog& c = Catalog::builtin();
  size_t official = 0, project = 0;
  for (const auto& info : c.all()) (info.project ? project : official)++;
  EXPECT_EQ(official, 1868u);  // 1,867 rows, 203210 listed twice, plus 5004K6 and 503325 (newer)
  EXPECT_GT(project, 20u);
  ASSERT_TRUE(c.find("500545"));
  EXPECT_EQ(c.find("500545")->type, 'R');
  EXPECT_EQ(c.find("201803")->type, 'B');
  EXPECT_EQ(c.find("203210")->type, 'F');
  EXPECT_NE(c.label("500402", "nl").find("controlecijfer"), std::string_view::npos);
  for (const auto& info : c.all())
    if (info.project) {
      EXPECT_EQ(info.code[0], 'Z') << info.code;
    }
}

TEST(CheckDigits, Identifiers) {
  EXPECT_EQ(check::nomenclature("425014"), check::Verdict::Valid);
  EXPECT_EQ(check::nomenclature("0428035"), check::Verdict::Valid);
  EXPECT_EQ(check::nomenclature("425015"), check::Verdict::BadCheckDigits);
  for (const char* inami : {"49488014401", "48594426401", "46611468408", "10765119340", "17385467004", "12334539004"})
    EXPECT_EQ(check::inami(inami), check::Verdict::Valid) << inami;
  EXPECT_EQ(check::inami("10765118340"), check::Verdict::BadCheckDigits);
  EXPECT_EQ(check::inami("91234567890"), check::Verdict::Valid);  // fictitious grouping
  EXPECT_EQ(check::niss("85073003328"), check::Verdict::Valid);
  EXPECT_EQ(check::niss("01020312345"), check::Verdict::Valid);  // born 2001
  EXPECT_EQ(check::niss("85073003329"), check::Verdict::BadCheckDigits);
  EXPECT_EQ(check::iban("BE71096123456769"), check::Verdict::Valid);
  EXPECT_EQ(check::iban("BE72096123456769"), check::Verdict::BadCheckDigits);
  EXPECT_EQ(check::iban("BE7109612345676"), check::Verdict::Malformed);
  EXPECT_EQ(check::bce("0202239951"), check::Verdict::Valid);
  EXPECT_EQ(check::record_check_digits(std::string(348, '0')), 97);
  EXPECT_EQ(check::record_check_digits("A"), 11);
  EXPECT_EQ(check::record_check_digits(" +"), 47);
}

// The record's sum, character by character as FORMAT.md gives it, against the sixteen-at-a-time
// sum: every byte value at every place of a 348-character record (each lane of each block, and
// the tail summed one by one).
TEST(CheckDigits, RecordSumCountsEveryByteLikeTheCharacterTable) {
  auto value = [](unsigned char c) -> uint64_t {
    if (c >= '0' && c <= '9') return c - '0';
    if (c == ' ') return 10;
    if (c >= 'A' && c <= 'Z') return 11 + c - 'A';
    if (c >= 'a' && c <= 'z') return 11 + c - 'a';
    return 37;
  };
  std::string record(348, '7');
  for (size_t at = 0; at < record.size(); ++at) {
    for (int b = 0; b < 256; ++b) {
      record[at] = static_cast<char>(b);
      uint64_t sum = 0;
      for (unsigned char c : record) sum += value(c);
      const int want = sum % 97 == 0 ? 97 : static_cast<int>(sum % 97);
      ASSERT_EQ(check::record_check_digits(record), want) << "byte " << b << " at " << at;
    }
    record[at] = '7';
  }
  std::string letters = "The Quick brown FOX jumps over the lazy dog @[`{ 0123456789 ~\x7f";
  uint64_t sum = 0;
  for (unsigned char c : letters) sum += value(c);
  EXPECT_EQ(check::record_check_digits(letters), sum % 97 == 0 ? 97 : static_cast<int>(sum % 97));
}

// The zones' numbers, eight characters at a time, against the character loop they replace: every
// length to 24, digits only and with one other byte (each value) at each place, so each lane of
// each word, the short tail and the loop after a break are all compared.
TEST(ZoneNumbers, DigitsReadEightAtATimeLikeOneByOne) {
  auto value = [](std::string_view s) {
    uint64_t v = 0;
    for (char c : s)
      if (c >= '0' && c <= '9') v = v * 10 + static_cast<uint64_t>(c - '0');
    return v;
  };
  auto only_digits = [](std::string_view s) {
    for (char c : s)
      if (c < '0' || c > '9') return false;
    return !s.empty();
  };
  for (size_t n = 0; n <= 24; ++n) {
    std::string digits;
    for (size_t i = 0; i < n; ++i) digits += static_cast<char>('0' + (i * 7 + n) % 10);
    ASSERT_EQ(rules::digits_value(digits), value(digits)) << digits;
    ASSERT_EQ(rules::is_digits(digits), only_digits(digits)) << digits;
    for (size_t at = 0; at < n; ++at) {
      std::string z = digits;
      for (int b = 0; b < 256; ++b) {
        z[at] = static_cast<char>(b);
        ASSERT_EQ(rules::digits_value(z), value(z)) << "byte " << b << " at " << at << " of " << n;
        ASSERT_EQ(rules::is_digits(z), only_digits(z)) << "byte " << b << " at " << at << " of " << n;
      }
    }
  }
  EXPECT_EQ(rules::digits_value("+00001234"), 1234u);
  EXPECT_EQ(rules::digits_value("20261207"), 20261207u);
  EXPECT_EQ(rules::digits_value("9999999999999999999"), 9999999999999999999ULL);
  EXPECT_EQ(rules::signed_value("-00000012345"), -12345);
  EXPECT_FALSE(rules::is_digits("1234567 "));
  EXPECT_FALSE(rules::is_digits(""));
}

TEST(Reader, RoundTripsEveryFramingByteForByte) {
  for (Framing f : {Framing::Flat, Framing::LF, Framing::CRLF}) {
    std::string original = testing::baseline_file(f);
    std::string in = testing::temp_path("rt-in"), out = testing::temp_path("rt-out");
    { std::ofstream(in, std::ios::binary) << original; }
    auto reader = Reader::open(in);
    ASSERT_TRUE(reader) << reader.error().to_string();
    EXPECT_EQ((*reader)->framing(), f);
    EXPECT_EQ((*reader)->message_type(), MessageType::Billing920000);
    auto writer = FileWriter::create(out);
    ASSERT_TRUE(writer);
    auto problems = copy_file(**reader, *writer);
    ASSERT_TRUE(problems);
    EXPECT_TRUE(problems->empty());
    ASSERT_TRUE(writer->close());
    EXPECT_EQ(read_all(out), original) << framing_name(f);
    ::unlink(in.c_str());
    ::unlink(out.c_str());
  }
}

TEST(Reader, ReportsAWrongLineLengthAndReadsOn) {
  std::string file = testing::baseline_file(Framing::LF);
  // Shorten the third record's line by one character.
  size_t line3 = file.find('\n', file.find('\n', file.find('\n') + 1) + 1) + 1;
  file.erase(line3 + 10, 1);
  auto reader = Reader::from_string(file, "short.efact");
  ASSERT_TRUE(reader);
  std::vector<Error> problems;
  RecordView rec;
  size_t records = 0;
  while ((*reader)->next(rec, problems)) ++records;
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].code, "Z00004");
  EXPECT_EQ(problems[0].record, 3u);
  EXPECT_EQ(records, 15u);  // 16 records, one skipped
}

TEST(Reader, SkipsALineWithoutNewlineInBoundedMemory) {
  std::string file = testing::baseline_file(Framing::LF);
  file += std::string(3 << 20, 'x');  // 3 MiB with no line end, through a 64 KiB buffer
  auto reader = Reader::from_string(file, "long.efact", {.buffer_size = 64 << 10});
  ASSERT_TRUE(reader);
  std::vector<Error> problems;
  RecordView rec;
  size_t records = 0;
  while ((*reader)->next(rec, problems)) ++records;
  EXPECT_EQ(records, 16u);
  ASSERT_FALSE(problems.empty());
  EXPECT_EQ(problems.back().code, "Z00004");
}

TEST(Reader, RandomBytesNeverCrash) {
  uint64_t s = 42;
  for (int i = 0; i < 200; ++i) {
    std::string junk = "920000";
    size_t n = (s = s * 6364136223846793005ULL + 1) % 5000;
    for (size_t j = 0; j < n; ++j) junk += static_cast<char>((s = s * 6364136223846793005ULL + 1) >> 56);
    auto reader = Reader::from_string(junk, "junk");
    if (!reader) continue;
    std::vector<Error> problems;
    RecordView rec;
    while ((*reader)->next(rec, problems)) EXPECT_EQ(rec.bytes.size(), 350u);
  }
}

TEST(Writer, BuilderPadsZonesByType) {
  RecordBuilder b(RecordKind::Et50);
  b.digits("4", "425014").amount("19", -1250).text("28", "REF");
  const std::string& r = b.finish(7);
  EXPECT_EQ(r.substr(0, 8), "50000007");
  EXPECT_EQ(r.substr(9, 7), "0425014");
  EXPECT_EQ(r.substr(87, 12), "-00000001250");
  EXPECT_EQ(r.substr(137, 5), "REF  ");
  EXPECT_EQ(std::stoi(r.substr(348, 2)), check::record_check_digits(std::string_view(r).substr(0, 348)));
}

}  // namespace
}  // namespace mutua

// Whole files written at once: small ones the ordinary way, large ones past the page cache with
// a tail that is not a whole block; each read back byte for byte, and a shorter file replacing
// a longer one leaves nothing of it.
TEST(WriteWholeFile, GivesBackTheSameBytesAtEverySize) {
  const std::string path = mutua::testing::temp_path("whole.bin");
  std::string big(size_t{8} << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('A' + (i * 7919) % 26);
  for (size_t size : {size_t{0}, size_t{1}, size_t{4096}, (size_t{8} << 20) - 1, size_t{8} << 20, (size_t{8} << 20) + 1,
                      (size_t{16} << 20) + 4095, (size_t{17} << 20) + 123, size_t{3} << 20}) {
    std::string want;
    while (want.size() < size) want += big.substr(0, std::min(big.size(), size - want.size()));
    if (!want.empty()) want[want.size() - 1] = '#';
    auto w = mutua::write_whole_file(path, want);
    ASSERT_TRUE(w.has_value()) << size << ": " << w.error().message;
    std::ifstream in(path, std::ios::binary);
    std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    ASSERT_EQ(got.size(), want.size()) << size;
    EXPECT_TRUE(got == want) << size;
  }
  auto bad = mutua::write_whole_file("/nonexistent-dir/x.bin", "abc");
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message.find("cannot create"), std::string::npos);
  std::remove(path.c_str());
}
