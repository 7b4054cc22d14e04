// `mutua serve` as its users meet it: the real binary on a real SQLite store, driven over HTTP
// by a real client. Signing in with a one-time password, a new password and a TOTP second
// factor; accounts and memberships; envois submitted and read with their rejected lines; no
// one sees another provider's envoi; every read of a patient's data is in the audit log.
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <map>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <algorithm>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "baseline.h"
#include "mutua/model/dates.h"
#include "mutua/model/envoi_writer.h"
#include "format/embedded.h"
#include "server/auth.h"
#include "server/context.h"

namespace fs = std::filesystem;
namespace model = mutua::model;
using Json = nlohmann::json;
using mutua::testing::read_all;
using mutua::testing::run_mutua;

namespace {

const std::string kBase = std::string(MUTUA_TEST_DATA) + "/scenarios/base";
const std::string kNurse = "40765140401", kOtherNurse = "41234502401";

// A billing file of `third_party` to the union `to_union`: three lines, of which the second
// (60010112347) is refused unless `accepted_only` leaves it out.
std::string envoi_of(const std::string& dir, const std::string& third_party, int number, bool accepted_only = false,
                     const std::string& to_union = "300") {
  model::EnvoiHeader h;
  h.third_party = third_party;
  h.sending_number = number;
  h.year = 2026;
  h.month = 10;
  h.created = model::parse_iso_date("2026-11-05");
  h.bce = "0123456749";
  h.federation = to_union;
  h.iban_a = "BE71096123456769";
  h.bic_a = "GKCCBEBB";
  auto invoice = [&](const std::string& niss, const std::string& mutuality, uint64_t n, const std::string& date) {
    model::Invoice inv;
    inv.niss = niss;
    inv.affiliation = inv.destination = mutuality;
    inv.provider = third_party;
    inv.number = n;
    inv.ct1 = inv.ct2 = 110;
    inv.invoice_type = 3;
    inv.sex = 1;
    inv.billing_date = model::parse_iso_date("2026-11-05");
    model::Prestation p;
    p.nomenclature = "425014";
    p.first_date = p.last_date = model::parse_iso_date(date);
    p.provider = third_party;
    p.amount = 1250;
    p.reference = "425014" + date;
    inv.lines.push_back(p);
    return inv;
  };
  const std::string first = to_union.substr(0, 1) + "01", second = to_union.substr(0, 1) + "02";
  std::vector<model::Invoice> invoices = {invoice("85073003328", first, 1, "2026-10-01")};
  if (!accepted_only) invoices.push_back(invoice("60010112347", first, 2, "2026-10-03"));
  invoices.push_back(invoice("45050500153", second, 3, "2026-10-04"));
  const std::string path = dir + "/envoi-" + to_union + "-" + third_party + "-" + std::to_string(number) + ".efact";
  EXPECT_TRUE(model::write_envoi(path, h, invoices));
  return read_all(path);
}

class Served : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = mutua::testing::temp_path("server-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    // One deployment of two funds: the accounts in their own store, fund 300's data in db_
    // (the default fund), fund 500's in other_db_.
    accounts_db_ = dir_ + "/accounts.db";
    db_ = dir_ + "/m.db";
    other_db_ = dir_ + "/fund500.db";
    if (on_postgresql()) {
      // The accounts and fund 300 on a PostgreSQL server, fund 500 on SQLite: stores mix.
      std::string why;
      const std::string name = ::testing::UnitTest::GetInstance()->current_test_info()->name();
      std::string base = "served";
      for (char ch : name) base += std::isupper(static_cast<unsigned char>(ch)) ? char(std::tolower(ch)) : ch;
      base = base.substr(0, 40);
      accounts_db_ = mutua::testing::fresh_postgresql(base + "_accounts", &why);
      ASSERT_FALSE(accounts_db_.empty()) << why;
      db_ = mutua::testing::fresh_postgresql(base + "_300", &why);
      ASSERT_FALSE(db_.empty()) << why;
    }
    ASSERT_EQ(run_mutua("refdata import " + kBase + " --db " + db_).code, 0);
    ASSERT_EQ(run_mutua("refdata import " + kBase + " --db " + other_db_).code, 0);
    log_ = dir_ + "/serve.log";
    std::vector<std::string> args = {"serve", "--db", accounts_db_, "--fund", "300=" + db_, "--fund", "500=" + other_db_,
                                     "--listen", "127.0.0.1:0", "--connections", "4", "--outbox", dir_ + "/outbox"};
    for (const auto& a : more_serve_args()) args.push_back(a);
    pid_ = mutua::testing::spawn(args, log_);
    // The address and the first administrator's password, as it prints them.
    static const std::regex port_re(R"(on http://127\.0\.0\.1:(\d+))"), pw_re(R"(one-time password: ([a-z0-9]+))");
    for (int i = 0; i < 200 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      const std::string out = read_all(log_);
      std::smatch m, p;
      if (std::regex_search(out, m, port_re) && std::regex_search(out, p, pw_re)) {
        port_ = std::stoi(m[1]);
        admin_password_ = p[1];
      }
    }
    ASSERT_GT(port_, 0) << read_all(log_);
  }
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      EXPECT_EQ(mutua::testing::wait_exit(pid_), 0) << read_all(log_);
    }
  }

  virtual bool on_postgresql() const { return false; }
  virtual std::vector<std::string> more_serve_args() { return {}; }
  // The mails the server sent, as their recipients' server received them: here the outbox.
  virtual std::vector<std::string> mails() {
    std::vector<std::string> out;
    if (fs::exists(dir_ + "/outbox"))
      for (const auto& f : fs::directory_iterator(dir_ + "/outbox")) out.push_back(read_all(f.path().string()));
    return out;
  }

  httplib::Client client() {
    httplib::Client c("127.0.0.1", port_);
    c.set_read_timeout(60, 0);
    return c;
  }
  static httplib::Headers bearer(const std::string& token) { return {{"Authorization", "Bearer " + token}}; }

  // A whole first sign-in: one-time password, a new password, a second factor set up and
  // confirmed. Returns the session token, ready.
  std::string first_sign_in(const std::string& username, const std::string& once, std::string* secret_hex = nullptr) {
    auto c = client();
    auto r = c.Post("/api/v1/sessions", Json{{"username", username}, {"password", once}}.dump(), "application/json");
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    if (!r) return "";
    const std::string token = Json::parse(r->body)["token"];
    EXPECT_EQ(Json::parse(r->body)["next"], "change-password");
    // Nothing else before the password is changed.
    auto early = c.Get("/api/v1/envois", bearer(token));
    EXPECT_EQ(early->status, 403);
    auto pw = c.Post("/api/v1/me/password", bearer(token),
                     Json{{"current", once}, {"new", username + "-long-secret-1"}}.dump(), "application/json");
    EXPECT_EQ(pw->status, 200) << pw->body;
    EXPECT_EQ(Json::parse(pw->body)["next"], "set-up-second-factor");
    auto start = c.Post("/api/v1/me/second-factor", bearer(token), "", "application/json");
    EXPECT_EQ(start->status, 201) << start->body;
    const std::string uri = Json::parse(start->body)["otpauth_uri"];
    EXPECT_NE(uri.find("otpauth://totp/"), std::string::npos);
    // The app's view of the secret is base32; the test reads the store's hex form back from
    // the base32 the server gave.
    const std::string b32 = Json::parse(start->body)["secret"];
    const std::string hex = hex_of_base32(b32);
    if (secret_hex) *secret_hex = hex;
    auto wrong = c.Post("/api/v1/me/second-factor/confirm", bearer(token), Json{{"code", "000000"}}.dump(), "application/json");
    if (mutua::server::totp_code(hex, now()) != "000000") {
      EXPECT_EQ(wrong->status, 401);
    }
    auto ok = c.Post("/api/v1/me/second-factor/confirm", bearer(token),
                     Json{{"code", mutua::server::totp_code(hex, now())}}.dump(), "application/json");
    EXPECT_EQ(ok->status, 200) << ok->body;
    EXPECT_EQ(Json::parse(ok->body)["next"], "ready");
    return token;
  }

  static int64_t now() {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  static std::string hex_of_base32(const std::string& b32) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    std::string out;
    uint64_t buffer = 0;
    int bits = 0;
    for (char ch : b32) {
      buffer = (buffer << 5) | alphabet.find(ch);
      bits += 5;
      if (bits >= 8) {
        bits -= 8;
        out += fmt::format("{:02x}", (buffer >> bits) & 0xFF);
      }
    }
    return out;
  }

  // An account made by the administrator, with these memberships; its first sign-in done. Fund
  // staff work for `fund`.
  std::string user_with(const std::string& admin, const std::string& username, const std::string& kind,
                        const std::vector<Json>& memberships, const std::string& fund = "300") {
    auto c = client();
    Json body = {{"username", username}, {"kind", kind}};
    if (kind == "staff") body["fund"] = fund;
    auto made = c.Post("/api/v1/users", bearer(admin), body.dump(), "application/json");
    EXPECT_EQ(made->status, 201) << made->body;
    const Json u = Json::parse(made->body);
    for (const auto& m : memberships) {
      auto r = c.Put(("/api/v1/users/" + std::to_string(u["id"].get<int64_t>()) + "/memberships").c_str(), bearer(admin),
                     m.dump(), "application/json");
      EXPECT_EQ(r->status, 200) << r->body;
    }
    return first_sign_in(username, u["one_time_password"]);
  }

  void two_funds_with_one_account();
  void lost_password_and_username();

  std::string dir_, accounts_db_, db_, other_db_, log_, admin_password_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// One deployment, two funds, one account: a provider bills each fund with the same credentials,
