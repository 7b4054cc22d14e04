// `mutua exchange` as its parties meet it: the real binary serving its own SQLite file, a
// provider and a fund talking to it through the library's HTTP client (exchange_client), the
// fund judging with a real store. Billing files from `mutua gen`.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <filesystem>
#include <map>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sqlite3.h>

#include "baseline.h"
#include "exchange_process.h"
#include "mutua/exchange/fund.h"
#include "mutua/exchange/transport.h"
#include "mutua/model/refdata.h"
#include "mutua/provider/book.h"
#include "mutua/response_reader.h"
#include "mutua/store/memory.h"
#include "mutua/store/sqlite.h"
#include "store/blobs.h"

namespace fs = std::filesystem;
using mutua::testing::read_all;
using mutua::testing::run_mutua;
using namespace mutua::exchange;

namespace {

std::string zone204(const std::string& file) { return file.substr(20, 14); }
std::string reference_of(const std::string& file) {
  const std::string z = zone204(file);
  const auto first = z.find_first_not_of('0');
  return first == std::string::npos ? "0" : z.substr(first);
}

class ExchangeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One provider's month: ten envois of 30 lines to union 300, some with mistakes.
    ASSERT_EQ(run_mutua("gen --seed 11 --members 300 --providers 5 --lines 300 --envoi-lines 30 --senders 1 --error-rate 0.05 "
                        "--test-files 0 --out " + dir_ + "/g").code, 0);
    // The files to one union (the name ends with it: ...-300.efact), by their reference.
    std::map<std::string, std::vector<std::pair<std::string, std::string>>> by_union;
    for (const auto& f : fs::directory_iterator(dir_ + "/g/envois")) {
      const std::string name = f.path().filename().string();
      by_union[name.substr(name.size() - 9, 3)].emplace_back(f.path().string(), read_all(f.path()));
    }
    for (const auto& [u, list] : by_union)
      if (list.size() > by_union[union_].size()) union_ = u;
    for (const auto& [path, bytes] : by_union[union_]) {
      files_.push_back(bytes);
      paths_.push_back(path);
    }
    ASSERT_GE(files_.size(), 4u);
    // The third party the files bill for (ET 10 zone 14), as `mutua show` reads it.
    auto parse = run_mutua("show " + paths_[0]);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(parse.out, m, std::regex(R"(\b14\s+[^\n]*?(\d{11})\n)"))) << parse.out.substr(0, 3000);
    provider_ = m[1];
    ASSERT_EQ(run_mutua("refdata import " + dir_ + "/g/refdata --db " + dir_ + "/fund.db").code, 0);
    provider_token_ = token("--id " + provider_);
    fund_token_ = token("--id " + union_ + " --fund");
    other_ = union_ == "500" ? "600" : "500";
    other_token_ = token("--id " + other_ + " --fund");
  }
  void TearDown() override { stop(); }

  std::string token(const std::string& args) { return exchange_.token(args); }
  void start(std::vector<std::string> more = {}) {
    exchange_.start(std::move(more));
    log_ = exchange_.log();
  }
  void stop() { exchange_.stop(); }
  std::string url() const { return exchange_.url(); }
  std::unique_ptr<Transport> as(const std::string& token) { return exchange_client(url(), token); }

  // The world's reference file as rows of cells (its header dropped).
  std::vector<std::vector<std::string>> rows(const std::string& file) {
    std::vector<std::vector<std::string>> out;
    std::istringstream in(read_all(dir_ + "/g/refdata/" + file));
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      std::vector<std::string> cells;
      std::stringstream ss(line);
      std::string c;
      while (std::getline(ss, c, ',')) cells.push_back(c);
      if (!line.empty() && line.back() == ',') cells.push_back("");
      out.push_back(cells);
    }
    return out;
  }
  void provider_bank(std::string& iban, std::string& bic, std::string& bce) {
    for (const auto& r : rows("providers.csv"))
      if (r[0] == provider_) {
        bce = r[3];
        iban = r[4];
        bic = r[5];
      }
  }
  // What the provider bills for its own care, from the world's reference data: a GP's
  // consultation or a nurse's visit (and the code with a wrong check digit), its destination in
  // the union, the fee, and the members' CT1-CT2 ("110,110").
  struct Care {
    std::string kind, good, bad, destination, fee;
    std::map<std::string, std::string> ct;
  };
  Care care() {
    Care c;
    for (const auto& r : rows("providers.csv"))
      if (r[0] == provider_) c.kind = r[1];
    c.good = c.kind == "gp" ? "101010" : "425014";
    c.bad = c.kind == "gp" ? "101011" : "425015";
    for (const auto& r : rows("provider_destinations.csv"))
      if (r[0] == provider_ && r[1] == union_ && r[3] == "1") c.destination = r[2];
    for (const auto& r : rows("nomenclature.csv"))
      if (r[0] == c.good) c.fee = r[1];
    for (const auto& r : rows("insurability.csv"))
      if (r[2].empty()) c.ct[r[0]] = r[3] + "," + r[4];
    return c;
  }
  // Eight attestations of the provider's care in its book (dir_/provider.db), batched into one
  // envoi, sent, judged by the fund as received on 6 November, and the answers synced.
  void one_envoi_answered() {
    ASSERT_NO_FATAL_FAILURE(write_attestations(dir_ + "/attestations.csv", -1, -1));
    auto book = mutua::provider::Book::open(dir_ + "/provider.db");
    ASSERT_TRUE(book);
    ASSERT_EQ((*book)->import_attestations(dir_ + "/attestations.csv")->imported, 8);
    std::string iban, bic, bce;
    provider_bank(iban, bic, bce);
    ASSERT_EQ((*book)->batch({.provider = provider_, .iban = iban, .bic = bic, .bce = bce, .today = 20261105})->envois.size(), 1u);
    auto transport = as(provider_token_);
    ASSERT_TRUE((*book)->send(*transport, Environment::Production, {}));
    auto store = mutua::store::open_sqlite(dir_ + "/fund.db");
    ASSERT_TRUE(store);
    FundRoundOptions f;
    f.today = 20261106;
    ASSERT_EQ(fund_round(**store, *as(fund_token_), f)->answered, 1);
    ASSERT_TRUE((*book)->sync(*transport, Environment::Production));
  }
  // Eight attestations of the provider's own care (a GP's consultation, a nurse's visit) to
  // members of the union, from the world's reference data; the one at `wrong_amount` (0-based)
  // billed at a wrong amount, the one at `wrong_code` with a code whose check digit is wrong (-1:
  // none).
  void write_attestations(const std::string& path, int wrong_amount, int wrong_code) {
  // From the world's reference data: the provider's nurses, its destination in the union,
  // members of that union with their CT1-CT2, the fee of a nursing visit.
  // The provider gives the care itself: a GP's consultation, a nurse's visit.
  const Care c = care();
  ASSERT_TRUE(c.kind == "gp" || c.kind == "nurse") << c.kind;
  const std::string &good = c.good, &bad = c.bad, &destination = c.destination, &fee = c.fee;
  const auto& ct = c.ct;
  const std::string nurse = provider_;
  std::vector<std::pair<std::string, std::string>> members;  // niss, mutuality
  for (const auto& r : rows("members.csv"))
    if (r[3][0] == union_[0] && ct.count(r[0]) && members.size() < 8) members.emplace_back(r[0], r[3]);
  ASSERT_FALSE(destination.empty());
  ASSERT_EQ(members.size(), 8u);
  std::string csv = "attestation,niss,affiliation,destination,ct1,ct2,sex,date,code,amount_cents,units,prescriber,prescription_date,performer\n";
  for (size_t i = 0; i < members.size(); ++i) {
    const std::string amount = static_cast<int>(i) == wrong_amount ? "1000" : fee;
    const std::string code = static_cast<int>(i) == wrong_code ? bad : good;
    csv += fmt::format("A-{:04d},{},{},{},{},1,2026-10-{:02d},{},{},1,,,{}\n", i + 1, members[i].first, members[i].second, destination,
                       ct.at(members[i].first), 5 + i, code, amount, nurse);
  }
  std::ofstream(path) << csv;
  }

  // The reference data the provider knows, for pre-flight: the fund's here, in a scratch store.
  void scratch_refdata(std::unique_ptr<mutua::model::RefDataStore>& out) {
    auto tables = mutua::model::read_refdata_dir(dir_ + "/g/refdata");
    ASSERT_TRUE(tables);
    std::vector<mutua::Error> problems;
    auto parsed = mutua::model::parse_refdata(*tables, dir_ + "/g/refdata", problems);
    ASSERT_TRUE(parsed);
    out = mutua::store::memory_refdata(std::move(*parsed));
  }

  std::string dir_ = make_dir();
  mutua::testing::ExchangeProcess exchange_{dir_};
  std::string log_, provider_, provider_token_, fund_token_, other_token_, union_, other_;
  std::vector<std::string> files_, paths_;

 private:
  static std::string make_dir() {
    const std::string dir =
        mutua::testing::temp_path("exchange-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    return dir;
  }
};

