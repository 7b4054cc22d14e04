// What any store must do, whatever its database: one suite, parameterised over the backends
// (SQLite, and PostgreSQL on a throw-away server: tests/baseline.h fresh_postgresql). Each test uses the role
// interfaces only (model/store.h), on a fresh store, and asserts the promises the engine and
// the settlement rely on: reference data given back as imported, one accepted envoi number,
// history in order of acceptance and by code, a judgement refused when what it read changed,
// a line paid once, commitment numbers never given twice, one step of a dispute at a time, an
// advisor's decision recorded only from the state it was decided from.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "baseline.h"
#include "mutua/model/dates.h"
#include "mutua/model/refdata.h"
#include "mutua/model/dates.h"
#include "mutua/model/store.h"
#include "mutua/model/refdata_tables.h"
#include "mutua/store/postgresql.h"
#include "mutua/store/sqlite.h"

namespace fs = std::filesystem;
using namespace mutua;

namespace {

struct Backend {
  std::string name;
  // A new, empty store in `dir`.
  std::function<Result<std::unique_ptr<model::Store>>(const std::string& dir)> open;
};

void PrintTo(const Backend& b, std::ostream* os) { *os << b.name; }

std::vector<Backend> backends() {
  return {{"sqlite", [](const std::string& dir) { return store::open_sqlite(dir + "/contract.db"); }},
          {"postgresql", [](const std::string& dir) -> Result<std::unique_ptr<model::Store>> {
             std::string why;
             (void)dir;
             const std::string url =
                 mutua::testing::fresh_postgresql(::testing::UnitTest::GetInstance()->current_test_info()->name(), &why);
             if (url.empty()) return fail({.code = "Z00200", .message = why});
             return store::open_postgresql(url);
           }}};
}

class StoreContract : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    dir_ = mutua::testing::temp_path("contract-" + GetParam().name + "-" +
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto s = GetParam().open(dir_);
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
    std::vector<Error> problems;
    auto data = model::load_refdata_dir(std::string(MUTUA_SOURCE_DIR) + "/tests/scenarios/base", problems);
    ASSERT_TRUE(data);
    data_ = *data;
    auto imported = store_->replace_refdata(data_);
    ASSERT_TRUE(imported) << imported.error().message;
  }
  void TearDown() override {
    store_.reset();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  // An accepted envoi of `third_party`, number `number`, with one line per (niss, code).
  static model::EnvoiOutcome accepted(const std::string& third_party, int number,
                                      const std::vector<std::pair<std::string, std::string>>& lines,
                                      model::Date date = 20261005) {
    model::EnvoiOutcome o;
    o.envoi.third_party = third_party;
    o.envoi.year = 2026;
    o.envoi.month = 10;
    o.envoi.number = number;
    o.envoi.status = model::EnvoiStatus::Accepted;
    o.envoi.received = 20261105;
    o.envoi.file_name = "envoi-" + std::to_string(number) + ".efact";
    o.envoi.content_hash = "hash-" + third_party + "-" + std::to_string(number);
    o.envoi.federation = "300";
    for (const auto& [niss, code] : lines) {
      model::HistoryLine h;
      h.niss = niss;
      h.code = code;
      h.first_date = h.last_date = date;
      h.units = 1;
      h.amount = 1250;
      h.provider = h.third_party = third_party;
      h.invoice_number = 1;
      h.record = 3;
      h.billed = 20261105;
      h.envoi_number = number;
      o.accepted.push_back(h);
      o.envoi.lines += 1;
      o.envoi.asked_cents += h.amount;
      o.envoi.accepted_cents += h.amount;
      o.envoi.accepted_a_cents += h.amount;
    }
    o.responses.push_back({"920900", "920900 response bytes", "{\"message\":\"920900\"}"});
    o.verdicts_json = "[]";
    return o;
  }

  std::string dir_;
  std::unique_ptr<model::Store> store_;
  model::RefData data_;
};

const std::string kNurse = "40765140401", kOtherNurse = "41234502401";
const std::string kPatient = "85073003328", kOtherPatient = "60010112347";

TEST_P(StoreContract, ReferenceDataComesBackAsImportedAndByPatient) {
  model::RefDataStore& ref = *store_;
  auto counts = ref.refdata_counts();
  ASSERT_TRUE(counts);
  for (const auto& spec : model::ref_table_specs())
    EXPECT_EQ(counts->at(spec.file), spec.rows(data_)) << spec.file;
  auto all = ref.load_refdata();
  ASSERT_TRUE(all);
  // Every value as imported, in file order.
  size_t compared = 0;
  for (const auto& spec : model::ref_table_specs()) {
    EXPECT_EQ(model::ref_rows(spec, *all), model::ref_rows(spec, data_)) << spec.file;
    compared += spec.rows(data_);
  }
  EXPECT_GT(compared, 30u);

  auto one = ref.load_refdata_for({kPatient});
  ASSERT_TRUE(one);
  ASSERT_EQ(one->members.size(), 1u);
  auto twice = ref.load_refdata_for({kPatient, kPatient});
  ASSERT_TRUE(twice);
  EXPECT_EQ(twice->members.size(), 1u) << "a patient asked twice comes once";
  EXPECT_EQ(twice->insurability.size(), one->insurability.size());
  EXPECT_EQ(one->members[0].niss, kPatient);
  size_t rows_of_patient = 0;
  for (const auto& spec : model::ref_table_specs()) {
    if (!spec.per_patient) {
      EXPECT_EQ(spec.rows(*one), 0u) << spec.file << ": a shared file read with a patient's";
      continue;
    }
    // The patient's rows of each file, and only those, in file order.
    std::vector<std::vector<std::string>> expected;
    for (auto& row : model::ref_rows(spec, data_))
      if (row[0] == kPatient) expected.push_back(row);
    EXPECT_EQ(model::ref_rows(spec, *one), expected) << spec.file;
    rows_of_patient += expected.size();
  }
  EXPECT_GE(rows_of_patient, 2u);
  auto nobody = ref.load_refdata_for({"99999999999"});
  ASSERT_TRUE(nobody);
  EXPECT_TRUE(nobody->members.empty());

  // The shared tables are parsed once per import: the same object until the next one.
  auto a = ref.shared_refdata(), b = ref.shared_refdata();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ((*a)->providers.size(), data_.providers.size());
  EXPECT_TRUE((*a)->members.empty()) << "patients are read per envoi, never with the shared tables";
  ASSERT_TRUE(ref.replace_refdata(data_));
  auto c = ref.shared_refdata();
  ASSERT_TRUE(c);
  EXPECT_NE(a->get(), c->get());
  // Each copy says the version it was read at (a read-ahead on another connection is judged
  // with the needs it made only when its copy is of the same version): raised by the import.
  EXPECT_GT((*a)->version, 0);
  EXPECT_GT((*c)->version, (*a)->version);

  // The shared tables another connection read (an envoi's reading ahead) are kept as they are
  // when of the store's version, instead of being read again; an older copy never is.
  ASSERT_TRUE(ref.replace_refdata(data_));  // one version past c's
  auto ahead = std::make_shared<model::RefData>(**c);
  ahead->version = (*c)->version + 1;
  ref.adopt_shared_refdata(*a);
  ref.adopt_shared_refdata(ahead);
  auto adopted = ref.shared_refdata();
  ASSERT_TRUE(adopted);
  EXPECT_EQ(adopted->get(), ahead.get()) << "a current copy from another connection is read again";
  ref.adopt_shared_refdata(*c);
  auto kept = ref.shared_refdata();
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->get(), ahead.get()) << "an older copy replaced the current one";
  ASSERT_TRUE(ref.replace_refdata(data_));
  ref.adopt_shared_refdata(ahead);
  auto after_import = ref.shared_refdata();
  ASSERT_TRUE(after_import);
  EXPECT_NE(after_import->get(), ahead.get()) << "a copy older than the last import was taken";
  EXPECT_EQ((*after_import)->version, ahead->version + 1);
}

