// The fund's follow-up flows through the real binary on a real store. Medical-advisor
// agreements: lines needing one wait (500434) while the request is open, the decision settles
// them (accepted: history and a complement marked *; refused: 500449 / 500548), a later envoi is
// judged against the recorded agreement and the approved lines. Disputes: open → under review →
// settled, the amount set off on the next payment. The ledger balances throughout.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "baseline.h"
#include "mutua/model/dates.h"
#include "mutua/model/envoi_writer.h"
#include "mutua/reader.h"
#include "mutua/settlement/ledger_check.h"
#include "mutua/store/sqlite.h"

namespace fs = std::filesystem;
using mutua::testing::read_all;
using mutua::testing::run_mutua;
using mutua::testing::shell;
namespace model = mutua::model;

namespace {

const std::string kBase = std::string(MUTUA_TEST_DATA) + "/scenarios/base";
const std::string kConfig = std::string(MUTUA_SOURCE_DIR) + "/data/sample/mutua-payments.json";
const std::string kNurse = "40765140401";
const std::string kPatient = "85073003328", kOther = "60010112347";
constexpr int64_t kVisit = 1250, kPhysio = 4000;  // fees of 425014 and 560011 in the base data

model::Prestation line(const std::string& code, const std::string& date, int64_t amount, const std::string& ref) {
  model::Prestation p;
  p.nomenclature = code;
  p.first_date = p.last_date = model::parse_iso_date(date);
  p.provider = kNurse;
  p.amount = amount;
  p.reference = ref;
  return p;
}

model::Invoice invoice(const std::string& niss, uint64_t number, std::vector<model::Prestation> lines) {
  model::Invoice inv;
  inv.niss = niss;
  inv.affiliation = inv.destination = "301";
  inv.provider = kNurse;
  inv.number = number;
  inv.ct1 = inv.ct2 = niss == kOther ? 111 : 110;  // as insurability.csv of the base data says
  inv.invoice_type = 3;
  inv.sex = 1;
  inv.billing_date = model::parse_iso_date("2026-11-05");
  inv.lines = std::move(lines);
  return inv;
}

// Zones 423 and 424 (payment references, accounts A and B) of every ET 91 of a 920900 file.
std::vector<std::pair<std::string, std::string>> et91_references(const std::string& path) {
  std::vector<std::pair<std::string, std::string>> out;
  auto reader = mutua::Reader::open(path);
  EXPECT_TRUE(reader.has_value()) << path;
  if (!reader) return out;
  mutua::RecordView r;
  std::vector<mutua::Error> problems;
  while ((*reader)->next(r, problems))
    if (r.kind == mutua::RecordKind::Et91) out.emplace_back(r.bytes.substr(163, 22), r.bytes.substr(187, 22));
  EXPECT_TRUE(problems.empty()) << path;
  return out;
}

class FundFlows : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = mutua::testing::temp_path("flows-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    auto i = run_mutua("refdata import " + kBase + " --db " + db());
    ASSERT_EQ(i.code, 0) << i.out;
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }
  std::string db() const { return dir_ + "/m.db"; }
  // Writes and adjudicates an envoi of the nurse; returns the command's output.
  mutua::testing::CmdResult send(int number, const std::string& month, const std::string& today,
                                 const std::vector<model::Invoice>& invoices) {
    model::EnvoiHeader h;
    h.third_party = kNurse;
    h.sending_number = number;
    h.year = std::stoi(month.substr(0, 4));
    h.month = std::stoi(month.substr(5, 2));
    h.created = model::parse_iso_date(today);
    h.bce = "0123456749";  // enterprise number, required since 2015 (102710)
    h.federation = "300";
    h.iban_a = "BE71096123456769";
    h.bic_a = "GKCCBEBB";
    const std::string path = dir_ + "/envoi-" + std::to_string(number) + ".efact";
    std::vector<model::Invoice> billed = invoices;
    for (auto& inv : billed) inv.billing_date = h.created;
    EXPECT_TRUE(model::write_envoi(path, h, billed));
    return run_mutua("adjudicate --db " + db() + " --today " + today + " --out " + dir_ + "/responses " + path);
  }
  mutua::testing::CmdResult settle(const std::string& date) {
    return run_mutua("settle --db " + db() + " --config " + kConfig + " --date " + date + " --budget 100000 --out " + dir_ +
                     "/pay");
  }
  model::LedgerState ledger() {
    auto store = mutua::store::open_sqlite(db());
    EXPECT_TRUE(store.has_value());
    auto st = (*store)->ledger(false, true);
    EXPECT_TRUE(st.has_value());
    return *st;
  }
  std::string verdicts_json(int64_t envoi) {
    auto store = mutua::store::open_sqlite(db());
    auto v = (*store)->verdicts(envoi);
    return v ? *v : std::string();
  }
  std::string dir_;
};