TEST_F(ExchangeTest, APostIsTakenOnceAndDeliveredUntilConfirmed) {
  start();
  auto provider = as(provider_token_);
  auto fund = as(fund_token_);
  const std::string ref = reference_of(files_[0]);
  auto first = provider->post(Environment::Production, union_, ref, files_[0]);
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->success) << first->reason;
  EXPECT_EQ(first->message_type, "920000");
  // The same reference again: the same acknowledgement, nothing stored twice.
  auto again = provider->post(Environment::Production, union_, ref, files_[0]);
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->success);
  EXPECT_EQ(again->reference, first->reference);

  auto got = fund->get(Environment::Production, 10);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), 1u);
  EXPECT_EQ((*got)[0].content, files_[0]);  // byte for byte
  EXPECT_EQ((*got)[0].sender, provider_);
  EXPECT_EQ((*got)[0].input_reference, ref);
  // Not confirmed: delivered again; confirmed: gone.
  auto second = fund->get(Environment::Production, 10);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->size(), 1u);
  EXPECT_EQ((*second)[0].hash, (*got)[0].hash);
  ASSERT_EQ(*fund->confirm(Environment::Production, {(*got)[0].hash}), 1);
  EXPECT_TRUE(fund->get(Environment::Production, 10)->empty());
  // Another fund sees nothing of it; the provider has its acknowledgement to collect.
  EXPECT_TRUE(as(other_token_)->get(Environment::Production, 10)->empty());
  auto acks = provider->get(Environment::Production, 10);
  ASSERT_TRUE(acks);
  ASSERT_EQ(acks->size(), 1u);
  EXPECT_EQ((*acks)[0].kind, Delivered::Kind::Acknowledgement);
  EXPECT_TRUE((*acks)[0].ack.success);
}

// A message comes packed (Content-Encoding: zstd, as mutua's client sends it) or as it is; the
// exchange reads either, keeps it packed, and delivers its bytes as they were. What says it is
// packed and is not, or unpacks past the exchange's limit, is refused before it is read.
TEST_F(ExchangeTest, AMessageComesPackedOrNotAndIsDeliveredAsItWas) {
  start();
  httplib::Client http(url());
  const httplib::Headers auth = {{"Authorization", "Bearer " + provider_token_}};
  auto path = [&](const std::string& reference) {
    return "/exchange/v1/messages?environment=production&recipient=" + union_ + "&input_reference=" + reference;
  };
  // As it is, from a client of another make.
  auto plain = http.Post(path(reference_of(files_[0])).c_str(), auth, files_[0], "application/octet-stream");
  ASSERT_TRUE(plain);
  ASSERT_EQ(plain->status, 200) << plain->body;
  EXPECT_NE(plain->body.find("\"success\""), std::string::npos) << plain->body;
  // Packed, by mutua's client, and a frame posted as it is.
  auto provider = as(provider_token_);
  auto packed = provider->post(Environment::Production, union_, reference_of(files_[1]), files_[1]);
  ASSERT_TRUE(packed) << packed.error().message;
  EXPECT_TRUE(packed->success) << packed->reason;
  const mutua::store::Packed frame = mutua::store::packed(files_[2]);
  ASSERT_NE(frame.owned, nullptr) << "a billing file packs";
  auto as_frame = provider->post_packed(Environment::Production, union_, reference_of(files_[2]), std::string(frame.bytes));
  ASSERT_TRUE(as_frame) << as_frame.error().message;
  EXPECT_TRUE(as_frame->success) << as_frame->reason;

  auto got = as(fund_token_)->get(Environment::Production, 10);
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_EQ(got->size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ((*got)[i].content, files_[i]) << "message " << i << " byte for byte";
  // Kept packed in the exchange's file.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(exchange_.db().c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* s = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT content FROM items WHERE kind = 'message' ORDER BY id", -1, &s, nullptr), SQLITE_OK);
    int n = 0;
    size_t kept = 0, raw = 0;
    while (sqlite3_step(s) == SQLITE_ROW) {
      const std::string content(static_cast<const char*>(sqlite3_column_blob(s, 0)), static_cast<size_t>(sqlite3_column_bytes(s, 0)));
      EXPECT_TRUE(mutua::store::frame_size(content)) << "message " << n << " kept as a zstd frame";
      kept += content.size();
      raw += files_[static_cast<size_t>(n)].size();
      ++n;
    }
    sqlite3_finalize(s);
    sqlite3_close(db);
    EXPECT_EQ(n, 3);
    EXPECT_LT(kept * 3, raw) << "packed, a billing file takes a fraction of its bytes";
  }

  // Says packed, is not: refused before it is read, nothing taken.
  httplib::Headers zstd = auth;
  zstd.emplace("Content-Encoding", "zstd");
  auto junk = http.Post(path(reference_of(files_[3])).c_str(), zstd, files_[3], "application/octet-stream");
  ASSERT_TRUE(junk);
  EXPECT_EQ(junk->status, 400);
  EXPECT_NE(junk->body.find("no zstd frame"), std::string::npos) << junk->body;
  httplib::Headers compress = auth;
  compress.emplace("Content-Encoding", "compress");
  auto other = http.Post(path(reference_of(files_[3])).c_str(), compress, files_[3], "application/octet-stream");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 415) << other->body;
  // A frame that says it unpacks to more than the exchange takes (a zstd bomb) is not unpacked:
  // its header (magic, a descriptor for a single segment with an 8-byte size: 4 GiB) and a last
  // block of one repeated blank.
  const std::string bomb = std::string("\x28\xB5\x2F\xFD\xE0", 5) + std::string("\x00\x00\x00\x00\x01\x00\x00\x00", 8) +
                           std::string("\x0B\x00\x00 ", 4);
  ASSERT_EQ(mutua::store::frame_size(bomb), std::optional<uint64_t>(1ULL << 32));
  auto large = http.Post(path(reference_of(files_[3])).c_str(), zstd, bomb, "application/octet-stream");
  ASSERT_TRUE(large);
  EXPECT_EQ(large->status, 413) << large->body;
  EXPECT_TRUE(as(fund_token_)->get(Environment::Production, 10)->size() == 3u) << "nothing more taken";
}

TEST_F(ExchangeTest, WhatIsWrongIsRefusedWithItsReasonAndEnvironmentsNeverMix) {
  start();
  auto provider = as(provider_token_);
  const std::string ref = reference_of(files_[1]);
  auto refused = [&](Environment env, const std::string& to, const std::string& reference, const std::string& bytes) {
    auto a = provider->post(env, to, reference, bytes);
    EXPECT_TRUE(a) << a.error().message;
    EXPECT_FALSE(a && a->success);
    return a ? a->reason : std::string();
  };
  EXPECT_NE(refused(Environment::Test, union_, ref, files_[1]).find("posted to test"), std::string::npos);
  EXPECT_NE(refused(Environment::Production, other_, ref, files_[1]).find("union " + union_), std::string::npos);
  EXPECT_NE(refused(Environment::Production, union_, "999", files_[1]).find("zone 204"), std::string::npos);
  std::string torn = files_[1].substr(0, 227 + 100);  // cut inside its first record
  const std::string torn_reason = refused(Environment::Production, union_, "998", torn);
  EXPECT_NE(torn_reason.find("unreadable"), std::string::npos) << torn_reason;
  // A provider does not post responses.
  std::string ack = acknowledgement_931000(files_[1], "1");
  EXPECT_NE(refused(Environment::Production, union_, "997", ack).find("not responses"), std::string::npos);
  // The same file as a test message (zone 202 = 92) goes to test only.
  std::string test_file = files_[2];
  test_file.replace(12, 2, "92");
  auto taken = provider->post(Environment::Test, union_, reference_of(files_[2]), test_file);
  ASSERT_TRUE(taken);
  // (zone 202 changed, the file's own checks may still take or refuse it: what matters is where it goes)
  auto fund = as(fund_token_);
  EXPECT_TRUE(fund->get(Environment::Production, 10)->empty());
  EXPECT_EQ(fund->get(Environment::Test, 10)->size(), taken->success ? 1u : 0u);
  // A bad token is refused.
  EXPECT_FALSE(as("not-a-token")->get(Environment::Production, 1));
}

