// The patient tables held in memory for a batch (store/resident_patients.h): the rows they give
// are those a look-up per patient gives, on a real SQLite file, and never those of an import
// replaced since.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include <fmt/format.h>

#include "baseline.h"
#include "mutua/model/refdata_tables.h"
#include "mutua/model/store.h"
#include "mutua/store/sqlite.h"
#include "store/resident_patients.h"

namespace fs = std::filesystem;
using namespace mutua;

namespace {

std::string niss_of(int i) { return fmt::format("{:011}", 50000000000ll + i * 7919ll); }

// `n` members (birth dates from `born`), two insurability periods for every other one, a stay
// for every seventh, a care pathway for every 100th; file order not the NISS's order.
model::RefData world(int n, model::Date born = 19500101) {
  model::RefData d;
  for (int k = 0; k < n; ++k) {
    const int i = (k * 37) % n;  // n is not a multiple of 37 in these tests
    model::Member m;
    m.niss = niss_of(i);
    m.birth_date = born + i % 28;
    m.sex = 1 + i % 2;
    m.mutuality = "301";
    d.members.push_back(m);
    if (i % 2 == 0) {
      d.insurability.push_back({m.niss, 20250101, 20251231, 110, 110});
      d.insurability.push_back({m.niss, 20260101, model::kOpenEnd, 110 + i % 3, 110});
    }
    if (i % 7 == 0) {
      model::Hospitalisation h;
      h.niss = m.niss;
      h.establishment = "71000000";
      h.admission = 20260110;
      h.discharge = 20260115 + i % 5;
      d.hospitalisations.push_back(h);
    }
    if (i % 100 == 0) d.pathways.push_back({m.niss, "diabetes", 20250101, model::kOpenEnd});
  }
  return d;
}

// Every patient file's rows, as cells, to compare two reads.
std::string rows_of(const model::RefData& d) {
  std::string out;
  for (const auto& spec : model::ref_table_specs()) {
    if (!spec.per_patient) continue;
    for (const auto& row : model::ref_rows(spec, d)) out += spec.file + ": " + fmt::format("{}", fmt::join(row, "|")) + "\n";
  }
  return out;
}

class ResidentPatientsStore : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = mutua::testing::temp_path("resident-" +
                                     std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    path_ = dir_ + "/store.db";
    store_ = open();
  }
  void TearDown() override {
    store_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::unique_ptr<model::Store> open() {
    auto s = store::open_sqlite(path_);
    EXPECT_TRUE(s) << s.error().message;
    return s ? std::move(*s) : nullptr;
  }
  std::string dir_, path_;
  std::unique_ptr<model::Store> store_;
};

const int kMembers = 10001;

// Every 50th patient, one twice, and a NISS the fund does not know, unsorted: 200 patients, not
// worth reading the 21k rows of their tables whole (kRowsReadPerLookup).
std::vector<std::string> asked() {
  std::vector<std::string> out = {"99999999999"};
  for (int i = kMembers - 1; i >= 0; i -= 50) out.push_back(niss_of(i));
  out.push_back(niss_of(3));
  return out;
}

}  // namespace

TEST_F(ResidentPatientsStore, ABatchExpectedLargeReadsTheTablesOnceAndGetsWhatLookUpsGet) {
  ASSERT_TRUE(store_->replace_refdata(world(kMembers)));
  ASSERT_EQ(store::resident_patients_held(), 0u);
  // Ten patients: a look-up each, nothing held.
  const auto all = asked();
  const std::vector<std::string> few(all.begin(), all.begin() + 10);
  auto looked_few = store_->load_refdata_for(few);
  ASSERT_TRUE(looked_few) << looked_few.error().message;
  EXPECT_EQ(store::resident_patients_held(), 0u) << "ten patients do not pay for reading 21k rows";

  // The same patients on a second connection, looked up one by one (not worth it yet), and on
  // the first once a batch said it expects many.
  auto other = open();
  auto looked = other->load_refdata_for(asked());
  ASSERT_TRUE(looked) << looked.error().message;
  EXPECT_EQ(store::resident_patients_held(), 0u);
  store_->expect_patients(100000);
  auto held = store_->load_refdata_for(asked());
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(store::resident_patients_held(), 1u) << "a batch of 100k patients reads the tables whole";
  EXPECT_EQ(held->members.size(), 202u);  // every 50th of 10001, and one more
  EXPECT_GT(held->insurability.size(), 150u);
  EXPECT_FALSE(held->hospitalisations.empty());
  EXPECT_FALSE(held->pathways.empty());
  EXPECT_EQ(rows_of(*held), rows_of(*looked)) << "the same rows, in the same order, as a look-up per patient";
  auto again = store_->load_refdata_for(few);
  ASSERT_TRUE(again);
  EXPECT_EQ(rows_of(*again), rows_of(*looked_few));
  // Only some files: the same as well.
  auto members_only = store_->load_patient_files(asked(), {"members.csv"});
  ASSERT_TRUE(members_only);
  EXPECT_EQ(members_only->members.size(), held->members.size());
  EXPECT_TRUE(members_only->insurability.empty());

  // The other connection, told the same, shares the one copy.
  other->expect_patients(100000);
  ASSERT_TRUE(other->load_refdata_for(few));
  EXPECT_EQ(store::resident_patients_held(), 1u) << "one copy per store file for all connections";
}