TEST_P(StoreContract, AnEnvoiAndItsFilesComeBackByteForByte) {
  model::EnvoiStore& envois = *store_;
  auto o = accepted(kNurse, 1, {{kPatient, "425014"}});
  std::string binary(3 << 20, '\0');
  for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>((i * 131) % 251);
  o.responses = {{"920900", binary, "{\"é\":\"\\u0000\"}"}, {"920098", "informative", "{}"}};
  const std::string received = "920000" + binary.substr(0, 100000);
  o.received_bytes = received;
  o.verdicts_json = "[{\"record\":3}]";
  auto id = envois.record(o);
  ASSERT_TRUE(id) << id.error().message;
  EXPECT_GT(*id, 0);
  auto back = envois.envoi(*id);
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->third_party, kNurse);
  EXPECT_EQ((*back)->status, model::EnvoiStatus::Accepted);
  EXPECT_EQ((*back)->accepted_a_cents, 1250);
  auto responses = envois.responses(*id);
  ASSERT_TRUE(responses);
  ASSERT_EQ(responses->size(), 2u);
  EXPECT_EQ((*responses)[0].message, "920900");
  EXPECT_EQ((*responses)[0].bytes, binary);
  EXPECT_EQ((*responses)[0].json, o.responses[0].json);
  EXPECT_EQ((*responses)[1].message, "920098");
  // One response by its message, and the messages alone, read the same.
  EXPECT_EQ(envois.response_messages(*id).value_or(std::vector<std::string>{}), (std::vector<std::string>{"920900", "920098"}));
  auto one = envois.response(*id, "920900");
  ASSERT_TRUE(one && *one);
  EXPECT_EQ((*one)->bytes, binary);
  EXPECT_EQ((*one)->json, o.responses[0].json);
  auto none = envois.response(*id, "920099");
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  EXPECT_EQ(envois.received_bytes(*id).value_or(""), received);
  EXPECT_EQ(envois.verdicts(*id).value_or(""), o.verdicts_json);
  auto of_nurse = envois.envois_of(kNurse);
  ASSERT_TRUE(of_nurse);
  ASSERT_EQ(of_nurse->size(), 1u);
  EXPECT_EQ(of_nurse->front().id, *id);
  EXPECT_TRUE(envois.envois_of("41234502401").value_or(std::vector<model::EnvoiRecord>{{}}).empty());
  auto receptions = envois.receptions(kNurse, 2026, 1);
  ASSERT_TRUE(receptions);
  ASSERT_EQ(receptions->size(), 1u);
  EXPECT_EQ(receptions->front().id, *id);
}

// What a batch started again finds of itself (engine::find_in_batch compares the hashes).
TEST_P(StoreContract, ABatchsReceptionsOfAFileNameComeBackOldestFirst) {
  model::EnvoiStore& envois = *store_;
  auto in_batch = [](int number, const std::string& batch, const std::string& name) {
    auto o = accepted(kNurse, number, {});
    o.envoi.batch = batch;
    o.envoi.file_name = name;
    return o;
  };
  auto first = envois.record(in_batch(1, "B1", "a.efact"));
  auto other_name = envois.record(in_batch(2, "B1", "b.efact"));
  auto other_batch = envois.record(in_batch(3, "B2", "a.efact"));
  auto again = envois.record(in_batch(4, "B1", "a.efact"));
  ASSERT_TRUE(first && other_name && other_batch && again);
  auto found = envois.batch_receptions("B1", "a.efact");
  ASSERT_TRUE(found) << found.error().message;
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].id, *first);
  EXPECT_EQ((*found)[1].id, *again);
  EXPECT_EQ((*found)[0].content_hash, "hash-" + kNurse + "-1");
  EXPECT_EQ((*found)[0].batch, "B1");
  EXPECT_TRUE(envois.batch_receptions("B3", "a.efact").value_or(std::vector<model::EnvoiRecord>{{}}).empty());
  EXPECT_TRUE(envois.batch_receptions("B1", "c.efact").value_or(std::vector<model::EnvoiRecord>{{}}).empty());
}

TEST_P(StoreContract, AnEnvoiNumberIsAcceptedOnceAndNothingIsWrittenTheSecondTime) {
  model::EnvoiStore& envois = *store_;
  ASSERT_TRUE(envois.record(accepted(kNurse, 7, {{kPatient, "425014"}})));
  auto again = envois.record(accepted(kNurse, 7, {{kOtherPatient, "425036"}}));
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, model::kStoreConflict);
  auto all = envois.envois();
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 1u);
  auto history = envois.history({kOtherPatient});
  ASSERT_TRUE(history);
  EXPECT_TRUE(history->empty()) << "the refused recording wrote its lines";
  // The same number as a test file, another provider's, or a rejection: other envois.
  auto test = accepted(kNurse, 7, {});
  test.envoi.test = true;
  EXPECT_TRUE(envois.record(test));
  EXPECT_TRUE(envois.record(accepted(kOtherNurse, 7, {{kPatient, "425036"}})));
  auto rejected = accepted(kNurse, 7, {});
  rejected.envoi.status = model::EnvoiStatus::Rejected;
  EXPECT_TRUE(envois.record(rejected));
  EXPECT_EQ(envois.envois()->size(), 4u);
}

TEST_P(StoreContract, HistoryComesInOrderOfAcceptanceAndByCode) {
  model::EnvoiStore& envois = *store_;
  auto first = envois.record(accepted(kNurse, 1, {{kPatient, "425036"}, {kPatient, "425014"}, {kOtherPatient, "425014"}}));
  auto second = envois.record(accepted(kNurse, 2, {{kPatient, "425014"}, {kPatient, "428035"}}, 20261001));
  ASSERT_TRUE(first && second);
  auto all = envois.history({kPatient, kOtherPatient});
  ASSERT_TRUE(all);
  const auto& mine = all->at(kPatient);
  ASSERT_EQ(mine.size(), 4u);
  for (size_t i = 1; i < mine.size(); ++i) EXPECT_LT(mine[i - 1].id, mine[i].id) << "order of acceptance";
  EXPECT_EQ(mine[0].envoi_id, *first);
  EXPECT_EQ(mine[3].envoi_id, *second);
  EXPECT_EQ(all->at(kOtherPatient).size(), 1u);

  auto by_code = envois.history_of_codes({{kPatient, {"425014"}}});
  ASSERT_TRUE(by_code);
  ASSERT_EQ(by_code->size(), 1u);
  const auto& lines = by_code->at(kPatient);
  ASSERT_EQ(lines.size(), 2u);
  for (const auto& l : lines) EXPECT_EQ(l.code, "425014");
  EXPECT_LT(lines[0].id, lines[1].id) << "by id, not by date: the second envoi's line is dated earlier";
  EXPECT_EQ(lines[1].first_date, 20261001u);

  // Judged as before the second envoi (explain): its lines are not there.
  auto before = envois.history_of_codes({{kPatient, {"425014", "428035"}}}, *second);
  ASSERT_TRUE(before);
  ASSERT_EQ(before->at(kPatient).size(), 1u);
  EXPECT_EQ(before->at(kPatient)[0].envoi_id, *first);

  // A credit note reverses a line: it counts no more.
  auto credit = accepted(kNurse, 3, {});
  credit.reversed_ids = {lines[0].id};
  ASSERT_TRUE(envois.record(credit));
  auto after = envois.history_of_codes({{kPatient, {"425014"}}});
  ASSERT_TRUE(after);
  ASSERT_EQ(after->at(kPatient).size(), 1u);
  EXPECT_EQ(after->at(kPatient)[0].id, lines[1].id);
}

