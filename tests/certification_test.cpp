// The CIN's eFact certification scenarios (tests/certification/scenarios.tsv), each end to end
// for five unions: the GP's attestation imported into its book, batched alone, posted to the
// real `mutua exchange`, judged by that union's fund (a real SQLite store, `fund_round`),
// answered, synced; then the funds pay (`mutua settle --coda`) and the GP reconciles its bank
// statements. Each scenario's answer and the attestation's last state are the table's.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "baseline.h"
#include "exchange_process.h"
#include "mutua/exchange/fund.h"
#include "mutua/exchange/transport.h"
#include "mutua/model/dates.h"
#include "mutua/provider/book.h"
#include "mutua/response_reader.h"
#include "mutua/store/sqlite.h"

namespace fs = std::filesystem;
using mutua::testing::read_all;
using mutua::testing::run_mutua;
using namespace mutua::exchange;

namespace {

constexpr const char* kGp = "19234011004";  // the freehealth test's GP: qualification 004
constexpr const char* kBce = "0999999922";  // its enterprise number (ET 10: 102710 without one)
constexpr int kToday = 20261105;            // the day the envois are made and judged

struct Union {
  std::string number, mutuality;
  std::vector<std::string> niss;  // NISS1..NISS4 of the freehealth test
  std::string gmd_holder;         // NISS2's GMD is held by this GP
};

// As freehealth-connector's test lists them.
const std::vector<Union> kUnions = {
    {"100", "101", {"36121015396", "86103130262", "14032816518", "91031030962"}, "17385467004"},
    {"300", "301", {"64032764903", "66021250154", "74042566174", "71010908576"}, "10065828004"},
    {"500", "511", {"49020508235", "83092618070", "76103012361", "62091405715"}, "16582446000"},
    {"600", "601", {"59072957042", "83091041227", "49061015930", "82413101990"}, "14372133004"},
    {"900", "910", {"59011214562", "73061527277", "90012333497", "78100404390"}, "15554246004"},
};

struct Scenario {
  std::string number, what, patient, lines, waiver, message, codes, state;
};

std::vector<Scenario> scenarios() {
  std::vector<Scenario> out;
  std::istringstream in(read_all(std::string(MUTUA_SOURCE_DIR) + "/tests/certification/scenarios.tsv"));
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (header) {
      header = false;
      continue;
    }
    std::vector<std::string> c;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, '\t')) c.push_back(cell);
    c.resize(8);
    out.push_back({c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]});
  }
  return out;
}

// The sex a NISS says (its sequence number: odd for men), 1 or 2.
int sex_of(const std::string& niss) { return std::stoi(niss.substr(6, 3)) % 2 ? 1 : 2; }

// Each scenario's care is on a day of its own (one consultation a day per patient: another on
// the same day would be 500423, billed already): scenario n on 4 November 2026 minus n - 1 days.
std::string care_day(int scenario) {
  return mutua::model::iso(mutua::model::add_days(20261104, -(scenario - 1)));
}

std::string date_of(const std::string& when, int scenario) {
  const std::string day = care_day(scenario);
  if (when == "today") return day;
  if (when == "-3y") return std::to_string(std::stoi(day.substr(0, 4)) - 3) + day.substr(4);
  if (when == "+3m") return "2027-02-04";
  ADD_FAILURE() << "when: " << when;
  return day;
}

