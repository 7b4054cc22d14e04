// Reconciliation (docs/provider.md): the credits of a bank statement matched to the envois
// they pay, by the payment reference the fund's answer gave, else by the envoi number and
// billed month of the transfer's communication; what matches nothing is listed and finalised
// by hand.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "mutua/coda.h"
#include "mutua/provider/book.h"
#include "mutua/response_reader.h"
#include "mutua/tsv.h"
#include "provider/book_impl.h"

namespace mutua::provider {

using store::Stmt;

namespace {

struct Credit {
  std::string key;       // unique: the bank's reference of the movement, or the CSV row with its rank
  uint64_t line = 0;
  model::Date booked = 0;
  int64_t cents = 0;
  std::string communication, payer_reference, counterparty;
};

struct Read {
  std::vector<Credit> credits;
  int64_t debits = 0;
  std::vector<Error> problems;
};

Read from_coda(std::string_view text, const std::string& name) {
  Read out;
  auto file = format::read_coda(text, name);
  out.problems = std::move(file.problems);
  for (const auto& s : file.statements)
    for (const auto& m : s.moves) {
      // A total whose details follow is read through its details, never twice.
      if (m.globalised) continue;
      if (m.cents <= 0) {
        ++out.debits;
        continue;
      }
      Credit c;
      c.key = fmt::format("coda:{}:{}:{}:{}:{}", s.account, m.bank_reference, m.sequence, m.entry_date, m.cents);
      c.line = m.line;
      c.booked = m.entry_date ? m.entry_date : m.value_date;
      c.cents = m.cents;
      c.communication = m.structured_type.empty() ? m.communication : "+++" + m.communication + "+++";
      c.payer_reference = m.customer_reference;
      c.counterparty = m.counterparty_name.empty() ? m.counterparty_account
                                                   : m.counterparty_name + (m.counterparty_account.empty() ? "" : " " + m.counterparty_account);
      out.credits.push_back(std::move(c));
    }
  return out;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// "1.234,56", "1234.56", "+12,5", "-3" (euros) to cents; nullopt when not an amount.
std::optional<int64_t> euros_to_cents(std::string v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](char c) { return c == ' ' || c == '\'' || c == '+'; }), v.end());
  bool negative = false;
  if (!v.empty() && v.front() == '-') {
    negative = true;
    v.erase(0, 1);
  }
  const size_t comma = v.rfind(','), dot = v.rfind('.');
  size_t decimal = std::string::npos;
  if (comma != std::string::npos && (dot == std::string::npos || comma > dot)) decimal = comma;
  else if (dot != std::string::npos) decimal = dot;
  std::string whole = decimal == std::string::npos ? v : v.substr(0, decimal);
  std::string cents = decimal == std::string::npos ? "" : v.substr(decimal + 1);
  whole.erase(std::remove_if(whole.begin(), whole.end(), [](char c) { return c == '.' || c == ','; }), whole.end());
  if (whole.empty() || whole.size() > 12 || cents.size() > 2 || whole.find_first_not_of("0123456789") != std::string::npos ||
      cents.find_first_not_of("0123456789") != std::string::npos)
    return std::nullopt;
  cents.resize(2, '0');
  const int64_t value = std::stoll(whole) * 100 + std::stoll(cents);
  return negative ? -value : value;
}

// YYYY-MM-DD, DD/MM/YYYY, DD-MM-YYYY or DD.MM.YYYY; 0 when none.
model::Date any_date(const std::string& v) {
  if (auto iso = model::parse_iso_date(v)) return iso;
  static const std::regex dmy(R"(^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$)");
  std::smatch m;
  if (!std::regex_match(v, m, dmy)) return 0;
  return model::parse_iso_date(fmt::format("{}-{:0>2}-{:0>2}", m[3].str(), m[2].str(), m[1].str()));
}