// An envoi's lines go in many at a time (SQLite: 64 rows to a statement, the rest one by one):
// 150 lines of three patients, their fields each their own, come back whole, each patient's in
// the order the envoi gave them.
TEST_P(StoreContract, ManyLinesOfAnEnvoiComeBackEachAsRecorded) {
  model::EnvoiStore& envois = *store_;
  const std::vector<std::string> patients = {kPatient, kOtherPatient, "99010100159"};
  std::vector<std::pair<std::string, std::string>> lines;
  for (int i = 0; i < 150; ++i) lines.push_back({patients[(i * 7) % 3], i % 2 ? "425014" : "425036"});
  auto o = accepted(kNurse, 1, lines);
  for (size_t i = 0; i < o.accepted.size(); ++i) {
    o.accepted[i].record = 3 + i;
    o.accepted[i].amount = 1000 + static_cast<int64_t>(i);
    o.accepted[i].units = 1 + static_cast<int>(i % 4);
    o.accepted[i].first_date = o.accepted[i].last_date = model::add_days(20261001, static_cast<int>(i % 20));
    o.accepted[i].provider = i % 3 ? kNurse : kOtherNurse;
  }
  auto id = envois.record(o);
  ASSERT_TRUE(id) << id.error().message;
  auto all = envois.history(patients);
  ASSERT_TRUE(all);
  size_t seen = 0;
  for (const auto& niss : patients) {
    const auto& mine = all->at(niss);
    uint64_t last_record = 0;
    for (const auto& h : mine) {
      ASSERT_GE(h.record, 3u);
      const auto& sent = o.accepted[h.record - 3];
      EXPECT_EQ(h.niss, sent.niss);
      EXPECT_EQ(h.code, sent.code);
      EXPECT_EQ(h.amount, sent.amount);
      EXPECT_EQ(h.units, sent.units);
      EXPECT_EQ(h.first_date, sent.first_date);
      EXPECT_EQ(h.provider, sent.provider);
      EXPECT_EQ(h.envoi_id, *id);
      EXPECT_GT(h.record, last_record) << niss << ": the envoi's order, by id";
      last_record = h.record;
    }
    seen += mine.size();
  }
  EXPECT_EQ(seen, 150u);
}

TEST_P(StoreContract, HistoryOfCodesGivesOnlyTheCodesAskedHoweverManyAreAsked) {
  // A store may read a patient asked for many codes whole and drop the rest, or read each
  // (patient, code): either way only the codes asked come back, in order of acceptance.
  model::EnvoiStore& envois = *store_;
  auto first = envois.record(accepted(kNurse, 1,
                                      {{kPatient, "425036"}, {kPatient, "425014"}, {kPatient, "428035"},
                                       {kOtherPatient, "425014"}, {kOtherPatient, "425036"}}));
  auto second = envois.record(accepted(kNurse, 2, {{kPatient, "425014"}, {kPatient, "425110"}}, 20261001));
  ASSERT_TRUE(first && second);
  const std::vector<std::string> many = {"425014", "425110", "425153", "425175", "425190", "427011"};
  auto read = envois.history_of_codes({{kPatient, many}, {kOtherPatient, {"425036"}}});
  ASSERT_TRUE(read);
  ASSERT_EQ(read->count(kPatient), 1u);
  const auto& mine = read->at(kPatient);
  ASSERT_EQ(mine.size(), 3u) << "425036 and 428035 were not asked";
  EXPECT_EQ(mine[0].code, "425014");
  EXPECT_EQ(mine[1].code, "425014");
  EXPECT_EQ(mine[2].code, "425110");
  EXPECT_LT(mine[0].id, mine[1].id);
  EXPECT_LT(mine[1].id, mine[2].id);
  ASSERT_EQ(read->at(kOtherPatient).size(), 1u);
  EXPECT_EQ(read->at(kOtherPatient)[0].code, "425036");
  // Before the second envoi: only the first's line of the codes asked.
  auto before = envois.history_of_codes({{kPatient, many}}, *second);
  ASSERT_TRUE(before);
  ASSERT_EQ(before->at(kPatient).size(), 1u);
  EXPECT_EQ(before->at(kPatient)[0].envoi_id, *first);
  // Asked for codes without a line: no entry at all.
  auto none = envois.history_of_codes({{kOtherPatient, {"425110", "425153", "425175", "425190", "427011"}}});
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());
}

// A nursing patient's roles are counted per day: the codes asked only on some days come back
// only on those days, the others on every day; with few codes asked (a read per code) and with
// many (the patient read whole), in order of acceptance, whatever table holds the lines.
TEST_P(StoreContract, HistoryOfCodesGivesCodesAskedOnDaysOnlyOnThoseDays) {
  model::EnvoiStore& envois = *store_;
  ASSERT_TRUE(envois.record(accepted(kNurse, 1, {{kPatient, "425014"}, {kPatient, "425036"}, {kOtherPatient, "425036"}},
                                     20261001)));
  ASSERT_TRUE(envois.record(accepted(kNurse, 2, {{kPatient, "425036"}, {kPatient, "428035"}, {kPatient, "425014"}},
                                     20261002)));
  ASSERT_TRUE(envois.record(accepted(kNurse, 3, {{kPatient, "425036"}, {kPatient, "425110"}}, 20261003)));
  auto check = [&](const model::PatientCodes& asked, const std::vector<std::pair<std::string, model::Date>>& want) {
    auto read = envois.history_of_codes(
        {asked, {kOtherPatient, {}, std::make_shared<const std::vector<std::string>>(1, "425036"), {20261002}}});
    ASSERT_TRUE(read) << read.error().message;
    EXPECT_EQ(read->count(kOtherPatient), 0u) << "its one line is of another day";
    ASSERT_EQ(read->count(kPatient), 1u);
    const auto& mine = read->at(kPatient);
    std::vector<std::pair<std::string, model::Date>> got;
    for (const auto& h : mine) got.emplace_back(h.code, h.first_date);
    EXPECT_EQ(got, want) << asked.code_count() << " codes asked";
    for (size_t i = 1; i < mine.size(); ++i) EXPECT_LT(mine[i - 1].id, mine[i].id) << "order of acceptance";
  };
  auto on = [](std::vector<std::string> codes) { return std::make_shared<const std::vector<std::string>>(std::move(codes)); };
  // Few codes: 425014 every day (also in the days' list: read once), 425036 and 428035 on the 2nd
  // and 3rd only.
  check({kPatient, {"425014"}, on({"425014", "425036", "428035"}), {20261002, 20261003}},
        {{"425014", 20261001}, {"425036", 20261002}, {"428035", 20261002}, {"425014", 20261002}, {"425036", 20261003}});
  // Many: the same, and codes without a line; 425110 asked on a day it has no line; 425014 in
  // both lists, so on every day.
  check({kPatient, {"425014"}, on({"425014", "425036", "425110", "425153", "425175", "427011", "428035"}), {20261002}},
        {{"425014", 20261001}, {"425036", 20261002}, {"428035", 20261002}, {"425014", 20261002}});
}

TEST_P(StoreContract, PatientsRecordedSinceAMarkAreThoseWithNewerLines) {
  // What a worker that read an envoi's history ahead must read again: the patients that
  // envois recorded lines of since the mark it read at; none when nothing was recorded.
  model::EnvoiStore& envois = *store_;
  ASSERT_TRUE(envois.record(accepted(kNurse, 1, {{kPatient, "425014"}, {kOtherPatient, "425014"}})));
  auto mark = envois.mark();
  ASSERT_TRUE(mark);
  std::vector<std::string> both = {kPatient, kOtherPatient};
  std::sort(both.begin(), both.end());
  auto none = envois.patients_recorded_since(*mark, both);
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty()) << "nothing recorded since the mark";
  ASSERT_TRUE(envois.record(accepted(kNurse, 2, {{kOtherPatient, "425036"}, {"99010100159", "425036"}})));
  auto since = envois.patients_recorded_since(*mark, both);
  ASSERT_TRUE(since);
  EXPECT_EQ(*since, std::vector<std::string>{kOtherPatient}) << "only the patients asked, with newer lines";
  auto from_start = envois.patients_recorded_since(model::StoreMark{}, both);
  ASSERT_TRUE(from_start);
  EXPECT_EQ(*from_start, both);
}

// What history reads say of each line, in the order given.
std::string history_text(const std::unordered_map<std::string, std::vector<model::HistoryLine>>& by_patient,
                         const std::vector<std::string>& patients) {
  std::string out;
  for (const auto& p : patients) {
    auto it = by_patient.find(p);
    if (it == by_patient.end()) continue;
    for (const auto& h : it->second)
      out += fmt::format("{} {} {} {} {} {} {} {}\n", h.id, h.envoi_id, h.niss, h.code, h.first_date, h.units, h.amount,
                         h.reversed ? 1 : 0);
  }
  return out;
}

