// The large history's filter (src/store/history_filter.h, migration 31): it never hides a line,
// on its own and in a real SQLite store, whoever wrote the history and whenever.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <random>
#include <string>

#include <fmt/format.h>

#include "baseline.h"
#include "mutua/model/store.h"
#include "mutua/store/sqlite.h"
#include "store/history_filter.h"
#include "store/recent_pairs.h"

namespace fs = std::filesystem;
using namespace mutua;
using store::HistoryFilter;

namespace {

std::string niss_of(uint64_t i) { return fmt::format("{:011}", 50000000000ull + i * 7919); }
std::string code_of(uint64_t i) { return fmt::format("{:06}", 100000 + i % 3000); }

TEST(HistoryFilter, NeverSaysAbsentOfAPairAddedAndRarelyMayHoldOfOthers) {
  const uint64_t n = 200000;
  auto f = HistoryFilter::sized_for(n);
  ASSERT_GE(f.planned_pairs(), n);
  for (uint64_t i = 0; i < n; ++i) f.add(niss_of(i), code_of(i));
  for (uint64_t i = 0; i < n; ++i) ASSERT_TRUE(f.may_hold(niss_of(i), code_of(i))) << i;
  // Pairs never added: another code of the same patients, and patients never seen.
  uint64_t said_may = 0;
  for (uint64_t i = 0; i < n; ++i) said_may += f.may_hold(niss_of(i), code_of(i + 1)) + f.may_hold(niss_of(n + i), code_of(i));
  const double rate = static_cast<double>(said_may) / static_cast<double>(2 * n);
  EXPECT_LT(rate, 0.02) << "absent pairs said to be there";
  EXPECT_GT(rate, 0.0) << "a filter this small cannot be exact: is it asked at all?";
}

TEST(HistoryFilter, ReadBackFromItsBitsAnswersTheSame) {
  auto f = HistoryFilter::sized_for(5000);
  for (uint64_t i = 0; i < 5000; ++i) f.add(niss_of(i), code_of(i));
  auto back = HistoryFilter::from_bits(f.bits());
  ASSERT_FALSE(back.empty());
  EXPECT_EQ(back.blocks(), f.blocks());
  for (uint64_t i = 0; i < 20000; ++i)
    ASSERT_EQ(back.may_hold(niss_of(i), code_of(i)), f.may_hold(niss_of(i), code_of(i))) << i;
  // Not a filter: no bits, a size not made of 64-byte blocks.
  EXPECT_TRUE(HistoryFilter::from_bits("").empty());
  EXPECT_TRUE(HistoryFilter::from_bits(std::string(100, '\0')).empty());
  EXPECT_EQ(HistoryFilter::from_bits(std::string(3 * 64, '\0')).blocks(), 3u) << "any number of blocks";
}

TEST(HistoryFilter, TheHashIsFixedSinceFiltersAreKeptInStores) {
  // A filter made by one build is read by the next: a change here is a new kFormat.
  EXPECT_EQ(HistoryFilter::hash("85073003328", "425014"), 9218485246457078422ull);
  EXPECT_NE(HistoryFilter::hash("85073003328", "425014"), HistoryFilter::hash("8507300332", "8425014"));
}

// A real SQLite store, with a look at its file beside the store's own connections.
class StoreHistoryFilter : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = mutua::testing::temp_path("history-filter-" +
                                     std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = dir_ + "/store.db";
    auto s = store::open_sqlite(path_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  void TearDown() override {
    store_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  static model::HistoryLine line(const std::string& niss, const std::string& code, int envoi_number = 1) {
    model::HistoryLine h;
    h.niss = niss;
    h.code = code;
    h.first_date = h.last_date = 20260105;
    h.units = 1;
    h.amount = 900;
    h.provider = h.third_party = "40765140401";
    h.envoi_number = envoi_number;
    h.billed = 20260110;
    return h;
  }

  // SQL on the store's file from a connection of its own; the first column of the first row.
  std::string sql(const std::string& statement) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    std::string out;
    char* error = nullptr;
    auto first = [](void* o, int n, char** values, char**) {
      auto* s = static_cast<std::string*>(o);
      if (s->empty() && n > 0 && values[0]) *s = values[0];
      return 0;
    };
    EXPECT_EQ(sqlite3_exec(db, statement.c_str(), first, &out, &error), SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
    return out;
  }

  // Each patient's lines of the codes asked, as "niss code envoi_number" lines.
  // A line written into the recent history by hand, past every id, as another process would.
  void recent_line(const std::string& niss, const std::string& code, int envoi_number) {
    sql("INSERT INTO history_recent (id, envoi_id, niss, code, first_date, last_date, units, amount, provider, "
        "third_party, invoice_number, record, billed, envoi_number) VALUES ((SELECT MAX(id) + 1 FROM history_all), 1, '" +
        niss + "', '" + code + "', 20260105, 20260105, 1, 900, 'x', 'x', 1, 3, 20260110, " +
        std::to_string(envoi_number) + ")");
  }

  static std::string read(model::EnvoiStore& s, const std::vector<model::PatientCodes>& wanted) {
    auto got = s.history_of_codes(wanted);
    EXPECT_TRUE(got) << got.error().message;
    std::string out;
    if (!got) return out;
    for (const auto& w : wanted) {
      auto it = got->find(w.niss);
      if (it == got->end()) continue;
      for (const auto& h : it->second) out += fmt::format("{} {} {}\n", h.niss, h.code, h.envoi_number);
    }
    return out;
  }

  std::string dir_, path_;
  std::unique_ptr<model::Store> store_;
};

const std::string kPatient = "85073003328", kOther = "60010112347", kThird = "71020533416";

TEST_F(StoreHistoryFilter, ACompactMakesItAndReadsFindEveryLineAndOnlyThose) {
  std::vector<model::HistoryLine> lines;
  for (int i = 0; i < 3000; ++i) lines.push_back(line(niss_of(static_cast<uint64_t>(i)), code_of(static_cast<uint64_t>(i))));
  lines.push_back(line(kPatient, "425014"));
  lines.push_back(line(kPatient, "425014"));  // one pair, two lines
  lines.push_back(line(kPatient, "425036"));
  ASSERT_TRUE(store_->load_history(lines));
  EXPECT_EQ(sql("SELECT COUNT(*) FROM history_filter WHERE upto >= 0"), "0") << "a bulk load leaves none usable";
  ASSERT_EQ(*store_->merge_recent_history(), 0);
  EXPECT_EQ(sql("SELECT pairs FROM history_filter"), "3002") << "made from the whole large history's distinct pairs";
  EXPECT_EQ(sql("SELECT upto = (SELECT MAX(id) FROM history) FROM history_filter"), "1");
  // Every code of every patient asked, with codes they never had: the same lines as the table says.
  std::vector<model::PatientCodes> wanted;
  for (int i = 0; i < 3000; i += 7)
    wanted.push_back({niss_of(static_cast<uint64_t>(i)), {code_of(static_cast<uint64_t>(i)), code_of(static_cast<uint64_t>(i) + 1)}});
  std::string expected;
  for (const auto& w : wanted) expected += fmt::format("{} {} 1\n", w.niss, w.codes[0]);
  EXPECT_EQ(read(*store_, wanted), expected);
  // Many codes (read whole), one the patient had, a patient with none.
  EXPECT_EQ(read(*store_, {{kPatient, {"101010", "102012", "103014", "104016", "105018", "425036"}}, {kOther, {"425014"}}}),
            kPatient + " 425036 1\n");
}

TEST_F(StoreHistoryFilter, AMergeAddsTheLinesItMovesAndAnotherConnectionSeesThem) {
  ASSERT_TRUE(store_->load_history({line(kPatient, "425014")}));
  ASSERT_EQ(*store_->merge_recent_history(), 0);
  const std::string first = sql("SELECT generation FROM history_filter");
  // A second connection reads, keeping its copy of the filter: the other patient has nothing.
  auto other = store::open_sqlite(path_);
  ASSERT_TRUE(other);
  EXPECT_EQ(read(**other, {{kOther, {"425036"}}, {kPatient, {"425014"}}}), kPatient + " 425014 1\n");
  // Lines of that patient are accepted (recent history), then merged: the filter has them added,
  // not made again, and the second connection reads its new generation.
  model::EnvoiOutcome o;
  o.envoi.third_party = "40765140401";
  o.envoi.year = 2026;
  o.envoi.month = 10;
  o.envoi.number = 7;
  o.envoi.status = model::EnvoiStatus::Accepted;
  o.envoi.received = 20261105;
  o.envoi.file_name = "envoi-7.efact";
  o.envoi.content_hash = "hash-7";
  o.envoi.federation = "300";
  o.accepted = {line(kOther, "425036", 7), line(kThird, "425014", 7)};
  o.envoi.lines = 2;
  o.responses.push_back({"920900", "920900 response bytes", "{\"message\":\"920900\"}"});
  o.verdicts_json = "[]";
  ASSERT_TRUE(store_->record(o));
  const std::vector<model::PatientCodes> asked = {{kOther, {"425036"}}, {kThird, {"425014"}}};
  const std::string both = kOther + " 425036 7\n" + kThird + " 425014 7\n";
  EXPECT_EQ(read(**other, asked), both) << "from the recent history";
  ASSERT_EQ(*store_->merge_recent_history(), 2);
  EXPECT_EQ(sql("SELECT pairs FROM history_filter"), "3") << "added to, not made again";
  EXPECT_NE(sql("SELECT generation FROM history_filter"), first);
  EXPECT_EQ(sql("SELECT COUNT(*) FROM history_recent"), "0");
  EXPECT_EQ(read(**other, asked), both) << "from the large history, through the filter";
  EXPECT_EQ(read(*store_, asked), both);
}

TEST_F(StoreHistoryFilter, LinesItDoesNotCoverAreReadAsWithoutIt) {
  ASSERT_TRUE(store_->load_history({line(kPatient, "425014")}));
  ASSERT_EQ(*store_->merge_recent_history(), 0);
  const std::vector<model::PatientCodes> asked = {{kOther, {"425036"}}, {kPatient, {"425014"}}};
  ASSERT_EQ(read(*store_, asked), kPatient + " 425014 1\n");
  // Written into the large history by something that does not keep the filter (an older
  // mutua, a hand-made fix): a larger id than the filter covers, so it is not used.
  sql("INSERT INTO history (id, envoi_id, niss, code, first_date, last_date, units, amount, provider, third_party, "
      "invoice_number, record, billed, envoi_number) VALUES ((SELECT MAX(id) + 1 FROM history), 1, '" + kOther +
      "', '425036', 20260105, 20260105, 1, 900, 'x', 'x', 1, 3, 20260110, 2)");
  EXPECT_EQ(read(*store_, asked), kOther + " 425036 2\n" + kPatient + " 425014 1\n");
  // A bulk load marks it as covering nothing; the next merge makes it again, from the whole
  // table, as a generation this connection's kept copy is not.
  ASSERT_TRUE(store_->load_history({line(kThird, "425014", 3)}));
  EXPECT_EQ(sql("SELECT upto FROM history_filter"), "-1");
  EXPECT_EQ(read(*store_, {{kThird, {"425014"}}}), kThird + " 425014 3\n");
  ASSERT_EQ(*store_->merge_recent_history(), 0);
  EXPECT_EQ(sql("SELECT pairs FROM history_filter"), "3");
  EXPECT_EQ(read(*store_, {{kThird, {"425014"}}, {kOther, {"425036"}}}), kThird + " 425014 3\n" + kOther + " 425036 2\n");
}

TEST_F(StoreHistoryFilter, TheConnectionsOfAProcessHoldOneCopyOfAStoresFilter) {
  ASSERT_TRUE(store_->load_history({line(kPatient, "425014")}));
  ASSERT_EQ(*store_->merge_recent_history(), 0);
  const size_t before = store::history_filters_held();
  std::vector<std::unique_ptr<model::Store>> connections;
  for (int i = 0; i < 3; ++i) {
    auto c = store::open_sqlite(path_);
    ASSERT_TRUE(c);
    EXPECT_EQ(read(**c, {{kPatient, {"425014"}}}), kPatient + " 425014 1\n");
    connections.push_back(std::move(*c));
  }
  EXPECT_EQ(store::history_filters_held(), before + 1) << "one copy for the three connections";
  connections.clear();
  EXPECT_EQ(store::history_filters_held(), before) << "kept only while a connection holds it";
}

}  // namespace

// The recent history's pairs, kept by a connection reading ahead for a batch (recent_pairs.h):
// a line written after the connection made its set, by another connection (another process
// would do the same), is found all the same; a merge leaves nothing out either.
TEST_F(StoreHistoryFilter, TheRecentHistorysPairsCatchUpWithLinesWrittenSince) {
  ASSERT_TRUE(store_->load_history({line(kPatient, "425014")}));
  ASSERT_EQ(*store_->merge_recent_history(), 0);
  store_->expect_patients(1000);  // a batch's reading ahead: the recent history's pairs are kept
  const std::vector<model::PatientCodes> asked = {{kOther, {"425036"}}, {kPatient, {"425014", "425036"}}};
  ASSERT_EQ(read(*store_, asked), kPatient + " 425014 1\n");
  recent_line(kOther, "425036", 2);
  EXPECT_EQ(read(*store_, asked), kOther + " 425036 2\n" + kPatient + " 425014 1\n");
  recent_line(kPatient, "425036", 3);
  recent_line(kThird, "425014", 4);
  EXPECT_EQ(read(*store_, asked), kOther + " 425036 2\n" + kPatient + " 425014 1\n" + kPatient + " 425036 3\n");
  // Merged into the large history by another connection: still found, now there.
  {
    auto other = store::open_sqlite(path_);
    ASSERT_TRUE(other);
    ASSERT_EQ(*(*other)->merge_recent_history(), 3);
  }
  EXPECT_EQ(sql("SELECT COUNT(*) FROM history_recent"), "0");
  EXPECT_EQ(read(*store_, {{kThird, {"425014"}}, {kOther, {"425036"}}}), kThird + " 425014 4\n" + kOther + " 425036 2\n");
  // And written in the recent history again after the merge emptied it.
  recent_line(kThird, "425036", 5);
  EXPECT_EQ(read(*store_, {{kThird, {"425036"}}}), kThird + " 425036 5\n");
}

// Two connections reading ahead for a batch share one set of the recent history's pairs: what
// one caught up the other uses, what the other catches up then is seen by the first; a merge
// seen by one empties it for both, and lines written after are found by either.
TEST_F(StoreHistoryFilter, TwoConnectionsReadingAheadShareTheRecentPairs) {
  ASSERT_TRUE(store_->load_history({line(kPatient, "425014")}));
  ASSERT_EQ(*store_->merge_recent_history(), 0);
  auto second = store::open_sqlite(path_);
  ASSERT_TRUE(second);
  const size_t before = store::recent_pairs_held();
  store_->expect_patients(1000);
  (*second)->expect_patients(1000);
  recent_line(kOther, "425036", 2);
  const std::vector<model::PatientCodes> asked = {{kOther, {"425036"}}, {kPatient, {"425014", "425036"}}};
  EXPECT_EQ(read(*store_, asked), kOther + " 425036 2\n" + kPatient + " 425014 1\n");
  EXPECT_EQ(store::recent_pairs_held(), before + 1);
  EXPECT_EQ(read(**second, asked), kOther + " 425036 2\n" + kPatient + " 425014 1\n");
  EXPECT_EQ(store::recent_pairs_held(), before + 1) << "one set for both connections";
  recent_line(kPatient, "425036", 3);
  EXPECT_EQ(read(**second, asked), kOther + " 425036 2\n" + kPatient + " 425014 1\n" + kPatient + " 425036 3\n");
  recent_line(kThird, "425014", 4);
  EXPECT_EQ(read(*store_, {{kThird, {"425014"}}, {kPatient, {"425036"}}}), kThird + " 425014 4\n" + kPatient + " 425036 3\n");
  {
    auto other = store::open_sqlite(path_);
    ASSERT_TRUE(other);
    ASSERT_EQ(*(*other)->merge_recent_history(), 3);
  }
  EXPECT_EQ(read(**second, {{kThird, {"425014"}}}), kThird + " 425014 4\n");
  recent_line(kThird, "425036", 5);
  EXPECT_EQ(read(*store_, {{kThird, {"425036"}}}), kThird + " 425036 5\n");
  recent_line(kOther, "425014", 6);
  EXPECT_EQ(read(**second, {{kOther, {"425014", "425036"}}, {kThird, {"425036"}}}),
            kOther + " 425036 2\n" + kOther + " 425014 6\n" + kThird + " 425036 5\n");
  second->reset();
  EXPECT_EQ(store::recent_pairs_held(), before + 1) << "still held by the first connection";
}

