// Runs the adjudication scenarios of tests/scenarios/*.scn (format in tests/scenarios/README.md):
// reference data = tests/scenarios/base/*.csv plus the scenario's rows, imported into a fresh
// SQLite store; envois written by the codec, judged by the engine in order; expectations on
// the response message and on each line's codes and comment.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "baseline.h"
#include "mutua/tsv.h"
#include "engine/pipeline.h"
#include "mutua/engine/adjudicate.h"
#include "mutua/model/dates.h"
#include "mutua/model/envoi_writer.h"
#include "mutua/store/sqlite.h"
#include "rules/lines/adjudication.h"

namespace fs = std::filesystem;
using namespace mutua;

namespace {

const std::string kDir = std::string(MUTUA_TEST_DATA) + "/scenarios";

std::map<std::string, std::string> keyvals(std::istringstream& in) {
  std::map<std::string, std::string> out;
  std::string tok;
  while (in >> tok) {
    if (tok[0] == '#') break;
    auto eq = tok.find('=');
    std::string key = eq == std::string::npos ? tok : tok.substr(0, eq);
    std::string value = eq == std::string::npos ? "1" : tok.substr(eq + 1);
    if (!value.empty() && value[0] == '"') {  // quoted value with spaces
      value = value.substr(1);
      while (value.empty() || value.back() != '"') {
        std::string more;
        if (!(in >> more)) break;
        value += " " + more;
      }
      if (!value.empty() && value.back() == '"') value.pop_back();
    }
    out[key] = value;
  }
  return out;
}

struct Expect {
  int line_no = 0;
  std::string envoi;
  std::map<std::string, std::string> kv;
};

struct EnvoiSpec {
  std::string label;
  model::EnvoiHeader header;
  std::vector<model::Invoice> invoices;
};

struct Scenario {
  std::string file, title, today = "2026-11-23";
  int64_t threshold_bp = -1;
  std::map<std::string, std::vector<std::string>> rows;  // csv file -> extra rows
  std::map<std::string, int64_t> fees;                     // fees of the scenario's nomenclature rows
  std::vector<EnvoiSpec> envois;
  std::vector<Expect> expects;
};

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<Scenario> load_all() {
  std::vector<Scenario> out;
  std::vector<fs::path> files;
  for (auto& e : fs::directory_iterator(kDir))
    if (e.path().extension() == ".scn") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  // Fees of the base nomenclature, for lines that give no amount.
  std::map<std::string, int64_t> fees;
  auto nom = format::parse_table(read(fs::path(kDir) / "base" / "nomenclature.csv"), ',');
  for (auto& row : nom.rows) fees[row[nom.column("code")]] = std::stoll(row[nom.column("fee_cents")]);
  for (const auto& f : files) {
    std::ifstream in(f);
    std::string text;
    int n = 0;
    Scenario* s = nullptr;
    int invoice_number = 0;
    while (std::getline(in, text)) {
      ++n;
      std::istringstream ls(text);
      std::string word;
      if (!(ls >> word) || word[0] == '#') continue;
      if (word == "scenario") {
        out.emplace_back();
        s = &out.back();
        s->file = f.filename().string() + ":" + std::to_string(n);
        std::getline(ls, s->title);
        continue;
      }
      if (!s) continue;
      if (word == "today") {
        ls >> s->today;
      } else if (word == "threshold") {
        double t = 0;
        ls >> t;
        s->threshold_bp = static_cast<int64_t>(t * 100 + 0.5);
      } else if (word == "row") {
        std::string file, row;
        ls >> file;
        std::getline(ls, row);
        row.erase(0, row.find_first_not_of(' '));
        s->rows[file].push_back(row);
        if (file == "nomenclature.csv") {  // the scenario's own code: its fee is the default amount
          std::vector<std::string> cells;
          std::stringstream cs(row);
          for (std::string cell; std::getline(cs, cell, ',');) cells.push_back(cell);
          if (cells.size() > 3 && !cells[3].empty()) s->fees[cells[0]] = std::stoll(cells[3]);
        }
      } else if (word == "envoi") {
        std::string label;
        ls >> label;
        auto kv = keyvals(ls);
        EnvoiSpec e;
        e.label = label;
        auto& h = e.header;
        h.third_party = kv.count("provider") ? kv["provider"] : "40765140401";
        h.sending_number = kv.count("number") ? std::stoi(kv["number"]) : 1;
        std::string month = kv.count("month") ? kv["month"] : "2026-10";
        h.year = std::stoi(month.substr(0, 4));
        h.month = std::stoi(month.substr(5, 2));
        h.created = model::parse_iso_date(kv.count("created") ? kv["created"] : "2026-11-05");
        h.bce = kv.count("bce") ? kv["bce"] : "0123456749";
        h.federation = "300";
        h.iban_a = kv.count("iban") ? kv["iban"] : "BE71096123456769";
        h.bic_a = "GKCCBEBB";
        h.test = kv.count("test") > 0;
        s->envois.push_back(std::move(e));
        invoice_number = 0;
      } else if (word == "invoice") {
        auto kv = keyvals(ls);
        model::Invoice inv;
        inv.niss = kv["niss"];
        inv.affiliation = kv.count("mutuality") ? kv["mutuality"] : "301";
        inv.destination = kv.count("destination") ? kv["destination"] : inv.affiliation;
        inv.provider = s->envois.back().header.third_party;
        inv.number = kv.count("number") ? std::stoull(kv["number"]) : static_cast<uint64_t>(++invoice_number);
        std::string ct = kv.count("ct") ? kv["ct"] : "110/110";
        inv.ct1 = std::stoi(ct.substr(0, 3));
        inv.ct2 = std::stoi(ct.substr(4, 3));
        inv.invoice_type = kv.count("type") ? std::stoi(kv["type"]) : 3;
        inv.billing_type = kv.count("billing") ? std::stoi(kv["billing"]) : 0;
        inv.billing_date = s->envois.back().header.created;
        inv.sex = kv.count("sex") ? std::stoi(kv["sex"]) : 1;
        if (kv.count("stay")) inv.stay_institution = kv["stay"];
        if (kv.count("service")) inv.service = kv["service"];
        if (kv.count("admission")) inv.admission_date = model::parse_iso_date(kv["admission"]);
        if (kv.count("admission_number")) inv.admission_number = std::stoull(kv["admission_number"]);
        if (kv.count("previous")) {  // a corrective invoice: the envoi it corrects
          inv.previous_sending = std::stoi(kv["previous"]);
          inv.previous_year_month = kv.count("previous_month") ? std::stoi(kv["previous_month"]) : 0;
          inv.previous_invoice = kv.count("previous_invoice") ? std::stoull(kv["previous_invoice"]) : 0;
          inv.previous_mutuality = inv.affiliation;
        }
        if (kv.count("fund_refs")) {  // the fund's references of accounts A and B: REFA/REFB
          const std::string refs = kv["fund_refs"];
          inv.fund_reference_a = refs.substr(0, refs.find('/'));
          inv.fund_reference_b = refs.find('/') == std::string::npos ? "" : refs.substr(refs.find('/') + 1);
        }
        if (kv.count("waiver")) inv.limitation_waiver = std::stoi(kv["waiver"]);  // ET 20 zone 16
        if (kv.count("commitment")) {
          inv.commitment = kv["commitment"];
          inv.commitment_date = model::parse_iso_date(kv["commitment_date"]);
        }
        s->envois.back().invoices.push_back(std::move(inv));
      } else if (word == "line") {
        auto kv = keyvals(ls);
        model::Prestation p;
        auto& inv = s->envois.back().invoices.back();
        p.nomenclature = kv["code"];
        if (kv.count("record")) p.record_type = std::stoi(kv["record"]);  // 30 or 40 instead of an ET 50
        p.first_date = p.last_date = model::parse_iso_date(kv["date"]);
        if (kv.count("last")) p.last_date = model::parse_iso_date(kv["last"]);
        p.tp_exception = kv.count("exception") ? std::stoi(kv["exception"]) : 0;
        if (kv.count("provider_norm")) p.provider_norm = std::stoi(kv["provider_norm"]);
        if (kv.count("gmd_holder")) p.gmd_holder = kv["gmd_holder"];
        p.provider = kv.count("provider") ? kv["provider"] : inv.provider;
        p.units = kv.count("units") ? std::stoi(kv["units"]) : 1;
        const int64_t fee = s->fees.count(p.nomenclature) ? s->fees[p.nomenclature] : fees[p.nomenclature];
        p.amount = kv.count("amount") ? std::stoll(kv["amount"]) : fee * p.units;
        if (inv.billing_type == 3) {  // a credit note takes back amounts and units (201140, 502248)
          p.amount = -p.amount;
          p.units = -p.units;
        }
        p.personal_share = kv.count("share") ? std::stoll(kv["share"]) : 0;
        p.prescriber = kv.count("prescriber") ? kv["prescriber"] : "";
        if (!p.prescriber.empty()) {
          p.prescriber_norm = kv.count("prescriber_norm") ? std::stoi(kv["prescriber_norm"]) : 1;
          p.prescription_date = p.first_date;
        }
        p.reference = kv.count("ref") ? kv["ref"] : "L" + std::to_string(inv.lines.size() + 1);
        p.has_eid = kv.count("eid") > 0;
        if (p.has_eid) p.eid_time_hhmm = 930;  // a reading has its time (521204)
        if (kv.count("tariff")) {  // an ET 51 carrying a tariff consultation's approval number
          p.has_commitment = true;
          p.commitment_number = kv["tariff"];
          p.commitment_date = p.first_date;
        }
        p.norm = kv.count("norm") ? std::stoi(kv["norm"]) : 0;
        p.laterality = kv.count("laterality") ? std::stoi(kv["laterality"]) : 0;
        p.social_category = kv.count("social") ? std::stoi(kv["social"]) : 0;
        p.identical_flag = kv.count("identical") ? std::stoi(kv["identical"]) : 0;
        if (kv.count("service")) p.service_code = kv["service"];
        if (kv.count("place")) p.place = kv["place"];
        if (kv.count("related")) p.related_code = kv["related"];
        if (kv.count("supplement")) p.supplement = std::stoll(kv["supplement"]);
        int repeat = kv.count("repeat") ? std::stoi(kv["repeat"]) : 1;
        for (int i = 0; i < repeat; ++i) {
          model::Prestation q = p;
          q.first_date = model::add_days(p.first_date, i);
          q.last_date = model::add_days(p.last_date, i);
          if (repeat > 1) q.reference = p.reference + "-" + std::to_string(i + 1);
          inv.lines.push_back(std::move(q));
        }
      } else if (word == "expect") {
        Expect x;
        x.line_no = n;
        ls >> x.envoi;
        x.kv = keyvals(ls);
        s->expects.push_back(std::move(x));
      } else {
        ADD_FAILURE() << f << ":" << n << ": unknown word " << word;
      }
    }
  }
  return out;
}

class Scenarios : public ::testing::TestWithParam<Scenario> {};

TEST_P(Scenarios, Adjudicate) {
  const Scenario& s = GetParam();
  SCOPED_TRACE(s.file + " " + s.title);
  std::string dir = mutua::testing::temp_path("scn-" + std::to_string(std::hash<std::string>{}(s.file)));
  fs::remove_all(dir);
  fs::create_directories(dir + "/refdata");
  for (auto& e : fs::directory_iterator(fs::path(kDir) / "base")) fs::copy(e.path(), dir + "/refdata/" + e.path().filename().string());
  for (const auto& [file, rows] : s.rows) {
    fs::path p = dir + "/refdata/" + file;
    ASSERT_TRUE(fs::exists(p)) << file << " is not a base reference file";
    std::ofstream out(p, std::ios::app);
    for (const auto& r : rows) out << r << "\n";
  }
  std::vector<Error> problems;
  auto tables = model::read_refdata_dir(dir + "/refdata");
  ASSERT_TRUE(tables);
  auto parsed = model::parse_refdata(*tables, dir, problems);
  ASSERT_TRUE(parsed) << (problems.empty() ? "" : problems[0].file + ": " + problems[0].message);
  auto store = store::open_sqlite(dir + "/store.db");
  ASSERT_TRUE(store) << store.error().message;
  ASSERT_TRUE((*store)->replace_refdata(*parsed));

  engine::AdjudicateOptions options;
  options.today = model::parse_iso_date(s.today);
  options.threshold_bp = s.threshold_bp;
  // The outcome with what the engine decided record by record (engine/pipeline.h).
  struct Judgement : engine::Adjudication {
    std::shared_ptr<rules::Envoi> parsed;
    std::shared_ptr<rules::Verdicts> verdicts;
  };
  std::map<std::string, Judgement> results;
  for (const auto& e : s.envois) {
    std::string path = dir + "/" + e.label + ".efact";
    ASSERT_TRUE(model::write_envoi(path, e.header, e.invoices));
    auto received = engine::receive_file(path, options.today);
    ASSERT_TRUE(received) << received.error().message;
    engine::Judged judged;
    auto r = engine::judge(std::move(*received), **store, options, &judged);
    ASSERT_TRUE(r) << r.error().message;
    Judgement& kept = results[e.label];
    static_cast<engine::Adjudication&>(kept) = std::move(*r);
    kept.parsed = judged.envoi;
    kept.verdicts = judged.verdicts;
  }
  for (const auto& x : s.expects) {
    SCOPED_TRACE("expect at line " + std::to_string(x.line_no));
    ASSERT_TRUE(results.count(x.envoi)) << "no envoi " << x.envoi;
    const auto& r = results[x.envoi];
    auto kv = x.kv;
    if (kv.count("message")) {
      EXPECT_EQ(r.message, kv["message"]);
      if (kv.count("also")) {
        bool found = false;
        for (const auto& resp : r.responses) found = found || resp.message == kv["also"];
        EXPECT_TRUE(found) << "no " << kv["also"] << " response";
      }
      if (kv.count("rate")) {
        EXPECT_EQ(fmt::format("{}.{:02d}", r.envoi.error_rate_bp / 100, r.envoi.error_rate_bp % 100), kv["rate"]);
      }
    }
    // Exactly the codes of a record (and the first one's comment).
    auto expect_codes = [&](size_t rec) {
      std::set<std::string> got, want;
      std::string comment;
      for (const auto& v : r.verdicts->by_record[rec]) {
        got.insert(v.code);
        if (v.code == kv["codes"].substr(0, 6)) comment = v.comment;
      }
      std::stringstream ss(kv["codes"]);
      for (std::string c; std::getline(ss, c, ',');) want.insert(c);
      EXPECT_EQ(got, want);
      if (kv.count("comment")) {
        EXPECT_EQ(comment, kv["comment"]);
      }
    };
    if (kv.count("invoice")) {  // the codes of the n-th invoice's ET 20 (F codes)
      ASSERT_TRUE(r.parsed && r.verdicts);
      size_t n = std::stoul(kv["invoice"]) - 1;
      ASSERT_LT(n, r.parsed->invoices.size());
      expect_codes(r.parsed->invoices[n].et20);
    }
    if (kv.count("et51")) {  // the codes of the n-th line's ET 51
      ASSERT_TRUE(r.parsed && r.verdicts);
      size_t n = std::stoul(kv["et51"]) - 1;
      ASSERT_LT(n, r.parsed->lines.size());
      ASSERT_NE(r.parsed->lines[n].tariff_record, SIZE_MAX) << "line " << n + 1 << " has no ET 51";
      expect_codes(r.parsed->lines[n].tariff_record);
    }
    if (kv.count("line")) {
      ASSERT_TRUE(r.parsed && r.verdicts);
      size_t line = std::stoul(kv["line"]) - 1;
      ASSERT_LT(line, r.parsed->lines.size());
      size_t rec = r.parsed->lines[line].record;
      std::set<std::string> got;
      std::string comment;
      for (const auto& v : r.verdicts->by_record[rec]) {
        got.insert(v.code);
        if (v.code == kv["codes"].substr(0, 6)) comment = v.comment;
      }
      std::set<std::string> want;
      if (kv.count("codes")) {
        std::stringstream ss(kv["codes"]);
        std::string c;
        while (std::getline(ss, c, ',')) want.insert(c);
      }
      std::string got_list;
      for (const auto& g : got) got_list += g + " ";
      if (kv.count("accepted")) {
        EXPECT_FALSE(r.verdicts->rejected(rec)) << "codes: " << got_list;
        EXPECT_FALSE(r.verdicts->pending(rec)) << "codes: " << got_list;
      }
      if (kv.count("codes") || kv.count("accepted")) {
        EXPECT_EQ(got, want) << "codes: " << got_list;
      }
      if (kv.count("comment")) {
        EXPECT_EQ(comment, kv["comment"]);
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Rules, Scenarios, ::testing::ValuesIn(load_all()),
                         [](const ::testing::TestParamInfo<Scenario>& info) {
                           std::string n = info.param.file;
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

}  // namespace