Read from_csv(std::string_view text, const std::string& name) {
  Read out;
  const size_t eol = text.find('\n');
  const std::string_view header = text.substr(0, eol);
  const char separator = std::count(header.begin(), header.end(), ';') > std::count(header.begin(), header.end(), ',') ? ';' : ',';
  format::Table t = format::parse_table(text, separator);
  for (const auto& p : t.problems)
    out.problems.push_back({.code = "Z00234", .message = fmt::format("column {}: {}", p.column, p.message), .file = name, .record = p.line});
  // The banks' exports name their columns in French, Dutch or English.
  // The first of `names` (the most particular first) that the file has.
  auto column = [&](std::initializer_list<const char*> names) -> int {
    for (const char* n : names)
      for (size_t c = 0; c < t.header.size(); ++c)
        if (lower(t.header[c]) == n) return static_cast<int>(c);
    return -1;
  };
  const int date = column({"date", "booking date", "booked", "date comptable", "date valeur", "value date", "boekingsdatum",
                           "valutadatum", "datum", "execution date", "date d'exécution", "uitvoeringsdatum"});
  const int amount = column({"amount", "montant", "bedrag"});
  // A bank may split the communication over several columns (KBC: structured and free; BNP
  // Paribas Fortis: communication and details): every one there is read, in the file's order.
  std::vector<int> communications;
  for (size_t c = 0; c < t.header.size(); ++c)
    for (const char* n : {"communication", "communications", "mededeling", "mededelingen", "message", "remittance", "details",
                          "description", "omschrijving", "gestructureerde mededeling", "vrije mededeling", "communication structurée",
                          "communication libre", "détails", "détails du mouvement", "libellés", "structured communication"})
      if (lower(t.header[c]) == n) {
        communications.push_back(static_cast<int>(c));
        break;
      }
  const int communication = communications.empty() ? -1 : communications.front();
  const int counterparty = column({"counterparty", "counterparty name", "contrepartie", "nom de la contrepartie", "tegenpartij",
                                   "naam van de tegenpartij", "naam tegenpartij", "naam tegenpartij bevat", "name", "nom", "naam"});
  const int reference = column({"reference", "référence", "referentie", "end-to-end", "end to end reference", "payer reference"});
  const int bank_reference = column({"bank reference", "référence bancaire", "bankreferentie", "transaction id", "sequence",
                                     "numéro de séquence", "volgnummer", "numéro de mouvement", "transactienummer"});
  const int account = column({"counterparty account", "compte de la contrepartie", "rekening tegenpartij", "rekeningnummer tegenpartij",
                              "compte partie adverse", "contrepartie iban", "iban"});
  if (date < 0 || amount < 0 || communication < 0) {
    out.problems.push_back({.code = "Z00234",
                            .message = "a statement in CSV has columns date, amount and communication (docs/provider.md names them "
                                       "in French, Dutch and English)",
                            .file = name, .record = 1});
    return out;
  }
  std::map<std::string, int> seen;  // identical rows are distinct payments: their rank tells them apart
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const auto& row = t.rows[i];
    auto cell = [&](int c) { return c >= 0 && static_cast<size_t>(c) < row.size() ? row[static_cast<size_t>(c)] : std::string(); };
    const uint64_t line = t.line_numbers[i];
    const auto cents = euros_to_cents(cell(amount));
    const model::Date booked = any_date(cell(date));
    if (!cents || !booked) {
      out.problems.push_back({.code = "Z00234",
                              .message = !cents ? fmt::format("amount '{}' is not euros (1234,56 or 1234.56)", cell(amount))
                                                : fmt::format("date '{}' is not YYYY-MM-DD or DD/MM/YYYY", cell(date)),
                              .file = name, .record = line, .zone = !cents ? t.header[static_cast<size_t>(amount)] : t.header[static_cast<size_t>(date)]});
      continue;
    }
    if (*cents <= 0) {
      ++out.debits;
      continue;
    }
    Credit c;
    std::string said;
    for (int k : communications) said += cell(k) + "|";
    const std::string identity = fmt::format("{}|{}|{}|{}|{}|{}", booked, *cents, said, cell(counterparty), cell(reference),
                                             cell(bank_reference));
    c.key = fmt::format("csv:{}#{}", identity, seen[identity]++);
    c.line = line;
    c.booked = booked;
    c.cents = *cents;
    for (int k : communications)
      if (const std::string part = cell(k); !part.empty()) c.communication += (c.communication.empty() ? "" : " ") + part;
    c.payer_reference = cell(reference);
    c.counterparty = cell(counterparty) + (cell(account).empty() ? "" : " " + cell(account));
    out.credits.push_back(std::move(c));
  }
  return out;
}

// What a fund's transfer says of itself: its payment reference (YYYY/2/nnnnnnn in its
// communication, or the statement form 0YYYY2nnnnnnn as the payer's reference), the envoi
// number and billed month ("ENVOI 012 11/2026"), and whether it is a complement.
struct Named {
  std::string reference;
  int envoi = 0;
  std::string month;  // YYYYMM
  bool complement = false;
  std::string account = "A";  // "COMPTE B" / "REKENING B": the envoi's account B
};