// each envoi lands in the fund it is addressed to and is numbered there; each fund's staff see
// their own fund's envois and audit entries only; the support administrator sees every entry.
void Served::two_funds_with_one_account() {
  const std::string admin = first_sign_in("admin", admin_password_);
  const std::string nurse = user_with(admin, "nurse", "provider", {{{"provider", kNurse}, {"role", "holder"}}});
  const std::string staff300 = user_with(admin, "staff.300", "staff", {{{"provider", "*"}, {"role", "staff"}}}, "300");
  const std::string staff500 = user_with(admin, "staff.500", "staff", {{{"provider", "*"}, {"role", "staff"}}}, "500");
  auto c = client();
  // Staff work for a fund this deployment serves.
  EXPECT_EQ(c.Post("/api/v1/users", bearer(admin), Json{{"username", "nowhere"}, {"kind", "staff"}}.dump(), "application/json")->status, 400);
  EXPECT_EQ(c.Post("/api/v1/users", bearer(admin), Json{{"username", "nowhere"}, {"kind", "staff"}, {"fund", "900"}}.dump(),
                   "application/json")->status, 400);
  auto funds = c.Get("/api/v1/funds");
  ASSERT_EQ(funds->status, 200);
  EXPECT_EQ(Json::parse(funds->body)["items"][0]["number"], "300");
  EXPECT_EQ(Json::parse(funds->body)["items"][1]["number"], "500");

  // Envoi 40 to union 300, then envoi 40 to union 500: each fund numbers its own envois.
  const std::string to300 = envoi_of(dir_, kNurse, 40, false, "300"), to500 = envoi_of(dir_, kNurse, 40, false, "500");
  auto wrong = c.Post("/api/v1/envois?name=a.efact&today=2026-11-23&fund=500", bearer(nurse), to300, "application/octet-stream");
  EXPECT_EQ(wrong->status, 422) << wrong->body;
  EXPECT_NE(wrong->body.find("?fund=300"), std::string::npos) << wrong->body;
  auto a = c.Post("/api/v1/envois?name=a.efact&today=2026-11-23", bearer(nurse), to300, "application/octet-stream");
  ASSERT_EQ(a->status, 201) << a->body;
  EXPECT_EQ(a->get_header_value("X-Mutua-Fund"), "300");
  auto b = c.Post("/api/v1/envois?name=b.efact&today=2026-11-23&fund=500", bearer(nurse), to500, "application/octet-stream");
  ASSERT_EQ(b->status, 201) << b->body;
  EXPECT_EQ(b->get_header_value("X-Mutua-Fund"), "500");
  EXPECT_EQ(c.Post("/api/v1/envois?fund=999", bearer(nurse), to500, "application/octet-stream")->status, 404);

  auto envois = [&](const std::string& token, const std::string& query) {
    auto r = c.Get(("/api/v1/envois" + query).c_str(), bearer(token));
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    std::vector<std::string> files;
    const Json items = Json::parse(r->body)["items"];
    for (const auto& e : items) files.push_back(e["file"]);
    return files;
  };
  EXPECT_EQ(envois(nurse, ""), std::vector<std::string>{"a.efact"});
  EXPECT_EQ(envois(nurse, "?fund=500"), std::vector<std::string>{"b.efact"});
  EXPECT_EQ(envois(staff300, ""), std::vector<std::string>{"a.efact"});
  EXPECT_EQ(envois(staff500, ""), std::vector<std::string>{"b.efact"});
  EXPECT_EQ(c.Get("/api/v1/envois?fund=500", bearer(staff300))->status, 403);
  EXPECT_EQ(c.Get("/api/v1/envois?fund=300", bearer(staff500))->status, 403);
  // The rejected line of each fund's envoi is read by that fund's staff.
  const std::string b_lines = "/api/v1/envois/" + std::to_string(Json::parse(b->body)["id"].get<int64_t>()) + "/lines";
  ASSERT_EQ(c.Get(b_lines.c_str(), bearer(staff500))->status, 200);

  // The audit log: each fund's staff see their fund's entries; the administrator every one.
  auto audit = [&](const std::string& token, const std::string& query) {
    auto r = c.Get(("/api/v1/audit?per_page=500" + query).c_str(), bearer(token));
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    std::set<std::string> seen;
    const Json items = Json::parse(r->body)["items"];
    for (const auto& e : items) seen.insert(e["fund"].get<std::string>());
    return seen;
  };
  EXPECT_EQ(audit(staff300, ""), std::set<std::string>{"300"});
  EXPECT_EQ(audit(staff500, ""), std::set<std::string>{"500"});
  EXPECT_EQ(c.Get("/api/v1/audit?fund=300", bearer(staff500))->status, 403);
  EXPECT_EQ(audit(admin, ""), (std::set<std::string>{"", "300", "500"}));
  EXPECT_EQ(audit(admin, "&fund=500"), std::set<std::string>{"500"});}

TEST_F(Served, ProvidersSeeTheirOwnEnvoisWithRejectedLinesAndEveryReadIsAudited) {
  const std::string admin = first_sign_in("admin", admin_password_);
  const std::string nurse = user_with(admin, "nurse", "provider", {{{"provider", kNurse}, {"role", "holder"}}});
  const std::string other = user_with(admin, "other.nurse", "provider", {{{"provider", kOtherNurse}, {"role", "holder"}}});
  const std::string clerk =
      user_with(admin, "clerk", "provider", {{{"provider", kNurse}, {"role", "collaborator"}, {"modules", {"submissions"}}}});
  const std::string staff = user_with(admin, "staff", "staff", {{{"provider", "*"}, {"role", "staff"}}});
  auto c = client();

  // The nurse submits its envoi; another provider's file is refused before anything is recorded.
  auto sent = c.Post("/api/v1/envois?name=october.efact&today=2026-11-23", bearer(nurse), envoi_of(dir_, kNurse, 31),
                     "application/octet-stream");
  ASSERT_EQ(sent->status, 201) << sent->body;
  const Json judged = Json::parse(sent->body);
  const int64_t id = judged["id"];
  EXPECT_EQ(judged["provider"], kNurse);
  EXPECT_EQ(judged["rejected_lines"], 1);
  auto foreign = c.Post("/api/v1/envois?name=x.efact&today=2026-11-23", bearer(nurse), envoi_of(dir_, kOtherNurse, 7),
                        "application/octet-stream");
  EXPECT_EQ(foreign->status, 403) << foreign->body;
  auto unreadable = c.Post("/api/v1/envois?name=junk.efact", bearer(nurse), "920000 not a billing file", "application/octet-stream");
  EXPECT_EQ(unreadable->status, 422) << unreadable->body;
  EXPECT_EQ(Json::parse(unreadable->body)["error"]["file"], "junk.efact");

  // Its rejected line: code, labels, comment, hint, and the patient's insurability.
  auto lines = c.Get(("/api/v1/envois/" + std::to_string(id) + "/lines?status=rejected").c_str(), bearer(nurse));
  ASSERT_EQ(lines->status, 200) << lines->body;
  const Json page = Json::parse(lines->body);
  ASSERT_EQ(page["total"], 1);
  const Json& line = page["items"][0];
  const std::string patient = line["niss"];
  ASSERT_FALSE(line["codes"].empty());
  EXPECT_FALSE(line["codes"][0]["label_fr"].get<std::string>().empty());
  EXPECT_TRUE(line["codes"][0].contains("hint"));
  EXPECT_TRUE(line["insurability"].contains("insured"));
  const std::string message = judged["message"];  // 920099: one line of three is over the 5 %
  EXPECT_EQ(message, "920099");
  auto efact = c.Get(("/api/v1/envois/" + std::to_string(id) + "/responses/" + message + "?format=efact").c_str(), bearer(nurse));
  ASSERT_EQ(efact->status, 200);
  EXPECT_EQ(efact->body.substr(0, 6), message);
  auto why = c.Get(("/api/v1/envois/" + std::to_string(id) + "/records/" + std::to_string(line["record"].get<int>()) +
                    "/explanation").c_str(), bearer(nurse));
  ASSERT_EQ(why->status, 200) << why->body;
  EXPECT_EQ(Json::parse(why->body)["codes"][0]["code"], line["codes"][0]["code"]);

  // Nobody else's: the other provider does not even learn that it exists.
  for (const std::string path : {"", "/lines", "/responses/920099", "/records/3/explanation"}) {
    auto r = c.Get(("/api/v1/envois/" + std::to_string(id) + path).c_str(), bearer(other));
    EXPECT_EQ(r->status, 404) << path << " " << r->body;
  }
  auto others = c.Get("/api/v1/envois", bearer(other));
  ASSERT_EQ(others->status, 200);
  EXPECT_EQ(Json::parse(others->body)["total"], 0);
  // A collaborator sees the envoi (submissions) but not its lines (no settlements module).
  EXPECT_EQ(c.Get(("/api/v1/envois/" + std::to_string(id)).c_str(), bearer(clerk))->status, 200);
  EXPECT_EQ(c.Get(("/api/v1/envois/" + std::to_string(id) + "/lines").c_str(), bearer(clerk))->status, 404);
  // Fund staff see it; the support administrator manages accounts, not patients' data.
  EXPECT_EQ(c.Get(("/api/v1/envois/" + std::to_string(id) + "/lines").c_str(), bearer(staff))->status, 200);
  EXPECT_EQ(c.Get("/api/v1/envois", bearer(admin))->status, 403);

  // The whole list as CSV and as .xlsx.
  auto csv = c.Get("/api/v1/envois?format=csv", bearer(nurse));
  ASSERT_EQ(csv->status, 200);
  EXPECT_EQ(csv->body.substr(0, 3), "id,");
  EXPECT_NE(csv->body.find(kNurse), std::string::npos);
  auto xlsx = c.Get("/api/v1/envois?format=xlsx", bearer(nurse));
  ASSERT_EQ(xlsx->status, 200);
  EXPECT_EQ(xlsx->body.substr(0, 2), "PK");

  // Every read of the patient's data is in the audit log, which staff search and providers may not.
  EXPECT_EQ(c.Get("/api/v1/audit", bearer(nurse))->status, 403);
  auto audit = c.Get(("/api/v1/audit?niss=" + patient).c_str(), bearer(staff));
  ASSERT_EQ(audit->status, 200) << audit->body;
  const Json entries = Json::parse(audit->body);
  std::set<std::string> readers;
  for (const auto& e : entries["items"]) readers.insert(e["user"].get<std::string>());
  EXPECT_EQ(readers, (std::set<std::string>{"nurse", "staff"}));
  EXPECT_GE(entries["total"].get<int>(), 3);  // lines, explanation, lines again by staff
}

TEST_F(Served, PaymentsAndInsurabilityForTheirOwnProvider) {
  const std::string admin = first_sign_in("admin", admin_password_);
  const std::string nurse = user_with(admin, "nurse", "provider", {{{"provider", kNurse}, {"role", "holder"}}});
  const std::string other = user_with(admin, "other.nurse", "provider", {{{"provider", kOtherNurse}, {"role", "holder"}}});
  auto c = client();
  auto sent = c.Post("/api/v1/envois?name=october.efact&today=2026-11-23", bearer(nurse),
                     envoi_of(dir_, kNurse, 32, /*accepted_only=*/true), "application/octet-stream");
  ASSERT_EQ(sent->status, 201) << sent->body;
  ASSERT_EQ(Json::parse(sent->body)["message"], "920900") << sent->body;
  // The fund's payment run, by its operator, on the same store while the server runs.
  auto run = run_mutua("settle --date 2026-11-30 --budget 100000 --db " + db_ + " --config " + std::string(MUTUA_SOURCE_DIR) +
                       "/data/sample/mutua-payments.json --out " + dir_ + "/run");
  ASSERT_EQ(run.code, 0) << run.out;

  auto month = c.Get("/api/v1/payments?billed_month=2026-10", bearer(nurse));
  ASSERT_EQ(month->status, 200) << month->body;
  const Json paid = Json::parse(month->body);
  ASSERT_GE(paid["total"].get<int>(), 1);
  const std::string reference = paid["items"][0]["reference"];
  EXPECT_TRUE(std::regex_match(reference, std::regex(R"(2026/2/\d{7})"))) << reference;
  EXPECT_TRUE(paid["items"][0]["paid"].get<bool>());
  auto by_ref = c.Get(("/api/v1/payments?reference=" + reference).c_str(), bearer(nurse));
  ASSERT_EQ(by_ref->status, 200);
  EXPECT_EQ(Json::parse(by_ref->body)["total"], 1);
  auto by_line = c.Get("/api/v1/payments?niss=85073003328&code=425014&date=2026-10-01", bearer(nurse));
  ASSERT_EQ(by_line->status, 200) << by_line->body;
  ASSERT_EQ(Json::parse(by_line->body)["total"], 1);
  EXPECT_EQ(Json::parse(by_line->body)["items"][0]["reference"], reference);
  // Another provider finds nothing of it, even by its reference.
  EXPECT_EQ(Json::parse(c.Get(("/api/v1/payments?reference=" + reference).c_str(), bearer(other))->body)["total"], 0);
  EXPECT_EQ(c.Get(("/api/v1/payments?billed_month=2026-10&provider=" + kNurse).c_str(), bearer(other))->status, 403);
  EXPECT_EQ(c.Get("/api/v1/payments?reference=2026-2-1", bearer(nurse))->status, 400);

  // Insurability for its own patients: a commitment number when insured; not for another's provider.
  auto one = c.Post("/api/v1/insurability", bearer(nurse), Json{{"niss", "85073003328"}, {"date", "2026-10-01"}}.dump(),
                    "application/json");
  ASSERT_EQ(one->status, 200) << one->body;
  EXPECT_EQ(Json::parse(one->body)["answer"], "V");
  EXPECT_FALSE(Json::parse(one->body)["commitment"].get<std::string>().empty());
  auto foreign = c.Post("/api/v1/insurability", bearer(other),
                        Json{{"niss", "85073003328"}, {"date", "2026-10-01"}, {"provider", kNurse}}.dump(), "application/json");
  EXPECT_EQ(foreign->status, 403);
  auto mass = c.Post("/api/v1/insurability/mass", bearer(nurse), "niss,date\n85073003328,2026-10-01\n99999999999,2026-10-01\n",
                     "text/csv");
  ASSERT_EQ(mass->status, 200) << mass->body;
  EXPECT_NE(mass->body.find("85073003328"), std::string::npos);
  // A NISS whose check digits are wrong is answered with its problem, not consulted.
  EXPECT_EQ(mass->get_header_value("X-Rows-Answered"), "1");
  EXPECT_EQ(mass->get_header_value("X-Rows-Refused"), "1");
  EXPECT_NE(mass->body.find("99999999999"), std::string::npos);
}