// A history read at a mark, brought up to date with what was recorded since (the lines accepted
// since added after those read, the patients recorded_since names read again), is the history
// read now: with lines of a patient added, another's line reversed by a credit note, a third
// patient not asked.
TEST_P(StoreContract, WhatWasRecordedSinceBringsAHistoryReadAtAMarkUpToDate) {
  model::EnvoiStore& envois = *store_;
  ASSERT_TRUE(envois.record(accepted(kNurse, 1, {{kPatient, "425014"}, {kOtherPatient, "425014"}, {kOtherPatient, "425036"}})));
  std::vector<std::string> both = {kPatient, kOtherPatient};
  std::sort(both.begin(), both.end());
  auto mark = envois.mark();
  ASSERT_TRUE(mark);
  auto read = envois.history(both);
  ASSERT_TRUE(read);
  auto nothing = envois.recorded_since(*mark, both);
  ASSERT_TRUE(nothing);
  EXPECT_TRUE(nothing->again.empty() && nothing->added.empty()) << "nothing recorded since the mark";

  ASSERT_TRUE(envois.record(accepted(kNurse, 2, {{kPatient, "425036"}, {kPatient, "425014"}, {"99010100159", "425036"}}, 20261006)));
  auto credit = accepted(kNurse, 3, {{kOtherPatient, "425014"}}, 20261005);
  credit.accepted[0].amount = -1250;  // the other patient's first line, cancelled
  credit.reversed_ids = {read->at(kOtherPatient)[0].id};
  ASSERT_TRUE(envois.record(credit));

  auto since = envois.recorded_since(*mark, both);
  ASSERT_TRUE(since);
  EXPECT_TRUE(std::is_sorted(since->again.begin(), since->again.end()));
  EXPECT_EQ(std::count(since->again.begin(), since->again.end(), kOtherPatient), 1) << "its line was reversed";
  EXPECT_EQ(since->added.count("99010100159"), 0u) << "not asked";
  if (GetParam().name == "sqlite") {
    ASSERT_EQ(since->added.count(kPatient), 1u) << "its lines since, not read again";
    EXPECT_EQ(since->added.at(kPatient).size(), 2u);
  }
  auto brought = *read;
  for (const auto& niss : since->again) brought.erase(niss);
  auto fresh = envois.history(since->again);
  ASSERT_TRUE(fresh);
  for (auto& [niss, lines] : *fresh) brought[niss] = lines;
  for (auto& [niss, lines] : since->added)
    for (auto& l : lines) brought[niss].push_back(l);
  auto now = envois.history(both);
  ASSERT_TRUE(now);
  EXPECT_EQ(history_text(brought, both), history_text(*now, both));
}

TEST_P(StoreContract, HistoryReadsTheSameWhereverAStoreKeepsALine) {
  // Lines loaded in bulk, then recorded by envois (a store may keep these apart as recent
  // history), a credit note reversing one of each: reads, marks and the ledger's sums say the
  // same before and after the store merges what it keeps apart, and after more envois.
  model::EnvoiStore& envois = *store_;
  model::HistoryLine old;
  old.niss = kPatient;
  old.code = "425014";
  old.first_date = old.last_date = 20260105;
  old.amount = 900;
  old.provider = old.third_party = kOtherNurse;
  old.envoi_number = 1;
  old.billed = 20260110;
  ASSERT_TRUE(envois.load_history({old, old}));
  auto first = envois.record(accepted(kNurse, 1, {{kPatient, "425036"}, {kPatient, "425014"}, {kOtherPatient, "425014"}}));
  auto second = envois.record(accepted(kNurse, 2, {{kOtherPatient, "428035"}, {kPatient, "425014"}}, 20261001));
  ASSERT_TRUE(first && second);
  auto loaded = envois.history({kPatient});
  ASSERT_TRUE(loaded);
  ASSERT_EQ(loaded->at(kPatient).size(), 5u);
  auto credit = accepted(kNurse, 3, {});
  credit.reversed_ids = {loaded->at(kPatient)[0].id, loaded->at(kPatient)[2].id};
  ASSERT_TRUE(envois.record(credit));

  const std::vector<std::string> patients = {kOtherPatient, kPatient};
  const std::vector<model::PatientCodes> wanted = {{kOtherPatient, {"425014", "428035"}}, {kPatient, {"425014"}}};
  auto read = [&] {
    std::string out;
    auto all = envois.history(patients);
    auto codes = envois.history_of_codes(wanted);
    auto before = envois.history_of_codes(wanted, *second);
    auto mark = envois.mark();
    auto ledger = store_->ledger(false, true);
    EXPECT_TRUE(all && codes && before && mark && ledger);
    if (!all || !codes || !before || !mark || !ledger) return out;
    out += "history\n" + history_text(*all, patients) + "codes\n" + history_text(*codes, patients) + "before\n" +
           history_text(*before, patients) + fmt::format("mark {} {}\n", mark->envoi, mark->history);
    for (const auto& e : ledger->envois) out += fmt::format("envoi {} sums {} {}\n", e.id, e.history_cents, e.history_lines);
    return out;
  };
  const std::string as_recorded = read();
  EXPECT_NE(as_recorded.find(fmt::format("{} 428035 20261001 1 1250 0", kOtherPatient)), std::string::npos) << as_recorded;
  EXPECT_EQ(as_recorded.find(" 1\n"), std::string::npos) << "a reversed line was read:\n" << as_recorded;

  auto waiting = envois.recent_history_lines();
  ASSERT_TRUE(waiting);
  auto merged = envois.merge_recent_history();
  ASSERT_TRUE(merged);
  EXPECT_EQ(*merged, *waiting);
  EXPECT_EQ(*envois.recent_history_lines(), 0);
  EXPECT_EQ(read(), as_recorded) << "merged " << *merged << " line(s)";
  EXPECT_EQ(*envois.merge_recent_history(), 0) << "nothing left to merge";

  // Later lines come after the merged ones, and a merged line is reversed like any other.
  ASSERT_TRUE(envois.record(accepted(kNurse, 4, {{kPatient, "425014"}})));
  auto later = envois.history_of_codes({{kPatient, {"425014"}}});
  ASSERT_TRUE(later);
  const auto& mine = later->at(kPatient);
  ASSERT_EQ(mine.size(), 4u);
  EXPECT_EQ(mine.back().envoi_number, 4);
  for (size_t i = 1; i < mine.size(); ++i) EXPECT_LT(mine[i - 1].id, mine[i].id) << "order of acceptance";
  auto credit2 = accepted(kNurse, 5, {});
  credit2.reversed_ids = {mine[1].id};
  ASSERT_TRUE(envois.record(credit2));
  auto last = envois.history_of_codes({{kPatient, {"425014"}}});
  ASSERT_TRUE(last);
  EXPECT_EQ(last->at(kPatient).size(), 3u);
}

TEST_P(StoreContract, AJudgementIsRefusedWhenWhatItReadChangedMeanwhile) {
  model::EnvoiStore& envois = *store_;
  auto mark = envois.mark();
  ASSERT_TRUE(mark);
  // Another process records lines of this patient after the mark was taken.
  ASSERT_TRUE(envois.record(accepted(kOtherNurse, 1, {{kPatient, "425014"}})));
  auto late = accepted(kNurse, 1, {{kPatient, "425014"}});
  late.judged_at = *mark;
  late.patients = {kPatient};
  auto refused = envois.record(late);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, model::kStoreConflict);
  EXPECT_EQ(envois.envois()->size(), 1u);
  // Judged on another patient, from the same mark: nothing it read changed.
  auto other = accepted(kNurse, 1, {{kOtherPatient, "425014"}});
  other.judged_at = *mark;
  other.patients = {kOtherPatient};
  EXPECT_TRUE(envois.record(other));
  // Judged again from a fresh mark, the first one records.
  auto fresh = envois.mark();
  ASSERT_TRUE(fresh);
  EXPECT_GT(fresh->history, mark->history);
  auto again = accepted(kNurse, 2, {{kPatient, "425014"}});
  again.judged_at = *fresh;
  again.patients = {kPatient};
  EXPECT_TRUE(envois.record(again));
}