TEST_F(ExchangeTest, AGetTooSoonIsRefusedAsNotEnoughTime) {
  start({"--poll-interval", "30"});
  auto fund = as(fund_token_);
  ASSERT_TRUE(fund->get(Environment::Production, 10));
  auto soon = fund->get(Environment::Production, 10);
  ASSERT_FALSE(soon);
  EXPECT_EQ(soon.error().code, kNotEnoughTime);
  EXPECT_NE(soon.error().message.find("not enough time"), std::string::npos);
  // Each environment has its own interval.
  EXPECT_TRUE(fund->get(Environment::Test, 10));
}

// The whole round trip: the provider posts its month, the fund answers each file through the
// exchange (931000, then 920900 / 920099 / 920999, and 920098), the provider reads every answer.
TEST_F(ExchangeTest, AFundAnswersEveryFileThroughTheExchange) {
  start();
  auto provider = as(provider_token_);
  auto fund = as(fund_token_);
  for (const auto& f : files_) ASSERT_TRUE(provider->post(Environment::Production, union_, reference_of(f), f)->success);
  auto store = mutua::store::open_sqlite(dir_ + "/fund.db");
  ASSERT_TRUE(store);
  FundRoundOptions o;
  o.today = 20261123;
  auto round = fund_round(**store, *fund, o);
  ASSERT_TRUE(round) << round.error().message;
  EXPECT_EQ(round->received, static_cast<int64_t>(files_.size()));
  EXPECT_EQ(round->answered, static_cast<int64_t>(files_.size()));
  EXPECT_TRUE(round->problems.empty()) << round->problems[0].message;
  auto got = provider->get(Environment::Production, 1000);
  ASSERT_TRUE(got);
  std::map<std::string, std::vector<std::string>> answers;  // by the provider's reference (zone 204)
  for (const auto& d : *got) {
    if (d.kind != Delivered::Kind::Message) continue;
    auto r = mutua::read_response(d.content, "answer");
    ASSERT_TRUE(r) << r.error().message;
    answers[r->provider_reference].push_back(r->message);
    if (r->type == mutua::MessageType::Ack931000) {
      EXPECT_EQ(r->acknowledged, "920000");
    }
  }
  ASSERT_EQ(answers.size(), files_.size());
  for (const auto& f : files_) {
    const auto& a = answers[zone204(f)];
    ASSERT_GE(a.size(), 2u) << zone204(f);
    EXPECT_EQ(a[0], "931000");
    EXPECT_TRUE(a[1] == "920900" || a[1] == "920099" || a[1] == "920999") << a[1];
  }
  // Nothing left for the fund; its next round does nothing.
  auto next = fund_round(**store, *fund, o);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->received, 0);
}