// What a provider follows beyond its envois: the advisor's agreements it asked for (decided by
// fund staff, the waiting lines settled), its payment letters as JSON and PDF, its patients on
// a care pathway and what was paid for them, a medical house's enrolled patients; sorted lists.
TEST_F(Served, AgreementsLettersCarePathwaysAndMedicalHouses) {
  // The fund knows a current diabetes pathway of one patient, a closed one of another, and a
  // medical-house contract (doctor and physiotherapist only: the nurse still bills).
  const std::string ref = dir_ + "/refdata";
  fs::copy(kBase, ref);
  {
    std::ofstream(ref + "/care_pathways.csv", std::ios::app) << "85073003328,diabetes,2026-01-01,\n"
                                                               << "45050500153,renal,2025-01-01,2025-12-31\n";
    std::ofstream(ref + "/medical_houses.csv", std::ios::app) << "85073003328," << kOtherNurse << ",2026-01-01,,MK\n";
    // The fund's descriptions of one code, in French and Dutch (two more columns).
    std::ifstream in(ref + "/nomenclature.csv");
    std::string text, line;
    for (size_t n = 0; std::getline(in, line); ++n) {
      size_t fields = static_cast<size_t>(std::count(line.begin(), line.end(), ',')) + 1;
      for (; n > 0 && fields < 28; ++fields) line += ',';  // rows as wide as the header
      text += line + (n == 0 ? ",label_fr,label_nl" : line.rfind("425014,", 0) == 0 ? ",Soins de base,Basiszorg" : ",,") + "\n";
    }
    in.close();
    std::ofstream(ref + "/nomenclature.csv") << text;
  }
  ASSERT_EQ(run_mutua("refdata import " + ref + " --db " + db_).code, 0);
  const std::string admin = first_sign_in("admin", admin_password_);
  const std::string nurse = user_with(admin, "nurse", "provider", {{{"provider", kNurse}, {"role", "holder"}}});
  const std::string other = user_with(admin, "other.nurse", "provider", {{{"provider", kOtherNurse}, {"role", "holder"}}});
  const std::string staff = user_with(admin, "staff", "staff", {{{"provider", "*"}, {"role", "staff"}}});
  auto c = client();
  auto sent = c.Post("/api/v1/envois?name=october.efact&today=2026-11-23", bearer(nurse),
                     envoi_of(dir_, kNurse, 33, /*accepted_only=*/true), "application/octet-stream");
  ASSERT_EQ(sent->status, 201) << sent->body;
  ASSERT_EQ(Json::parse(sent->body)["message"], "920900") << sent->body;
  auto run = run_mutua("settle --date 2026-11-30 --budget 100000 --db " + db_ + " --config " + std::string(MUTUA_SOURCE_DIR) +
                       "/data/sample/mutua-payments.json --out " + dir_ + "/run");
  ASSERT_EQ(run.code, 0) << run.out;

  // Agreements: asked by the nurse, decided by staff only, once.
  auto asked = c.Post("/api/v1/agreements", bearer(nurse),
                      Json{{"niss", "85073003328"}, {"code", "425014"}, {"motivation", "wound care"}}.dump(), "application/json");
  ASSERT_EQ(asked->status, 201) << asked->body;
  const Json request = Json::parse(asked->body);
  EXPECT_EQ(request["requested_by"], kNurse);
  EXPECT_EQ(request["decision"], "");
  const std::string agreement = "/api/v1/agreements/" + std::to_string(request["id"].get<int64_t>());
  EXPECT_EQ(c.Post("/api/v1/agreements", bearer(nurse), Json{{"niss", "85073003328"}, {"code", "425015"}}.dump(),
                   "application/json")->status, 400);  // not a nomenclature code (check digit)
  EXPECT_EQ(c.Get(agreement.c_str(), bearer(other))->status, 404);
  EXPECT_EQ(c.Post((agreement + "/decisions").c_str(), bearer(nurse), Json{{"decision", "A"}}.dump(), "application/json")->status, 403);
  auto decided = c.Post((agreement + "/decisions").c_str(), bearer(staff),
                        Json{{"decision", "A"}, {"from", "2026-10-01"}, {"to", "2026-12-31"}, {"note", "ok"}}.dump(), "application/json");
  ASSERT_EQ(decided->status, 200) << decided->body;
  EXPECT_EQ(Json::parse(decided->body)["decision"], "A");
  EXPECT_EQ(Json::parse(decided->body)["events"].size(), 2u);
  EXPECT_EQ(c.Post((agreement + "/decisions").c_str(), bearer(staff), Json{{"decision", "N"}}.dump(), "application/json")->status, 409);
  auto listed = c.Get("/api/v1/agreements?decision=A", bearer(nurse));
  ASSERT_EQ(listed->status, 200) << listed->body;
  EXPECT_EQ(Json::parse(listed->body)["total"], 1);
  // The code's description: the fund's in French and Dutch, mutua's English paraphrase.
  const Json listed_one = Json::parse(listed->body)["items"][0];
  EXPECT_EQ(listed_one["code_label_fr"], "Soins de base");
  EXPECT_EQ(listed_one["code_label_nl"], "Basiszorg");
  EXPECT_EQ(listed_one["code_label_en"], "Basic nursing service 1st visit of care day (weekday home) [I]");
  EXPECT_EQ(Json::parse(c.Get(agreement.c_str(), bearer(nurse))->body)["code_label_nl"], "Basiszorg");
  EXPECT_EQ(Json::parse(c.Get("/api/v1/agreements", bearer(other))->body)["total"], 0);

  // The payment letter: listed, then as JSON (its lines) and as the PDF the provider receives.
  auto letters = c.Get(("/api/v1/letters?provider=" + kNurse).c_str(), bearer(nurse));
  ASSERT_EQ(letters->status, 200) << letters->body;
  ASSERT_EQ(Json::parse(letters->body)["total"], 1);
  const Json summary = Json::parse(letters->body)["items"][0];
  const std::string letter = "/api/v1/letters/" + std::to_string(summary["id"].get<int64_t>());
  auto as_json = c.Get(letter.c_str(), bearer(nurse));
  ASSERT_EQ(as_json->status, 200) << as_json->body;
  const Json l = Json::parse(as_json->body);
  EXPECT_EQ(l["reference"], summary["reference"]);
  EXPECT_EQ(l["lines"].size(), 2u);
  EXPECT_EQ(l["accepted_cents"], 2500);
  EXPECT_EQ(l["paid_cents"], 2500);
  auto pdf = c.Get((letter + "?format=pdf").c_str(), bearer(nurse));
  ASSERT_EQ(pdf->status, 200);
  EXPECT_EQ(pdf->body.substr(0, 5), "%PDF-");
  EXPECT_EQ(c.Get(letter.c_str(), bearer(other))->status, 404);
  auto csv = c.Get((letter + "?format=csv").c_str(), bearer(staff));
  ASSERT_EQ(csv->status, 200);
  EXPECT_NE(csv->body.find("45050500153"), std::string::npos);

  // Care pathways: the nurse's patients on a current pathway, closed ones on demand; one
  // patient's by NISS; the year's payments for them, with who performed each line.
  auto current = c.Get("/api/v1/care-pathways", bearer(nurse));
  ASSERT_EQ(current->status, 200) << current->body;
  ASSERT_EQ(Json::parse(current->body)["total"], 1) << current->body;
  EXPECT_EQ(Json::parse(current->body)["items"][0]["niss"], "85073003328");
  EXPECT_EQ(Json::parse(current->body)["items"][0]["last_billed"], "2026-10-01");
  EXPECT_EQ(Json::parse(c.Get("/api/v1/care-pathways?closed=true", bearer(nurse))->body)["total"], 2);
  auto one = c.Get("/api/v1/care-pathways?niss=45050500153&closed=true", bearer(nurse));
  ASSERT_EQ(one->status, 200);
  EXPECT_EQ(Json::parse(one->body)["items"][0]["type"], "renal");
  auto paid = c.Get("/api/v1/care-pathways/payments?year=2026", bearer(nurse));
  ASSERT_EQ(paid->status, 200) << paid->body;
  ASSERT_EQ(Json::parse(paid->body)["total"], 1) << paid->body;
  const Json line = Json::parse(paid->body)["items"][0];
  EXPECT_EQ(line["type"], "diabetes");
  EXPECT_EQ(line["performed_by"], kNurse);
  EXPECT_EQ(line["payment_reference"], summary["reference"]);
  EXPECT_EQ(Json::parse(c.Get("/api/v1/care-pathways/payments?year=2025", bearer(nurse))->body)["total"], 0);
  EXPECT_EQ(c.Get(("/api/v1/care-pathways?provider=" + kNurse).c_str(), bearer(other))->status, 403);
  EXPECT_EQ(c.Get("/api/v1/care-pathways/payments?year=26", bearer(nurse))->status, 400);

  // A medical house's enrolled patients, for its own people only.
  auto enrolled = c.Get("/api/v1/medical-house-contracts", bearer(other));
  ASSERT_EQ(enrolled->status, 200) << enrolled->body;
  ASSERT_EQ(Json::parse(enrolled->body)["total"], 1);
  EXPECT_EQ(Json::parse(enrolled->body)["items"][0]["disciplines"], "MK");
  EXPECT_EQ(c.Get(("/api/v1/medical-house-contracts?provider=" + kOtherNurse).c_str(), bearer(nurse))->status, 403);
  EXPECT_EQ(Json::parse(c.Get("/api/v1/medical-house-contracts?niss=85073003328", bearer(nurse))->body)["total"], 1);

  // Lists sort on the server, by any of their columns.
  auto sorted = c.Get("/api/v1/care-pathways?closed=true&sort=-niss", bearer(nurse));
  ASSERT_EQ(sorted->status, 200);
  EXPECT_EQ(Json::parse(sorted->body)["items"][0]["niss"], "85073003328");
  sorted = c.Get("/api/v1/care-pathways?closed=true&sort=niss", bearer(nurse));
  EXPECT_EQ(Json::parse(sorted->body)["items"][0]["niss"], "45050500153");
  EXPECT_EQ(c.Get("/api/v1/care-pathways?closed=true&sort=password", bearer(nurse))->status, 400);

  // Every patient those answers named is in the audit log, with the provider.
  auto audit = c.Get(("/api/v1/audit?niss=45050500153&provider=" + kNurse).c_str(), bearer(staff));
  ASSERT_EQ(audit->status, 200) << audit->body;
  std::set<std::string> resources;
  const Json entries = Json::parse(audit->body)["items"];
  for (const auto& e : entries) resources.insert(e["resource"].get<std::string>());
  EXPECT_TRUE(resources.count(letter.substr(8))) << audit->body;
  EXPECT_TRUE(resources.count("care-pathways")) << audit->body;
}