Named named_in(const Credit& c) {
  static const std::regex slashed(R"((\d{4})/2/(\d{7}))");
  static const std::regex statement(R"((?:^|[^0-9])0(\d{4})2(\d{7})(?:[^0-9]|$))");
  static const std::regex envoi(R"((?:ENVOI|ZENDING|SENDUNG|ENVOY)\s*(?:N[O°R]?\.?\s*)?(\d{1,3})(\*?)\s+(\d{1,2})/(\d{4}))", std::regex::icase);
  static const std::regex complement(R"(COMPL[EÉ]MENT|AANVULLING)", std::regex::icase);
  Named n;
  std::smatch m;
  if (std::regex_search(c.communication, m, slashed)) n.reference = m[1].str() + "/2/" + m[2].str();
  else if (std::regex_search(c.payer_reference, m, statement) || std::regex_search(c.communication, m, statement))
    n.reference = m[1].str() + "/2/" + m[2].str();
  if (std::regex_search(c.communication, m, envoi)) {
    n.envoi = std::stoi(m[1].str());
    n.month = fmt::format("{}{:02d}", m[4].str(), std::stoi(m[3].str()));
    n.complement = m[2].length() > 0;  // complements are marked * after the envoi number
  }
  n.complement = n.complement || std::regex_search(c.communication, complement);
  static const std::regex account(R"((?:COMPTE|REKENING|KONTO|ACCOUNT)\s+([ABC])\b)", std::regex::icase);
  if (std::regex_search(c.communication, m, account)) n.account = m[1].str();
  return n;
}

}  // namespace

Result<ReconcileOutcome> Book::reconcile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail({.code = "Z00234", .message = "cannot read it", .file = path});
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return reconcile_text(bytes.str(), path.substr(path.find_last_of('/') == std::string::npos ? 0 : path.find_last_of('/') + 1));
}