TEST_F(FundFlows, LateApprovalIsPaidAsAComplementAndARefusalLosesTheLine) {
  // Requests open before billing: the lines wait on the advisor.
  auto r1 = run_mutua("agreement request --db " + db() + " --niss " + kPatient + " --code 560011 --date 2026-10-15 --provider " +
                      kNurse + " --motivation 'post-operative rehabilitation'");
  ASSERT_EQ(r1.code, 0) << r1.out;
  EXPECT_NE(r1.out.find("agreement 1:"), std::string::npos) << r1.out;
  auto r2 = run_mutua("agreement request --db " + db() + " --niss " + kOther + " --code 560011 --date 2026-10-16");
  ASSERT_EQ(r2.code, 0) << r2.out;

  auto a = send(20, "2026-10", "2026-11-06",
                {invoice(kPatient, 1,
                         {line("425014", "2026-10-01", kVisit, "V1"), line("560011", "2026-10-20", kPhysio, "P1"),
                          line("560011", "2026-10-22", kPhysio, "P2")}),
                 invoice(kOther, 2, {line("425014", "2026-10-02", kVisit, "V2"), line("560011", "2026-10-21", kPhysio, "P3")})});
  ASSERT_EQ(a.code, 0) << a.out;
  auto st = ledger();
  ASSERT_EQ(st.envois.size(), 1u);
  EXPECT_EQ(st.envois[0].accepted_a, 2 * kVisit);
  EXPECT_EQ(st.envois[0].pending, 3 * kPhysio);
  ASSERT_EQ(st.pending_lines.size(), 3u);
  EXPECT_NE(verdicts_json(st.envois[0].id).find("500434"), std::string::npos);

  // Before payment the settlement file's ET 91 has no payment reference.
  const std::string blank(22, ' ');
  auto unpaid = run_mutua("response --db " + db() + " --envoi 20 --out " + dir_ + "/unpaid");
  ASSERT_EQ(unpaid.code, 0) << unpaid.out;
  const std::string settlement_1 = "/1-envoi-20.920900.efact";
  EXPECT_EQ(et91_references(dir_ + "/unpaid" + settlement_1),
            (std::vector<std::pair<std::string, std::string>>{{blank, blank}}));

  // The envoi is paid for what was accepted; the pending lines are not.
  auto s1 = settle("2026-11-10");
  ASSERT_EQ(s1.code, 0) << s1.out;
  st = ledger();
  ASSERT_EQ(st.payments.size(), 1u);
  EXPECT_EQ(st.payments[0].paid_cents, 2 * kVisit);
  EXPECT_EQ(st.payments[0].reference, "2026/2/0000001");

  // Once paid, every ET 91 carries the reference of the transfer on account A (zone 423);
  // nothing was billed on account B (zone 424 blank). The rest of the file is unchanged.
  auto paid = run_mutua("response --db " + db() + " --run 2026-11-10 --out " + dir_ + "/paid");
  ASSERT_EQ(paid.code, 0) << paid.out;
  EXPECT_NE(paid.out.find("1 envoi(s), 2 file(s)"), std::string::npos) << paid.out;
  const std::string ref_1 = "2026/2/0000001" + std::string(8, ' ');
  EXPECT_EQ(et91_references(dir_ + "/paid" + settlement_1), (std::vector<std::pair<std::string, std::string>>{{ref_1, blank}}));
  {
    std::string before = read_all(dir_ + "/unpaid" + settlement_1), after = read_all(dir_ + "/paid" + settlement_1);
    ASSERT_EQ(before.size(), after.size());
    size_t differ = 0;
    for (size_t i = 0; i < before.size(); ++i) differ += before[i] != after[i];
    EXPECT_EQ(differ, 14u);  // the reference's characters, nothing else
    EXPECT_EQ(read_all(dir_ + "/responses/envoi-20.920900.efact"), before);  // as adjudicated
  }
  const std::string paid_json = read_all(dir_ + "/paid/1-envoi-20.920900.json");
  EXPECT_NE(paid_json.find("\"payments\":[{\"accepted\":2500,\"account\":\"A\",\"compensated\":0,\"complement\":0,"
                           "\"executed\":\"2026-11-11\",\"iban\":\"BE71096123456769\",\"paid\":2500,"
                           "\"reference\":\"2026/2/0000001\"}]"),
            std::string::npos)
      << paid_json;
  EXPECT_EQ(run_mutua("show " + dir_ + "/paid" + settlement_1).code, 0);
  EXPECT_EQ(run_mutua("response --db " + db() + " --run 2026-01-01").code, 1);
  EXPECT_EQ(run_mutua("response --db " + db() + " --envoi 99").code, 1);

  // A decision before the request is refused; an unknown decision letter too.
  auto bad = run_mutua("agreement decide --db " + db() + " --id 1 --decision A --date 2026-10-01 --from 2026-10-01");
  EXPECT_EQ(bad.code, 2) << bad.out;
  EXPECT_NE(bad.out.find("Z00700"), std::string::npos) << bad.out;
  EXPECT_EQ(run_mutua("agreement decide --db " + db() + " --id 1 --decision X").code, 2);

  // Waiting for information first: the lines stay pending.
  auto d0 = run_mutua("agreement decide --db " + db() + " --id 1 --decision D --date 2026-11-12 --note 'report missing'");
  ASSERT_EQ(d0.code, 0) << d0.out;
  EXPECT_NE(d0.out.find("still pending (500434)"), std::string::npos) << d0.out;
  // Accepted from 2026-10-21: the line of 10/20 falls before it (500548), the one of 10/22 is approved.
  auto d1 = run_mutua("agreement decide --db " + db() + " --id 1 --decision A --date 2026-11-20 --from 2026-10-21 --to 2026-12-31 --by dr.adv");
  ASSERT_EQ(d1.code, 0) << d1.out;
  EXPECT_NE(d1.out.find("1 line(s) approved, 40.00"), std::string::npos) << d1.out;
  EXPECT_NE(d1.out.find("refused 500548"), std::string::npos) << d1.out;
  auto d2 = run_mutua("agreement decide --db " + db() + " --id 2 --decision N --date 2026-11-21");
  ASSERT_EQ(d2.code, 0) << d2.out;
  EXPECT_NE(d2.out.find("refused 500449"), std::string::npos) << d2.out;
  // Decided A: final.
  auto again = run_mutua("agreement decide --db " + db() + " --id 1 --decision N --date 2026-11-22");
  EXPECT_EQ(again.code, 2) << again.out;
  EXPECT_NE(again.out.find("final"), std::string::npos) << again.out;

  // The approved line is in history: billing it again is a duplicate; a new session in the
  // agreement's period is accepted directly, without waiting.
  // (Twenty visits keep the one rejected line under the 5 % error rate.)
  std::vector<model::Prestation> lines = {line("560011", "2026-10-22", kPhysio, "P1"), line("560011", "2026-11-03", kPhysio, "P4")};
  for (int day = 1; day <= 20; ++day)
    lines.push_back(line("425014", model::iso(model::add_days(model::parse_iso_date("2026-11-01"), day - 1)), kVisit,
                         "V" + std::to_string(day)));
  auto b = send(21, "2026-11", "2026-11-23", {invoice(kPatient, 1, lines)});
  ASSERT_EQ(b.code, 0) << b.out;
  st = ledger();
  ASSERT_EQ(st.envois.size(), 2u) << b.out;
  EXPECT_EQ(st.envois[1].accepted_a, kPhysio + 20 * kVisit) << b.out;
  EXPECT_EQ(st.envois[1].pending, 0);
  EXPECT_NE(verdicts_json(st.envois[1].id).find("500423"), std::string::npos);

  // The next run pays the complement (the approved line, marked *) and the new envoi.
  auto s2 = settle("2026-11-25");
  ASSERT_EQ(s2.code, 0) << s2.out;
  EXPECT_NE(s2.out.find("*1"), std::string::npos) << s2.out;
  st = ledger();
  ASSERT_EQ(st.payments.size(), 3u);
  const auto& complement = st.payments[1];
  EXPECT_EQ(complement.envoi_id, st.envois[0].id);
  EXPECT_EQ(complement.complement, 1);
  EXPECT_EQ(complement.paid_cents, kPhysio);
  EXPECT_EQ(complement.reference, "2026/2/0000002");
  EXPECT_EQ(st.payments[2].envoi_id, st.envois[1].id);
  // The complement is paid under its own reference: the envoi's 920900 keeps the first one,
  // its JSON lists both payments.
  auto after_complement = run_mutua("response --db " + db() + " --reception 1 --out " + dir_ + "/paid2");
  ASSERT_EQ(after_complement.code, 0) << after_complement.out;
  EXPECT_EQ(et91_references(dir_ + "/paid2" + settlement_1), (std::vector<std::pair<std::string, std::string>>{{ref_1, blank}}));
  const std::string json_2 = read_all(dir_ + "/paid2/1-envoi-20.920900.json");
  EXPECT_NE(json_2.find("\"complement\":1,\"executed\""), std::string::npos) << json_2;
  EXPECT_NE(json_2.find("2026/2/0000002"), std::string::npos) << json_2;
  const std::string pain = read_all(dir_ + "/pay/payments-2026-11-25.pain.001.xml");
  EXPECT_NE(pain.find("ENVOI 020 10/2026 COMPLEMENT 1 COMPTE A"), std::string::npos) << pain;

  // The letters of the run: the complement's says so, with the advisor's approval; the
  // envoi's lists its invoice; the detail has every line with the invoice numbers.
  auto letters = run_mutua("letters --db " + db() + " --config " + kConfig + " --run 2026-11-25 --out " + dir_ + "/letters");
  ASSERT_EQ(letters.code, 0) << letters.out;
  EXPECT_NE(letters.out.find("2 letter(s)"), std::string::npos) << letters.out;
  const std::string complement_pdf = shell("pdftotext -layout " + dir_ + "/letters/letter-2026-2-0000002.pdf -");
  EXPECT_NE(complement_pdf.find("Paiement complémentaire"), std::string::npos) << complement_pdf;
  EXPECT_NE(complement_pdf.find("Envoi 020* 10/2026"), std::string::npos) << complement_pdf;
  EXPECT_NE(complement_pdf.find("40,00 EUR"), std::string::npos) << complement_pdf;
  EXPECT_NE(complement_pdf.find("0202620000002"), std::string::npos) << complement_pdf;
  const std::string envoi_pdf = shell("pdftotext -layout " + dir_ + "/letters/letter-2026-2-0000003.pdf -");
  EXPECT_NE(envoi_pdf.find("Montant refusé"), std::string::npos) << envoi_pdf;
  EXPECT_NE(envoi_pdf.find("500423"), std::string::npos) << envoi_pdf;  // the duplicate, with its code
  {
    // Its comment is read whole on the letter: every word of the CSV's codes column is in the
    // PDF, in order (longer ones wrap: tests/settlement_e2e_test.cpp).
    const std::string detail = read_all(dir_ + "/letters/letter-2026-2-0000003.csv");
    const size_t at = detail.find("500423");
    ASSERT_NE(at, std::string::npos) << detail;
    std::string codes = detail.substr(at, detail.find('\n', at) - at);
    if (!codes.empty() && codes.front() == '"') codes.erase(0, 1);
    std::vector<std::string> words;
    std::istringstream split(codes);
    for (std::string w; split >> w;) words.push_back(w);
    ASSERT_GE(words.size(), 8u) << codes;
    size_t pos = 0;
    for (const auto& w : words) {
      const std::string bare = w.back() == '"' ? w.substr(0, w.size() - 1) : w;
      pos = envoi_pdf.find(bare, pos);
      ASSERT_NE(pos, std::string::npos) << "'" << bare << "' of " << codes << " not in the letter:\n" << envoi_pdf;
    }
  }
  const std::string csv = read_all(dir_ + "/letters/letter-2026-2-0000002.csv");
  EXPECT_NE(csv.find("2026/2/0000002;020;1;A;1;5;;85073003328;560011;2026-10-22;40.00;40.00;0.00;approved;"), std::string::npos)
      << csv;
  const std::string sheet = shell("python3 -c \"import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); "
                                  "print(z.read('xl/sharedStrings.xml').decode())\" " + dir_ + "/letters/letter-2026-2-0000003.xlsx");
  EXPECT_NE(sheet.find("85073003328"), std::string::npos) << sheet;
  EXPECT_NE(sheet.find("Facture"), std::string::npos) << sheet;

  // A third run pays nothing again.
  auto s3 = settle("2026-11-30");
  ASSERT_EQ(s3.code, 0) << s3.out;
  EXPECT_EQ(ledger().payments.size(), 3u);

  auto check = mutua::settlement::check_ledger(ledger());
  EXPECT_TRUE(check.problems.empty()) << check.problems.front();
  EXPECT_EQ(check.totals.approved, kPhysio);
  EXPECT_EQ(check.totals.refused_later, 2 * kPhysio);
  EXPECT_EQ(check.totals.pending, 0);
  auto cli_check = run_mutua("ledger check --db " + db());
  EXPECT_EQ(cli_check.code, 0) << cli_check.out;
  EXPECT_NE(cli_check.out.find("40.00 approved"), std::string::npos) << cli_check.out;

  // The agreement's page: its history and the payment of the line it approved.
  auto show = run_mutua("agreement show --db " + db() + " --id 1");
  ASSERT_EQ(show.code, 0) << show.out;
  EXPECT_NE(show.out.find("report missing"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("paid in complement 020*1 (2026/2/0000002)"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("refused 500548"), std::string::npos) << show.out;
  auto list = run_mutua("agreement list --db " + db() + " --json");
  ASSERT_EQ(list.code, 0) << list.out;
  EXPECT_NE(list.out.find("\"decision\": \"N\""), std::string::npos) << list.out;
}

TEST_F(FundFlows, StayAgreementCoversTheStayAndTheLedgerCatchesATamperedComplement) {
  auto r = run_mutua("agreement request --db " + db() + " --niss " + kPatient +
                     " --code 560011 --date 2026-10-01 --establishment 71000123 --admission 2026-10-05 --discharge 2026-10-25");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("covering 2026-10-05 to 2026-10-25"), std::string::npos) << r.out;
  // A stay agreement without its admission date is refused.
  auto bad = run_mutua("agreement request --db " + db() + " --niss " + kPatient + " --code 560011 --date 2026-10-01 --establishment 71000123");
  EXPECT_EQ(bad.code, 2) << bad.out;
  // A bad NISS check digit is refused.
  EXPECT_EQ(run_mutua("agreement request --db " + db() + " --niss 85073003329 --code 560011 --date 2026-10-01").code, 2);

  ASSERT_EQ(send(30, "2026-10", "2026-11-06",
                 {invoice(kPatient, 1, {line("560011", "2026-10-10", kPhysio, "P1"), line("560011", "2026-10-28", kPhysio, "P2")})})
                .code,
            0);
  auto d = run_mutua("agreement decide --db " + db() + " --id 1 --decision A --date 2026-11-08");
  ASSERT_EQ(d.code, 0) << d.out;
  EXPECT_NE(d.out.find("1 line(s) approved"), std::string::npos) << d.out;
  EXPECT_NE(d.out.find("refused 500548"), std::string::npos) << d.out;  // after the stay's end
  ASSERT_EQ(settle("2026-11-10").code, 0);
  auto st = ledger();
  ASSERT_EQ(st.payments.size(), 1u);  // the envoi had nothing accepted: only the complement pays
  EXPECT_EQ(st.payments[0].complement, 1);
  EXPECT_EQ(st.payments[0].paid_cents, kPhysio);
  EXPECT_EQ(run_mutua("ledger check --db " + db()).code, 0);

  // Alter the approved line's amount: the check names the complement.
  {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db().c_str(), &h), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(h, "UPDATE pending_lines SET amount = amount + 1 WHERE state = 'approved'", nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(h);
  }
  auto c = run_mutua("ledger check --db " + db());
  EXPECT_EQ(c.code, 1) << c.out;
  EXPECT_NE(c.out.find("complement 1 account A"), std::string::npos) << c.out;
}

}  // namespace