// The envelope on a rejected line: the nurse asks about it with a scan attached, checked by its
// content; staff answer; the nurse gets a copy of its question and a notice of the answer in the
// outbox (without the patient's data); a closed request takes no more; no one else sees it.
TEST_F(Served, AnInformationRequestOnALineWithAttachments) {
  const std::string admin = first_sign_in("admin", admin_password_);
  const std::string nurse = user_with(admin, "nurse", "provider", {{{"provider", kNurse}, {"role", "holder"}}});
  const std::string other = user_with(admin, "other.nurse", "provider", {{{"provider", kOtherNurse}, {"role", "holder"}}});
  const std::string staff = user_with(admin, "staff", "staff", {{{"provider", "*"}, {"role", "staff"}}});
  auto c = client();
  ASSERT_EQ(c.Patch("/api/v1/me", bearer(nurse), Json{{"email", "nurse@example.be"}}.dump(), "application/json")->status, 200);
  auto sent = c.Post("/api/v1/envois?name=october.efact&today=2026-11-23", bearer(nurse), envoi_of(dir_, kNurse, 34),
                     "application/octet-stream");
  ASSERT_EQ(sent->status, 201) << sent->body;
  const std::string envoi = std::to_string(Json::parse(sent->body)["id"].get<int64_t>());
  const Json rejected = Json::parse(c.Get(("/api/v1/envois/" + envoi + "/lines?status=rejected").c_str(), bearer(nurse))->body);
  ASSERT_GE(rejected["total"].get<int>(), 1) << rejected.dump();
  const std::string record = std::to_string(rejected["items"][0]["record"].get<uint64_t>());

  const std::string pdf = std::string("%PDF-1.4\n") + std::string("\0\x01\x02binary", 9) + "\n%%EOF\n";
  httplib::MultipartFormDataItems form = {
      {"subject", "Why refused?", "", ""},
      {"text", "The patient was insured on that day: see the card.", "", ""},
      {"envoi", envoi, "", ""},
      {"record", record, "", ""},
      {"attachment", pdf, "card.pdf", "application/pdf"},
  };
  auto asked = c.Post("/api/v1/requests", bearer(nurse), form);
  ASSERT_EQ(asked->status, 201) << asked->body;
  const Json request = Json::parse(asked->body);
  EXPECT_EQ(request["provider"], kNurse);
  EXPECT_EQ(request["niss"], "60010112347");
  EXPECT_EQ(request["state"], "open");
  ASSERT_EQ(request["messages"][0]["attachments"].size(), 1u);
  const std::string href = request["messages"][0]["attachments"][0]["href"];
  const std::string path = "/api/v1/requests/" + std::to_string(request["id"].get<int64_t>());

  // A file whose content is not what its name says, or of a kind not taken, is refused.
  httplib::MultipartFormDataItems fake = {{"subject", "x", "", ""}, {"text", "x", "", ""},
                                          {"attachment", "MZ\x90\x00 not a pdf", "card.pdf", "application/pdf"}};
  EXPECT_EQ(c.Post("/api/v1/requests", bearer(nurse), fake)->status, 415);
  fake[2] = {"attachment", "#!/bin/sh\n", "run.sh", "text/plain"};
  EXPECT_EQ(c.Post("/api/v1/requests", bearer(nurse), fake)->status, 415);

  // The attachment comes back byte for byte, to those who may see the request only.
  auto file = c.Get(href.c_str(), bearer(staff));
  ASSERT_EQ(file->status, 200);
  EXPECT_EQ(file->body, pdf);
  EXPECT_EQ(file->get_header_value("Content-Type"), "application/pdf");
  EXPECT_EQ(c.Get(href.c_str(), bearer(other))->status, 404);
  EXPECT_EQ(c.Get(path.c_str(), bearer(other))->status, 404);
  EXPECT_EQ(Json::parse(c.Get("/api/v1/requests", bearer(other))->body)["total"], 0);

  // Staff answer; the nurse closes it; nothing more is taken.
  auto answered = c.Post((path + "/messages").c_str(), bearer(staff), Json{{"text", "Corrected on our side."}}.dump(), "application/json");
  ASSERT_EQ(answered->status, 201) << answered->body;
  EXPECT_EQ(Json::parse(answered->body)["state"], "answered");
  EXPECT_TRUE(Json::parse(answered->body)["messages"][1]["from_fund"].get<bool>());
  auto listed = c.Get("/api/v1/requests?state=answered", bearer(nurse));
  ASSERT_EQ(listed->status, 200);
  EXPECT_EQ(Json::parse(listed->body)["total"], 1);
  auto closed = c.Post((path + "/messages").c_str(), bearer(nurse), Json{{"text", "Thanks."}, {"close", true}}.dump(), "application/json");
  ASSERT_EQ(closed->status, 201) << closed->body;
  EXPECT_EQ(Json::parse(closed->body)["state"], "closed");
  EXPECT_EQ(c.Post((path + "/messages").c_str(), bearer(staff), Json{{"text", "More"}}.dump(), "application/json")->status, 409);

  // The outbox: a copy of each of the nurse's messages and a notice of the answer, to its
  // address, naming the request but not the patient.
  std::vector<std::string> mails;
  for (const auto& f : fs::directory_iterator(dir_ + "/outbox")) mails.push_back(read_all(f.path().string()));
  ASSERT_EQ(mails.size(), 3u);
  int copies = 0, notices = 0;
  for (const auto& m : mails) {
    EXPECT_NE(m.find("To: nurse@example.be\r\n"), std::string::npos) << m;
    EXPECT_EQ(m.find("60010112347"), std::string::npos) << m;
    copies += m.find("Subject: mutua: copy of your message") != std::string::npos;
    notices += m.find("Subject: mutua: the fund answered request") != std::string::npos;
  }
  EXPECT_EQ(copies, 2);
  EXPECT_EQ(notices, 1);
  // Reading the request and its attachment is audited with the patient.
  auto audit = c.Get("/api/v1/audit?niss=60010112347", bearer(staff));
  EXPECT_NE(audit->body.find(href.substr(8)), std::string::npos) << audit->body;
}

// A lost password: a link by mail (the outbox), used once, within its time; the old password
// stops working, the new one signs in and the second factor is still asked. A lost username:
// the address's accounts by mail. Neither answer says whether an account exists.
void Served::lost_password_and_username() {
  const std::string admin = first_sign_in("admin", admin_password_);
  const std::string nurse = user_with(admin, "nurse", "provider", {{{"provider", kNurse}, {"role", "holder"}}});
  auto c = client();
  ASSERT_EQ(c.Patch("/api/v1/me", bearer(nurse), Json{{"email", "Nurse@Example.be"}}.dump(), "application/json")->status, 200);
  auto unknown = c.Post("/api/v1/password-resets", Json{{"username", "nobody"}}.dump(), "application/json");
  auto known = c.Post("/api/v1/password-resets", Json{{"username", "nurse"}}.dump(), "application/json");
  ASSERT_EQ(unknown->status, 202);
  ASSERT_EQ(known->status, 202);
  EXPECT_EQ(unknown->body, known->body);
  ASSERT_EQ(mails().size(), 1u);
  const std::string mail = mails()[0];
  EXPECT_NE(mail.find("To: Nurse@Example.be"), std::string::npos) << mail;
  std::smatch m;
  ASSERT_TRUE(std::regex_search(mail, m, std::regex("token=([0-9a-f]{64})"))) << mail;
  const std::string link = "/api/v1/password-resets/" + m[1].str();
  // Asked again at once: no second mail.
  ASSERT_EQ(c.Post("/api/v1/password-resets", Json{{"username", "nurse"}}.dump(), "application/json")->status, 202);
  EXPECT_EQ(mails().size(), 1u);

  EXPECT_EQ(c.Post(link.c_str(), Json{{"new", "short"}}.dump(), "application/json")->status, 400);  // does not use it up
  auto done = c.Post(link.c_str(), Json{{"new", "a-brand-new-long-secret"}}.dump(), "application/json");
  ASSERT_EQ(done->status, 200) << done->body;
  EXPECT_EQ(c.Post(link.c_str(), Json{{"new", "yet-another-long-secret"}}.dump(), "application/json")->status, 410);
  // The sessions of the account ended; the old password is refused; the new one asks the second factor.
  EXPECT_EQ(c.Get("/api/v1/me", bearer(nurse))->status, 401);
  EXPECT_EQ(c.Post("/api/v1/sessions", Json{{"username", "nurse"}, {"password", "nurse-long-secret-1"}}.dump(),
                   "application/json")->status, 401);
  auto signed_in = c.Post("/api/v1/sessions", Json{{"username", "nurse"}, {"password", "a-brand-new-long-secret"}}.dump(),
                          "application/json");
  ASSERT_EQ(signed_in->status, 201) << signed_in->body;
  EXPECT_EQ(Json::parse(signed_in->body)["next"], "second-factor");

  auto reminded = c.Post("/api/v1/username-reminders", Json{{"email", "nurse@example.be"}}.dump(), "application/json");
  ASSERT_EQ(reminded->status, 202);
  EXPECT_EQ(c.Post("/api/v1/username-reminders", Json{{"email", "no@where.be"}}.dump(), "application/json")->body, reminded->body);
  auto all = mails();
  ASSERT_EQ(all.size(), 2u);
  bool found = false;
  for (const auto& x : all) found |= x.find("Subject: mutua: your username") != std::string::npos && x.find("  nurse\n") != std::string::npos;
  EXPECT_TRUE(found);
}

TEST_F(Served, ALostPasswordAndAForgottenUsernameByMail) { lost_password_and_username(); }

// The same with the mails sent by SMTP (`--smtp`) to a real SMTP server (Debian's aiosmtpd,
// keeping what it receives in a Maildir): they arrive there, none is left in the outbox.
// The provider's book through the API (`mutua serve --books`): its own people import
// attestations, read them (audited per patient), reconcile a bank statement and finalise what it
// did not match; another provider's people, a collaborator without the billing module and fund
// staff are refused.
class ServedWithBooks : public Served {
 protected:
  std::vector<std::string> more_serve_args() override { return {"--books", dir_ + "/books"}; }
};