// In fault mode (duplicates, reordering, dropped confirmations, delays, refused gets, cut
// 920999s), rounds until nothing is left: every file judged once (no envoi recorded twice), every
// answer delivered to the provider, readable, the same answers as a run without faults.
TEST_F(ExchangeTest, FaultsNeverMakeAFileJudgedTwiceOrAnAnswerLost) {
  start({"--faults", "7:0.3"});
  auto provider = as(provider_token_);
  auto fund = as(fund_token_);
  for (const auto& f : files_) {
    auto a = provider->post(Environment::Production, union_, reference_of(f), f);
    ASSERT_TRUE(a);
    ASSERT_TRUE(a->success) << a->reason;
  }
  auto store = mutua::store::open_sqlite(dir_ + "/fund.db");
  ASSERT_TRUE(store);
  FundRoundOptions o;
  o.today = 20261123;
  std::map<std::string, std::set<std::string>> answers;  // zone 204 -> messages received
  std::set<std::string> confirmed;
  int64_t judged = 0, again = 0;
  for (int i = 0; i < 60; ++i) {
    auto round = fund_round(**store, *fund, o);
    if (round) {
      judged += round->answered - round->again;
      again += round->again;
    }
    auto got = provider->get(Environment::Production, 1000);
    if (!got) continue;  // refused: try again
    std::vector<std::string> hashes;
    for (const auto& d : *got) {
      hashes.push_back(d.hash);
      if (d.kind != Delivered::Kind::Message) continue;
      auto r = mutua::read_response(d.content, "answer");
      ASSERT_TRUE(r) << r.error().message;  // a 920999 cut short still reads
      answers[r->provider_reference].insert(r->message);
    }
    for (const auto& h : hashes) confirmed.insert(h);
    (void)provider->confirm(Environment::Production, hashes);
    auto complete = [&] {
      if (answers.size() != files_.size()) return false;
      for (const auto& [ref, m] : answers)
        if (!m.count("931000") || !(m.count("920900") || m.count("920099") || m.count("920999"))) return false;
      return true;
    };
    if (complete() && round && round->received == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // delayed messages become visible
  }
  EXPECT_EQ(answers.size(), files_.size());
  EXPECT_EQ(judged, static_cast<int64_t>(files_.size())) << "a file judged twice, or never";
  auto envois = (*store)->envois();
  ASSERT_TRUE(envois);
  EXPECT_EQ(envois->size(), files_.size()) << "an envoi recorded twice";
  for (const auto& [ref, messages] : answers) {
    EXPECT_TRUE(messages.count("931000")) << ref;
    EXPECT_TRUE(messages.count("920900") || messages.count("920099") || messages.count("920999")) << ref;
  }
}

// The provider's side: its book records and posts the month, syncs what came back through a
// faulty exchange until every envoi stands where its answers say, each answer kept once; the
// rejected lines are listed with their codes, labels and fix hints, as the fund's answers say.
TEST_F(ExchangeTest, AProviderSendsSyncsAndFindsWhatToCorrect) {
  start({"--faults", "3:0.25"});
  auto transport = as(provider_token_);
  auto fund = as(fund_token_);
  auto book = mutua::provider::Book::open(dir_ + "/provider.db");
  ASSERT_TRUE(book);
  std::vector<std::pair<std::string, std::string>> named;
  for (size_t i = 0; i < files_.size(); ++i) named.emplace_back(paths_[i], files_[i]);
  auto sent = (*book)->send(*transport, Environment::Production, named);
  ASSERT_TRUE(sent) << sent.error().message;
  EXPECT_EQ(sent->sent, static_cast<int64_t>(files_.size()));
  // Sent again (the provider's software restarted): nothing recorded or posted twice.
  auto again = (*book)->send(*transport, Environment::Production, named);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->sent, 0);
  auto store = mutua::store::open_sqlite(dir_ + "/fund.db");
  ASSERT_TRUE(store);
  FundRoundOptions o;
  o.today = 20261123;
  auto settled = [&] {
    auto list = (*book)->envois();
    if (!list || list->size() != files_.size()) return false;
    for (const auto& e : *list)
      if (e.state != mutua::provider::EnvoiState::Accepted && e.state != mutua::provider::EnvoiState::Rejected &&
          e.state != mutua::provider::EnvoiState::Refused)
        return false;
    return true;
  };
  for (int i = 0; i < 60 && !settled(); ++i) {
    (void)fund_round(**store, *fund, o);
    (void)(*book)->sync(*transport, Environment::Production);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(settled());
  // Each envoi's answers, once each, and the same answers as the fund recorded.
  auto list = (*book)->envois();
  ASSERT_TRUE(list);
  auto recorded = (*store)->envois();
  ASSERT_TRUE(recorded);
  ASSERT_EQ(recorded->size(), files_.size());
  std::map<int, std::string> fund_says;  // envoi number -> status
  for (const auto& r : *recorded) fund_says[r.number] = std::string(mutua::model::status_name(r.status));
  int64_t rejected_lines = 0;
  for (const auto& e : *list) {
    std::set<std::string> distinct(e.answers.begin(), e.answers.end());
    EXPECT_EQ(distinct.size(), e.answers.size()) << "an answer kept twice";
    EXPECT_TRUE(distinct.count("931000")) << e.input_reference;
    EXPECT_EQ(std::string(mutua::provider::state_name(e.state)), fund_says[e.envoi_number]) << e.input_reference;
    rejected_lines += e.rejected_lines;
  }
  auto fix = (*book)->to_correct();
  ASSERT_TRUE(fix);
  EXPECT_GE(static_cast<int64_t>(fix->size()), rejected_lines);
  for (const auto& l : *fix) {
    EXPECT_FALSE(l.code.empty());
    EXPECT_FALSE(l.label_fr.empty()) << l.code;
  }
}

// The provider's own attestations: imported, batched into one envoi to the union with the
// fund's engine as pre-flight (on the reference data the provider knows), which holds back the
// attestation billed at a wrong amount and the one with a code whose check digit is wrong; the
// rest is sent, acknowledged and accepted by the fund with no line rejected.
TEST_F(ExchangeTest, AttestationsAreBatchedPreflightedSentAndAccepted) {
  start();
  ASSERT_NO_FATAL_FAILURE(write_attestations(dir_ + "/attestations.csv", 6, 7));
  std::string iban, bic, bce;
  provider_bank(iban, bic, bce);
  auto book = mutua::provider::Book::open(dir_ + "/provider.db");
  ASSERT_TRUE(book);
  auto imported = (*book)->import_attestations(dir_ + "/attestations.csv");
  ASSERT_TRUE(imported) << imported.error().message;
  EXPECT_EQ(imported->imported, 8);
  EXPECT_TRUE(imported->problems.empty()) << imported->problems[0].to_string();
  EXPECT_EQ((*book)->import_attestations(dir_ + "/attestations.csv")->already, 8);  // not twice

  // Pre-flight on what the provider knows: the fund's reference data here.
  std::unique_ptr<mutua::model::RefDataStore> scratch;
  ASSERT_NO_FATAL_FAILURE(scratch_refdata(scratch));
  mutua::provider::BatchOptions o{.provider = provider_, .iban = iban, .bic = bic, .bce = bce, .today = 20261105,
                                  .preflight = [&] { return scratch.get(); }};
  auto batch = (*book)->batch(o);
  ASSERT_TRUE(batch) << batch.error().message;
  ASSERT_EQ(batch->envois.size(), 1u);
  EXPECT_EQ(batch->envois[0].envoi_number, 1);
  EXPECT_EQ(batch->envois[0].lines, 6);
  std::set<std::string> held;
  for (const auto& h : batch->held_back) held.insert(h.attestation + " " + h.code);
  // A wrong amount: 501940 (nursing) or 501943 (a doctor's fee); a code's check digit: 500402.
  EXPECT_TRUE(held == (std::set<std::string>{"A-0007 501940", "A-0008 500402"}) ||
              held == (std::set<std::string>{"A-0007 501943", "A-0008 500402"}))
      << *held.begin() << " / " << *held.rbegin();
  EXPECT_TRUE((*book)->batch(o)->envois.empty()) << "nothing waits any more";

  auto transport = as(provider_token_);
  auto sent = (*book)->send(*transport, Environment::Production, {});
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->sent, 1);
  auto store = mutua::store::open_sqlite(dir_ + "/fund.db");
  ASSERT_TRUE(store);
  FundRoundOptions f;
  f.today = 20261106;
  auto round = fund_round(**store, *as(fund_token_), f);
  ASSERT_TRUE(round);
  EXPECT_EQ(round->answered, 1);
  ASSERT_TRUE((*book)->sync(*transport, Environment::Production));
  auto list = (*book)->envois();
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].state, mutua::provider::EnvoiState::Accepted) << (*list)[0].reason;
  EXPECT_EQ((*list)[0].lines, 6);
  EXPECT_EQ((*list)[0].rejected_lines, 0);
  auto atts = (*book)->attestations();
  ASSERT_TRUE(atts);
  int batched = 0, to_correct = 0;
  for (const auto& a : *atts) (a.state == "batched" ? batched : to_correct) += 1;
  EXPECT_EQ(batched, 6);
  EXPECT_EQ(to_correct, 2);
}

