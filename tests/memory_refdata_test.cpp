// The reference data held in memory (a provider's pre-flight) gives what the SQLite store gives
// for the same import: every read of the RefDataStore role, row for row, compared on a
// generated world's reference data (every patient file has rows); and it is read from several
// threads at once.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <string>
#include <thread>

#include "baseline.h"
#include "mutua/model/refdata.h"
#include "mutua/model/refdata_tables.h"
#include "mutua/store/memory.h"
#include "mutua/store/sqlite.h"

namespace fs = std::filesystem;
using namespace mutua;

namespace {

class MemoryRefData : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string dir = mutua::testing::temp_path("memory-refdata-world");
    fs::remove_all(dir);
    ASSERT_EQ(mutua::testing::run_mutua("gen --seed 5 --members 400 --providers 20 --lines 200 --envoi-lines 100 --senders 1 "
                                        "--test-files 0 --out " + dir).code, 0);
    std::vector<Error> problems;
    auto data = model::load_refdata_dir(dir + "/refdata", problems);
    ASSERT_TRUE(data);
    for (const auto& spec : model::ref_table_specs())
      if (spec.per_patient && spec.file != "detentions.csv" && spec.file != "commitments.csv" && spec.file != "tariff_commitments.csv")
        EXPECT_GT(spec.rows(*data), 0u) << spec.file << ": the world has rows in it";
    data_ = *data;
    const std::string path = mutua::testing::temp_path("memory-refdata.db");
    fs::remove(path);
    auto s = store::open_sqlite(path);
    ASSERT_TRUE(s) << s.error().message;
    sqlite_ = std::move(*s);
    ASSERT_TRUE(sqlite_->replace_refdata(data_));
    memory_ = store::memory_refdata(data_);
    // Every patient of every patient file (some have rows in one file only).
    std::set<std::string> all;
    for (const auto& spec : model::ref_table_specs())
      if (spec.per_patient)
        for (const auto& row : model::ref_rows(spec, data_)) all.insert(row[0]);
    patients_.assign(all.begin(), all.end());
    ASSERT_GE(data_.members.size(), 100u);
  }

  // Every file's rows, as cells, of what two stores gave.
  static void expect_same(const model::RefData& a, const model::RefData& b, const std::string& what) {
    for (const auto& spec : model::ref_table_specs())
      EXPECT_EQ(model::ref_rows(spec, a), model::ref_rows(spec, b)) << what << ": " << spec.file;
    EXPECT_EQ(a.kept, b.kept) << what;
  }

  model::RefData data_;
  std::unique_ptr<model::Store> sqlite_;
  std::unique_ptr<model::RefDataStore> memory_;
  std::vector<std::string> patients_;
};

TEST_F(MemoryRefData, GivesWhatTheSqliteStoreGives) {
  EXPECT_EQ(*memory_->refdata_counts(), *sqlite_->refdata_counts());
  expect_same(*memory_->load_refdata(), *sqlite_->load_refdata(), "everything");
  expect_same(**memory_->shared_refdata(), **sqlite_->shared_refdata(), "shared");
  EXPECT_FALSE((*memory_->shared_refdata())->kept.empty());

  // Patients asked in any order, twice, with one nobody knows: each known patient's rows once,
  // by patient, in file order.
  std::vector<std::string> asked = {data_.members[3].niss, data_.members[0].niss, "99999999999", data_.members[3].niss,
                                    data_.members[1].niss};
  expect_same(*memory_->load_refdata_for(asked), *sqlite_->load_refdata_for(asked), "some patients");
  expect_same(*memory_->load_refdata_for(patients_), *sqlite_->load_refdata_for(patients_), "every member");
  auto some = memory_->load_refdata_for(asked);
  ASSERT_TRUE(some);
  EXPECT_EQ(some->members.size(), 3u);
  EXPECT_TRUE(some->providers.empty()) << "shared files are not a patient's";
  const std::vector<std::string> files = {"insurability.csv", "medical_houses.csv"};
  auto m = memory_->load_patient_files(patients_, files);
  auto s = sqlite_->load_patient_files(patients_, files);
  ASSERT_TRUE(m && s);
  expect_same(*m, *s, "two files");
  EXPECT_TRUE(m->members.empty());
  EXPECT_FALSE(m->insurability.empty());

  // A column's value, and what is no patient file or no text column.
  for (const auto& h : data_.medical_houses) {
    auto a = memory_->patients_where("medical_houses.csv", "medical_house", h.medical_house);
    auto b = sqlite_->patients_where("medical_houses.csv", "medical_house", h.medical_house);
    ASSERT_TRUE(a && b);
    EXPECT_EQ(*a, *b) << h.medical_house;
    EXPECT_FALSE(a->empty());
  }
  auto not_patients = memory_->patients_where("providers.csv", "inami", "x");
  ASSERT_FALSE(not_patients);
  EXPECT_EQ(not_patients.error().code, "Z00224");
  auto no_column = memory_->patients_where("members.csv", "nothing", "x");
  ASSERT_FALSE(no_column);
  EXPECT_EQ(no_column.error().code, "Z00224");
}

