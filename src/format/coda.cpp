#include "mutua/coda.h"

#include <fmt/format.h>

#include "format/utf8.h"

namespace mutua::format {

namespace {

// windows-1252's 0x80-0x9F (0: unassigned); 0xA0-0xFF are Latin-1.
constexpr char32_t kCp1252High[32] = {0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
                                      0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
                                      0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

void put_utf8(std::string& out, char32_t c) {
  if (c < 0x80) {
    out += static_cast<char>(c);
  } else if (c < 0x800) {
    out += static_cast<char>(0xC0 | (c >> 6));
    out += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (c >> 12));
    out += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (c & 0x3F));
  }
}

// A zone's text: windows-1252 as the banks write it (UTF-8 kept as it is), trailing spaces off.
std::string text(std::string_view z, bool utf8) {
  while (!z.empty() && (z.back() == ' ' || z.back() == '\0')) z.remove_suffix(1);
  if (utf8) return std::string(z);
  std::string out;
  for (unsigned char c : z) {
    if (c < 0x80) out += static_cast<char>(c);
    else if (c < 0xA0) put_utf8(out, kCp1252High[c - 0x80] ? kCp1252High[c - 0x80] : U'?');
    else put_utf8(out, c);
  }
  return out;
}

std::string trim(std::string_view z) {
  while (!z.empty() && z.front() == ' ') z.remove_prefix(1);
  while (!z.empty() && z.back() == ' ') z.remove_suffix(1);
  return std::string(z);
}

bool all_digits(std::string_view z) { return !z.empty() && z.find_first_not_of("0123456789") == std::string_view::npos; }

// DDMMYY as YYYYMMDD (years 00-69 are 20xx); 0 when not a date (a blank date is allowed).
int date_of(std::string_view z) {
  if (!all_digits(z) || z.size() != 6) return 0;
  const int d = std::stoi(std::string(z.substr(0, 2))), m = std::stoi(std::string(z.substr(2, 2))),
            y = std::stoi(std::string(z.substr(4, 2)));
  if (d < 1 || d > 31 || m < 1 || m > 12) return 0;
  return ((y < 70 ? 2000 : 1900) + y) * 10000 + m * 100 + d;
}

std::string ddmmyy(int date) { return fmt::format("{:02d}{:02d}{:02d}", date % 100, date / 100 % 100, date / 10000 % 100); }

// A zone of `n` characters: the text cut or padded with spaces (the writer's input is ASCII).
std::string field(std::string_view s, size_t n) {
  std::string out(s.substr(0, n));
  out.resize(n, ' ');
  return out;
}

std::string amount(int64_t cents, size_t digits) {
  const int64_t milli = (cents < 0 ? -cents : cents) * 10;
  return fmt::format("{}{:0{}d}", cents < 0 ? '1' : '0', milli, digits);
}

}  // namespace

bool looks_like_coda(std::string_view t) {
  if (t.size() >= 3 && t.substr(0, 3) == "\xEF\xBB\xBF") t.remove_prefix(3);
  return t.size() >= 128 && t.substr(0, 5) == "00000" && t[127] == '2';
}