TEST_P(StoreContract, AnEnvoiIsPaidOnce) {
  auto id = store_->record(accepted(kNurse, 1, {{kPatient, "425014"}}));
  ASSERT_TRUE(id);
  model::LedgerStore& ledger = *store_;
  auto awaiting = ledger.ledger(true, false);
  ASSERT_TRUE(awaiting);
  ASSERT_EQ(awaiting->envois.size(), 1u);
  auto run = [&](const std::string& key, int64_t sequence) {
    model::PaymentRunOutcome r;
    r.run.key = key;
    r.run.date = r.run.execution = 20261130;
    r.run.budget_cents = 100000;
    r.run.paid_cents = 1250;
    r.run.transfers = 1;
    r.run.payment_file = "payments-" + key + ".pain.001.xml";
    model::Payment p;
    p.envoi_id = *id;
    p.account = 'A';
    p.fund = "300";
    p.year = 2026;
    p.sequence = sequence;
    p.reference = "2026/2/" + std::string(7 - std::to_string(sequence).size(), '0') + std::to_string(sequence);
    p.accepted_cents = p.paid_cents = 1250;
    p.third_party = kNurse;
    p.iban = "BE71096123456769";
    p.bic = "GKCCBEBB";
    p.executed = 20261130;
    r.payments.push_back(p);
    return r;
  };
  ASSERT_TRUE(ledger.record_payment_run(run("first", 1)));
  auto twice = ledger.record_payment_run(run("second", 2));
  EXPECT_FALSE(twice) << "the envoi was paid a second time";
  EXPECT_FALSE(ledger.payment_run("second").value_or(std::nullopt).has_value()) << "the failed run was recorded";
  auto paid = ledger.envoi_payments(*id);
  ASSERT_TRUE(paid);
  ASSERT_EQ(paid->size(), 1u);
  EXPECT_EQ(paid->front().reference, "2026/2/0000001");
  EXPECT_TRUE(ledger.ledger(true, false)->envois.empty()) << "a settled envoi still awaits payment";
  // The same run key once.
  EXPECT_FALSE(ledger.record_payment_run(run("first", 3)));
}

// What a payment or letter search reads: only its providers', its month's, its reference's or
// its run's envois and payments, with every run and the providers' regularisations.
TEST_P(StoreContract, ASearchReadsOnlyTheLedgerItsScopeSays) {
  auto october = accepted(kNurse, 1, {{kPatient, "425014"}});
  auto november = accepted(kNurse, 2, {{kPatient, "425014"}});
  november.envoi.month = 11;
  auto other = accepted(kOtherNurse, 1, {{kOtherPatient, "425014"}});
  auto a = store_->record(october), b = store_->record(november), c = store_->record(other);
  ASSERT_TRUE(a && b && c);
  model::LedgerStore& ledger = *store_;
  model::PaymentRunOutcome run;
  run.run.key = "2026-11-30";
  run.run.date = run.run.execution = 20261130;
  int64_t sequence = 0;
  for (auto [envoi, who] : {std::pair{*a, kNurse}, {*b, kNurse}, {*c, kOtherNurse}}) {
    model::Payment p;
    p.envoi_id = envoi;
    p.fund = "300";
    p.year = 2026;
    p.sequence = ++sequence;
    p.reference = "2026/2/000000" + std::to_string(sequence);
    p.accepted_cents = p.paid_cents = 1250;
    p.third_party = who;
    p.executed = 20261130;
    run.payments.push_back(p);
  }
  ASSERT_TRUE(ledger.record_payment_run(run));
  model::Regularisation m38{.third_party = kOtherNurse, .amount_cents = 500, .reason = "M38", .recorded = 20261201};
  ASSERT_TRUE(ledger.add_regularisation(m38));

  auto ids = [](const auto& rows) {
    std::vector<int64_t> out;
    for (const auto& r : rows) out.push_back(r.id);
    return out;
  };
  auto envois_of = [](const model::LedgerState& st) {
    std::vector<int64_t> out;
    for (const auto& p : st.payments) out.push_back(p.envoi_id);
    return out;
  };
  auto mine = ledger.ledger_in({.third_parties = {kNurse}});
  ASSERT_TRUE(mine) << mine.error().message;
  EXPECT_EQ(ids(mine->envois), (std::vector<int64_t>{*a, *b}));
  EXPECT_EQ(envois_of(*mine), (std::vector<int64_t>{*a, *b}));
  EXPECT_TRUE(mine->regularisations.empty());
  EXPECT_EQ(mine->runs.size(), 1u);
  auto by_reference = ledger.ledger_in({.reference = "2026/2/0000002"});
  ASSERT_TRUE(by_reference);
  EXPECT_EQ(ids(by_reference->envois), std::vector<int64_t>{*b});
  EXPECT_EQ(envois_of(*by_reference), std::vector<int64_t>{*b});
  // Someone else's reference, asked for one's own providers only: nothing.
  EXPECT_TRUE(ledger.ledger_in({.third_parties = {kNurse}, .reference = "2026/2/0000003"})->payments.empty());
  auto october_only = ledger.ledger_in({.year = 2026, .month = 10});
  ASSERT_TRUE(october_only);
  EXPECT_EQ(ids(october_only->envois), (std::vector<int64_t>{*a, *c}));
  EXPECT_EQ(envois_of(*october_only), (std::vector<int64_t>{*a, *c}));
  EXPECT_EQ(october_only->regularisations.size(), 1u);
  auto of_run = ledger.ledger_in({.third_parties = {kOtherNurse}, .run = "2026-11-30"});
  ASSERT_TRUE(of_run);
  EXPECT_EQ(envois_of(*of_run), std::vector<int64_t>{*c});
  ASSERT_EQ(of_run->regularisations.size(), 1u);
  EXPECT_EQ(of_run->regularisations[0].amount_cents, 500);
  EXPECT_TRUE(ledger.ledger_in({.run = "no such run"})->payments.empty());
}

TEST_P(StoreContract, CommitmentNumbersAreNeverGivenTwiceAndTheEngineSeesThem) {
  model::ConsultationStore& consultations = *store_;
  std::vector<model::Consultation> asked(3);
  for (size_t i = 0; i < asked.size(); ++i) {
    asked[i].niss = i == 1 ? kOtherPatient : kPatient;
    asked[i].date = 20261105;
    asked[i].insured = i != 2;
    asked[i].mutuality = "301";
    asked[i].ct1 = asked[i].ct2 = 110;
    asked[i].recorded = 20261105;
  }
  auto first = consultations.record_consultations(asked);
  ASSERT_TRUE(first);
  ASSERT_EQ(first->size(), 3u);
  EXPECT_FALSE((*first)[0].empty());
  EXPECT_FALSE((*first)[1].empty());
  EXPECT_NE((*first)[0], (*first)[1]);
  EXPECT_TRUE((*first)[2].empty()) << "a member not insured gets no commitment";
  // Few commitments next to the patients asked (one scan), then many (one look-up each).
  auto seen_for = [&](const std::string& niss, const std::vector<std::string>& numbers) {
    auto rows = store_->load_refdata_for({niss});
    EXPECT_TRUE(rows);
    int seen = 0;
    for (const auto& c : rows->commitments) {
      EXPECT_EQ(c.niss, niss);
      seen += std::find(numbers.begin(), numbers.end(), c.number) != numbers.end();
    }
    return seen;
  };
  EXPECT_EQ(seen_for(kPatient, {(*first)[0]}), 1);
  EXPECT_EQ(seen_for(kOtherPatient, {(*first)[1]}), 1);
  auto second = consultations.record_consultations({asked[0]});
  ASSERT_TRUE(second);
  EXPECT_NE(second->at(0), (*first)[0]);
  EXPECT_NE(second->at(0), (*first)[1]);
  EXPECT_EQ(seen_for(kPatient, {(*first)[0], second->at(0)}), 2) << "the engine must see the commitments it gave";
}

TEST_P(StoreContract, ADisputeTakesOneStepAtATime) {
  model::DisputeStore& disputes = *store_;
  model::Dispute d;
  d.third_party = kNurse;
  d.subject = "visit of 5 October refused";
  d.opened = 20261110;
  d.events.push_back({20261110, "open", "refused wrongly", "provider", 0});
  auto id = disputes.open_dispute(d);
  ASSERT_TRUE(id);
  model::Dispute after = d;
  after.id = *id;
  after.state = model::DisputeState::UnderReview;
  model::DisputeEvent comment{20261112, "comment", "we look at it", "fund", 0};
  ASSERT_TRUE(disputes.dispute_step(*id, model::DisputeState::Open, after, comment, std::nullopt));
  // A second step from the state the dispute has left: refused, nothing written.
  model::Dispute closed = after;
  closed.state = model::DisputeState::Closed;
  closed.ended = 20261113;
  EXPECT_FALSE(disputes.dispute_step(*id, model::DisputeState::Open, closed, {20261113, "close", "", "fund", 0},
                                     std::nullopt));
  auto now = disputes.disputes(*id, "");
  ASSERT_TRUE(now);
  ASSERT_EQ(now->size(), 1u);
  EXPECT_EQ(now->front().state, model::DisputeState::UnderReview);
  EXPECT_EQ(now->front().events.size(), 2u);
}