TEST_F(MemoryRefData, IsReadFromSeveralThreadsAtOnce) {
  const auto expected = memory_->load_refdata_for(patients_);
  ASSERT_TRUE(expected);
  std::vector<std::thread> readers;
  std::vector<int> same(4, 0);
  for (size_t t = 0; t < same.size(); ++t)
    readers.emplace_back([&, t] {
      for (int k = 0; k < 50; ++k) {
        auto got = memory_->load_refdata_for(patients_);
        bool equal = got.has_value();
        for (const auto& spec : model::ref_table_specs())
          equal = equal && model::ref_rows(spec, *got) == model::ref_rows(spec, *expected);
        same[t] += equal;
      }
    });
  for (auto& r : readers) r.join();
  for (int n : same) EXPECT_EQ(n, 50);
}

}  // namespace

namespace {

// The shared tables' indexes are made once for a store's shared data and kept for every envoi
// judged with it, never for other data: another RefData (another version of the tables, even at
// the address a freed one had) gets indexes of its own, which answer from it.
TEST(SharedRefIndex, MadeOncePerSharedTablesAndNeverKeptForOthers) {
  auto tables = [](int64_t fee) {
    auto d = std::make_shared<model::RefData>();
    model::NomenclatureRule r;
    r.code = "425014";
    r.fee_cents = fee;
    d->nomenclature.push_back(r);
    model::Provider p;
    p.inami = "40765140401";
    d->providers.push_back(p);
    return std::shared_ptr<const model::RefData>(std::move(d));
  };
  const model::RefData no_patients;
  auto first = tables(1000);
  auto a = model::SharedRefIndex::of(first);
  EXPECT_EQ(model::SharedRefIndex::of(first), a) << "made again for the same tables";
  model::RefIndex by_kept(no_patients, first), by_own(no_patients, *first);
  ASSERT_NE(by_kept.rule("425014", 20261001), nullptr);
  EXPECT_EQ(by_kept.rule("425014", 20261001), by_own.rule("425014", 20261001));
  EXPECT_NE(by_kept.provider("40765140401"), nullptr);
  EXPECT_EQ(by_kept.rule("425036", 20261001), nullptr);

  const auto* first_address = first.get();
  a.reset();
  first.reset();  // the index made for it still holds it: no new RefData takes its place
  auto second = tables(2000);
  EXPECT_NE(second.get(), first_address);
  model::RefIndex after(no_patients, second);
  ASSERT_NE(after.rule("425014", 20261001), nullptr);
  EXPECT_EQ(after.rule("425014", 20261001)->fee_cents, 2000) << "an index of older tables was kept";
  EXPECT_NE(model::SharedRefIndex::of(second), nullptr);
}

// The patients' index: every patient's facts gathered from every patient file, members or not
// (rows of patients who are not members grow it past its first size), each patient once, and
// nothing for a NISS no file has.
TEST(RefIndex, EveryPatientsFactsFromEveryFileFoundByNiss) {
  model::RefData d;
  auto niss = [](int i) { return fmt::format("{:011}", 10000000000LL + i * 7919LL); };
  for (int i = 0; i < 300; ++i) {
    model::Member m;
    m.niss = niss(i);
    d.members.push_back(m);
  }
  // Insurability for every member and for 900 patients who are not members, two periods each.
  for (int i = 0; i < 1200; ++i)
    for (int k = 0; k < 2; ++k) {
      model::InsurabilityPeriod p;
      p.niss = niss(i);
      p.ct1 = i;
      d.insurability.push_back(p);
    }
  model::Hospitalisation stay;
  stay.niss = niss(1199);
  d.hospitalisations.push_back(stay);
  const model::RefIndex index(d);
  for (int i = 0; i < 1200; ++i) {
    const model::PatientFacts* f = index.patient(niss(i));
    ASSERT_NE(f, nullptr) << niss(i);
    EXPECT_EQ(f->member != nullptr, i < 300) << niss(i);
    if (f->member) EXPECT_EQ(f->member->niss, niss(i));
    ASSERT_EQ(f->insurability.size(), 2u) << niss(i);
    EXPECT_EQ(f->insurability[0]->ct1, i);
    EXPECT_EQ(f->insurability[1]->niss, niss(i));
    EXPECT_EQ(f->hospitalisations.size(), i == 1199 ? 1u : 0u);
  }
  EXPECT_EQ(index.patient(niss(1200)), nullptr);
  EXPECT_EQ(index.patient(""), nullptr);
  EXPECT_EQ(index.patient(niss(5).substr(0, 10)), nullptr);
  const model::RefData none;
  EXPECT_EQ(model::RefIndex(none).patient(niss(0)), nullptr);
}

}  // namespace