TEST_F(ResidentPatientsStore, AnImportReplacesWhatIsHeld) {
  ASSERT_TRUE(store_->replace_refdata(world(kMembers)));
  store_->expect_patients(100000);
  auto before = store_->load_refdata_for(asked());
  ASSERT_TRUE(before);
  // Another connection holds the copy too, and keeps it while the import happens.
  auto keeper = open();
  keeper->expect_patients(100000);
  ASSERT_TRUE(keeper->load_refdata_for({niss_of(0)}));
  ASSERT_EQ(store::resident_patients_held(), 1u);
  // A new import, by another connection (another process would do the same): the birth dates
  // move by a year; the first connection must read the new rows, not the copy it holds.
  {
    auto importer = open();
    ASSERT_TRUE(importer->replace_refdata(world(kMembers, 19510101)));
  }
  auto after = store_->load_refdata_for(asked());
  ASSERT_TRUE(after);
  ASSERT_EQ(after->members.size(), before->members.size());
  for (size_t i = 0; i < after->members.size(); ++i)
    ASSERT_EQ(after->members[i].birth_date, before->members[i].birth_date + 10000) << after->members[i].niss;
  // Held for the new import beside the old one, which the keeper holds until it reads again.
  EXPECT_EQ(store::resident_patients_held(), 2u);
  ASSERT_TRUE(keeper->load_refdata_for({niss_of(0)}));
  EXPECT_EQ(store::resident_patients_held(), 1u);
  // Without expecting anything, a fresh connection reads the new import by look-ups: the same.
  auto fresh = open();
  auto looked = fresh->load_refdata_for(asked());
  ASSERT_TRUE(looked);
  EXPECT_EQ(rows_of(*looked), rows_of(*after));
}

TEST(ResidentPatients, AHashedLookUpFindsEveryPatientsRowsAndNoOneElses) {
  // Rows in (NISS, file order), as the tables' keys give them.
  model::RefData rows;
  for (int i = 0; i < 2000; ++i) {
    rows.members.push_back({niss_of(i * 2), 19600101, 1, "301", true, 0});
    for (int k = 0; k < i % 4; ++k) rows.insurability.push_back({niss_of(i * 2), 20250101 + k, 20251231, 110, k});
  }
  store::ResidentPatients held(rows);
  EXPECT_EQ(held.rows(), rows.members.size() + rows.insurability.size());
  std::vector<std::string> patients;
  for (int i = 0; i < 4000; i += 5) patients.push_back(niss_of(i));  // odd ones are nobody
  std::sort(patients.begin(), patients.end());
  model::RefData out;
  for (const auto& spec : model::ref_table_specs())
    if (spec.per_patient) held.append(spec, patients, out);
  size_t members = 0, periods = 0;
  for (const auto& p : patients) {
    for (const auto& m : rows.members) members += m.niss == p;
    for (const auto& ip : rows.insurability) periods += ip.niss == p;
  }
  ASSERT_EQ(out.members.size(), members);
  ASSERT_EQ(out.insurability.size(), periods);
  for (size_t i = 1; i < out.insurability.size(); ++i) {
    const auto& a = out.insurability[i - 1];
    const auto& b = out.insurability[i];
    EXPECT_TRUE(a.niss < b.niss || (a.niss == b.niss && a.ct2 + 1 == b.ct2)) << "in (NISS, file order)";
  }
  for (const auto& m : out.members) EXPECT_TRUE(std::binary_search(patients.begin(), patients.end(), m.niss));
}

// A file of a hundred thousand rows or more (members) is read on a connection of its own beside
// the others: the same rows as looked up one by one, every file there.
TEST_F(ResidentPatientsStore, ALargeFileReadBesideTheOthersGivesWhatLookUpsGive) {
  const int members = 100003;
  ASSERT_TRUE(store_->replace_refdata(world(members)));
  std::vector<std::string> some = {"99999999999"};
  for (int i = members - 1; i >= 0; i -= 97) some.push_back(niss_of(i));
  auto other = open();
  auto looked = other->load_refdata_for(some);
  ASSERT_TRUE(looked) << looked.error().message;
  store_->expect_patients(1000000);
  auto held = store_->load_refdata_for(some);
  ASSERT_TRUE(held) << held.error().message;
  EXPECT_EQ(store::resident_patients_held(), 1u);
  EXPECT_EQ(held->members.size(), some.size() - 1);
  EXPECT_FALSE(held->insurability.empty());
  EXPECT_FALSE(held->hospitalisations.empty());
  EXPECT_EQ(rows_of(*held), rows_of(*looked));
}