// Envois of several months are made and pre-flighted at once; one that pre-flight empties (every
// attestation of September has a code with a wrong check digit) takes no number: October's is
// number 1, in the book and in its file (segment 300 zone 301), and follows right after.
TEST_F(ExchangeTest, AnEnvoiPreflightEmptiesTakesNoNumber) {
  ASSERT_NO_FATAL_FAILURE(write_attestations(dir_ + "/attestations.csv", -1, -1));
  const Care c = care();
  std::string csv = read_all(dir_ + "/attestations.csv");
  std::istringstream lines(csv);
  std::string line;
  std::getline(lines, line);
  for (int i = 1; i <= 3 && std::getline(lines, line);) {
    // The same patients in September, at a code whose check digit is wrong.
    line = std::regex_replace(line, std::regex("^A-\\d+"), fmt::format("S-{:04d}", i++));
    line = std::regex_replace(line, std::regex(",2026-10-"), ",2026-09-");
    line = std::regex_replace(line, std::regex("," + c.good + ","), "," + c.bad + ",");
    csv += line + "\n";
  }
  std::ofstream(dir_ + "/attestations.csv") << csv;
  std::string iban, bic, bce;
  provider_bank(iban, bic, bce);
  auto book = mutua::provider::Book::open(dir_ + "/provider.db");
  ASSERT_TRUE(book);
  ASSERT_EQ((*book)->import_attestations(dir_ + "/attestations.csv")->imported, 11);
  std::unique_ptr<mutua::model::RefDataStore> scratch;
  ASSERT_NO_FATAL_FAILURE(scratch_refdata(scratch));
  int asked = 0;
  mutua::provider::BatchOptions o{.provider = provider_, .iban = iban, .bic = bic, .bce = bce, .today = 20261105,
                                  .preflight = [&] { return ++asked, scratch.get(); }};
  auto batch = (*book)->batch(o);
  ASSERT_TRUE(batch) << batch.error().message;
  EXPECT_EQ(asked, 1) << "the store is asked for once";
  ASSERT_EQ(batch->envois.size(), 1u);
  EXPECT_EQ(batch->envois[0].billed_month, "202610");
  EXPECT_EQ(batch->envois[0].envoi_number, 1);
  EXPECT_EQ(batch->envois[0].lines, 8);
  std::set<std::string> held;
  for (const auto& h : batch->held_back) held.insert(h.attestation + " " + h.code);
  EXPECT_EQ(held, (std::set<std::string>{"S-0001 500402", "S-0002 500402", "S-0003 500402"}));
  // The file says number 1 too.
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open_v2((dir_ + "/provider.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT content FROM envois", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  auto file = mutua::store::unpacked(
      std::string(static_cast<const char*>(sqlite3_column_blob(st, 0)), static_cast<size_t>(sqlite3_column_bytes(st, 0))));
  sqlite3_finalize(st);
  sqlite3_close(db);
  ASSERT_TRUE(file);
  EXPECT_EQ(file->substr(67 + 8, 3), "001");
  // The next batch (September corrected) follows: number 2.
  std::string fixed = "attestation,niss,affiliation,destination,ct1,ct2,sex,date,code,amount_cents,units,prescriber,prescription_date,performer\n";
  fixed += std::regex_replace(csv.substr(csv.find("S-0001")), std::regex("," + c.bad + ","), "," + c.good + ",");
  std::ofstream(dir_ + "/fixed.csv") << fixed;
  ASSERT_EQ((*book)->import_attestations(dir_ + "/fixed.csv")->corrected, 3);
  auto next = (*book)->batch(o);
  ASSERT_TRUE(next) << next.error().message;
  ASSERT_EQ(next->envois.size(), 1u);
  EXPECT_EQ(next->envois[0].billed_month, "202609");
  EXPECT_EQ(next->envois[0].envoi_number, 2);
  EXPECT_TRUE(next->held_back.empty());
}

// The fund rejects a line (no pre-flight): the attestation is to correct, with the fund's code;
// corrected by a new import (and the others of a whole envoi rejected marked corrected), it is
// batched again — with the rejected envoi's number when the whole envoi was rejected — sent,
// and accepted with no line rejected.
TEST_F(ExchangeTest, ARejectionIsCorrectedAndResent) {
  start();
  ASSERT_NO_FATAL_FAILURE(write_attestations(dir_ + "/first.csv", 6, -1));
  auto book = mutua::provider::Book::open(dir_ + "/provider.db");
  ASSERT_TRUE(book);
  ASSERT_EQ((*book)->import_attestations(dir_ + "/first.csv")->imported, 8);
  std::string iban, bic, bce;
  provider_bank(iban, bic, bce);
  mutua::provider::BatchOptions o{.provider = provider_, .iban = iban, .bic = bic, .bce = bce, .today = 20261105};
  auto transport = as(provider_token_);
  auto store = mutua::store::open_sqlite(dir_ + "/fund.db");
  ASSERT_TRUE(store);
  auto round_trip = [&] {
    ASSERT_TRUE((*book)->send(*transport, Environment::Production, {}));
    FundRoundOptions f;
    f.today = 20261106;
    ASSERT_TRUE(fund_round(**store, *as(fund_token_), f));
    ASSERT_TRUE((*book)->sync(*transport, Environment::Production));
  };
  auto first = (*book)->batch(o);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->envois.size(), 1u);
  round_trip();
  auto states = [&] {
    std::map<std::string, std::string> out;
    auto all = (*book)->attestations();
    if (all)
      for (const auto& a : *all) out[a.reference] = a.state;
    return out;
  };
  auto list = *(*book)->envois();
  ASSERT_EQ(list.size(), 1u);
  const bool whole = list[0].state == mutua::provider::EnvoiState::Rejected;
  ASSERT_TRUE(whole || list[0].state == mutua::provider::EnvoiState::Accepted) << mutua::provider::state_name(list[0].state);
  auto after = states();
  EXPECT_EQ(after["A-0007"], "to correct");
  for (const auto& [ref, st] : after) {
    if (ref != "A-0007") {
      EXPECT_EQ(st, whole ? "to correct" : "batched") << ref;
    }
  }
  bool said = false;
  auto all = (*book)->attestations();
  ASSERT_TRUE(all);
  for (const auto& a : *all)
    if (a.reference == "A-0007") said = a.reason.find("5019") != std::string::npos || whole;
  EXPECT_TRUE(said);

  // Corrected: the right amount, imported again; the others of a rejected envoi as they are.
  ASSERT_NO_FATAL_FAILURE(write_attestations(dir_ + "/second.csv", -1, -1));
  auto again = (*book)->import_attestations(dir_ + "/second.csv");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->corrected, whole ? 8 : 1);  // every attestation to correct takes its new content
  auto second = (*book)->batch(o);
  ASSERT_TRUE(second);
  ASSERT_EQ(second->envois.size(), 1u);
  EXPECT_EQ(second->envois[0].envoi_number, whole ? 1 : 2) << "a rejected envoi is resent with its number; an accepted one never";
  round_trip();
  list = *(*book)->envois();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].state, mutua::provider::EnvoiState::Accepted);
  EXPECT_EQ(list[1].rejected_lines, 0);
  for (const auto& [ref, st] : states()) EXPECT_EQ(st, "batched") << ref;
  // Archiving takes only what is to correct.
  EXPECT_FALSE((*book)->mark({"A-0001"}, "archived", "500423 already billed"));
}

// Paid: the fund's payment run pays the accepted envoi; the provider's bank statement (CODA, as
// its bank would send it) is matched to it by the transfer's communication, and the envoi and
// its attestations are paid. The same statement read again adds nothing; a credit of a CSV
// export naming no envoi of the book is listed unmatched, then finalised by hand.
TEST_F(ExchangeTest, TheBankStatementPaysTheEnvoiAndItsAttestations) {
  start();
  ASSERT_NO_FATAL_FAILURE(one_envoi_answered());
  auto book = mutua::provider::Book::open(dir_ + "/provider.db");
  ASSERT_TRUE(book);
  std::string iban, bic, bce;
  provider_bank(iban, bic, bce);
  ASSERT_FALSE(iban.empty());
  auto transport = as(provider_token_);
  auto list = *(*book)->envois();
  ASSERT_EQ(list[0].state, mutua::provider::EnvoiState::Accepted);
  const int64_t accepted = list[0].accepted_cents;
  ASSERT_GT(accepted, 0);

  // The fund pays; the provider's bank writes its statement.
  auto run = run_mutua("settle --date 2026-11-12 --budget 100000 --db " + dir_ + "/fund.db --config " + std::string(MUTUA_SOURCE_DIR) +
                       "/data/sample/mutua-payments.json --out " + dir_ + "/pay --coda " + dir_ + "/bank");
  ASSERT_EQ(run.code, 0) << run.out;
  const std::string coda = dir_ + "/bank/coda-2026-11-12-" + iban + ".cod";
  ASSERT_TRUE(fs::exists(coda)) << run.out;
  auto rec = (*book)->reconcile(coda);
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_TRUE(rec->problems.empty()) << rec->problems[0].to_string();
  EXPECT_EQ(rec->credits, 1);
  EXPECT_EQ(rec->matched, 1);
  EXPECT_EQ(rec->envois_paid, 1);
  EXPECT_EQ(rec->attestations_paid, 8);
  list = *(*book)->envois();
  EXPECT_EQ(list[0].state, mutua::provider::EnvoiState::Paid);
  EXPECT_EQ(list[0].paid_cents, accepted);  // no regularisation set off
  ASSERT_EQ(list[0].payment_references.size(), 1u);
  EXPECT_TRUE(std::regex_match(list[0].payment_references[0], std::regex(R"(2026/2/\d{7})"))) << list[0].payment_references[0];
  auto atts = (*book)->attestations();
  ASSERT_TRUE(atts);
  for (const auto& a : *atts) EXPECT_EQ(a.state, "paid") << a.reference;
  // The same statement again: nothing new.
  auto again = (*book)->reconcile(coda);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->already, 1);
  EXPECT_EQ(again->matched, 0);
  // An answer delivered again after the payment does not take the state back.
  ASSERT_TRUE((*book)->sync(*transport, Environment::Production));
  EXPECT_EQ((*book)->envois()->at(0).state, mutua::provider::EnvoiState::Paid);

  // A bank's CSV export: the same payment (already matched: said), one for an envoi the book
  // never sent, and a patient's own transfer (not billing).
  const std::string csv = dir_ + "/export.csv";
  std::ofstream(csv) << "Date;Montant;Communication;Contrepartie\n"
                        "12/11/2026;12,50;Remboursement patient;Jean Dupont\n"
                        "13/11/2026;1.234,56;2026/2/0999999 ENVOI 077 09/2026 COMPTE A INAMI " + provider_ + ";Mutualite\n"
                        "13/11/2026;-3,00;Frais;Banque\n"
                        "14/11/2026;" + fmt::format("{},{:02d}", accepted / 100, accepted % 100) + ";" +
                        list[0].payment_references[0] + " ENVOI 001 10/2026 COMPTE A;Mutualite\n";
  auto other = (*book)->reconcile(csv);
  ASSERT_TRUE(other) << other.error().message;
  ASSERT_EQ(other->problems.size(), 2u);  // the unmatched, with their lines
  EXPECT_EQ(other->problems[0].code, "Z00235");
  EXPECT_EQ(other->problems[0].record, 3u);
  EXPECT_EQ(other->problems[1].record, 5u);
  EXPECT_EQ(other->credits, 3);
  EXPECT_EQ(other->not_billing, 1);
  EXPECT_EQ(other->unmatched, 2);
  auto unmatched = (*book)->statement_lines("unmatched");
  ASSERT_TRUE(unmatched);
  ASSERT_EQ(unmatched->size(), 2u);
  EXPECT_NE((*unmatched)[0].reason.find("no accepted envoi 077 of 202609"), std::string::npos) << (*unmatched)[0].reason;
  EXPECT_EQ((*unmatched)[0].cents, 123456);
  EXPECT_NE((*unmatched)[1].reason.find("already paid on account A (statement line 1)"), std::string::npos) << (*unmatched)[1].reason;
  // Finalised by hand: the first set aside with a note; an envoi that is not in the book refused.
  EXPECT_FALSE((*book)->finalise((*unmatched)[0].id, {.envoi = "77/202609"}));
  auto fin = (*book)->finalise((*unmatched)[0].id, {.not_billing = true, .note = "paid for another practice: returned"});
  ASSERT_TRUE(fin) << fin.error().message;
  EXPECT_EQ(fin->state, "not billing");
  EXPECT_EQ((*book)->statement_lines("unmatched")->size(), 1u);
  EXPECT_FALSE((*book)->finalise((*unmatched)[0].id, {.not_billing = true})) << "only an unmatched line is finalised";
}