// Information requests: a request comes back with its messages in order and what each one
// has attached (bytes of every value, NUL included, as written); a closed request takes no more
// messages; one provider's requests are not another's.
TEST_P(StoreContract, InformationRequestsKeepTheirMessagesAndAttachments) {
  model::RequestStore& requests = *store_;
  model::InfoRequest r;
  r.third_party = "40765140401";
  r.subject = "Why was line 3 refused?";
  r.envoi_id = 7;
  r.record = 3;
  r.niss = "85073003328";
  r.opened = 1764892800;
  r.opened_by = 4;
  model::RequestMessage first{0, 1764892800, 4, "nurse", false, "The patient was insured that day.", {}};
  std::string binary = "%PDF-1.4\n";
  for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
  model::NewAttachment pdf{{0, 0, "card.pdf", "application/pdf", 0, "ab12"}, binary};
  auto id = requests.open_request(r, first, {pdf});
  ASSERT_TRUE(id) << id.error().to_string();
  model::RequestMessage answer{0, 1764896400, 9, "staff", true, "Corrected: send it again.", {}};
  auto m = requests.add_request_message(*id, answer, {}, model::RequestState::Answered);
  ASSERT_TRUE(m) << m.error().to_string();
  r.third_party = "41234502401";
  r.subject = "Another provider's question";
  ASSERT_TRUE(requests.open_request(r, first, {}));

  auto back = requests.requests(*id, "");
  ASSERT_TRUE(back) << back.error().to_string();
  ASSERT_EQ(back->size(), 1u);
  const model::InfoRequest& got = back->front();
  EXPECT_EQ(got.subject, "Why was line 3 refused?");
  EXPECT_EQ(got.state, model::RequestState::Answered);
  EXPECT_EQ(got.record, 3u);
  EXPECT_EQ(got.niss, "85073003328");
  EXPECT_EQ(got.updated, 1764896400);
  ASSERT_EQ(got.messages.size(), 2u);
  EXPECT_EQ(got.messages[0].text, "The patient was insured that day.");
  EXPECT_FALSE(got.messages[0].staff);
  EXPECT_TRUE(got.messages[1].staff);
  ASSERT_EQ(got.messages[0].attachments.size(), 1u);
  const auto& info = got.messages[0].attachments[0];
  EXPECT_EQ(info.name, "card.pdf");
  EXPECT_EQ(info.size, static_cast<int64_t>(binary.size()));
  auto file = requests.attachment(*id, info.id);
  ASSERT_TRUE(file && *file);
  EXPECT_EQ((*file)->bytes, binary);
  EXPECT_EQ((*file)->info.media_type, "application/pdf");
  auto elsewhere = requests.attachment(*id + 1, info.id);  // not that request's
  ASSERT_TRUE(elsewhere);
  EXPECT_FALSE(*elsewhere);

  auto own = requests.requests(0, "40765140401");
  ASSERT_TRUE(own);
  EXPECT_EQ(own->size(), 1u);
  auto all = requests.requests(0, "");
  ASSERT_TRUE(all);
  EXPECT_EQ(all->size(), 2u);
  EXPECT_EQ(all->front().third_party, "41234502401");  // newest first

  ASSERT_TRUE(requests.add_request_message(*id, answer, {}, model::RequestState::Closed));
  auto late = requests.add_request_message(*id, first, {}, model::RequestState::Open);
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error().code, "Z00212");
  auto none = requests.add_request_message(*id + 100, first, {}, model::RequestState::Open);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, "Z00210");
  EXPECT_EQ(requests.requests(*id, "")->front().messages.size(), 3u);
}

// Past retention, an information request keeps no attachment, text or patient, and the audit
// keeps who read what but not whose data it was; what is younger is untouched.
TEST_P(StoreContract, RetentionTakesRequestsAttachmentsAndAuditedPatients) {
  model::InfoRequest r;
  r.third_party = "40765140401";
  r.subject = "About 85073003328";
  r.niss = "85073003328";
  r.opened = r.updated = 1735732800;  // 2025-01-01 12:00 UTC
  model::RequestMessage m{0, r.opened, 1, "nurse", false, "The patient's card is attached.", {}};
  model::NewAttachment card{{0, 0, "card.png", "image/png", 0, "00"}, "\x89PNG"};
  auto old = store_->open_request(r, m, {card});
  r.opened = r.updated = m.at = 1767268800;  // 2026-01-01 12:00 UTC
  auto young = store_->open_request(r, m, {card});
  ASSERT_TRUE(old && young);
  ASSERT_TRUE(store_->append_audit({{0, 1735732800, 1, "nurse", "read", "requests/1", "40765140401", "85073003328", 200},
                                    {0, 1767268800, 1, "nurse", "read", "requests/2", "40765140401", "85073003328", 200}}));
  auto dry = store_->apply_retention(20260101, true);
  ASSERT_TRUE(dry) << dry.error().to_string();
  EXPECT_EQ(dry->requests, 1);
  EXPECT_EQ(store_->requests(*old, "")->front().niss, "85073003328");  // a dry run changes nothing
  auto done = store_->apply_retention(20260101, false);
  ASSERT_TRUE(done) << done.error().to_string();
  EXPECT_EQ(done->requests, 1);
  EXPECT_EQ(done->attachments, 1);
  EXPECT_EQ(done->audit_entries, 1);
  const auto gone = store_->requests(*old, "")->front();
  EXPECT_EQ(gone.niss, "");
  EXPECT_EQ(gone.subject, "");
  EXPECT_EQ(gone.messages.at(0).text, "");
  EXPECT_TRUE(gone.messages.at(0).attachments.empty());
  const auto kept = store_->requests(*young, "")->front();
  EXPECT_EQ(kept.niss, "85073003328");
  EXPECT_EQ(kept.messages.at(0).attachments.size(), 1u);
  auto audit = store_->audit({.niss = "85073003328"});
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit->second, 1);
}

// Past retention, history goes with its envois, and lines loaded without an envoi of the store
// by their billed date; a store partitioned by year (PostgreSQL) drops a year whole where it
// keeps nothing, and a year holding a line to keep (an old envoi not yet paid) loses only the
// rest. Writing into a dropped year again makes it anew.
TEST_P(StoreContract, RetentionTakesOldHistoryByWholeYearsWhereNothingIsKept) {
  model::EnvoiStore& envois = *store_;
  auto loaded = [](const std::string& niss, model::Date billed) {
    model::HistoryLine h;
    h.niss = niss;
    h.code = "425014";
    h.first_date = h.last_date = model::add_days(billed, -10);
    h.units = 1;
    h.amount = 900;
    h.provider = h.third_party = kOtherNurse;
    h.envoi_number = 1;
    h.billed = billed;
    return h;
  };
  ASSERT_TRUE(envois.load_history({loaded(kPatient, 20220315), loaded(kOtherPatient, 20221201),  // 2022: all go
                                   loaded(kPatient, 20230610),                                   // 2023: goes...
                                   loaded(kPatient, 20250105)}));                                // after the cut-off
  auto unpaid = accepted(kNurse, 1, {{kOtherPatient, "425036"}}, 20230601);  // ...this stays: not paid
  unpaid.envoi.year = 2023;
  unpaid.envoi.received = 20230620;
  unpaid.accepted[0].billed = 20230615;
  ASSERT_TRUE(envois.record(unpaid));
  auto lines = [&] {
    std::string out;
    auto all = envois.history({kOtherPatient, kPatient});
    EXPECT_TRUE(all);
    if (!all) return out;
    for (const auto& [niss, list] : *all)
      for (const auto& h : list) out += fmt::format("{} {}|", niss, h.billed);
    return out;
  };
  const std::string before = lines();
  auto dry = store_->apply_retention(20250101, true);
  ASSERT_TRUE(dry) << dry.error().to_string();
  EXPECT_EQ(dry->history_lines, 3);
  EXPECT_EQ(lines(), before);  // a dry run changes nothing
  auto done = store_->apply_retention(20250101, false);
  ASSERT_TRUE(done) << done.error().to_string();
  EXPECT_EQ(done->history_lines, 3);
  EXPECT_EQ(done->history_years_dropped, GetParam().name == "postgresql" ? 1 : 0);
  const std::string after = lines();
  EXPECT_NE(after.find(std::string(kOtherPatient) + " 20230615|"), std::string::npos) << after;
  EXPECT_NE(after.find(std::string(kPatient) + " 20250105|"), std::string::npos) << after;
  EXPECT_EQ(after.find(" 2022"), std::string::npos) << after;
  EXPECT_EQ(after.find(" 20230610"), std::string::npos) << after;
  auto again = store_->apply_retention(20250101, false);
  ASSERT_TRUE(again) << again.error().to_string();
  EXPECT_EQ(again->history_lines, 0);
  ASSERT_TRUE(envois.load_history({loaded(kPatient, 20220401)}));
  EXPECT_NE(lines().find(std::string(kPatient) + " 20220401|"), std::string::npos) << lines();
}