namespace {

TEST_F(FundFlows, SettledDisputeIsPaidWithTheNextPaymentAndTakesNoMoreSteps) {
  ASSERT_EQ(send(40, "2026-10", "2026-11-06", {invoice(kPatient, 1, {line("425014", "2026-10-01", kVisit, "V1")})}).code, 0);
  ASSERT_EQ(settle("2026-11-10").code, 0);
  auto o = run_mutua("dispute open --db " + db() + " --provider " + kNurse +
                     " --subject 'visit of 02/10 refused wrongly' --envoi 1 --line 4 --payment 2026/2/0000001 --date 2026-11-12");
  ASSERT_EQ(o.code, 0) << o.out;
  EXPECT_NE(o.out.find("dispute 1 of 40765140401"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("(open)"), std::string::npos) << o.out;
  // What it names must exist and be the provider's.
  EXPECT_EQ(run_mutua("dispute open --db " + db() + " --provider " + kNurse + " --subject x --payment 2026/2/0000099").code, 2);
  EXPECT_EQ(run_mutua("dispute open --db " + db() + " --provider 41234502401 --subject x --envoi 1").code, 2);

  auto c = run_mutua("dispute comment --db " + db() + " --id 1 --text 'prescription received' --date 2026-11-13 --by fund");
  ASSERT_EQ(c.code, 0) << c.out;
  EXPECT_NE(c.out.find("(under review)"), std::string::npos) << c.out;
  EXPECT_EQ(run_mutua("dispute comment --db " + db() + " --id 1 --text early --date 2026-11-01").code, 2);  // before it opened
  auto s = run_mutua("dispute settle --db " + db() + " --id 1 --amount 12.50 --to-provider --date 2026-11-20");
  ASSERT_EQ(s.code, 0) << s.out;
  EXPECT_NE(s.out.find("settled -12.50 on account A (owed to the provider)"), std::string::npos) << s.out;
  auto again = run_mutua("dispute close --db " + db() + " --id 1 --date 2026-11-21");
  EXPECT_EQ(again.code, 2) << again.out;
  EXPECT_NE(again.out.find("takes no more steps"), std::string::npos) << again.out;

  // A second dispute closed without money.
  ASSERT_EQ(run_mutua("dispute open --db " + db() + " --provider " + kNurse + " --subject 'late payment' --date 2026-11-12").code, 0);
  auto cl = run_mutua("dispute close --db " + db() + " --id 2 --text 'paid meanwhile' --date 2026-11-14");
  ASSERT_EQ(cl.code, 0) << cl.out;
  EXPECT_NE(cl.out.find("(closed)"), std::string::npos) << cl.out;

  // The next payment adds what the fund owes.
  ASSERT_EQ(send(41, "2026-11", "2026-11-23", {invoice(kPatient, 1, {line("425014", "2026-11-02", kVisit, "V1")})}).code, 0);
  ASSERT_EQ(settle("2026-11-25").code, 0);
  auto st = ledger();
  ASSERT_EQ(st.payments.size(), 2u);
  EXPECT_EQ(st.payments[1].accepted_cents, kVisit);
  EXPECT_EQ(st.payments[1].compensated_cents, -1250);
  EXPECT_EQ(st.payments[1].paid_cents, kVisit + 1250);
  ASSERT_EQ(st.regularisations.size(), 1u);
  EXPECT_EQ(st.regularisations[0].origin, "dispute");
  EXPECT_EQ(st.regularisations[0].dispute_id, 1);
  EXPECT_EQ(run_mutua("ledger check --db " + db()).code, 0);
  auto letter = run_mutua("letters --db " + db() + " --config " + kConfig + " --run 2026-11-25 --format pdf --out " + dir_ + "/l");
  ASSERT_EQ(letter.code, 0) << letter.out;
  const std::string pdf = shell("pdftotext -layout " + dir_ + "/l/letter-2026-2-0000002.pdf -");
  EXPECT_NE(pdf.find("Régularisation 1: dispute 1: visit of 02/10 refused wrongly"), std::string::npos) << pdf;
  EXPECT_NE(pdf.find("25,00 EUR"), std::string::npos) << pdf;  // 12.50 accepted + 12.50 owed
  EXPECT_FALSE(fs::exists(dir_ + "/l/letter-2026-2-0000002.csv"));
  auto list = run_mutua("dispute list --db " + db() + " --json");
  ASSERT_EQ(list.code, 0) << list.out;
  EXPECT_NE(list.out.find("\"state\": \"settled\""), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("prescription received"), std::string::npos) << list.out;
}

}  // namespace

namespace {

TEST_F(FundFlows, RetentionRemovesOldPersonalDetailsOnlyAndTheLedgerStillBalances) {
  // 2022: an envoi paid, a consultation, an agreement decided, a dispute closed.
  ASSERT_EQ(send(50, "2022-02", "2022-03-10", {invoice(kPatient, 1, {line("425014", "2022-02-01", kVisit, "V1")})}).code, 0);
  ASSERT_EQ(settle("2022-03-15").code, 0);
  ASSERT_EQ(run_mutua("insurability --db " + db() + " --niss " + kPatient + " --date 2022-03-01 --today 2022-03-01").code, 0);
  ASSERT_EQ(run_mutua("agreement request --db " + db() + " --niss " + kPatient + " --code 560011 --date 2022-01-05").code, 0);
  ASSERT_EQ(run_mutua("agreement decide --db " + db() + " --id 1 --decision A --date 2022-01-10 --from 2022-01-01 --to 2022-06-30").code, 0);
  ASSERT_EQ(run_mutua("dispute open --db " + db() + " --provider " + kNurse + " --subject 'Mme X, visit' --date 2022-04-01").code, 0);
  ASSERT_EQ(run_mutua("dispute close --db " + db() + " --id 1 --date 2022-05-01 --text 'agreed by phone'").code, 0);
  // 2026: the same, younger than the cut-off (2023-01-01).
  ASSERT_EQ(send(51, "2026-10", "2026-11-06", {invoice(kPatient, 1, {line("425014", "2026-10-01", kVisit, "V1")})}).code, 0);
  ASSERT_EQ(settle("2026-11-10").code, 0);
  ASSERT_EQ(run_mutua("insurability --db " + db() + " --niss " + kPatient + " --date 2026-11-01 --today 2026-11-01").code, 0);
  ASSERT_EQ(run_mutua("dispute open --db " + db() + " --provider " + kNurse + " --subject 'recent' --date 2026-11-12").code, 0);

  const std::vector<std::string> young = {
      "SELECT envoi_id, length(received), length(verdicts) FROM envoi_files WHERE envoi_id = 2",
      "SELECT envoi_id, message, length(bytes) FROM responses WHERE envoi_id = 2",
      "SELECT * FROM history_all WHERE envoi_id = 2", "SELECT * FROM consultations WHERE recorded >= 20230101",
      "SELECT * FROM disputes WHERE id = 2", "SELECT * FROM dispute_events WHERE dispute_id = 2"};
  const std::string before = mutua::testing::dump(db(), young);
  const std::string ledger_before = mutua::testing::dump(db(), {"SELECT * FROM envois", "SELECT * FROM payments"});

  auto dry = run_mutua("retention --db " + db() + " --today 2026-11-23 --dry-run");
  ASSERT_EQ(dry.code, 0) << dry.out;
  EXPECT_NE(dry.out.find("before 2023-01-01 (dry run"), std::string::npos) << dry.out;
  EXPECT_NE(dry.out.find("| 1 | 1 | 1 | 1 | 0 | 1 | 1 | 1 |"), std::string::npos) << dry.out;
  EXPECT_EQ(mutua::testing::dump(db(), {"SELECT COUNT(*) FROM envoi_files", "SELECT COUNT(*) FROM history_all"}),
            "## SELECT COUNT(*) FROM envoi_files\n2|\n## SELECT COUNT(*) FROM history_all\n2|\n");

  auto r = run_mutua("retention --db " + db() + " --today 2026-11-23");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("| 1 | 1 | 1 | 1 | 0 | 1 | 1 | 1 |"), std::string::npos) << r.out;
  // The old details are gone, the young untouched, the ledger the same and balanced.
  EXPECT_EQ(mutua::testing::dump(db(), {"SELECT COUNT(*) FROM envoi_files WHERE envoi_id = 1",
                                        "SELECT COUNT(*) FROM history_all WHERE niss = '" + kPatient + "' AND envoi_id = 1",
                                        "SELECT COUNT(*) FROM consultations WHERE niss = '" + kPatient + "' AND recorded < 20230101",
                                        "SELECT niss, motivation FROM agreements", "SELECT subject FROM disputes WHERE id = 1",
                                        "SELECT text FROM dispute_events WHERE dispute_id = 1"}),
            "## SELECT COUNT(*) FROM envoi_files WHERE envoi_id = 1\n0|\n"
            "## SELECT COUNT(*) FROM history_all WHERE niss = '85073003328' AND envoi_id = 1\n0|\n"
            "## SELECT COUNT(*) FROM consultations WHERE niss = '85073003328' AND recorded < 20230101\n0|\n"
            "## SELECT niss, motivation FROM agreements\n||\n## SELECT subject FROM disputes WHERE id = 1\n|\n"
            "## SELECT text FROM dispute_events WHERE dispute_id = 1\n|\n|\n");
  EXPECT_EQ(mutua::testing::dump(db(), young), before);
  EXPECT_EQ(mutua::testing::dump(db(), {"SELECT * FROM envois", "SELECT * FROM payments"}), ledger_before);
  auto check = run_mutua("ledger check --db " + db());
  EXPECT_EQ(check.code, 0) << check.out;
  // The envoi number stays used: sending number 50 of 2022 again is refused.
  auto again = send(50, "2022-02", "2026-11-23", {invoice(kPatient, 1, {line("425014", "2022-02-02", kVisit, "V1")})});
  EXPECT_NE(again.out.find("920999"), std::string::npos) << again.out;
  // Running it again removes nothing more.
  auto twice = run_mutua("retention --db " + db() + " --today 2026-11-23");
  EXPECT_NE(twice.out.find("| 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |"), std::string::npos) << twice.out;
}

}  // namespace