// The provider's program killed (kill -9) at random points while it sends and syncs, 24
// times, the fund answering meanwhile: once it runs to the end, every envoi was posted once and
// judged once, stands where the fund's answer says, and has each answer once.
TEST_F(ExchangeTest, AProviderKilledAtAnyPointLosesNothingAndSendsNothingTwice) {
  start({"--faults", "5:0.2"});
  setenv("MUTUA_EXCHANGE_TOKEN", provider_token_.c_str(), 1);
  const std::string book = dir_ + "/provider.db";
  std::vector<std::string> send = {"provider", "send", "--book", book, "--exchange", url()};
  for (const auto& p : paths_) send.push_back(p);
  const std::vector<std::string> sync = {"provider", "sync", "--book", book, "--exchange", url()};
  auto store = mutua::store::open_sqlite(dir_ + "/fund.db");
  ASSERT_TRUE(store);
  FundRoundOptions f;
  f.today = 20261123;
  auto fund = as(fund_token_);
  std::mt19937 luck(2026);
  int killed = 0;
  for (int i = 0; i < 24; ++i) {
    const pid_t pid = mutua::testing::spawn(i % 2 == 0 ? send : sync, dir_ + "/provider.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 60)(luck)));
    kill(pid, SIGKILL);
    bool was_killed = false;
    mutua::testing::wait_exit(pid, &was_killed);
    killed += was_killed;
    if (i % 3 == 2) (void)fund_round(**store, *fund, f);
  }
  EXPECT_GT(killed, 5) << "the program ended before most kills: they tested nothing";
  // To the end, unhindered.
  auto settled = [&] {
    auto b = mutua::provider::Book::open(book);
    if (!b) return false;
    auto list = (*b)->envois();
    if (!list || list->size() != files_.size()) return false;
    for (const auto& e : *list)
      if (e.state != mutua::provider::EnvoiState::Accepted && e.state != mutua::provider::EnvoiState::Rejected &&
          e.state != mutua::provider::EnvoiState::Refused)
        return false;
    return true;
  };
  EXPECT_EQ(mutua::testing::wait_exit(mutua::testing::spawn(send, dir_ + "/provider.log")), 0) << read_all(dir_ + "/provider.log");
  for (int i = 0; i < 60 && !settled(); ++i) {
    (void)fund_round(**store, *fund, f);
    mutua::testing::wait_exit(mutua::testing::spawn(sync, dir_ + "/provider.log"));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  unsetenv("MUTUA_EXCHANGE_TOKEN");
  ASSERT_TRUE(settled()) << read_all(dir_ + "/provider.log").substr(0, 4000);
  auto recorded = (*store)->envois();
  ASSERT_TRUE(recorded);
  EXPECT_EQ(recorded->size(), files_.size()) << "an envoi judged twice (or lost)";
  auto b = mutua::provider::Book::open(book);
  ASSERT_TRUE(b);
  auto list = (*b)->envois();
  ASSERT_TRUE(list);
  std::map<int, std::string> fund_says;
  for (const auto& r : *recorded) fund_says[r.number] = std::string(mutua::model::status_name(r.status));
  for (const auto& e : *list) {
    std::set<std::string> distinct(e.answers.begin(), e.answers.end());
    EXPECT_EQ(distinct.size(), e.answers.size()) << e.input_reference;
    EXPECT_EQ(std::string(mutua::provider::state_name(e.state)), fund_says[e.envoi_number]) << e.input_reference;
  }
}

}  // namespace

namespace {

// A command run as the provider's program would be: killed (kill -9) `kills` times at random
// moments, then run to its end. Counts the kills that landed before it ended on its own.
// Runs the command and kills it (kill -9) after a random moment, until `kills` kills landed
// before it ended; a command that ended first is run again with a shorter wait (the faster the
// program, the earlier a kill must come), at most five tries a kill.
int run_through_kills(const std::vector<std::string>& args, const std::string& log, int kills, std::mt19937& luck) {
  int landed = 0, longest_ms = 80;
  for (int tries = 0; landed < kills && tries < 5 * kills; ++tries) {
    const pid_t pid = mutua::testing::spawn(args, log);
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, longest_ms)(luck)));
    kill(pid, SIGKILL);
    bool was_killed = false;
    mutua::testing::wait_exit(pid, &was_killed);
    landed += was_killed;
    if (!was_killed) longest_ms = std::max(2, longest_ms / 2);
  }
  return landed;
}

}  // namespace

