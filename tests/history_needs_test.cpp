// The store reads only the history codes the rules read (rules::history_needed). Proved here on
// envois made to collide with one another: four patients, a week of dates, the nursing and GP
// codes of tests/scenarios/base/ (maxima per day, nursing roles, cumulation bans,
// prerequisites, related prestations, duplicates), forty envois judged one after the other on two copies of one store,
// one reading each patient's whole history, the other only the needed codes: every response is
// the same byte for byte, and the history-driven codes did fire.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "baseline.h"
#include "mutua/engine/adjudicate.h"
#include "mutua/model/dates.h"
#include "mutua/model/envoi_writer.h"
#include "mutua/store/sqlite.h"

namespace fs = std::filesystem;
using mutua::testing::run_mutua;

namespace {

struct Code {
  const char* code;
  int64_t fee;
  bool prescriber;
};

// tests/scenarios/base/nomenclature.csv
const Code kNurseCodes[] = {{"425014", 1250, false}, {"425036", 1250, false}, {"425051", 1250, false},
                            {"425272", 3400, true},  {"425316", 5200, true},  {"428035", 800, false},
                            {"428050", 800, false},  {"424874", 900, true},   {"424896", 1500, true},
                            {"424336", 700, true},   {"423231", 2200, true}};
// 599631 goes with a consultation of that day (zone 17); 100026 / 100030 (a ban) and 100041 /
// 100052 (100052 needs 100041 before) are the test's own rows.
const Code kGpCodes[] = {{"101032", 2950, false}, {"101076", 2950, false}, {"599631", 500, false},
                         {"100026", 2000, false}, {"100030", 2000, false}, {"100041", 2000, false},
                         {"100052", 2000, false}};
const char* kNurses[] = {"40765140401", "41234502401", "43322178401"};
const char* kGp = "12345625003";
struct Member {
  const char* niss;
  const char* mutuality;
  int ct;
};
// In the order of their destinations (201812), with their CT1-CT2 (500522).
const Member kMembers[] = {
    {"85073003328", "301", 110}, {"60010112347", "301", 111}, {"72121204527", "301", 110}, {"45050500153", "302", 110}};

}  // namespace