Result<ReconcileOutcome> Book::reconcile_text(const std::string& text, const std::string& name) {
  Read read = format::looks_like_coda(text) ? from_coda(text, name) : from_csv(text, name);
  ReconcileOutcome out;
  out.problems = std::move(read.problems);
  out.credits = static_cast<int64_t>(read.credits.size());

  std::lock_guard<std::mutex> lock(impl_->m);
  sqlite3* db = impl_->db;
  // The payment references the fund's answers gave (ET 91 zones 423 / 424), and their envois.
  std::map<std::string, std::set<int64_t>> by_reference;  // two funds may give alike references
  {
    Stmt a(db, "SELECT envoi_id, content FROM answers WHERE message = '920900'");
    while (a.step() == SQLITE_ROW) {
      auto r = read_response(a.text(1), "answer");
      if (!r) continue;
      for (const auto& t : r->mutualities)
        for (const auto* ref : {&t.payment_reference_a, &t.payment_reference_b})
          if (!ref->empty()) by_reference[*ref].insert(a.i64(0));
    }
  }
  if (auto b = impl_->exec("BEGIN IMMEDIATE"); !b) return fail(b.error());
  auto rollback = [&](const std::string& what) {
    (void)impl_->exec("ROLLBACK");
    return impl_->error(what);
  };
  for (const auto& c : read.credits) {
    const Named n = named_in(c);
    std::string state = "unmatched", reason;
    int64_t envoi_id = 0;
    if (n.reference.empty() && !n.envoi) {
      state = "not billing";
      reason = "names no fund payment (no payment reference, no envoi)";
    } else {
      // Already on another line from the same payer: a payment is made once. (Each fund numbers
      // its own payments: two funds' references may be alike.)
      if (!n.reference.empty()) {
        Stmt twice(db, "SELECT id FROM statement_lines WHERE payment_reference = ?1 AND counterparty = ?2 AND key <> ?3 "
                       "AND state <> 'not billing' LIMIT 1");
        twice.bind(1, n.reference).bind(2, c.counterparty).bind(3, c.key);
        if (twice.step() == SQLITE_ROW) reason = fmt::format("payment {} is already on statement line {}", n.reference, twice.i64(0));
      }
      if (reason.empty() && by_reference.count(n.reference) && by_reference[n.reference].size() == 1)
        envoi_id = *by_reference[n.reference].begin();
      if (reason.empty() && !envoi_id && n.envoi) {
        Stmt e(db, "SELECT id FROM envois WHERE envoi_number = ?1 AND billed_month = ?2 AND state IN ('accepted', 'paid') "
                   "ORDER BY environment = 'production' DESC, id DESC");
        e.bind(1, int64_t{n.envoi}).bind(2, n.month);
        std::vector<int64_t> ids;
        while (e.step() == SQLITE_ROW) ids.push_back(e.i64(0));
        if (ids.size() == 1) envoi_id = ids[0];
        else if (ids.empty()) reason = fmt::format("no accepted envoi {:03d} of {} in the book", n.envoi, n.month);
        else reason = fmt::format("{} accepted envois {:03d} of {} (one per union?): finalise by hand", ids.size(), n.envoi, n.month);
      } else if (reason.empty() && !envoi_id) {
        reason = fmt::format("payment {} names no envoi, and no answer of the book gave that reference", n.reference);
      }
      // One payment per envoi and account: a second is not this envoi's (or paid twice: said).
      if (envoi_id && !n.complement) {
        Stmt paid(db, "SELECT id FROM statement_lines WHERE envoi_id = ?1 AND account = ?2 AND complement = 0 "
                      "AND state IN ('matched', 'finalised') AND key <> ?3 LIMIT 1");
        paid.bind(1, envoi_id).bind(2, n.account).bind(3, c.key);
        if (paid.step() == SQLITE_ROW) {
          reason = fmt::format("the envoi is already paid on account {} (statement line {})", n.account, paid.i64(0));
          envoi_id = 0;
        }
      }
      if (envoi_id) state = n.complement ? "complement" : "matched";
    }
    Stmt ins(db, "INSERT INTO statement_lines (key, source, line, booked, cents, communication, payer_reference, counterparty, "
                 "payment_reference, envoi_number, billed_month, complement, state, reason, envoi_id, account, recorded) VALUES (?1, "
                 "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, strftime('%s', 'now')) ON CONFLICT (key) DO NOTHING");
    ins.bind(1, c.key).bind(2, name).bind(3, static_cast<int64_t>(c.line)).bind(4, int64_t{c.booked}).bind(5, c.cents);
    ins.bind(6, c.communication).bind(7, c.payer_reference).bind(8, c.counterparty).bind(9, n.reference).bind(10, int64_t{n.envoi});
    ins.bind(11, n.month).bind(12, int64_t{n.complement}).bind(13, state).bind(14, reason);
    if (envoi_id) ins.bind(15, envoi_id);  // else NULL: unbound
    ins.bind(16, n.account);
    if (ins.step() != SQLITE_DONE) return rollback("record a statement line");
    if (sqlite3_changes(db) == 0) {
      ++out.already;
      continue;
    }
    if (state == "matched") ++out.matched;
    else if (state == "complement") ++out.complements;
    else if (state == "unmatched") {
      ++out.unmatched;
      out.problems.push_back({.code = "Z00235", .message = fmt::format("credit of {}.{:02d} EUR: {}", c.cents / 100, c.cents % 100, reason),
                              .file = name, .record = c.line});
    }
    else ++out.not_billing;
    if (state == "matched") {
      auto paid = impl_->pay(envoi_id);
      if (!paid) return rollback("pay an envoi");
      out.envois_paid += paid->first;
      out.attestations_paid += paid->second;
    }
  }
  if (auto c = impl_->exec("COMMIT"); !c) return fail(c.error());
  return out;
}

Result<std::pair<int64_t, int64_t>> Book::Impl::pay(int64_t envoi_id) {
  Stmt e(db, "UPDATE envois SET state = 'paid' WHERE id = ?1 AND state <> 'paid'");
  e.bind(1, envoi_id);
  if (e.step() != SQLITE_DONE) return error("mark an envoi paid");
  const int64_t envois = sqlite3_changes(db);
  Stmt a(db, "UPDATE attestations SET state = 'paid', reason = '' WHERE envoi_id = ?1 AND state = 'batched'");
  a.bind(1, envoi_id);
  if (a.step() != SQLITE_DONE) return error("mark attestations paid");
  return std::pair<int64_t, int64_t>{envois, sqlite3_changes(db)};
}

Result<std::vector<StatementLine>> Book::statement_lines(const std::string& state) {
  std::lock_guard<std::mutex> lock(impl_->m);
  std::vector<StatementLine> out;
  Stmt s(impl_->db, "SELECT id, source, line, booked, cents, communication, payer_reference, counterparty, payment_reference, "
                    "envoi_number, billed_month, complement, state, reason, COALESCE(envoi_id, 0) FROM statement_lines "
                    "WHERE ?1 = '' OR state = ?1 ORDER BY id");
  s.bind(1, state);
  while (s.step() == SQLITE_ROW) {
    StatementLine l;
    l.id = s.i64(0);
    l.source = s.text(1);
    l.line = static_cast<uint64_t>(s.i64(2));
    l.booked = static_cast<model::Date>(s.i64(3));
    l.cents = s.i64(4);
    l.communication = s.text(5);
    l.payer_reference = s.text(6);
    l.counterparty = s.text(7);
    l.payment_reference = s.text(8);
    l.envoi_number = static_cast<int>(s.i64(9));
    l.billed_month = s.text(10);
    l.complement = s.i64(11) != 0;
    l.state = s.text(12);
    l.reason = s.text(13);
    l.envoi_id = s.i64(14);
    out.push_back(std::move(l));
  }
  return out;
}