CodaFile read_coda(std::string_view all, const std::string& file_name) {
  CodaFile out;
  const bool utf8 = valid_utf8(all);
  if (all.size() >= 3 && all.substr(0, 3) == "\xEF\xBB\xBF") all.remove_prefix(3);
  CodaStatement* st = nullptr;
  CodaMove* move = nullptr;  // the movement whose 2.2 / 2.3 may follow
  int64_t credits = 0, debits = 0, records = 0;
  uint64_t line_no = 0;
  auto problem = [&](uint64_t line, size_t position, std::string_view type, std::string message) {
    out.problems.push_back({.code = "Z00234", .message = std::move(message), .file = file_name, .record = line,
                            .record_type = std::string(type), .position = position});
  };
  // An amount: its sign (0 credit, 1 debit) and 15 digits with three decimals.
  auto money = [&](std::string_view r, size_t at, std::string_view type, int64_t& cents) {
    const std::string_view digits = r.substr(at, 15);
    if ((r[at - 1] != '0' && r[at - 1] != '1') || !all_digits(digits)) {
      problem(line_no, at, type, fmt::format("the amount at position {} is not a sign and 15 digits: '{}'", at, r.substr(at - 1, 16)));
      return false;
    }
    const int64_t milli = std::stoll(std::string(digits));
    cents = (r[at - 1] == '1' ? -1 : 1) * (milli / 10);
    return true;
  };
  size_t start = 0;
  while (start < all.size()) {
    size_t end = all.find('\n', start);
    if (end == std::string_view::npos) end = all.size();
    std::string_view r = all.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!r.empty() && r.back() == '\r') r.remove_suffix(1);
    if (r.empty()) continue;
    if (r.size() < 128) {
      // Some banks cut trailing spaces: put them back; shorter than what a record needs is said below.
      static thread_local std::string padded;
      padded.assign(r);
      padded.resize(128, ' ');
      r = padded;
    }
    const char kind = r[0];
    if (kind == '0') {
      out.statements.emplace_back();
      st = &out.statements.back();
      move = nullptr;
      credits = debits = records = 0;
      if (r[127] != '2') problem(line_no, 128, "0", fmt::format("CODA version '{}' (position 128): only version 2 is read", r[127]));
      st->creation_date = date_of(r.substr(5, 6));
      st->bank_id = trim(r.substr(11, 3));
      continue;
    }
    if (!st) {
      problem(line_no, 1, std::string(1, kind), "a record before any header (record 0)");
      continue;
    }
    if (kind != '9') ++records;
    switch (kind) {
      case '1': {
        const char structure = r[1];
        st->number = all_digits(r.substr(2, 3)) ? std::stoi(std::string(r.substr(2, 3))) : 0;
        const std::string_view acc = r.substr(5, 37);
        if (structure == '0') {
          st->account = trim(acc.substr(0, 12));
          st->currency = trim(acc.substr(13, 3));
        } else {
          st->account = trim(acc.substr(0, structure == '2' ? 31 : 34));
          st->currency = trim(acc.substr(34, 3));
        }
        money(r, 43, "1", st->old_balance_cents);
        st->holder = text(r.substr(64, 26), utf8);
        break;
      }
      case '2': {
        const char article = r[1];
        const std::string sequence = std::string(r.substr(2, 4)) + std::string(r.substr(6, 4));
        if (article == '1') {
          CodaMove m;
          m.line = line_no;
          m.sequence = sequence;
          m.bank_reference = trim(r.substr(10, 21));
          if (!money(r, 32, "21", m.cents)) {
            move = nullptr;
            continue;
          }
          m.value_date = date_of(r.substr(47, 6));
          m.transaction_code = std::string(r.substr(53, 8));
          if (r[61] == '1') {
            m.structured_type = std::string(r.substr(62, 3));
            m.communication = m.structured_type == "101" || m.structured_type == "102" ? trim(r.substr(65, 12)) : text(r.substr(65, 50), utf8);
          } else {
            m.communication = std::string(r.substr(62, 53));
          }
          m.entry_date = date_of(r.substr(115, 6));
          m.globalised = r[124] != '0' && r[124] != ' ';
          const char type = m.transaction_code[0];
          if (type >= '0' && type <= '3') {
            if (m.cents > 0) credits += m.cents;
            else debits -= m.cents;
          }
          st->moves.push_back(std::move(m));
          move = &st->moves.back();
        } else if (article == '2' || article == '3') {
          if (!move || move->sequence != sequence) {
            problem(line_no, 3, fmt::format("2{}", article), fmt::format("record 2.{} of movement {} follows no 2.1 of it", article, sequence));
            continue;
          }
          if (article == '2') {
            if (move->structured_type.empty()) move->communication += std::string(r.substr(10, 53));
            move->customer_reference = trim(r.substr(63, 35));
            move->counterparty_bic = trim(r.substr(98, 11));
          } else {
            move->counterparty_account = trim(r.substr(10, 34));  // then its currency
            move->counterparty_name = trim(text(r.substr(47, 35), utf8));  // some banks start it one position late
            if (move->structured_type.empty()) move->communication += std::string(r.substr(82, 43));
          }
        } else {
          problem(line_no, 2, "2", fmt::format("record 2.{}: a movement has articles 1, 2 and 3", article));
        }
        break;
      }
      case '3':
      case '4':
        break;  // information and free messages: nothing a reconciliation reads
      case '8':
        money(r, 42, "8", st->new_balance_cents);
        break;
      case '9': {
        // The trailer's totals are 15 digits each, without a sign.
        const bool read = all_digits(r.substr(22, 15)) && all_digits(r.substr(37, 15));
        const int64_t total_debit = read ? std::stoll(std::string(r.substr(22, 15))) / 10 : 0;
        const int64_t total_credit = read ? std::stoll(std::string(r.substr(37, 15))) / 10 : 0;
        if (!read) problem(line_no, 23, "9", "the trailer's totals (positions 23-52) are not digits");
        if (!all_digits(r.substr(16, 6)) || std::stoll(std::string(r.substr(16, 6))) != records)
          problem(line_no, 17, "9", fmt::format("the trailer counts '{}' records; the statement has {}", r.substr(16, 6), records));
        if (read && (total_credit != credits || total_debit != debits))
          problem(line_no, 23, "9", fmt::format("the trailer's totals (debit {}, credit {} cents) are not the movements' ({}, {})",
                                                total_debit, total_credit, debits, credits));
        if (st->new_balance_cents - st->old_balance_cents != credits - debits)
          problem(line_no, 1, "9", fmt::format("new balance {} - old balance {} is not credits {} - debits {} (cents)",
                                               st->new_balance_cents, st->old_balance_cents, credits, debits));
        st = nullptr;
        move = nullptr;
        break;
      }
      default:
        problem(line_no, 1, std::string(1, kind), fmt::format("record type '{}' is not a CODA record", kind));
    }
  }
  if (st) problem(line_no, 0, "9", "the last statement has no trailer (record 9): the file may be cut short");
  // Free communications are kept whole: trailing spaces off, text decoded.
  for (auto& s : out.statements)
    for (auto& m : s.moves)
      if (m.structured_type.empty()) m.communication = text(m.communication, utf8);
  return out;
}