// A provider is registered once while its registration is checked or validated; a refused one
// may be made again; a decision is taken once and closes the registration's request.
TEST_P(StoreContract, AProviderIsRegisteredOnce) {
  model::RequestStore& requests = *store_;
  model::Registration g;
  g.inami = "40765140401";
  g.name = "Anne Janssens";
  g.email = "anne@example.be";
  g.username = "anne";
  g.submitted = 1764892800;
  model::InfoRequest r;
  r.third_party = g.inami;
  r.subject = "Registration";
  r.opened = r.updated = g.submitted;
  model::RequestMessage first{0, g.submitted, 0, "anne", false, "Mandate and ID attached.", {}};
  model::NewAttachment mandate{{0, 0, "mandate.pdf", "application/pdf", 0, "00"}, "%PDF-1.4 mandate"};
  auto id = requests.register_provider(g, r, first, {mandate});
  ASSERT_TRUE(id) << id.error().to_string();
  auto twice = requests.register_provider(g, r, first, {});
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().code, "Z00211");
  auto back = requests.registrations(*id, "");
  ASSERT_TRUE(back && back->size() == 1u);
  model::Registration got = back->front();
  EXPECT_EQ(got.state, model::RegistrationState::Submitted);
  EXPECT_EQ(got.username, "anne");
  auto request = requests.requests(got.request_id, "");
  ASSERT_TRUE(request && request->size() == 1u);
  ASSERT_EQ(request->front().messages.at(0).attachments.size(), 1u);

  got.state = model::RegistrationState::Refused;
  got.decided = 1764896400;
  got.decided_by = "staff";
  got.note = "the ID copy is unreadable";
  ASSERT_TRUE(requests.decide_registration(got, std::nullopt));
  auto again = requests.decide_registration(got, std::nullopt);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "Z00212");
  EXPECT_EQ(requests.requests(got.request_id, "")->front().state, model::RequestState::Closed);
  auto second = requests.register_provider(g, r, first, {mandate});  // refused: may be made again
  ASSERT_TRUE(second) << second.error().to_string();
  EXPECT_EQ(requests.registrations(0, g.inami)->size(), 2u);
  EXPECT_EQ(requests.registrations(0, "41234502401")->size(), 0u);

  // Validated: the holder's account, membership and link come with the decision, all or none.
  model::AccountStore& accounts = *store_;
  model::User taken;
  taken.username = "anne";
  taken.password_hash = "x";
  ASSERT_TRUE(accounts.create_user(taken));
  model::Registration valid = requests.registrations(*second, "")->front();
  valid.state = model::RegistrationState::Validated;
  valid.decided = 1764900000;
  valid.decided_by = "staff";
  model::HolderAccount holder;
  holder.user.username = "anne";  // taken: nothing is written
  holder.user.password_hash = "y";
  holder.reset_hash = "feed";
  holder.reset_expires = 1764990000;
  auto clash = requests.decide_registration(valid, holder);
  ASSERT_FALSE(clash);
  EXPECT_EQ(clash.error().code, "Z00211");
  EXPECT_EQ(requests.registrations(*second, "")->front().state, model::RegistrationState::Submitted);
  EXPECT_TRUE(accounts.members_of(g.inami)->empty());
  holder.user.username = "anne.janssens";
  auto made = requests.decide_registration(valid, holder);
  ASSERT_TRUE(made) << made.error().to_string();
  EXPECT_GT(*made, 0);
  EXPECT_EQ(requests.registrations(*second, "")->front().user_id, *made);
  auto members = accounts.members_of(g.inami);
  ASSERT_TRUE(members && members->size() == 1u);
  EXPECT_EQ(members->front().user_id, *made);
  EXPECT_EQ(members->front().role, "holder");
  auto link = accounts.take_reset("feed", 1764900100);
  ASSERT_TRUE(link && *link);
  EXPECT_EQ(**link, *made);
}

// A lost-password link is used once, and not after it expires.
TEST_P(StoreContract, ALostPasswordLinkIsUsedOnce) {
  model::AccountStore& accounts = *store_;
  model::User u;
  u.username = "nurse.peeters";
  u.password_hash = "x";
  u.created = 1764892800;
  auto id = accounts.create_user(u);
  ASSERT_TRUE(id) << id.error().to_string();
  EXPECT_EQ(*accounts.last_reset(*id), 0);
  ASSERT_TRUE(accounts.create_reset("aa11", *id, 1764892800, 1764894600));
  ASSERT_TRUE(accounts.create_reset("bb22", *id, 1764892900, 1764894700));
  EXPECT_EQ(*accounts.last_reset(*id), 1764892900);
  auto early = accounts.take_reset("aa11", 1764893000);
  ASSERT_TRUE(early && *early);
  EXPECT_EQ(**early, *id);
  auto again = accounts.take_reset("aa11", 1764893001);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  auto late = accounts.take_reset("bb22", 1764894700);  // expired that second
  ASSERT_TRUE(late);
  EXPECT_FALSE(*late);
  EXPECT_FALSE(*accounts.take_reset("cc33", 1764893000));
}