// A provider's month on one machine, the exchange in fault mode: attestations with known
// mistakes (wrong amounts and codes the provider's pre-flight catches; patients of a medical
// house the provider does not know of, which only the fund sees), batched with pre-flight,
// sent, answered, corrected and resent the next month, paid and reconciled with the CODA
// statement of the provider's bank. The provider's program is killed (kill -9) at random
// moments of each step, at least 20 times in all: every attestation still ends paid or archived
// with its reason, and no envoi was sent or judged twice.
TEST_F(ExchangeTest, AMonthWithKnownMistakesEndsPaidOrArchivedWhateverTheKills) {
  start({"--faults", "7:0.15"});
  std::string iban, bic, bce;
  provider_bank(iban, bic, bce);
  Care c = care();
  ASSERT_TRUE(c.kind == "gp" || c.kind == "nurse") << c.kind;
  const std::string &good = c.good, &bad = c.bad, &destination = c.destination, &fee = c.fee;
  auto& ct = c.ct;
  std::set<std::string> in_house;  // members under a medical-house contract in the world already
  for (const auto& r : rows("medical_houses.csv")) in_house.insert(r[0]);
  std::vector<std::pair<std::string, std::string>> members;
  for (const auto& r : rows("members.csv"))
    if (r[3][0] == union_[0] && ct.count(r[0]) && !in_house.count(r[0]) && members.size() < 30) members.emplace_back(r[0], r[3]);
  ASSERT_GE(members.size(), 15u);
  const std::vector<size_t> house = {2, 8, 13};
  // Three of them joined a medical house (for the provider's discipline): the fund knows, the
  // provider's copy of the reference data does not.
  const std::string fund_refdata = dir_ + "/fund-refdata";
  fs::copy(dir_ + "/g/refdata", fund_refdata, fs::copy_options::recursive);
  {
    const bool header = !fs::exists(fund_refdata + "/medical_houses.csv");
    std::ofstream mh(fund_refdata + "/medical_houses.csv", std::ios::app);
    if (header) mh << "niss,medical_house,start,end\n";
    for (size_t i : house) mh << members[i].first << ",81234567,2026-01-01,\n";  // every discipline (MIK)
  }
  ASSERT_EQ(run_mutua("refdata import " + fund_refdata + " --db " + dir_ + "/fund.db --allow-shrink").code, 0);

  // The month: one attestation per member; every 7th at a wrong amount, every 9th with a code
  // whose check digit is wrong (pre-flight sees both); members 2, 8 and 13 in a medical house.
  auto month = [&](const std::set<size_t>& only, bool corrected) {
    std::string csv = "attestation,niss,affiliation,destination,ct1,ct2,sex,date,code,amount_cents,units,performer\n";
    for (size_t i = 0; i < members.size(); ++i) {
      if (!only.empty() && !only.count(i)) continue;
      const bool wrong_amount = !corrected && i % 7 == 3, wrong_code = !corrected && i % 9 == 5;
      csv += fmt::format("M-{:03d},{},{},{},{},1,2026-10-{:02d},{},{},1,{}\n", i, members[i].first, members[i].second, destination,
                         ct[members[i].first], 1 + i % 28, wrong_code ? bad : good, wrong_amount ? "1000" : fee, provider_);
    }
    return csv;
  };
  std::set<size_t> wrong;
  for (size_t i = 0; i < members.size(); ++i)
    if (i % 7 == 3 || i % 9 == 5) wrong.insert(i);
  std::ofstream(dir_ + "/month.csv") << month({}, false);
  std::ofstream(dir_ + "/corrected.csv") << month(wrong, true);

  setenv("MUTUA_EXCHANGE_TOKEN", provider_token_.c_str(), 1);
  const std::string book = dir_ + "/provider.db", log = dir_ + "/provider.log";
  auto provider = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "provider");
    args.insert(args.end(), {"--book", book});
    return args;
  };
  const auto send = provider({"send", "--exchange", url()}), sync = provider({"sync", "--exchange", url()});
  auto batch = [&](const std::string& today) {
    return provider({"batch", "--provider", provider_, "--iban", iban, "--bic", bic, "--bce", bce, "--refdata", dir_ + "/g/refdata",
                     "--today", today});
  };
  auto store = mutua::store::open_sqlite(dir_ + "/fund.db");
  ASSERT_TRUE(store);
  auto fund = as(fund_token_);
  std::mt19937 luck(23);
  int killed = 0;
  auto step = [&](const std::vector<std::string>& args, int kills) {
    killed += run_through_kills(args, log, kills, luck);
    EXPECT_EQ(mutua::testing::wait_exit(mutua::testing::spawn(args, log)), 0) << read_all(log).substr(0, 4000);
  };
  auto states = [&] {
    std::map<std::string, std::string> out;
    auto b = mutua::provider::Book::open(book);
    if (b)
      if (auto all = (*b)->attestations())
        for (const auto& a : *all) out[a.reference] = a.state;
    return out;
  };
  // Sends, then rounds of the fund and of the provider's sync until every envoi is answered.
  auto exchange_round = [&](int today) {
    step(send, 3);
    auto answered = [&] {
      auto b = mutua::provider::Book::open(book);
      auto list = b ? (*b)->envois() : mutua::Result<std::vector<mutua::provider::SentEnvoi>>(std::vector<mutua::provider::SentEnvoi>{});
      if (!list) return false;
      for (const auto& e : *list)
        if (e.state != mutua::provider::EnvoiState::Accepted && e.state != mutua::provider::EnvoiState::Rejected &&
            e.state != mutua::provider::EnvoiState::Refused && e.state != mutua::provider::EnvoiState::Paid)
          return false;
      return true;
    };
    FundRoundOptions f;
    f.today = today;
    for (int i = 0; i < 60 && !answered(); ++i) {
      (void)fund_round(**store, *fund, f);
      killed += run_through_kills(sync, log, i < 2 ? 2 : 0, luck);
      mutua::testing::wait_exit(mutua::testing::spawn(sync, log));
      if (i % 5 == 4) mutua::testing::wait_exit(mutua::testing::spawn(send, log));  // a post whose answer was lost
    }
    ASSERT_TRUE(answered()) << read_all(log).substr(0, 4000);
  };

  step(provider({"import", dir_ + "/month.csv"}), 2);
  step(batch("2026-11-02"), 3);
  auto after_batch = states();
  size_t held = 0;
  for (size_t i : wrong) held += after_batch[fmt::format("M-{:03d}", i)] == "to correct";
  EXPECT_EQ(held, wrong.size()) << "pre-flight holds back every wrong amount and code";
  ASSERT_NO_FATAL_FAILURE(exchange_round(20261103));

  // What the fund refused, which pre-flight could not see: the medical house's patients.
  std::vector<std::string> lost, fine;
  for (size_t i : house) lost.push_back(fmt::format("M-{:03d}", i));
  size_t fund_rejected = 0;
  {
    auto b = mutua::provider::Book::open(book);
    ASSERT_TRUE(b);
    auto lines = (*b)->to_correct();
    ASSERT_TRUE(lines);
    for (const auto& l : *lines) {
      EXPECT_EQ(l.code, "R500450") << l.niss;
      fund_rejected += l.code == "R500450";
    }
  }
  EXPECT_EQ(fund_rejected, house.size());
  auto after_answer = states();
  for (const auto& ref : lost) EXPECT_EQ(after_answer[ref], "to correct") << ref;
  // Past 5 % of errors the fund rejects the whole envoi (920099): the good attestations in it are
  // to correct too, and are taken back as they are.
  for (const auto& [ref, st] : after_answer)
    if (st == "to correct" && std::find(lost.begin(), lost.end(), ref) == lost.end() &&
        !wrong.count(static_cast<size_t>(std::stoi(ref.substr(2)))))
      fine.push_back(ref);
  std::printf("pre-flight held back %zu attestations the fund would have rejected (%zu lines); the fund rejected %zu lines "
              "only it could see (500450)%s\n", wrong.size(), wrong.size(), fund_rejected,
              fine.empty() ? "" : fmt::format(", and with them its envoi (920099): {} good attestations resent", fine.size()).c_str());
  std::fflush(stdout);  // before the next fork: a child would print it again

  // Corrected and archived, then resent the next month.
  step(provider({"import", dir_ + "/corrected.csv"}), 2);
  std::vector<std::string> mark = provider({"mark", "--archived", "--reason", "500450 medical house"});
  mark.insert(mark.end(), lost.begin(), lost.end());
  step(mark, 2);
  if (!fine.empty()) {
    std::vector<std::string> again = provider({"mark", "--corrected"});
    again.insert(again.end(), fine.begin(), fine.end());
    step(again, 2);
  }
  step(batch("2026-12-01"), 3);
  ASSERT_NO_FATAL_FAILURE(exchange_round(20261202));

  // Paid: the fund's payment run, the provider's bank statement, reconciled.
  auto run = run_mutua("settle --date 2026-12-10 --budget 1000000 --db " + dir_ + "/fund.db --config " + std::string(MUTUA_SOURCE_DIR) +
                       "/data/sample/mutua-payments.json --out " + dir_ + "/pay --coda " + dir_ + "/bank");
  ASSERT_EQ(run.code, 0) << run.out;
  step(provider({"reconcile", dir_ + "/bank/coda-2026-12-10-" + iban + ".cod"}), 3);
  unsetenv("MUTUA_EXCHANGE_TOKEN");
  EXPECT_GE(killed, 20) << "too few kills landed before the program ended: they tested little";

  // Every attestation paid, or archived with its reason.
  auto b = mutua::provider::Book::open(book);
  ASSERT_TRUE(b);
  auto all = (*b)->attestations();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), members.size());
  for (const auto& a : *all) {
    if (std::find(lost.begin(), lost.end(), a.reference) != lost.end()) {
      EXPECT_EQ(a.state, "archived") << a.reference;
      EXPECT_EQ(a.reason, "500450 medical house");
    } else {
      EXPECT_EQ(a.state, "paid") << a.reference << " " << a.reason;
    }
  }
  // Nothing sent or judged twice: the fund recorded each envoi of the book once, under its own number.
  auto envois = (*b)->envois();
  ASSERT_TRUE(envois);
  auto recorded = (*store)->envois();
  ASSERT_TRUE(recorded);
  EXPECT_EQ(recorded->size(), envois->size());
  // Each number ends paid once; a rejected envoi's number went again in the envoi that was paid.
  std::map<int, std::multiset<std::string>> by_number;
  for (const auto& e : *envois) by_number[e.envoi_number].insert(std::string(mutua::provider::state_name(e.state)));
  for (const auto& [number, st] : by_number) {
    EXPECT_EQ(st.count("paid"), 1u) << "envoi number " << number;
    EXPECT_EQ(st.count("paid") + st.count("rejected") + st.count("refused"), st.size()) << "envoi number " << number;
  }
}

