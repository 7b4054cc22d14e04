#include "baseline.h"

#include <sqlite3.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "mutua/model/envoi_writer.h"

namespace mutua::testing {

model::EnvoiHeader baseline_header() {
  model::EnvoiHeader h;
  h.sending_number = 12;
  h.third_party = "40765140401";  // a nurse: 407651 -> check 97 - 407651 mod 97
  h.year = 2026;
  h.month = 10;
  h.created = 20261105;
  h.iban_a = "BE71096123456769";
  h.bic_a = "GKCCBEBB";
  h.federation = "300";
  h.reference = "BASELINE";
  h.bce = "0123456749";  // required from 2015 (102710)
  return h;
}

model::EnvoiHeader nurse_header(int number) {
  model::EnvoiHeader h = baseline_header();
  h.sending_number = number;
  h.reference.clear();
  return h;
}

model::Invoice patient_invoice(const std::string& provider) {
  model::Invoice inv;
  inv.niss = "85073003328";
  inv.affiliation = inv.destination = "301";
  inv.provider = provider;
  inv.number = 1;
  inv.billing_date = 20261105;
  return inv;
}

std::string write_nurse_visit(const std::string& dir, int number, model::Date day) {
  return write_nurse_visits(dir, number, {{"85073003328", day}});
}

std::string write_nurse_visits(const std::string& dir, int number, const std::vector<Visit>& visits) {
  const model::EnvoiHeader h = nurse_header(number);
  std::vector<model::Invoice> invoices;
  for (const auto& v : visits) {
    model::Invoice inv = patient_invoice(h.third_party);
    inv.niss = v.niss;
    inv.number = invoices.size() + 1;
    inv.ct1 = inv.ct2 = v.ct;
    model::Prestation p;
    p.nomenclature = "425014";
    p.first_date = p.last_date = v.day;
    p.provider = h.third_party;
    p.amount = 1250;
    p.reference = "L1";
    inv.lines.push_back(p);
    invoices.push_back(std::move(inv));
  }
  const std::string path = dir + "/e" + std::to_string(number) + ".efact";
  EXPECT_TRUE(model::write_envoi(path, h, invoices));
  return path;
}

std::vector<model::Invoice> baseline_invoices() {
  std::vector<model::Invoice> out;
  model::Invoice a;
  a.affiliation = "301";
  a.niss = "85073003328";
  a.sex = 1;
  a.provider = "40765140401";
  a.destination = "301";
  a.number = 1001;
  a.billing_date = 20261105;
  a.reference = "INV-A";
  model::Prestation p;
  p.nomenclature = "425014";
  p.first_date = p.last_date = 20261003;
  p.provider = "40765140401";
  p.amount = 1250;
  p.personal_share = 310;
  p.reference = "L1";
  a.lines.push_back(p);
  p.nomenclature = "425036";
  p.amount = 1100;
  p.personal_share = 0;
  p.reference = "L2";
  p.has_eid = true;
  p.eid_read_date = 20261003;
  p.eid_time_hhmm = 930;
  a.lines.push_back(p);
  p = {};
  p.nomenclature = "424336";
  p.first_date = p.last_date = 20261004;
  p.provider = "40765140401";
  p.amount = 640;
  p.reference = "L3";
  p.prescriber = "10765119340";
  p.prescription_date = 20260920;
  p.prescriber_norm = 1;
  p.has_commitment = true;
  p.commitment_number = "TC20261004001";
  p.commitment_date = 20261004;
  a.lines.push_back(p);
  out.push_back(a);

  model::Invoice b;
  b.affiliation = "302";
  b.niss = "01020312345";  // born 2001: the 20xx check-digit variant
  b.sex = 2;
  b.provider = "40765140401";
  b.destination = "302";
  b.number = 1002;
  b.billing_date = 20261105;
  b.reference = "INV-B";
  p = {};
  p.nomenclature = "425014";
  p.first_date = p.last_date = 20261010;
  p.provider = "40765140401";
  p.amount = 1250;
  p.personal_share = 310;
  p.supplement = 100;
  p.reference = "L4";
  b.lines.push_back(p);
  p.nomenclature = "425051";
  p.amount = 1000;
  p.personal_share = 0;
  p.supplement = 0;
  p.reference = "L5";
  b.lines.push_back(p);
  out.push_back(b);
  return out;
}

std::string temp_path(const std::string& name) {
  return "/tmp/mutua-test-" + std::to_string(::getpid()) + "-" + name;
}

namespace {
// The files and stores a test process made under /tmp go when its tests pass (some are stores
// of 250 MB); they stay, for a look, when one failed.
class RemoveTempFiles : public ::testing::Environment {
 public:
  void TearDown() override {
    if (::testing::UnitTest::GetInstance()->Failed()) return;
    const std::string prefix = "mutua-test-" + std::to_string(::getpid()) + "-";
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/tmp", ec))
      if (e.path().filename().string().rfind(prefix, 0) == 0) std::filesystem::remove_all(e.path(), ec);
  }
};
[[maybe_unused]] ::testing::Environment* const remove_temp_files =
    ::testing::AddGlobalTestEnvironment(new RemoveTempFiles);
}  // namespace

std::string baseline_file(Framing framing) {
  std::string path = temp_path("baseline.efact");
  auto r = model::write_envoi(path, baseline_header(), baseline_invoices(), framing);
  if (!r) return {};
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  ::unlink(path.c_str());
  return ss.str();
}

int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t n = sizeof a;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n) == 0)
    port = ntohs(a.sin_port);
  close(fd);
  return port;
}