// Accounts: a username is taken once; every field comes back as written; memberships are
// replaced by (user, provider, role); sessions are found by their token's hash only and end;
// the audit is searched by patient and provider, newest first, with the count of all.
TEST_P(StoreContract, AccountsSessionsAndTheAuditComeBackAsWritten) {
  model::AccountStore& accounts = *store_;
  model::User u;
  u.username = "nurse.janssens";
  u.name = "Anne Janssens";
  u.email = "anne@example.be";
  u.kind = model::UserKind::Provider;
  u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  u.must_change_password = true;
  u.created = 1764892800;
  auto id = accounts.create_user(u);
  ASSERT_TRUE(id) << id.error().to_string();
  auto again = accounts.create_user(u);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, "Z00211");
  u.id = *id;
  u.totp_secret = "3132333435363738393031323334353637383930";
  u.totp_confirmed = true;
  u.totp_last_step = 58830416;
  u.failed_attempts = 2;
  u.locked_until = 1764893100;
  u.second_factor_method = "sms";
  ASSERT_TRUE(accounts.update_user(u));
  auto back = accounts.user_by_name("nurse.janssens");
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->id, *id);
  EXPECT_EQ((*back)->totp_secret, u.totp_secret);
  EXPECT_TRUE((*back)->totp_confirmed);
  EXPECT_EQ((*back)->totp_last_step, 58830416);
  EXPECT_EQ((*back)->failed_attempts, 2);
  EXPECT_EQ((*back)->locked_until, 1764893100);
  EXPECT_TRUE((*back)->must_change_password);
  EXPECT_EQ((*back)->kind, model::UserKind::Provider);
  EXPECT_EQ((*back)->second_factor_method, "sms");
  auto missing = accounts.user_by_name("nobody");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);

  ASSERT_TRUE(accounts.set_membership({*id, kNurse, "collaborator", {"submissions"}}));
  ASSERT_TRUE(accounts.set_membership({*id, kNurse, "collaborator", {"submissions", "payments"}}));
  ASSERT_TRUE(accounts.set_membership({*id, kOtherNurse, "supervisor", {}}));
  auto ms = accounts.memberships(*id);
  ASSERT_TRUE(ms);
  ASSERT_EQ(ms->size(), 2u);
  EXPECT_EQ(ms->at(0).inami, kNurse);
  EXPECT_EQ(ms->at(0).modules, (std::vector<std::string>{"submissions", "payments"}));
  auto of = accounts.members_of(kOtherNurse);
  ASSERT_TRUE(of);
  ASSERT_EQ(of->size(), 1u);
  EXPECT_EQ(of->front().role, "supervisor");
  ASSERT_TRUE(accounts.remove_membership(*id, kOtherNurse, "supervisor"));
  EXPECT_EQ(accounts.memberships(*id)->size(), 1u);

  model::Session sess{"ab12", *id, "session", "", false, "", 100, 100, 1900};
  ASSERT_TRUE(accounts.create_session(sess));
  sess.second_factor = true;
  sess.acting_for = kNurse;
  sess.last_seen = 160;
  sess.code_hash = "c0de";
  sess.code_sent = 150;
  sess.code_expires = 450;
  sess.code_attempts = 2;
  ASSERT_TRUE(accounts.update_session(sess));
  auto found = accounts.session("ab12");
  ASSERT_TRUE(found && *found);
  EXPECT_TRUE((*found)->second_factor);
  EXPECT_EQ((*found)->code_hash, "c0de");
  EXPECT_EQ((*found)->code_sent, 150);
  EXPECT_EQ((*found)->code_expires, 450);
  EXPECT_EQ((*found)->code_attempts, 2);
  EXPECT_EQ((*found)->acting_for, kNurse);
  EXPECT_EQ((*found)->last_seen, 160);
  ASSERT_TRUE(accounts.create_session({"cd34", *id, "token", "billing software", true, "", 100, 100, 9999}));
  ASSERT_TRUE(accounts.delete_session("ab12"));
  EXPECT_FALSE(*accounts.session("ab12"));
  EXPECT_TRUE(*accounts.session("cd34"));
  ASSERT_TRUE(accounts.delete_sessions_of(*id));
  EXPECT_FALSE(*accounts.session("cd34"));

  std::vector<model::AuditEntry> entries;
  for (int i = 0; i < 5; ++i)
    entries.push_back({0, 1000 + i, *id, u.username, "read", "envois/1/lines", i < 3 ? kNurse : kOtherNurse,
                       i % 2 ? kPatient : kOtherPatient, 200, i == 4 ? "500" : "300"});
  ASSERT_TRUE(accounts.append_audit(entries));
  model::AuditQuery q;
  q.niss = kPatient;
  auto a = accounts.audit(q);
  ASSERT_TRUE(a) << a.error().to_string();
  EXPECT_EQ(a->second, 2);
  ASSERT_EQ(a->first.size(), 2u);
  EXPECT_EQ(a->first[0].at, 1003);  // newest first
  q = {};
  q.provider = kNurse;
  q.limit = 2;
  q.offset = 1;
  a = accounts.audit(q);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->second, 3);
  ASSERT_EQ(a->first.size(), 2u);
  EXPECT_EQ(a->first[0].at, 1001);
  // By the fund whose data it was.
  q = {};
  q.fund = "500";
  a = accounts.audit(q);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->second, 1);
  ASSERT_EQ(a->first.size(), 1u);
  EXPECT_EQ(a->first[0].at, 1004);
  EXPECT_EQ(a->first[0].fund, "500");
}

// Audit entries of any month are kept, appended one month at a time or several at once, months
// the store has written before beside new ones (PostgreSQL makes a month's partition once and
// remembers it: a new month in the same append must still be made).
TEST_P(StoreContract, AuditEntriesOfAnyMonthAreKept) {
  model::AccountStore& accounts = *store_;
  const int64_t may_2031 = 1935403200, june_2031 = 1938081600, jan_2019 = 1546344000, july_2031 = 1940673600;
  auto entry = [](int64_t at) {
    return model::AuditEntry{0, at, 1, "nurse", "read", "envois/1", "40765140401", "85073003328", 200, "300"};
  };
  ASSERT_TRUE(accounts.append_audit({entry(may_2031)}));
  ASSERT_TRUE(accounts.append_audit({entry(may_2031 + 60), entry(june_2031)}));
  ASSERT_TRUE(accounts.append_audit({entry(jan_2019)}));
  ASSERT_TRUE(accounts.append_audit({entry(june_2031 + 60), entry(july_2031), entry(may_2031 + 120)}));
  auto all = accounts.audit({.niss = "85073003328"});
  ASSERT_TRUE(all) << all.error().to_string();
  EXPECT_EQ(all->second, 7);
  auto june = accounts.audit({.from = june_2031, .to = july_2031 - 1});
  ASSERT_TRUE(june);
  EXPECT_EQ(june->second, 2);
}

TEST_P(StoreContract, AnAdvisorDecisionIsRecordedOnlyFromTheStateItWasDecidedFrom) {
  // A line waits on the advisor (500434): recorded with its envoi.
  auto o = accepted(kNurse, 1, {});
  model::PendingLine waiting;
  waiting.line.niss = kPatient;
  waiting.line.code = "560011";
  waiting.line.first_date = waiting.line.last_date = 20261005;
  waiting.line.amount = 4000;
  waiting.line.provider = waiting.line.third_party = kNurse;
  waiting.line.record = 3;
  waiting.line.envoi_number = 1;
  o.pending.push_back(waiting);
  o.envoi.pending_cents = 4000;
  auto envoi = store_->record(o);
  ASSERT_TRUE(envoi) << envoi.error().message;
  model::AdvisorStore& advisor = *store_;
  model::AgreementRecord request;
  request.niss = kPatient;
  request.code = "560011";
  request.request_date = 20261006;
  request.events.push_back({0, 20261006, model::kNoDecision, "asked", "provider"});
  auto id = advisor.record_agreement(request);
  ASSERT_TRUE(id) << id.error().message;
  auto asked = advisor.agreements({*id, "", "", ""});
  ASSERT_TRUE(asked);
  ASSERT_EQ(asked->size(), 1u);
  auto pending = advisor.pending_lines({*envoi, "", "", model::PendingState::Pending});
  ASSERT_TRUE(pending);
  ASSERT_EQ(pending->size(), 1u);

  auto decide = [&](char decision) {
    model::AgreementDecision d;
    d.before = asked->front();
    d.agreement = asked->front();
    d.agreement.decision = decision;
    d.agreement.decision_date = 20261010;
    d.event = {*id, 20261010, decision, "decided", "advisor"};
    d.changes.push_back({pending->front().id,
                         decision == 'A' ? model::PendingState::Approved : model::PendingState::Refused,
                         decision == 'A' ? "" : "500449"});
    if (decision == 'A') {
      model::HistoryLine h = pending->front().line;
      h.envoi_id = *envoi;
      d.history.push_back(h);
    }
    return advisor.record_decision(d);
  };
  ASSERT_TRUE(decide('A'));
  // Another advisor decided at the same moment, from the same request: refused, nothing written.
  EXPECT_FALSE(decide('N'));
  auto after = advisor.pending_lines({*envoi, "", "", std::nullopt});
  ASSERT_TRUE(after);
  ASSERT_EQ(after->size(), 1u);
  EXPECT_EQ(after->front().state, model::PendingState::Approved);
  auto history = store_->history({kPatient});
  ASSERT_TRUE(history);
  EXPECT_EQ(history->at(kPatient).size(), 1u) << "the approved line enters history once";

  // The engine sees the patient's agreements, and only the patient's, whether the fund has few
  // requests or many (then they are looked up by patient).
  for (int k = 0; k < 2; ++k) {
    if (k == 1)
      for (int i = 0; i < 3; ++i) {
        model::AgreementRecord other = request;
        other.niss = kOtherPatient;
        other.events = {{0, 20261006, model::kNoDecision, "asked", "provider"}};
        ASSERT_TRUE(advisor.record_agreement(other));
      }
    auto rows = store_->load_refdata_for({kPatient});
    ASSERT_TRUE(rows);
    int mine = 0;
    for (const auto& a : rows->agreements) {
      EXPECT_EQ(a.niss, kPatient);
      mine += a.decision == 'A';
    }
    EXPECT_EQ(mine, 1) << "round " << k;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreContract, ::testing::ValuesIn(backends()),
                         [](const ::testing::TestParamInfo<Backend>& info) { return info.param.name; });

}  // namespace