TEST(HistoryNeeds, JudgingOnTheNeededCodesGivesTheDecisionsOfTheWholeHistory) {
  const std::string dir = mutua::testing::temp_path("history-needs");
  fs::remove_all(dir);
  fs::create_directories(dir + "/envois");
  // The base reference data, plus GP codes of the test's own with a ban and a prerequisite
  // between them (no nursing role covers them: only the cumulation family's needs bring them).
  fs::copy(std::string(MUTUA_SOURCE_DIR) + "/tests/scenarios/base", dir + "/refdata");
  {
    std::ofstream nomenclature(dir + "/refdata/nomenclature.csv", std::ios::app);
    for (const char* code : {"100026", "100030", "100041", "100052"})
      nomenclature << code << ",2019-01-01,,2000,0,0,0,A,0,gp,,,,general_practice,0,0,0,1,,,,,,,\n";
  }
  { std::ofstream(dir + "/refdata/cumulations.csv", std::ios::app) << "100026,100030,day,\n"; }
  { std::ofstream(dir + "/refdata/prerequisites.csv", std::ios::app) << "100052,100041,0\n"; }
  ASSERT_EQ(run_mutua("refdata import " + dir + "/refdata --db " + dir + "/whole.db").code, 0);
  fs::copy_file(dir + "/whole.db", dir + "/needed.db");

  std::mt19937 rng(20261204);
  auto pick = [&](size_t n) { return static_cast<size_t>(rng() % n); };
  std::map<std::string, int> sending;
  std::map<std::string, std::vector<mutua::model::Prestation>> earlier;  // by third party and patient
  std::vector<std::string> files;
  for (int k = 0; k < 40; ++k) {
    const bool gp = k % 5 == 4;
    mutua::model::EnvoiHeader h;
    h.third_party = gp ? kGp : kNurses[pick(3)];
    h.sending_number = ++sending[h.third_party];
    h.year = 2026;
    h.month = 10;
    h.created = 20261105;
    h.bce = "0123456749";
    h.federation = "300";
    h.iban_a = "BE71096123456769";
    h.bic_a = "GKCCBEBB";
    std::vector<mutua::model::Invoice> invoices;
    for (const auto& m : kMembers) {
      mutua::model::Invoice inv;
      inv.niss = m.niss;
      inv.affiliation = inv.destination = m.mutuality;
      inv.ct1 = inv.ct2 = m.ct;
      inv.provider = h.third_party;
      inv.number = invoices.size() + 1;
      inv.billing_date = h.created;
      const size_t n = 2 + pick(6);
      auto& billed_before = earlier[h.third_party + m.niss];
      for (size_t i = 0; i < n; ++i) {
        // The last patient's GP invoices hold only 599631, whose consultation can only be in
        // history; the third patient's alternate 100041 + 100026, then 100052 + 100030 on one
        // day: what 100052 needs before it and what 100030 may not go with are only in history.
        const bool related_only = gp && &m == &kMembers[3];
        const bool from_history = gp && &m == &kMembers[2];
        if (from_history && i >= 2) break;
        if (!related_only && !from_history && !billed_before.empty() && pick(5) == 0) {
          // The same prestation sent again (500423 when it was accepted).
          auto again = billed_before[pick(billed_before.size())];
          again.reference = fmt::format("E{}L{}", k, inv.lines.size() + 1);
          inv.lines.push_back(std::move(again));
          continue;
        }
        const Code& c = related_only   ? kGpCodes[2]
                        : from_history ? kGpCodes[(k % 10 == 4 ? 3 : 4) + 2 * static_cast<int>(i)]
                        : gp           ? kGpCodes[pick(std::size(kGpCodes))]
                                       : kNurseCodes[pick(std::size(kNurseCodes))];
        mutua::model::Prestation p;
        p.nomenclature = c.code;
        p.first_date = p.last_date = static_cast<mutua::model::Date>(from_history ? 20261003 : 20261001 + pick(7));
        p.provider = h.third_party;
        p.units = pick(8) == 0 ? 2 : 1;
        p.amount = c.fee * p.units;
        // 599631 goes with a consultation of that day (zone 17: 501721 when none was billed).
        if (p.nomenclature == "599631") p.related_code = pick(2) ? "101032" : "101076";
        if (c.prescriber) {
          p.prescriber = kGp;
          p.prescriber_norm = 1;
          p.prescription_date = p.first_date;
        }
        p.reference = fmt::format("E{}L{}", k, inv.lines.size() + 1);
        billed_before.push_back(p);
        inv.lines.push_back(std::move(p));
      }
      std::sort(inv.lines.begin(), inv.lines.end(),
                [](const auto& a, const auto& b) { return a.first_date < b.first_date; });
      invoices.push_back(std::move(inv));
    }
    const std::string file = fmt::format("{}/envois/{:02d}-{}.efact", dir, k, h.third_party);
    ASSERT_TRUE(mutua::model::write_envoi(file, h, invoices));
    files.push_back(file);
  }

  auto whole = mutua::store::open_sqlite(dir + "/whole.db");
  auto needed = mutua::store::open_sqlite(dir + "/needed.db");
  ASSERT_TRUE(whole && needed);
  mutua::engine::AdjudicateOptions options;
  options.today = 20261123;
  options.threshold_bp = 10000;  // no envoi rejected for its rate: its accepted lines are the next ones' history
  std::map<std::string, int> fired;
  for (const auto& f : files) {
    auto whole_options = options;
    whole_options.whole_history = true;
    auto a = mutua::engine::adjudicate_file(f, **whole, whole_options);
    auto b = mutua::engine::adjudicate_file(f, **needed, options);
    ASSERT_TRUE(a && b) << f;
    ASSERT_EQ(a->message, b->message) << f;
    ASSERT_EQ(a->responses.size(), b->responses.size()) << f;
    for (size_t i = 0; i < a->responses.size(); ++i) {
      EXPECT_EQ(a->responses[i].bytes, b->responses[i].bytes) << f << " " << a->responses[i].message;
      EXPECT_EQ(a->responses[i].json, b->responses[i].json) << f << " " << a->responses[i].message;
    }
    for (const auto& r : a->responses) {
      if (r.json.empty()) continue;
      const auto doc = nlohmann::json::parse(r.json);
      if (doc.contains("records"))
        for (const auto& rec : doc["records"])
          for (const auto& c : rec["codes"]) ++fired[c["code"].get<std::string>()];
    }
  }
  // The codes that history decides fired: the comparison is about something.
  for (const char* code : {"502255", "500423", "500452", "500444", "500464", "501721"})
    EXPECT_GT(fired[code], 0) << code << " never fired; codes: " << [&] {
      std::string all;
      for (const auto& [c, n] : fired) all += fmt::format("{}x{} ", c, n);
      return all;
    }();
  EXPECT_EQ(mutua::testing::dump(dir + "/whole.db", {"SELECT niss, code, first_date, units FROM history_all ORDER BY id"}),
            mutua::testing::dump(dir + "/needed.db", {"SELECT niss, code, first_date, units FROM history_all ORDER BY id"}));
  fs::remove_all(dir);
}