bool wait_for_port(int port, int seconds) {
  for (int i = 0; i < seconds * 20; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    const bool up = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(fd);
    if (up) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

CmdResult run_mutua(const std::string& args) {
  std::string cmd = std::string(MUTUA_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  return {WEXITSTATUS(status), out};
}

pid_t spawn(const std::vector<std::string>& args, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "a", stdout);
    (void)f;
    dup2(fileno(stdout), 2);
    std::vector<char*> argv;
    std::string bin = MUTUA_BINARY;
    argv.push_back(bin.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(bin.c_str(), argv.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid, bool* killed) {
  int status = 0;
  waitpid(pid, &status, 0);
  if (killed) *killed = WIFSIGNALED(status);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string shell(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

namespace {
std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The test server's URL (maintenance database), started once per process when ctest did not.
const std::string& postgresql_server(std::string& why) {
  static std::string url, failure;
  static bool tried = false;
  if (!tried) {
    tried = true;
    if (const char* file = std::getenv("MUTUA_TEST_PG_URL_FILE"); file && std::filesystem::exists(file))
      url = trimmed(read_all(file));
    if (url.rfind("postgresql://", 0) != 0) {
      static const std::string dir = temp_path("postgresql");
      std::filesystem::remove_all(dir);
      const std::string out = trimmed(shell("bash " + std::string(MUTUA_SOURCE_DIR) + "/scripts/pg.sh start " + dir));
      const size_t at = out.rfind("postgresql://");
      if (at == std::string::npos) {
        url.clear();
        failure = "scripts/pg.sh could not start a server: " + out;
      } else {
        url = out.substr(at);
        std::atexit([] { shell("bash " + std::string(MUTUA_SOURCE_DIR) + "/scripts/pg.sh stop " + dir); });
      }
    }
  }
  why = failure;
  return url;
}
}  // namespace

std::string fresh_postgresql(const std::string& name, std::string* why, const std::string& icu_locale) {
  std::string reason;
  const std::string& server = postgresql_server(reason);
  if (server.empty()) {
    if (why) *why = reason;
    return {};
  }
  std::string db = "t" + std::to_string(::getpid()) + "_";
  for (char c : name) db += std::isalnum(static_cast<unsigned char>(c)) ? static_cast<char>(std::tolower(c)) : '_';
  db = db.substr(0, 60);
  const std::string out = shell("PGOPTIONS='-c client_min_messages=warning' psql -q -v ON_ERROR_STOP=1 '" + server +
                                "' -c 'DROP DATABASE IF EXISTS " + db + "' -c \"CREATE DATABASE " + db +
                                (icu_locale.empty() ? ""
                                                    : " TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE '" + icu_locale + "'") +
                                "\" && echo created");
  if (trimmed(out) != "created") {
    if (why) *why = "cannot create a test database: " + out;
    return {};
  }
  return server.substr(0, server.rfind('/') + 1) + db;
}

std::map<std::string, std::string> files_of(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (auto& e : std::filesystem::directory_iterator(dir)) out[e.path().filename().string()] = read_all(e.path());
  return out;
}

std::string dump(const std::string& db, const std::vector<std::string>& queries) {
  sqlite3* h = nullptr;
  std::string out;
  if (sqlite3_open_v2(db.c_str(), &h, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    sqlite3_close(h);
    return "cannot open " + db;
  }
  for (const auto& q : queries) {
    out += "## " + q + "\n";
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(h, q.c_str(), -1, &s, nullptr) != SQLITE_OK) {
      out += std::string("error: ") + sqlite3_errmsg(h) + "\n";
      continue;
    }
    while (sqlite3_step(s) == SQLITE_ROW) {
      for (int c = 0; c < sqlite3_column_count(s); ++c) {
        const void* blob = sqlite3_column_blob(s, c);
        out.append(static_cast<const char*>(blob ? blob : ""), static_cast<size_t>(sqlite3_column_bytes(s, c)));
        out += '|';
      }
      out += '\n';
    }
    sqlite3_finalize(s);
  }
  sqlite3_close(h);
  return out;
}

}  // namespace mutua::testing