// The union's fund: its members (the four NISS), their insurability, the GP and the GMD
// holder, the nomenclature of the scenarios, a medical house, and the tariff consultations it
// answered (approval numbers 10-16).
void write_refdata(const std::string& dir, const Union& u) {
  fs::create_directories(dir);
  std::string members = "niss,sex,mutuality\n", insurability = "niss,start,end,ct1,ct2\n";
  for (size_t i = 0; i < u.niss.size(); ++i) {
    members += fmt::format("{},{},{}\n", u.niss[i], sex_of(u.niss[i]), u.mutuality);
    insurability += fmt::format("{},2015-01-01,,{}\n", u.niss[i], i == 3 ? "000,000" : "110,110");
  }
  std::ofstream(dir + "/members.csv") << members;
  std::ofstream(dir + "/insurability.csv") << insurability;
  std::ofstream(dir + "/providers.csv") << "inami,kind,qualification,iban_a,bic_a,name\n"
                                        << kGp << ",gp,004,BE38063122631172,GKCCBEBB,Dr Dujardin\n"
                                        << u.gmd_holder << ",gp,004,,,GMD holder\n";
  std::ofstream(dir + "/nomenclature.csv")
      << "code,valid_from,fee_cents,personal_share_cents,account,kinds,sector,related\n"
         "101032,2015-01-01,1920,400,A,gp,general_practice,\n"
         "102793,2015-01-01,1920,400,A,specialist,specialist_care,\n"
         "475075,2015-01-01,1000,200,A,gp,general_practice,\n"
         "590030,2015-01-01,1000,200,A,gp,general_practice,475075\n";
  std::ofstream(dir + "/medical_houses.csv") << "niss,medical_house,start,end,disciplines\n" << u.niss[2] << ",81234567,2015-01-01,,M\n";
  std::string tariffs = "niss,number,code,date,amount_cents,provider\n";
  for (int n : {10, 11, 16}) tariffs += fmt::format("{},{},101032,{},1920,{}\n", u.niss[0], n, care_day(n), kGp);
  tariffs += fmt::format("{},11,475075,{},1000,{}\n", u.niss[0], care_day(11), kGp);
  for (int n : {12, 13}) tariffs += fmt::format("{},{},101032,{},1920,{}\n", u.niss[1], n, care_day(n), kGp);
  std::ofstream(dir + "/tariff_commitments.csv") << tariffs;
}

// The scenario's attestation, as JSON for `import`.
std::string attestation_json(const Scenario& s, const Union& u, const Union& other) {
  const std::string niss = s.patient == "OTHER" ? other.niss[0] : u.niss[static_cast<size_t>(s.patient.back() - '1')];
  const bool in_order = s.patient != "NISS4";
  std::string lines;
  std::stringstream all(s.lines);
  std::string one;
  std::vector<std::string> parts;
  for (size_t at = 0, next; at != std::string::npos; at = next == std::string::npos ? next : next + 3) {
    next = s.lines.find(" + ", at);
    parts.push_back(s.lines.substr(at, next == std::string::npos ? std::string::npos : next - at));
  }
  for (const auto& p : parts) {
    // code@when=amount/share[,key=value]...
    const auto at = p.find('@'), eq = p.find('='), slash = p.find('/');
    std::string attrs;
    std::stringstream extra(p.find(',') == std::string::npos ? "" : p.substr(p.find(',') + 1));
    std::string kv;
    while (std::getline(extra, kv, ',')) {
      const auto e = kv.find('=');
      const std::string key = kv.substr(0, e), value = kv.substr(e + 1);
      if (key == "related") attrs += fmt::format(", \"related\": \"{}\"", value);
      if (key == "approval") attrs += fmt::format(", \"tariff_approval\": \"{}\"", value);
      if (key == "eid") attrs += fmt::format(", \"eid_time\": \"{}\"", value);
    }
    const std::string share = p.substr(slash + 1, p.find(',') == std::string::npos ? std::string::npos : p.find(',') - slash - 1);
    lines += fmt::format("{}{{\"code\": \"{}\", \"date\": \"{}\", \"amount_cents\": {}, \"personal_share_cents\": {}{}}}",
                         lines.empty() ? "" : ", ", p.substr(0, at), date_of(p.substr(at + 1, eq - at - 1), std::stoi(s.number)),
                         p.substr(eq + 1, slash - eq - 1), share, attrs);
  }
  return fmt::format("[{{\"attestation\": \"S{}-{}\", \"niss\": \"{}\", \"affiliation\": \"{}\", \"destination\": \"{}\", "
                     "\"ct1\": {}, \"ct2\": {}, \"sex\": {}, \"limitation_waiver\": \"{}\", \"lines\": [{}]}}]",
                     s.number, u.number, niss, u.mutuality, u.mutuality, in_order ? 110 : 0, in_order ? 110 : 0, sex_of(niss),
                     s.waiver.empty() ? "0" : s.waiver, lines);
}