TEST_F(ServedWithBooks, TheProvidersBookIsItsOwnPeoplesAlone) {
  const std::string admin = first_sign_in("admin", admin_password_);
  const std::string nurse = user_with(admin, "nurse", "provider", {{{"provider", kNurse}, {"role", "holder"}}});
  const std::string other = user_with(admin, "other", "provider", {{{"provider", kOtherNurse}, {"role", "holder"}}});
  const std::string staff = user_with(admin, "staff", "staff", {{{"provider", "*"}, {"role", "staff"}}});
  const std::string clerk = user_with(admin, "clerk", "provider",
                                      {{{"provider", kNurse}, {"role", "collaborator"}, {"modules", {"submissions"}}}});
  const std::string biller = user_with(admin, "biller", "provider",
                                       {{{"provider", kNurse}, {"role", "collaborator"}, {"modules", {"billing"}}}});
  auto c = client();
  const std::string book = "/api/v1/providers/" + kNurse + "/book";
  const Json attestations = {{"attestations",
                              {{{"attestation", "A-1"}, {"niss", "85073003328"}, {"affiliation", "319"}, {"destination", "319"},
                                {"lines", {{{"code", "425014"}, {"date", "2026-10-05"}, {"amount_cents", 4210}}}}},
                               {{"attestation", "A-2"}, {"niss", "8507300332"}, {"affiliation", "319"}, {"destination", "319"},
                                {"lines", {{{"code", "425014"}, {"date", "2026-10-05"}, {"amount_cents", 4210}}}}}}}};
  auto added = c.Post((book + "/attestations").c_str(), bearer(nurse), attestations.dump(), "application/json");
  ASSERT_EQ(added->status, 422) << added->body;  // one could not be read: said, the other taken
  EXPECT_EQ(Json::parse(added->body)["imported"], 1);
  EXPECT_EQ(Json::parse(added->body)["problems"][0]["record"], 2);
  EXPECT_EQ(Json::parse(added->body)["problems"][0]["zone"], "niss");

  auto list = c.Get((book + "/attestations").c_str(), bearer(biller));
  ASSERT_EQ(list->status, 200) << list->body;
  ASSERT_EQ(Json::parse(list->body)["items"].size(), 1u);
  EXPECT_EQ(Json::parse(list->body)["items"][0]["state"], "waiting");
  EXPECT_EQ(Json::parse(list->body)["items"][0]["niss"], "85073003328");
  auto csv = c.Get((book + "/attestations?format=csv").c_str(), bearer(nurse));
  ASSERT_EQ(csv->status, 200);
  EXPECT_NE(csv->body.find("A-1"), std::string::npos) << csv->body;
  // Nobody else reads it: another provider, a collaborator without the module, fund staff.
  EXPECT_EQ(c.Get((book + "/attestations").c_str(), bearer(other))->status, 403);
  EXPECT_EQ(c.Get((book + "/attestations").c_str(), bearer(clerk))->status, 403);
  EXPECT_EQ(c.Get((book + "/attestations").c_str(), bearer(staff))->status, 403);
  EXPECT_EQ(c.Get((book + "/envois").c_str(), bearer(admin))->status, 403);
  EXPECT_EQ(c.Get(("/api/v1/providers/" + kOtherNurse + "/book/envois").c_str(), bearer(other))->status, 200);
  // Each read of the attestations is audited with its patient.
  auto audit = c.Get("/api/v1/audit?per_page=500&action=read", bearer(admin));
  ASSERT_EQ(audit->status, 200);
  int reads = 0;
  const Json entries = Json::parse(audit->body)["items"];
  for (const auto& e : entries)
    if (e["resource"] == "book attestations" && e["niss"] == "85073003328" && e["provider"] == kNurse && e["status"] == 200) ++reads;
  EXPECT_EQ(reads, 2) << audit->body.substr(0, 3000);

  // Marking what is not to correct is refused; the lists are there, empty.
  EXPECT_EQ(c.Post((book + "/attestations/mark").c_str(), bearer(nurse),
                   Json{{"references", {"A-1"}}, {"state", "archived"}}.dump(), "application/json")->status, 400);
  EXPECT_EQ(Json::parse(c.Get((book + "/envois").c_str(), bearer(nurse))->body)["total"], 0);
  EXPECT_EQ(Json::parse(c.Get((book + "/to-correct").c_str(), bearer(nurse))->body)["total"], 0);

  // A bank statement: a fund's payment for an envoi the book never sent, unmatched, then
  // finalised by hand.
  const std::string statement = "Date;Montant;Communication\n13/11/2026;42,10;2026/2/0000007 ENVOI 009 10/2026 COMPTE A\n";
  auto rec = c.Post((book + "/statements?name=export.csv").c_str(), bearer(biller), statement, "text/plain");
  ASSERT_EQ(rec->status, 200) << rec->body;
  EXPECT_EQ(Json::parse(rec->body)["unmatched"], 1);
  EXPECT_EQ(Json::parse(rec->body)["problems"][0]["code"], "Z00235");
  auto unmatched = c.Get((book + "/payments?state=unmatched").c_str(), bearer(nurse));
  ASSERT_EQ(unmatched->status, 200);
  const Json line = Json::parse(unmatched->body)["items"].at(0);
  EXPECT_EQ(line["cents"], 4210);
  EXPECT_EQ(line["payment_reference"], "2026/2/0000007");
  const std::string fin = book + "/payments/" + std::to_string(line["id"].get<int64_t>()) + "/finalise";
  EXPECT_EQ(c.Post(fin.c_str(), bearer(other), Json{{"not_billing", true}}.dump(), "application/json")->status, 403);
  auto done = c.Post(fin.c_str(), bearer(nurse), Json{{"not_billing", true}, {"note", "another practice's"}}.dump(), "application/json");
  ASSERT_EQ(done->status, 200) << done->body;
  EXPECT_EQ(Json::parse(done->body)["state"], "not billing");
  EXPECT_EQ(Json::parse(c.Get((book + "/payments?state=unmatched").c_str(), bearer(nurse))->body)["total"], 0);
}