namespace {

// A transport that is not mutua's exchange: its items carry no exchange reference and a hash
// that is no number (a MyCareNet client might).
class BareTransport final : public Transport {
 public:
  explicit BareTransport(std::string file) : file_(std::move(file)) {}
  mutua::Result<Acknowledgement> post(Environment, const std::string& recipient, const std::string& reference,
                                      const std::string& content) override {
    posted_.emplace_back(reference, content);
    return Acknowledgement{true, "", reference, "", recipient, content.substr(0, 6)};
  }
  mutua::Result<std::vector<Delivered>> get(Environment, int) override {
    if (confirmed_) return std::vector<Delivered>{};
    Delivered d;
    d.hash = "msg:b9f-not-a-number";
    d.sender = "12345678901";
    d.input_reference = "20261105000001";
    d.message_type = "920000";
    d.content = file_;
    return std::vector<Delivered>{d};
  }
  mutua::Result<int64_t> confirm(Environment, const std::vector<std::string>& hashes) override {
    confirmed_ = !hashes.empty();
    return static_cast<int64_t>(hashes.size());
  }
  std::vector<std::pair<std::string, std::string>> posted_;
  bool confirmed_ = false;

 private:
  std::string file_;
};

}  // namespace

// A fund on another transport: answers go out under numeric references made from the item's,
// the same when the item comes again.
TEST_F(ExchangeTest, AFundOnATransportWithoutReferencesStillAnswers) {
  auto store = mutua::store::open_sqlite(dir_ + "/fund.db");
  ASSERT_TRUE(store);
  BareTransport bare(files_[0]);
  FundRoundOptions f;
  f.today = 20261123;
  auto round = fund_round(**store, bare, f);
  ASSERT_TRUE(round) << round.error().message;
  EXPECT_EQ(round->answered, 1);
  ASSERT_GE(bare.posted_.size(), 2u);  // the 931000, then the engine's answer
  for (const auto& [reference, content] : bare.posted_)
    EXPECT_EQ(reference.find_first_not_of("0123456789"), std::string::npos) << reference;
  const auto first = bare.posted_;
  bare.posted_.clear();
  bare.confirmed_ = false;  // delivered again: judged once, answered under the same references
  auto again = fund_round(**store, bare, f);
  ASSERT_TRUE(again);
  EXPECT_EQ(again->again, 1);
  ASSERT_EQ(bare.posted_.size(), first.size());
  for (size_t i = 0; i < first.size(); ++i) EXPECT_EQ(bare.posted_[i].first, first[i].first);
}

// Two fund-syncs at once on one fund's store (a cron job overlapping a daemon): the second waits
// for the first, so no file is judged twice and no provider gets a refusal for a file the fund
// accepted.
TEST_F(ExchangeTest, TwoFundSyncsAtOnceJudgeEachFileOnce) {
  start();
  auto book = mutua::provider::Book::open(dir_ + "/provider.db");
  ASSERT_TRUE(book);
  std::vector<std::pair<std::string, std::string>> named;
  for (size_t i = 0; i < files_.size(); ++i) named.emplace_back(paths_[i], files_[i]);
  auto transport = as(provider_token_);
  ASSERT_EQ((*book)->send(*transport, Environment::Production, named)->sent, static_cast<int64_t>(files_.size()));
  setenv("MUTUA_EXCHANGE_TOKEN", fund_token_.c_str(), 1);
  const std::vector<std::string> sync = {"exchange", "fund-sync", "--db", dir_ + "/fund.db", "--exchange", url(), "--today", "2026-11-23"};
  const pid_t a = mutua::testing::spawn(sync, dir_ + "/sync-a.log"), b = mutua::testing::spawn(sync, dir_ + "/sync-b.log");
  EXPECT_EQ(mutua::testing::wait_exit(a), 0) << read_all(dir_ + "/sync-a.log");
  EXPECT_EQ(mutua::testing::wait_exit(b), 0) << read_all(dir_ + "/sync-b.log");
  unsetenv("MUTUA_EXCHANGE_TOKEN");
  auto store = mutua::store::open_sqlite(dir_ + "/fund.db");
  ASSERT_TRUE(store);
  auto recorded = (*store)->envois();
  ASSERT_TRUE(recorded);
  EXPECT_EQ(recorded->size(), files_.size());
  for (int i = 0; i < 5; ++i) ASSERT_TRUE((*book)->sync(*transport, Environment::Production));
  auto list = (*book)->envois();
  ASSERT_TRUE(list);
  for (const auto& e : *list) {
    EXPECT_NE(e.state, mutua::provider::EnvoiState::Refused) << e.input_reference << " " << e.reason;
    EXPECT_EQ(std::count(e.answers.begin(), e.answers.end(), "920999"), 0) << e.input_reference;
  }
}

// Once paid, the fund sends each envoi's 920900 again with its payments' references
// (`exchange fund-notify`); the provider's book keeps that one, and a bank credit naming only its
// statement reference (no envoi in its communication) is matched to the envoi by it.
TEST_F(ExchangeTest, ThePaidAnswerLetsABankReferenceAloneMatch) {
  start();
  ASSERT_NO_FATAL_FAILURE(one_envoi_answered());
  auto book = mutua::provider::Book::open(dir_ + "/provider.db");
  ASSERT_TRUE(book);
  auto transport = as(provider_token_);
  const int64_t id = (*book)->envois()->at(0).id;
  auto before = (*book)->answer(id);
  ASSERT_TRUE(before && *before);
  ASSERT_FALSE((*before)->mutualities.empty());
  EXPECT_EQ((*before)->mutualities[0].payment_reference_a, "");  // judged, not paid yet

  auto run = run_mutua("settle --date 2026-11-12 --budget 100000 --db " + dir_ + "/fund.db --config " + std::string(MUTUA_SOURCE_DIR) +
                       "/data/sample/mutua-payments.json --out " + dir_ + "/pay");
  ASSERT_EQ(run.code, 0) << run.out;
  setenv("MUTUA_EXCHANGE_TOKEN", fund_token_.c_str(), 1);
  const std::string notify = "exchange fund-notify --run 2026-11-12 --db " + dir_ + "/fund.db --exchange " + url();
  auto told = run_mutua(notify);
  EXPECT_EQ(told.code, 0) << told.out;
  EXPECT_NE(told.out.find("1 paid envois told"), std::string::npos) << told.out;
  EXPECT_EQ(run_mutua(notify).code, 0);  // again: the exchange stores it once
  unsetenv("MUTUA_EXCHANGE_TOKEN");
  ASSERT_TRUE((*book)->sync(*transport, Environment::Production));
  ASSERT_TRUE((*book)->sync(*transport, Environment::Production));
  auto after = (*book)->answer(id);
  ASSERT_TRUE(after && *after);
  const std::string reference = (*after)->mutualities.at(0).payment_reference_a;
  ASSERT_TRUE(std::regex_match(reference, std::regex(R"(2026/2/\d{7})"))) << "'" << reference << "'";
  EXPECT_EQ((*book)->envois()->at(0).state, mutua::provider::EnvoiState::Accepted);

  // The bank's export shows the statement reference only.
  const std::string statement = reference.substr(0, 4) + "2" + reference.substr(7);
  std::ofstream(dir_ + "/bank.csv") << "date,amount,communication,reference\n2026-11-14,"
                                    << fmt::format("{}.{:02d}", (*book)->envois()->at(0).accepted_cents / 100,
                                                   (*book)->envois()->at(0).accepted_cents % 100)
                                    << ",Virement mutualite,0" << statement << "\n";
  auto rec = (*book)->reconcile(dir_ + "/bank.csv");
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_TRUE(rec->problems.empty()) << rec->problems[0].to_string();
  EXPECT_EQ(rec->matched, 1);
  EXPECT_EQ(rec->attestations_paid, 8);
  EXPECT_EQ((*book)->envois()->at(0).state, mutua::provider::EnvoiState::Paid);
}