std::string write_coda(const CodaStatement& s) {
  std::string out;
  auto record = [&](std::string r) {
    r.resize(128, ' ');
    out += r;
    out += "\r\n";
  };
  const std::string account_zone = field(s.account, 31) + "   " + field(s.currency, 3);  // structure 2: Belgian IBAN
  record(fmt::format("00000{}{:3.3}05 {:7}{:10}{:26}{:11}{:11} 00000", ddmmyy(s.creation_date), field(s.bank_id, 3), "",
                     "", field(s.holder, 26), "", "") + std::string(39, ' ') + "2");
  record(fmt::format("12{:03d}{}{}{}{}{}{:03d}", s.number % 1000, account_zone, amount(s.old_balance_cents, 15),
                     ddmmyy(s.creation_date), field(s.holder, 26), field("", 35), s.number % 1000));
  int64_t credits = 0, debits = 0, records = 1;
  int sequence = 0;
  for (const auto& m : s.moves) {
    ++sequence;
    const std::string communication = field(m.communication, 149);
    const bool structured = !m.structured_type.empty();
    const std::string comm21 = structured ? "1" + field(m.structured_type, 3) + field(m.communication, 50) : "0" + communication.substr(0, 53);
    record(fmt::format("21{:04d}0000{}{}{}{}{}{}{:03d}01 0", sequence, field(m.bank_reference, 21), amount(m.cents, 15),
                       ddmmyy(m.value_date), field(m.transaction_code, 8), comm21, ddmmyy(m.entry_date ? m.entry_date : m.value_date),
                       s.number % 1000));
    record(fmt::format("22{:04d}0000{}{}{}{:16}1 0", sequence, structured ? std::string(53, ' ') : communication.substr(53, 53),
                       field(m.customer_reference, 35), field(m.counterparty_bic, 11), ""));
    record(fmt::format("23{:04d}0000{}{}{}0 0", sequence, field(m.counterparty_account, 37), field(m.counterparty_name, 35),
                       structured ? std::string(43, ' ') : communication.substr(106, 43)));
    records += 3;
    if (m.cents > 0) credits += m.cents;
    else debits -= m.cents;
  }
  const int64_t closing = s.old_balance_cents + credits - debits;
  record(fmt::format("8{:03d}{}{}{}", s.number % 1000, account_zone.substr(0, 37), amount(closing, 15), ddmmyy(s.creation_date)) +
         std::string(64, ' ') + "0");
  ++records;
  record(fmt::format("9{:15}{:06d}{:015d}{:015d}", "", records, debits * 10, credits * 10) + std::string(75, ' ') + "1");
  return out;
}

}  // namespace mutua::format
