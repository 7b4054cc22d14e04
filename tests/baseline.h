// A small, valid billing file that tests break one rule at a time.
#pragma once
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "mutua/model/envoi.h"
#include "mutua/record.h"

namespace mutua::testing {

model::EnvoiHeader baseline_header();
std::vector<model::Invoice> baseline_invoices();
// The baseline envoi as bytes.
std::string baseline_file(Framing framing = Framing::Flat);
// The header of nurse 40765140401's envoi `number` for October 2026, to mutuality 300.
model::EnvoiHeader nurse_header(int number);
// Invoice 1 of an envoi, for the patient 85073003328 of mutuality 301, billed on 5 November 2026.
model::Invoice patient_invoice(const std::string& provider);
// Writes nurse_header(number)'s envoi with one home visit (425014) of that patient on `day` into
// dir/e<number>.efact; its path.
std::string write_nurse_visit(const std::string& dir, int number, model::Date day);
// The same with one visit for each of `visits`, an invoice each (numbered from 1), the patient's
// CT1 and CT2 both `ct`.
struct Visit {
  std::string niss;
  model::Date day;
  int ct = 110;
};
std::string write_nurse_visits(const std::string& dir, int number, const std::vector<Visit>& visits);
std::string temp_path(const std::string& name);

// Runs the mutua binary with these arguments (stderr joined to stdout).
struct CmdResult {
  int code;
  std::string out;
};
CmdResult run_mutua(const std::string& args);

// Starts the binary with these arguments, stdout and stderr appended to `log`; returns its pid.
pid_t spawn(const std::vector<std::string>& args, const std::string& log);
// Waits for it; its exit code, -1 when it died of a signal (then *killed = true).
int wait_exit(pid_t pid, bool* killed = nullptr);
std::string read_all(const std::filesystem::path& p);
// A TCP port on 127.0.0.1 free now (for a server a test starts).
int free_port();
// True once something accepts connections on 127.0.0.1:port, false after `seconds`.
bool wait_for_port(int port, int seconds);
// What a shell command printed (stdout and stderr): pdftotext, python3 reading an XLSX...
std::string shell(const std::string& cmd);
// Every file of a directory by name.
std::map<std::string, std::string> files_of(const std::string& dir);
// A new, empty database on the test PostgreSQL server, as a URL: the server ctest starts for the
// whole run (MUTUA_TEST_PG_URL_FILE names the file with its URL), or one this process starts
// with scripts/pg.sh and stops at exit. Empty, with the reason in *why, when none can run.
// With `icu_locale` (e.g. "fr-BE"), the database's default collation is that ICU locale's, as
// on a server set up in a language instead of the test server's C.
std::string fresh_postgresql(const std::string& name, std::string* why = nullptr, const std::string& icu_locale = "");
// The rows of these queries on an SQLite file, as text (columns separated by '|').
std::string dump(const std::string& db, const std::vector<std::string>& queries);

}  // namespace mutua::testing