// The codes of an answer's records (B, F, R, S, E; "000000" and blanks left out).
std::set<std::string> line_codes(const mutua::Response& r) {
  std::set<std::string> codes;
  for (const auto& rec : r.records)
    for (const auto& c : rec.codes)
        if (!c.code.empty() && c.code != "000000" && c.code.find_first_not_of(' ') != std::string::npos) codes.insert(c.code);
  return codes;
}

}  // namespace

TEST(Certification, EveryScenarioForFiveUnionsEndToEnd) {
  const std::string dir = mutua::testing::temp_path("certification");
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto list = scenarios();
  ASSERT_EQ(list.size(), 18u);
  mutua::testing::ExchangeProcess ex(dir);
  const std::string gp_token = ex.token(std::string("--id ") + kGp);
  std::map<std::string, std::string> fund_tokens;
  for (const auto& u : kUnions) fund_tokens[u.number] = ex.token("--id " + u.number + " --fund");
  ASSERT_NO_FATAL_FAILURE(ex.start());
  auto book = mutua::provider::Book::open(dir + "/gp.db");
  ASSERT_TRUE(book);
  auto gp = exchange_client(ex.url(), gp_token);
  const std::string own_hint = "Ask the patient which medical house: it bills the consultation, archive ours.";
  ASSERT_TRUE((*book)->set_hint("500450", own_hint));
  std::map<std::string, std::unique_ptr<mutua::model::Store>> funds;
  for (size_t k = 0; k < kUnions.size(); ++k) {
    const Union& u = kUnions[k];
    write_refdata(dir + "/refdata-" + u.number, u);
    auto r = run_mutua("refdata import " + dir + "/refdata-" + u.number + " --db " + dir + "/fund-" + u.number + ".db");
    ASSERT_EQ(r.code, 0) << r.out;
    auto store = mutua::store::open_sqlite(dir + "/fund-" + u.number + ".db");
    ASSERT_TRUE(store);
    funds[u.number] = std::move(*store);
  }
  std::map<std::string, std::string> got;  // "union scenario" -> what happened, to print on failure
  for (size_t k = 0; k < kUnions.size(); ++k) {
    const Union& u = kUnions[k];
    const Union& other = kUnions[(k + 1) % kUnions.size()];
    for (const auto& s : list) {
      SCOPED_TRACE("union " + u.number + " scenario " + s.number + ": " + s.what);
      const std::string file = fmt::format("{}/s{}-{}.json", dir, s.number, u.number);
      std::ofstream(file) << attestation_json(s, u, other);
      auto imported = (*book)->import_attestations(file);
      ASSERT_TRUE(imported) << imported.error().message;
      ASSERT_EQ(imported->imported, 1) << (imported->problems.empty() ? "" : imported->problems[0].to_string());
      auto batch = (*book)->batch({.provider = kGp, .iban = "BE38063122631172", .bic = "GKCCBEBB", .bce = kBce, .today = kToday});
      ASSERT_TRUE(batch) << batch.error().message;
      ASSERT_EQ(batch->envois.size(), 1u);
      const auto envoi = batch->envois[0];
      ASSERT_TRUE((*book)->send(*gp, Environment::Production, {}));
      FundRoundOptions f;
      f.today = kToday;
      auto round = fund_round(*funds[u.number], *exchange_client(ex.url(), fund_tokens[u.number]), f);
      ASSERT_TRUE(round) << round.error().message;
      EXPECT_EQ(round->answered, 1);
      ASSERT_TRUE((*book)->sync(*gp, Environment::Production));
      // The main answer the book filed for this envoi.
      auto sent = (*book)->envois();
      ASSERT_TRUE(sent);
      const auto& e = sent->back();
      EXPECT_EQ(e.input_reference, envoi.input_reference);
      std::string message = "none", codes = "-";
      for (const auto& a : e.answers)
        if (a != "931000" && a != "920098") message = a;
      // Its codes, with the signals of the 920098 that may come with a 920900.
      auto answer = (*book)->answer(e.id);
      auto signals = (*book)->answer(e.id, "920098");
      ASSERT_TRUE(answer && signals);
      std::set<std::string> all;
      for (const auto* r : {&*answer, &*signals})
        if (*r) all.merge(line_codes(**r));
      codes.clear();
      for (const auto& c : all) codes += (codes.empty() ? "" : ",") + c;
      if (codes.empty()) codes = "-";
      got[u.number + " " + s.number] = message + " " + codes;
      EXPECT_EQ(message, s.message);
      EXPECT_EQ(codes, s.codes);
    }
  }
  // What to correct, with the practice's own hint before the built-in one.
  auto lines = (*book)->to_correct();
  ASSERT_TRUE(lines);
  int own = 0, builtin = 0;
  for (const auto& l : *lines) {
    if (l.code == "R500450") own += l.hint == own_hint;
    if (l.code == "R500402") builtin += l.hint.find("mod 7") != std::string::npos;
  }
  EXPECT_EQ(own, 5);
  EXPECT_EQ(builtin, 5);

  // The funds pay; the GP's bank sends its statements; the GP reconciles them.
  for (const auto& u : kUnions) {
    const std::string config = dir + "/payments-" + u.number + ".json";
    std::ofstream(config) << fmt::format(R"({{"fund": {{"number": "{}", "name": "Union {}", "iban": "BE71096123456769", "bic": "GKCCBEBB"}},
                                             "payments": {{"execution_offset_days": 1, "pain_version": "001.001.09"}}}})",
                                         u.number, u.number);
    auto run = run_mutua("settle --date 2026-11-12 --budget 100000 --db " + dir + "/fund-" + u.number + ".db --config " + config +
                         " --out " + dir + "/pay-" + u.number + " --coda " + dir + "/bank-" + u.number);
    ASSERT_EQ(run.code, 0) << run.out;
    auto rec = (*book)->reconcile(dir + "/bank-" + u.number + "/coda-2026-11-12-BE38063122631172.cod");
    ASSERT_TRUE(rec) << rec.error().message;
    EXPECT_TRUE(rec->problems.empty()) << rec->problems[0].to_string();
    EXPECT_EQ(rec->unmatched, 0) << u.number;
  }
  auto attestations = (*book)->attestations();
  ASSERT_TRUE(attestations);
  std::map<std::string, std::string> state;
  for (const auto& a : *attestations) state[a.reference] = a.state;
  for (const auto& u : kUnions)
    for (const auto& s : list) {
      EXPECT_EQ(state["S" + s.number + "-" + u.number], s.state) << "union " << u.number << " scenario " << s.number << ": " << s.what;
      got[u.number + " " + s.number] += " " + state["S" + s.number + "-" + u.number];
    }
  // Every envoi the funds accepted is paid, and nothing else.
  auto envois = (*book)->envois();
  ASSERT_TRUE(envois);
  for (const auto& e : *envois)
    EXPECT_EQ(e.state == mutua::provider::EnvoiState::Paid, e.accepted_cents > 0 && e.rejected_lines == 0) << e.input_reference;
  if (::testing::Test::HasFailure())
    for (const auto& [k, v] : got) std::printf("%s: %s\n", k.c_str(), v.c_str());
}