class ServedWithSmtp : public Served {
 protected:
  void SetUp() override {
    maildir_ = mutua::testing::temp_path("smtp-" + std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(maildir_);
    smtp_port_ = mutua::testing::free_port();
    smtp_pid_ = fork();
    if (smtp_pid_ == 0) {
      execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", ("127.0.0.1:" + std::to_string(smtp_port_)).c_str(),
            "-c", "aiosmtpd.handlers.Mailbox", maildir_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    ASSERT_TRUE(mutua::testing::wait_for_port(smtp_port_, 10)) << "aiosmtpd did not start";
    Served::SetUp();
  }
  void TearDown() override {
    Served::TearDown();
    if (smtp_pid_ > 0) {
      kill(smtp_pid_, SIGTERM);
      mutua::testing::wait_exit(smtp_pid_);
    }
    // Delivered to the SMTP server, so nothing kept in the outbox.
    if (smtp_pid_ > 0) EXPECT_FALSE(fs::exists(dir_ + "/outbox") && !fs::is_empty(dir_ + "/outbox"));
  }
  std::vector<std::string> more_serve_args() override { return {"--smtp", "smtp://127.0.0.1:" + std::to_string(smtp_port_)}; }
  std::vector<std::string> mails() override {
    std::vector<std::string> out;
    for (const char* sub : {"/new", "/cur"})
      if (fs::exists(maildir_ + sub))
        for (const auto& f : fs::directory_iterator(maildir_ + sub)) {
          std::string text = read_all(f.path().string());
          // As the recipient reads it: lines end with LF in a Maildir file already; be sure.
          text.erase(std::remove(text.begin(), text.end(), '\r'), text.end());
          out.push_back(text);
        }
    return out;
  }
  std::string maildir_;
  int smtp_port_ = 0;
  pid_t smtp_pid_ = -1;
};

TEST_F(ServedWithSmtp, ALostPasswordAndAForgottenUsernameByMail) { lost_password_and_username(); }

// The SMTP server gone: the mail is kept in the outbox for the relay (or the operator), and the
// server says so on stderr; the person asking gets the same answer.
TEST_F(ServedWithSmtp, AMailTheSmtpServerDoesNotTakeIsKeptInTheOutbox) {
  const std::string admin = first_sign_in("admin", admin_password_);
  const std::string nurse = user_with(admin, "nurse", "provider", {{{"provider", kNurse}, {"role", "holder"}}});
  auto c = client();
  ASSERT_EQ(c.Patch("/api/v1/me", bearer(nurse), Json{{"email", "nurse@example.be"}}.dump(), "application/json")->status, 200);
  kill(smtp_pid_, SIGTERM);
  mutua::testing::wait_exit(smtp_pid_);
  smtp_pid_ = -1;
  ASSERT_EQ(c.Post("/api/v1/password-resets", Json{{"username", "nurse"}}.dump(), "application/json")->status, 202);
  std::vector<std::string> kept;
  if (fs::exists(dir_ + "/outbox"))
    for (const auto& f : fs::directory_iterator(dir_ + "/outbox")) kept.push_back(read_all(f.path().string()));
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_NE(kept[0].find("Subject: mutua: choose a new password"), std::string::npos) << kept[0];
  EXPECT_NE(read_all(log_).find("did not take the mail"), std::string::npos) << read_all(log_);
}

// A provider registered by its mandate holder with the mandate and an ID copy, validated by
// fund staff; the holder chooses its password through the mailed link, sets up its second
// factor, then registers a supervisor and a collaborator with one module; the collaborator
// registers no one.
TEST_F(Served, AMandateHolderRegistersItsProviderAndStaffValidateIt) {
  const std::string admin = first_sign_in("admin", admin_password_);
  const std::string staff = user_with(admin, "staff", "staff", {{{"provider", "*"}, {"role", "staff"}}});
  const std::string other = user_with(admin, "other.nurse", "provider", {{{"provider", kOtherNurse}, {"role", "holder"}}});
  const std::string provider = "43322178401";
  auto c = client();
  const std::string pdf = "%PDF-1.4\nsigned mandate\n%%EOF\n";
  const std::string png = std::string("\x89PNG\r\n\x1a\n", 8) + "id card";
  httplib::MultipartFormDataItems form = {
      {"provider", provider, "", ""},  {"name", "Els Peeters", "", ""}, {"email", "els@example.be", "", ""},
      {"username", "els.peeters", "", ""}, {"mandate", pdf, "mandaat.pdf", "application/pdf"},
      {"id_copy", png, "eid.png", "image/png"},
  };
  auto missing = form;
  missing.pop_back();
  EXPECT_EQ(c.Post("/api/v1/registrations", missing)->status, 400);  // no ID copy
  auto bad = form;
  bad[0].content = "43322179401";
  EXPECT_EQ(c.Post("/api/v1/registrations", bad)->status, 400);  // check digits
  auto sent = c.Post("/api/v1/registrations", form);
  ASSERT_EQ(sent->status, 202) << sent->body;
  EXPECT_EQ(c.Post("/api/v1/registrations", form)->status, 409);  // once per provider
  const std::string path = "/api/v1/registrations/" + std::to_string(Json::parse(sent->body)["id"].get<int64_t>());

  // Staff see it with its documents; a provider's people do not.
  EXPECT_EQ(c.Get("/api/v1/registrations", bearer(other))->status, 403);
  auto listed = c.Get("/api/v1/registrations?state=submitted", bearer(staff));
  ASSERT_EQ(listed->status, 200) << listed->body;
  EXPECT_EQ(Json::parse(listed->body)["total"], 1);
  auto detail = c.Get(path.c_str(), bearer(staff));
  ASSERT_EQ(detail->status, 200) << detail->body;
  const Json documents = Json::parse(detail->body)["documents"];
  ASSERT_EQ(documents.size(), 2u);
  std::map<std::string, std::string> named;
  for (const auto& d : documents) named[d["name"]] = d["href"];
  ASSERT_TRUE(named.count("mandate-mandaat.pdf") && named.count("id-copy-eid.png")) << documents.dump();
  EXPECT_EQ(c.Get(named["id-copy-eid.png"].c_str(), bearer(staff))->body, png);
  EXPECT_EQ(c.Get(named["mandate-mandaat.pdf"].c_str(), bearer(staff))->body, pdf);
  EXPECT_EQ(c.Post((path + "/decision").c_str(), bearer(admin), Json{{"decision", "validated"}}.dump(), "application/json")->status, 403);
  auto validated = c.Post((path + "/decision").c_str(), bearer(staff), Json{{"decision", "validated"}}.dump(), "application/json");
  ASSERT_EQ(validated->status, 200) << validated->body;
  EXPECT_EQ(c.Post((path + "/decision").c_str(), bearer(staff), Json{{"decision", "refused"}, {"note", "x"}}.dump(),
                   "application/json")->status, 409);

  // The holder's mails: received, then validated with a link to choose its password.
  std::string link;
  for (const auto& f : fs::directory_iterator(dir_ + "/outbox")) {
    const std::string mail = read_all(f.path().string());
    std::smatch m;
    if (std::regex_search(mail, m, std::regex("token=([0-9a-f]{64})"))) link = "/api/v1/password-resets/" + m[1].str();
  }
  ASSERT_FALSE(link.empty());
  ASSERT_EQ(c.Post(link.c_str(), Json{{"new", "els-long-secret-1"}}.dump(), "application/json")->status, 200);
  auto in = c.Post("/api/v1/sessions", Json{{"username", "els.peeters"}, {"password", "els-long-secret-1"}}.dump(), "application/json");
  ASSERT_EQ(in->status, 201) << in->body;
  EXPECT_EQ(Json::parse(in->body)["next"], "set-up-second-factor");
  const std::string holder = Json::parse(in->body)["token"];
  auto secret = c.Post("/api/v1/me/second-factor", bearer(holder), "", "application/json");
  ASSERT_EQ(secret->status, 201);
  const std::string hex = hex_of_base32(Json::parse(secret->body)["secret"]);
  ASSERT_EQ(c.Post("/api/v1/me/second-factor/confirm", bearer(holder), Json{{"code", mutua::server::totp_code(hex, now())}}.dump(),
                   "application/json")->status, 200);
  auto me = Json::parse(c.Get("/api/v1/me", bearer(holder))->body);
  ASSERT_EQ(me["providers"].size(), 1u);
  EXPECT_EQ(me["providers"][0]["provider"], provider);
  EXPECT_EQ(me["providers"][0]["role"], "holder");

  // The holder registers a supervisor and a collaborator; the supervisor another collaborator;
  // none of them a supervisor of another provider, nor the collaborator anyone.
  auto made = [&](const std::string& token, const std::string& username, const std::string& role, const std::string& for_provider) {
    return c.Post("/api/v1/users", bearer(token),
                  Json{{"username", username}, {"provider", for_provider}, {"role", role}, {"modules", {"submissions"}}}.dump(),
                  "application/json");
  };
  auto supervisor = made(holder, "els.supervisor", "supervisor", provider);
  ASSERT_EQ(supervisor->status, 201) << supervisor->body;
  auto clerk = made(holder, "els.clerk", "collaborator", provider);
  ASSERT_EQ(clerk->status, 201) << clerk->body;
  EXPECT_EQ(made(holder, "els.elsewhere", "collaborator", kOtherNurse)->status, 403);
  const std::string sup = first_sign_in("els.supervisor", Json::parse(supervisor->body)["one_time_password"]);
  EXPECT_EQ(made(sup, "els.clerk2", "collaborator", provider)->status, 201);
  EXPECT_EQ(made(sup, "els.sup2", "supervisor", provider)->status, 403);
  const std::string clerk_token = first_sign_in("els.clerk", Json::parse(clerk->body)["one_time_password"]);
  EXPECT_EQ(made(clerk_token, "els.clerk3", "collaborator", provider)->status, 403);
  auto clerk_me = Json::parse(c.Get("/api/v1/me", bearer(clerk_token))->body);
  EXPECT_EQ(clerk_me["providers"][0]["modules"], Json({"submissions"}));
  auto people = c.Get("/api/v1/users", bearer(holder));
  ASSERT_EQ(people->status, 200);
  EXPECT_EQ(Json::parse(people->body)["total"], 4);  // the holder, the supervisor, two collaborators
}

// Every role against every resource of one provider's data, through the real server: the
// owner's people get it as their modules allow, fund staff get it, the support administrator
// and another provider's people do not (404 for a resource of another provider, so that its
// existence is not given away; 403 for a search they may not make at all).
TEST_F(Served, EveryRoleAgainstEveryResourceOfOneProvider) {
  const std::string admin = first_sign_in("admin", admin_password_);
  std::map<std::string, std::string> token = {
      {"admin", admin},
      {"holder", user_with(admin, "holder", "provider", {{{"provider", kNurse}, {"role", "holder"}}})},
      {"supervisor", user_with(admin, "supervisor", "provider", {{{"provider", kNurse}, {"role", "supervisor"}}})},
      {"clerk", user_with(admin, "clerk", "provider",
                          {{{"provider", kNurse}, {"role", "collaborator"}, {"modules", {"submissions"}}}})},
      {"other", user_with(admin, "other", "provider", {{{"provider", kOtherNurse}, {"role", "holder"}}})},
      {"staff", user_with(admin, "staff", "staff", {{{"provider", "*"}, {"role", "staff"}}})},
      {"staff.other", user_with(admin, "staff.other", "staff", {{{"provider", kOtherNurse}, {"role", "staff"}}})},
  };
  auto c = client();
  auto sent = c.Post("/api/v1/envois?name=m.efact&today=2026-11-23", bearer(token["holder"]),
                     envoi_of(dir_, kNurse, 40, /*accepted_only=*/true), "application/octet-stream");
  ASSERT_EQ(sent->status, 201) << sent->body;
  const std::string id = std::to_string(Json::parse(sent->body)["id"].get<int64_t>());
  ASSERT_EQ(run_mutua("settle --date 2026-11-30 --budget 100000 --db " + db_ + " --config " +
                      std::string(MUTUA_SOURCE_DIR) + "/data/sample/mutua-payments.json --out " + dir_ + "/run")
                .code,
            0);
  const Json payment = Json::parse(c.Get("/api/v1/payments?billed_month=2026-10", bearer(token["holder"]))->body)["items"][0];
  const std::string reference = payment["reference"];
  const std::string letter = payment["letter"];

  struct Case {
    std::string method, path, body;
    std::map<std::string, int> expected;  // by role; every role is listed
  };
  const std::string others = "admin other staff.other";
  auto all = [](int owner, int clerk, int staff, int outsider, int admin) {
    return std::map<std::string, int>{{"holder", owner}, {"supervisor", owner}, {"clerk", clerk}, {"staff", staff},
                                      {"other", outsider}, {"staff.other", outsider}, {"admin", admin}};
  };
  const std::string envoi = "/api/v1/envois/" + id;
  const std::vector<Case> cases = {
      {"GET", envoi, "", all(200, 200, 200, 404, 404)},
      {"GET", envoi + "/lines", "", all(200, 404, 200, 404, 404)},
      {"GET", envoi + "/lines?format=csv", "", all(200, 404, 200, 404, 404)},
      {"GET", envoi + "/responses/920900", "", all(200, 404, 200, 404, 404)},
      {"GET", envoi + "/responses/920900?format=efact", "", all(200, 404, 200, 404, 404)},
      {"GET", envoi + "/records/3/explanation", "", all(200, 404, 200, 404, 404)},
      {"GET", "/api/v1/envois?provider=" + kNurse, "", all(200, 200, 200, 403, 403)},
      {"GET", "/api/v1/payments?billed_month=2026-10&provider=" + kNurse, "", all(200, 403, 200, 403, 403)},
      {"GET", "/api/v1/payments?niss=85073003328&code=425014&date=2026-10-01&provider=" + kNurse, "",
       all(200, 403, 200, 403, 403)},
      {"POST", "/api/v1/insurability", Json{{"niss", "85073003328"}, {"date", "2026-10-01"}, {"provider", kNurse}}.dump(),
       all(200, 403, 200, 403, 403)},
      {"POST", "/api/v1/insurability/mass?provider=" + kNurse, "niss,date\n85073003328,2026-10-01\n",
       all(200, 403, 200, 403, 403)},
      {"GET", "/api/v1/disputes?provider=" + kNurse, "", all(200, 403, 200, 403, 403)},
      {"GET", "/api/v1/regularisations?provider=" + kNurse, "", all(200, 403, 200, 403, 403)},
      {"POST", "/api/v1/regularisations", Json{{"provider", kNurse}, {"amount_cents", 100}, {"reason", "M38"}}.dump(),
       all(403, 403, 201, 403, 403)},
      {"GET", "/api/v1/letters?provider=" + kNurse, "", all(200, 403, 200, 403, 403)},
      {"GET", letter, "", all(200, 404, 200, 404, 404)},
      {"GET", letter + "?format=pdf", "", all(200, 404, 200, 404, 404)},
      {"GET", "/api/v1/agreements?provider=" + kNurse, "", all(200, 403, 200, 403, 403)},
      {"POST", "/api/v1/agreements", Json{{"niss", "85073003328"}, {"code", "425014"}, {"provider", kNurse}}.dump(),
       all(201, 403, 201, 403, 403)},
      {"GET", "/api/v1/care-pathways?provider=" + kNurse, "", all(200, 403, 200, 403, 403)},
      {"GET", "/api/v1/care-pathways?niss=85073003328&provider=" + kNurse, "", all(200, 403, 200, 403, 403)},
      {"GET", "/api/v1/care-pathways/payments?year=2026&provider=" + kNurse, "", all(200, 403, 200, 403, 403)},
      {"GET", "/api/v1/medical-house-contracts?provider=" + kNurse, "", all(200, 403, 200, 403, 403)},
      {"GET", "/api/v1/requests?provider=" + kNurse, "", all(200, 403, 200, 403, 403)},
      {"POST", "/api/v1/requests", Json{{"provider", kNurse}, {"subject", "?"}, {"text", "a question"}}.dump(),
       all(201, 403, 201, 403, 403)},
      {"POST", "/api/v1/requests", Json{{"envoi", std::stoll(id)}, {"record", 3}, {"subject", "?"}, {"text", "on a line"}}.dump(),
       all(201, 404, 201, 404, 404)},
      {"GET", "/api/v1/requests/1", "", all(200, 404, 200, 404, 404)},
      {"GET", "/api/v1/audit?provider=" + kNurse, "", all(403, 403, 200, 403, 200)},
      {"GET", "/api/v1/users", "", all(403, 403, 403, 403, 200)},
  };
  for (const auto& k : cases) {
    ASSERT_EQ(k.expected.size(), token.size()) << k.path;
    for (const auto& [role, want] : k.expected) {
      httplib::Result r = k.method == "GET" ? c.Get(k.path.c_str(), bearer(token[role]))
                                            : c.Post(k.path.c_str(), bearer(token[role]), k.body,
                                                     k.path.find("mass") != std::string::npos ? "text/csv" : "application/json");
      ASSERT_TRUE(r) << k.method << " " << k.path << " as " << role;
      // Supervisors and holders (the other provider's too) list the people of their own provider.
      const bool manages = role == "supervisor" || role == "holder" || role == "other";
      const int expected = manages && k.path == "/api/v1/users" ? 200 : want;
      EXPECT_EQ(r->status, expected) << k.method << " " << k.path << " as " << role << ": " << r->body.substr(0, 300);
      // A refusal never carries the data: no NISS, no reference in its body.
      if (r->status >= 400) {
        EXPECT_EQ(r->body.find("85073003328"), std::string::npos) << k.path << " as " << role;
        EXPECT_EQ(r->body.find(reference), std::string::npos) << k.path << " as " << role;
      }
    }
  }
  // Another fund: its staff (of every provider there) get none of fund 300's data, asked for
  // it (403) or not (their own fund has no such envoi, letter or request; empty lists); the
  // owner asking fund 500 finds nothing of what it sent fund 300.
  const std::string staff500 = user_with(admin, "staff.500", "staff", {{{"provider", "*"}, {"role", "staff"}}}, "500");
  for (const auto& k : cases) {
    if (k.path == "/api/v1/users") continue;  // not a fund's data
    const std::string sep = k.path.find('?') == std::string::npos ? "?" : "&";
    const std::string content = k.path.find("mass") != std::string::npos ? "text/csv" : "application/json";
    auto asked = k.method == "GET" ? c.Get((k.path + sep + "fund=300").c_str(), bearer(staff500))
                                   : c.Post((k.path + sep + "fund=300").c_str(), bearer(staff500), k.body, content);
    ASSERT_TRUE(asked);
    EXPECT_EQ(asked->status, 403) << k.method << " " << k.path << " for fund 300 by staff of 500: " << asked->body.substr(0, 300);
    if (k.method != "GET") continue;
    for (const auto& [who, path] : {std::pair{staff500, k.path}, std::pair{token["holder"], k.path + sep + "fund=500"}}) {
      auto r = c.Get(path.c_str(), bearer(who));
      ASSERT_TRUE(r);
      if (k.path.rfind("/api/v1/audit", 0) == 0) {
        // Theirs: fund 500's entries only (their own look-ups there, none of fund 300's).
        if (who != staff500) continue;
        ASSERT_EQ(r->status, 200) << r->body;
        const Json items = Json::parse(r->body)["items"];
        EXPECT_FALSE(items.empty());
        for (const auto& e : items) EXPECT_EQ(e["fund"], "500") << e.dump();
        continue;
      } else if (r->status == 200) {
        EXPECT_EQ(Json::parse(r->body).value("total", -1), 0) << path << ": " << r->body.substr(0, 300);
      } else {
        EXPECT_EQ(r->status, 404) << path << ": " << r->body.substr(0, 300);
      }
      EXPECT_EQ(r->body.find("85073003328"), std::string::npos) << path;
      EXPECT_EQ(r->body.find(reference), std::string::npos) << path;
    }
  }
  // The other provider's holder lists its own people only.
  auto listed_by_other = c.Get("/api/v1/users", bearer(token["other"]));
  EXPECT_EQ(listed_by_other->body.find("\"username\": \"clerk\""), std::string::npos) << listed_by_other->body;
  EXPECT_EQ(listed_by_other->body.find("\"username\": \"holder\""), std::string::npos) << listed_by_other->body;
  EXPECT_NE(listed_by_other->body.find("\"username\": \"other\""), std::string::npos) << listed_by_other->body;
  // With its own membership, and none of another provider's.
  EXPECT_EQ(listed_by_other->body.find(kNurse), std::string::npos) << listed_by_other->body;
  // A payment's reference finds nothing for those who may not see it.
  for (const std::string role : {"other", "staff.other"}) {
    auto r = c.Get(("/api/v1/payments?reference=" + reference).c_str(), bearer(token[role]));
    ASSERT_EQ(r->status, 200) << role;
    EXPECT_EQ(Json::parse(r->body)["total"], 0) << role;
  }
}

// Two funds, one account (see two_funds_with_one_account), all on SQLite.
TEST_F(Served, OneDeploymentServesTwoFundsWithOneAccount) { two_funds_with_one_account(); }

// The same on a deployment whose accounts and fund 300 are on PostgreSQL, fund 500 on SQLite.
class ServedOnPostgreSQL : public Served {
 protected:
  bool on_postgresql() const override { return true; }
};

TEST_F(ServedOnPostgreSQL, OneDeploymentServesTwoFundsWithOneAccount) { two_funds_with_one_account(); }

// The second factor by SMS: set up with one's mobile number, a code sent at each sign-in (to
// the outbox, where an SMS gateway's relay picks it up), used once, void after three wrong
// tries; the support administrator resets it when the phone is lost.
TEST_F(Served, ASecondFactorBySmsAndItsReset) {
  const std::string admin = first_sign_in("admin", admin_password_);
  auto c = client();
  auto made = c.Post("/api/v1/users", bearer(admin), Json{{"username", "sms.nurse"}, {"kind", "provider"}}.dump(), "application/json");
  ASSERT_EQ(made->status, 201) << made->body;
  const int64_t id = Json::parse(made->body)["id"];
  std::set<std::string> seen;
  // The code of the SMS sent since the last look.
  auto next_code = [&]() -> std::string {
    std::string code;
    for (const auto& f : fs::directory_iterator(dir_ + "/outbox")) {
      if (f.path().extension() != ".sms" || !seen.insert(f.path().string()).second) continue;
      const std::string sms = read_all(f.path().string());
      EXPECT_EQ(sms.rfind("To: +32470123456\n\n", 0), 0u) << sms;
      std::smatch m;
      if (std::regex_search(sms, m, std::regex(R"(\b(\d{6}) is your sign-in code)"))) code = m[1];
    }
    return code;
  };
  auto sign_in = [&](const std::string& password) {
    auto r = c.Post("/api/v1/sessions", Json{{"username", "sms.nurse"}, {"password", password}}.dump(), "application/json");
    EXPECT_EQ(r->status, 201) << r->body;
    return Json::parse(r->body);
  };
  const std::string token = sign_in(Json::parse(made->body)["one_time_password"])["token"];
  ASSERT_EQ(c.Post("/api/v1/me/password", bearer(token),
                   Json{{"current", Json::parse(made->body)["one_time_password"]}, {"new", "sms-nurse-secret-1"}}.dump(),
                   "application/json")->status, 200);
  EXPECT_EQ(c.Post("/api/v1/me/second-factor", bearer(token), Json{{"method", "sms"}}.dump(), "application/json")->status, 400);
  EXPECT_EQ(c.Post("/api/v1/me/second-factor", bearer(token), Json{{"method", "sms"}, {"phone", "0470123456"}}.dump(),
                   "application/json")->status, 400);
  auto start = c.Post("/api/v1/me/second-factor", bearer(token), Json{{"method", "sms"}, {"phone", "+32470123456"}}.dump(),
                      "application/json");
  ASSERT_EQ(start->status, 201) << start->body;
  EXPECT_EQ(Json::parse(start->body)["code_sent_to"].get<std::string>().find("470123"), std::string::npos);
  std::string code = next_code();
  ASSERT_EQ(code.size(), 6u);
  const std::string wrong = code == "000000" ? "000001" : "000000";
  EXPECT_EQ(c.Post("/api/v1/me/second-factor/confirm", bearer(token), Json{{"code", wrong}}.dump(), "application/json")->status, 401);
  auto ok = c.Post("/api/v1/me/second-factor/confirm", bearer(token), Json{{"code", code}}.dump(), "application/json");
  ASSERT_EQ(ok->status, 200) << ok->body;
  EXPECT_EQ(Json::parse(ok->body)["next"], "ready");
  EXPECT_EQ(c.Patch("/api/v1/me", bearer(token), R"({"name": "Nurse"})", "application/json")->status, 200);
  // Used once: it does not give a second session the factor.
  Json second = sign_in("sms-nurse-secret-1");
  EXPECT_EQ(second["next"], "second-factor");
  EXPECT_EQ(second["second_factor_method"], "sms");
  const std::string t2 = second["token"];
  const std::string code2 = next_code();
  ASSERT_EQ(code2.size(), 6u);
  EXPECT_EQ(c.Post("/api/v1/sessions/current/second-factor", bearer(t2), Json{{"code", code}}.dump(), "application/json")->status,
            code == code2 ? 200 : 401);
  if (code != code2) {
    EXPECT_EQ(c.Patch("/api/v1/me", bearer(t2), R"({"name": "Nurse"})", "application/json")->status, 403);
    EXPECT_EQ(c.Post("/api/v1/sessions/current/second-factor/code", bearer(t2), "", "application/json")->status, 429);  // too soon
    ASSERT_EQ(c.Post("/api/v1/sessions/current/second-factor", bearer(t2), Json{{"code", code2}}.dump(), "application/json")->status,
              200);
    EXPECT_EQ(c.Patch("/api/v1/me", bearer(t2), R"({"name": "Nurse"})", "application/json")->status, 200);
  }
  // Three wrong tries void the code: the right one is refused after.
  const std::string t3 = sign_in("sms-nurse-secret-1")["token"];
  const std::string code3 = next_code();
  ASSERT_EQ(code3.size(), 6u);
  const std::string bad = code3 == "111111" ? "222222" : "111111";
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(c.Post("/api/v1/sessions/current/second-factor", bearer(t3), Json{{"code", bad}}.dump(), "application/json")->status, 401);
  EXPECT_EQ(c.Post("/api/v1/sessions/current/second-factor", bearer(t3), Json{{"code", code3}}.dump(), "application/json")->status, 401);
  // The phone stays a mobile number while the codes go to it.
  EXPECT_EQ(c.Patch("/api/v1/me", bearer(token), Json{{"phone", ""}}.dump(), "application/json")->status, 400);

  // The phone is lost: only the support administrator resets the factor; every session ends.
  EXPECT_EQ(c.Delete(("/api/v1/users/" + std::to_string(id) + "/second-factor").c_str(), bearer(token))->status, 403);
  auto reset = c.Delete(("/api/v1/users/" + std::to_string(id) + "/second-factor").c_str(), bearer(admin));
  ASSERT_EQ(reset->status, 200) << reset->body;
  EXPECT_EQ(c.Get("/api/v1/me", bearer(token))->status, 401);
  EXPECT_EQ(sign_in("sms-nurse-secret-1")["next"], "set-up-second-factor");
  EXPECT_EQ(next_code(), "");  // no code without a factor in force
}

// A dispute from the provider's side to its settlement by fund staff, which becomes a
// regularisation the provider sees; no one else sees either, and no step is taken twice.
TEST_F(Served, ADisputeIsOpenedByTheProviderAndSettledByStaff) {
  const std::string admin = first_sign_in("admin", admin_password_);
  const std::string nurse = user_with(admin, "nurse", "provider", {{{"provider", kNurse}, {"role", "holder"}}});
  const std::string other = user_with(admin, "other.nurse", "provider", {{{"provider", kOtherNurse}, {"role", "holder"}}});
  const std::string staff = user_with(admin, "staff", "staff", {{{"provider", "*"}, {"role", "staff"}}});
  auto c = client();
  auto sent = c.Post("/api/v1/envois?name=d.efact&today=2026-11-23", bearer(nurse), envoi_of(dir_, kNurse, 50),
                     "application/octet-stream");
  ASSERT_EQ(sent->status, 201) << sent->body;
  const int64_t envoi = Json::parse(sent->body)["id"];
  auto opened = c.Post("/api/v1/disputes", bearer(nurse),
                       Json{{"provider", kNurse}, {"subject", "line 5 refused wrongly"}, {"envoi", envoi}, {"record", 5}}.dump(),
                       "application/json");
  ASSERT_EQ(opened->status, 201) << opened->body;
  const std::string path = "/api/v1/disputes/" + std::to_string(Json::parse(opened->body)["id"].get<int64_t>());
  EXPECT_EQ(Json::parse(opened->body)["state"], "open");
  // Another provider cannot see it nor open one for this provider.
  EXPECT_EQ(c.Get(path.c_str(), bearer(other))->status, 404);
  EXPECT_EQ(Json::parse(c.Get("/api/v1/disputes", bearer(other))->body)["total"], 0);
  EXPECT_EQ(c.Post("/api/v1/disputes", bearer(other), Json{{"provider", kNurse}, {"subject", "x"}}.dump(), "application/json")->status,
            403);
  // The provider comments; only staff settle.
  auto comment = c.Post((path + "/comments").c_str(), bearer(nurse), Json{{"text", "see the prescription"}}.dump(), "application/json");
  ASSERT_EQ(comment->status, 200) << comment->body;
  EXPECT_EQ(Json::parse(comment->body)["state"], "under review");
  EXPECT_EQ(c.Post((path + "/settlement").c_str(), bearer(nurse), Json{{"amount_cents", -1250}}.dump(), "application/json")->status,
            403);
  auto settled = c.Post((path + "/settlement").c_str(), bearer(staff),
                        Json{{"amount_cents", -1250}, {"text", "paid back on the next payment"}}.dump(), "application/json");
  ASSERT_EQ(settled->status, 200) << settled->body;
  EXPECT_EQ(Json::parse(settled->body)["state"], "settled");
  EXPECT_EQ(Json::parse(settled->body)["history"].size(), 3u);
  // A settled dispute takes no more steps.
  EXPECT_EQ(c.Post((path + "/closing").c_str(), bearer(staff), Json{{"text", "again"}}.dump(), "application/json")->status, 409);
  // Its amount is a regularisation the provider sees, and no one else.
  auto regs = c.Get("/api/v1/regularisations", bearer(nurse));
  ASSERT_EQ(regs->status, 200) << regs->body;
  ASSERT_EQ(Json::parse(regs->body)["total"], 1);
  EXPECT_EQ(Json::parse(regs->body)["items"][0]["amount_cents"], -1250);
  EXPECT_EQ(Json::parse(regs->body)["items"][0]["origin"], "dispute");
  EXPECT_EQ(Json::parse(c.Get("/api/v1/regularisations", bearer(other))->body)["total"], 0);
  EXPECT_EQ(c.Post("/api/v1/regularisations", bearer(nurse),
                   Json{{"provider", kNurse}, {"amount_cents", 100}, {"reason", "x"}}.dump(), "application/json")->status,
            403);
  auto m38 = c.Post("/api/v1/regularisations", bearer(staff),
                    Json{{"provider", kNurse}, {"amount_cents", 2500}, {"reason", "M38: double billing"}}.dump(), "application/json");
  EXPECT_EQ(m38->status, 201) << m38->body;
  EXPECT_EQ(Json::parse(c.Get("/api/v1/regularisations", bearer(nurse))->body)["total"], 2);
}

// The same billing file submitted twice at once, and once more after: one acceptance only;
// the others are refused for a number already accepted (the store's unique index decides).
TEST_F(Served, TheSameEnvoiSubmittedAtOnceIsAcceptedOnce) {
  const std::string admin = first_sign_in("admin", admin_password_);
  const std::string nurse = user_with(admin, "nurse", "provider", {{{"provider", kNurse}, {"role", "holder"}}});
  const std::string file = envoi_of(dir_, kNurse, 60, /*accepted_only=*/true);
  std::vector<std::string> messages(3);
  auto submit = [&](size_t i) {
    auto c = client();
    auto r = c.Post("/api/v1/envois?name=twice.efact&today=2026-11-23", bearer(nurse), file, "application/octet-stream");
    if (r && r->status == 201) messages[i] = Json::parse(r->body)["message"];
  };
  std::thread a(submit, 0), b(submit, 1);
  a.join();
  b.join();
  submit(2);
  std::sort(messages.begin(), messages.end());
  EXPECT_EQ(messages, (std::vector<std::string>{"920900", "920999", "920999"}));
  auto accepted = client().Get("/api/v1/envois?status=accepted", bearer(nurse));
  ASSERT_EQ(accepted->status, 200);
  EXPECT_EQ(Json::parse(accepted->body)["total"], 1);
}

TEST_F(Served, SignInLocksAfterFailuresAndSessionsEnd) {
  const std::string admin = first_sign_in("admin", admin_password_);
  auto c = client();
  // A program's token acts like its user; signing out ends the session, not the token.
  auto tok = c.Post("/api/v1/tokens", bearer(admin), Json{{"name", "practice software"}}.dump(), "application/json");
  ASSERT_EQ(tok->status, 201) << tok->body;
  const std::string program = Json::parse(tok->body)["token"];
  EXPECT_EQ(c.Get("/api/v1/users", bearer(program))->status, 200);
  EXPECT_EQ(c.Delete("/api/v1/sessions/current", bearer(admin))->status, 200);
  EXPECT_EQ(c.Get("/api/v1/me", bearer(admin))->status, 401);
  EXPECT_EQ(c.Get("/api/v1/users", bearer(program))->status, 200);

  // A second sign-in needs the second factor before anything else.
  auto again = c.Post("/api/v1/sessions", Json{{"username", "admin"}, {"password", "admin-long-secret-1"}}.dump(),
                      "application/json");
  ASSERT_EQ(again->status, 201) << again->body;
  EXPECT_EQ(Json::parse(again->body)["next"], "second-factor");
  const std::string half = Json::parse(again->body)["token"];
  EXPECT_EQ(c.Get("/api/v1/users", bearer(half))->status, 403);

  // With the session cookie, a change needs the CSRF header a page of ours sends.
  httplib::Headers cookie = {{"Cookie", "mutua_session=" + half}};
  EXPECT_EQ(c.Post("/api/v1/sessions/current/second-factor", cookie, Json{{"code", "123456"}}.dump(), "application/json")->status,
            403);

  // Five wrong passwords lock the account, even against the right one.
  for (int i = 0; i < 5; ++i) {
    auto r = c.Post("/api/v1/sessions", Json{{"username", "admin"}, {"password", "wrong-password-" + std::to_string(i)}}.dump(),
                    "application/json");
    EXPECT_EQ(r->status, 401);
  }
  auto locked = c.Post("/api/v1/sessions", Json{{"username", "admin"}, {"password", "admin-long-secret-1"}}.dump(),
                       "application/json");
  EXPECT_EQ(locked->status, 423) << locked->body;
  // An unknown user is told the same as a wrong password.
  auto unknown = c.Post("/api/v1/sessions", Json{{"username", "nobody"}, {"password", "x"}}.dump(), "application/json");
  EXPECT_EQ(unknown->status, 401);
  EXPECT_EQ(Json::parse(unknown->body)["error"]["message"], "wrong username or password");
  // The document the API is described by.
  auto doc = c.Get("/openapi.json");
  ASSERT_EQ(doc->status, 200);
  EXPECT_EQ(Json::parse(doc->body)["openapi"], "3.1.0");
}

// A second server started on the port of a running one is refused, instead of sharing its
// clients (SO_REUSEPORT would have let it bind); `timeout` turns a server that started into a
// failure rather than a test that never ends.
TEST_F(Served, ASecondServerOnATakenPortIsRefused) {
  const std::string cmd = "timeout 10 " + std::string(MUTUA_BINARY) + " serve --db " + accounts_db_ +
                          " --listen 127.0.0.1:" + std::to_string(port_) + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = pclose(p);
  EXPECT_EQ(WEXITSTATUS(status), 2) << out;  // not 124: timeout's, for a server that started
  EXPECT_NE(out.find("in use"), std::string::npos) << out;
  EXPECT_EQ(client().Get("/api/v1/funds")->status, 200);  // the first one still serves
}

// Every operation the server answers is in its OpenAPI document, and the document describes
// no operation the server does not answer.
TEST(ServerDocument, DescribesEveryRouteAndNoOther) {
  const Json doc = Json::parse(mutua::embedded::openapi_document());
  std::set<std::string> documented, served;
  static const std::regex param(R"(\{[a-z_]+\})"), group(R"(\([^)]*\))");
  for (const auto& [path, ops] : doc["paths"].items())
    for (const auto& [method, op] : ops.items()) {
      std::string m = method;
      for (auto& ch : m) ch = static_cast<char>(std::toupper(ch));
      documented.insert(m + " " + std::regex_replace(path, param, "{}"));
    }
  for (auto* routes : {mutua::server::meta_routes, mutua::server::fund_routes, mutua::server::session_routes, mutua::server::user_routes,
                       mutua::server::envoi_routes, mutua::server::payment_routes, mutua::server::insurability_routes,
                       mutua::server::dispute_routes, mutua::server::agreement_routes, mutua::server::letter_routes,
                       mutua::server::care_routes, mutua::server::request_routes,
                       mutua::server::recovery_routes, mutua::server::registration_routes, mutua::server::audit_routes,
                       mutua::server::book_routes, mutua::server::statistics_routes})
    for (const auto& r : routes()) served.insert(r.method + " " + std::regex_replace(r.pattern, group, "{}"));
  served.erase("GET /api");  // the document's own page
  EXPECT_EQ(documented, served);
}

}  // namespace

// The session cookie among others, as browsers send them; a longer name that ends with it is
// another cookie.
TEST(Cookies, TheNamedCookieAmongOthers) {
  using mutua::server::cookie_in;
  EXPECT_EQ(cookie_in("mutua_session=abc", "mutua_session"), "abc");
  EXPECT_EQ(cookie_in("theme=dark; mutua_session=abc; mutua_lang=nl", "mutua_session"), "abc");
  EXPECT_EQ(cookie_in("theme=dark;mutua_lang=nl", "mutua_lang"), "nl");
  EXPECT_EQ(cookie_in("xmutua_session=abc; other=1", "mutua_session"), "");
  EXPECT_EQ(cookie_in("mutua_session_old=abc", "mutua_session"), "");
  EXPECT_EQ(cookie_in("mutua_session=", "mutua_session"), "");
  EXPECT_EQ(cookie_in("", "mutua_session"), "");
  EXPECT_EQ(cookie_in("a=1;;  mutua_lang=de;", "mutua_lang"), "de");
}