Result<StatementLine> Book::finalise(int64_t line_id, const Finalise& what) {
  const int said = (!what.envoi.empty()) + (!what.attestations.empty()) + what.not_billing;
  if (said != 1) return fail({.code = "Z00224", .message = "say what the credit pays: an envoi, attestations, or nothing billed (one of them)"});
  {
    std::lock_guard<std::mutex> lock(impl_->m);
    sqlite3* db = impl_->db;
    {
      Stmt l(db, "SELECT state FROM statement_lines WHERE id = ?1");
      l.bind(1, line_id);
      if (l.step() != SQLITE_ROW) return fail({.code = "Z00224", .message = fmt::format("no statement line {}", line_id)});
      if (l.text(0) != "unmatched")
        return fail({.code = "Z00224", .message = fmt::format("statement line {} is {}: only an unmatched one is finalised", line_id, l.text(0))});
    }
    if (auto b = impl_->exec("BEGIN IMMEDIATE"); !b) return fail(b.error());
    auto rollback = [&](Error e) {
      (void)impl_->exec("ROLLBACK");
      return fail(std::move(e));
    };
    int64_t envoi_id = 0;
    std::string note = what.note;
    if (!what.envoi.empty()) {
      // An input reference, or "number/YYYYMM".
      const auto slash = what.envoi.find('/');
      Stmt e(db, slash == std::string::npos ? "SELECT id FROM envois WHERE input_reference = ?1 AND ?2 = ''"
                                            : "SELECT id FROM envois WHERE envoi_number = CAST(?1 AS INTEGER) AND billed_month = ?2 "
                                              "AND state IN ('accepted', 'paid')");
      if (slash == std::string::npos) e.bind(1, what.envoi).bind(2, std::string());
      else e.bind(1, what.envoi.substr(0, slash)).bind(2, what.envoi.substr(slash + 1));
      std::vector<int64_t> ids;
      while (e.step() == SQLITE_ROW) ids.push_back(e.i64(0));
      if (ids.size() != 1)
        return rollback({.code = "Z00224", .message = fmt::format("envoi '{}' is {} in the book (its input reference, or number/YYYYMM of an "
                                                                  "accepted one)", what.envoi, ids.empty() ? "not" : "more than one")});
      envoi_id = ids[0];
      if (auto p = impl_->pay(envoi_id); !p) return rollback(p.error());
    }
    for (const auto& ref : what.attestations) {
      Stmt a(db, "UPDATE attestations SET state = 'paid', reason = ?1 WHERE reference = ?2 AND state IN ('batched', 'to correct', "
                 "'corrected')");
      a.bind(1, fmt::format("finalised by hand with statement line {}", line_id)).bind(2, ref);
      if (a.step() != SQLITE_DONE) return rollback(impl_->error("finalise an attestation").value());
      if (sqlite3_changes(db) == 0)
        return rollback({.code = "Z00224", .message = fmt::format("attestation {} is not batched, to correct or corrected", ref)});
    }
    if (!what.attestations.empty() && note.empty()) note = "pays attestations " + fmt::format("{}", fmt::join(what.attestations, ", "));
    Stmt u(db, "UPDATE statement_lines SET state = ?1, reason = ?2, envoi_id = ?3 WHERE id = ?4");
    u.bind(1, what.not_billing ? "not billing" : "finalised").bind(2, note.empty() ? "finalised by hand" : note);
    if (envoi_id) u.bind(3, envoi_id);  // else NULL: unbound
    u.bind(4, line_id);
    if (u.step() != SQLITE_DONE) return rollback(impl_->error("finalise a statement line").value());
    if (auto c = impl_->exec("COMMIT"); !c) return fail(c.error());
  }
  auto lines = statement_lines();
  if (!lines) return fail(lines.error());
  for (auto& l : *lines)
    if (l.id == line_id) return std::move(l);
  return fail({.code = "Z00224", .message = "the statement line went away"});
}

}  // namespace mutua::provider
