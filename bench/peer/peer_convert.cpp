// Converts the SQL peer's data set (../shared/bench/sql-peer/gen.py: members, nomenclature,
// ban, hosp, history and envoi TSV files) into what mutua reads, so that both judge the same
// lines:
//   peer_convert world PEER_DATA OUT    reference CSV files (docs/refdata.md) into OUT/refdata,
//                                       billing files into OUT/envois: the 100k envoi, and the
//                                       1M envoi cut in ten envois of 100k lines
//   peer_convert history PEER_DATA DB   the 5M history lines into a store (Store::load_history)
// Every line keeps its peer line number in ET 50 zone 28 (the provider's reference), so that the
// responses can be compared line by line (bench/peer/check.py). The mapping is deterministic:
//   patient p   -> a valid NISS (birth date and serial from p; odd serial = male, as the peer's sex)
//   provider i  -> INAMI 1xxxxx + check + 003 (a GP), all known to the fund
//   code c      -> its first five digits and their check digit (mod 7); a collision takes the next
//   a stay      -> hospitalisations.csv, discharge empty when the peer's is NULL (an open stay)
//   a ban pair  -> cumulations.csv, scope day
// Everything else a fund checks is made to pass: all members insured, fees and amounts agree, no
// prescriber needed, the envois' senders known with their bank accounts.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "mutua/check_digits.h"
#include "mutua/model/dates.h"
#include "mutua/model/envoi.h"
#include "mutua/model/envoi_writer.h"
#include "mutua/model/history.h"
#include "mutua/store/sqlite.h"
#include "mutua/writer.h"

namespace {

using mutua::model::Date;
namespace check = mutua::check;

constexpr int64_t kFeeCents = 2500;
constexpr int kEnvois = 10;
constexpr Date kCreated = 20260105, kBilledYear = 2025, kBilledMonth = 12;
const char* kMutuality = "301";
const char* kFederation = "300";

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "peer_convert: %s\n", what.c_str());
  std::exit(2);
}

std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) die("cannot read " + path);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    size_t start = 0;
    for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
      cells.push_back(line.substr(start, tab - start));
    cells.push_back(line.substr(start));
    rows.push_back(std::move(cells));
  }
  return rows;
}

// Streams a large TSV without keeping it (history: 5M rows).
template <class F>
void each_tsv_row(const std::string& path, F&& f) {
  std::ifstream in(path);
  if (!in) die("cannot read " + path);
  std::vector<std::string_view> cells;
  for (std::string line; std::getline(in, line);) {
    cells.clear();
    std::string_view v(line);
    size_t start = 0;
    for (size_t tab; (tab = v.find('\t', start)) != std::string_view::npos; start = tab + 1)
      cells.push_back(v.substr(start, tab - start));
    cells.push_back(v.substr(start));
    f(cells);
  }
}

Date iso_date(std::string_view s) {
  if (s.size() != 10) die(fmt::format("not an ISO date: '{}'", s));
  return static_cast<Date>(std::stoi(std::string(s.substr(0, 4))) * 10000 + std::stoi(std::string(s.substr(5, 2))) * 100 +
                           std::stoi(std::string(s.substr(8, 2))));
}

int to_int(std::string_view s) { return std::stoi(std::string(s)); }

struct Mapping {
  std::vector<char> sex;                               // by patient id: 'M' / 'F'
  std::unordered_map<int, std::string> code;           // peer code -> mutua code
  std::string niss(int p) const {
    // Birth dates from 1940-01-01 over 20,000 days; the serial says the block of 20,000 and the
    // sex (odd: male), as a NISS does.
    const int day = p % 20000, block = p / 20000;  // block 0..50
    const Date birth = mutua::model::add_days(19400101, day);
    const int serial = 2 * block + (sex[static_cast<size_t>(p)] == 'M' ? 1 : 2);
    const uint64_t body = static_cast<uint64_t>((birth / 10000 % 100) * 10000 + birth % 10000) * 1000 +
                          static_cast<uint64_t>(serial);
    return fmt::format("{:09d}{:02d}", body, check::niss_check(body, birth >= 20000101));
  }
  static std::string provider(int id) {
    const auto base = static_cast<uint32_t>(100000 + id);
    return fmt::format("{:06d}{:02d}003", base, check::inami_check(base));
  }
  static std::string sender(int k) { return fmt::format("9{:010d}", 4200000000ULL + static_cast<uint64_t>(k)); }
  static std::string hospital(int stay) {
    const auto base = static_cast<uint32_t>(710000 + stay % 1000);
    return fmt::format("{:06d}{:02d}000", base, check::inami_check(base));
  }
};

Mapping read_mapping(const std::string& peer) {
  Mapping m;
  auto members = read_tsv(peer + "/members.tsv");
  m.sex.assign(members.size() + 1, 'F');
  for (const auto& r : members) m.sex[static_cast<size_t>(to_int(r[0]))] = r[1][0];
  std::map<int, bool> used;
  auto nomenclature = read_tsv(peer + "/nomenclature.tsv");
  for (const auto& r : nomenclature) {
    int five = to_int(r[0]) / 10;
    while (used.count(five)) ++five;
    used[five] = true;
    m.code[to_int(r[0])] = fmt::format("{:05d}{}", five, check::nomenclature_check(static_cast<uint32_t>(five)));
  }
  return m;
}

std::string iban(uint64_t seed) {
  const uint64_t first10 = 1000000000ULL + seed * 7919 % 8999999999ULL;
  int national = static_cast<int>(first10 % 97);
  if (national == 0) national = 97;
  const std::string bban = fmt::format("{:010d}{:02d}", first10, national);
  return fmt::format("BE{:02d}{}", check::iban_check("BE", bban), bban);
}

std::string bce(uint64_t seed) {
  const uint64_t body = 20000000ULL + seed;
  return fmt::format("0{:08d}{:02d}", body, 97 - body % 97).substr(1);
}

void write_file(const std::string& path, const std::string& text) {
  if (auto w = mutua::write_file_atomically(path, text); !w) die(w.error().message);
}

void world(const std::string& peer, const std::string& out) {
  const Mapping m = read_mapping(peer);
  std::filesystem::create_directories(out + "/refdata");
  std::filesystem::create_directories(out + "/envois");
  std::string members = "niss,birth_date,sex,mutuality,holder\n", insurability = "niss,start,end,ct1,ct2\n";
  for (size_t p = 1; p < m.sex.size(); ++p) {
    const std::string niss = m.niss(static_cast<int>(p));
    const Date birth = mutua::model::add_days(19400101, static_cast<int>(p % 20000));
    members += fmt::format("{},{},{},{},TIT\n", niss, mutua::model::iso(birth), m.sex[p] == 'M' ? 1 : 2, kMutuality);
    insurability += fmt::format("{},2019-01-01,,110,110\n", niss);
  }
  write_file(out + "/refdata/members.csv", members);
  write_file(out + "/refdata/insurability.csv", insurability);
  write_file(out + "/refdata/ct_codes.csv", "ct1,ct2\n110,110\n");

  std::string nomenclature = "code,valid_from,fee_cents,personal_share_cents,prescriber,sex,max_units,max_period\n";
  for (const auto& r : read_tsv(peer + "/nomenclature.tsv")) {
    const bool limited = r[1] != "\\N";
    const std::string sex = r[2] == "M" ? "1" : r[2] == "F" ? "2" : "0";
    nomenclature += fmt::format("{},2019-01-01,{},0,0,{},{},{}\n", m.code.at(to_int(r[0])), kFeeCents, sex,
                                limited ? r[1] : "", limited ? "day" : "");
  }
  write_file(out + "/refdata/nomenclature.csv", nomenclature);

  std::string cumulations = "code,other,scope\n";
  for (const auto& r : read_tsv(peer + "/ban.tsv"))
    cumulations += fmt::format("{},{},day\n", m.code.at(to_int(r[0])), m.code.at(to_int(r[1])));
  write_file(out + "/refdata/cumulations.csv", cumulations);

  std::string stays = "niss,establishment,service,admission,discharge,kind\n";
  for (const auto& r : read_tsv(peer + "/hosp.tsv"))
    stays += fmt::format("{},{},100,{},{},hospital\n", m.niss(to_int(r[1])), Mapping::hospital(to_int(r[0])), r[2],
                         r[3] == "\\N" ? "" : r[3]);
  write_file(out + "/refdata/hospitalisations.csv", stays);

  std::string providers = "inami,kind,qualification,bce,iban_a,bic_a,grouping,language,name\n";
  for (int id = 1; id <= 20000; ++id)
    providers += fmt::format("{},gp,003,{},{},GEBABEBB,,fr,Dr Peer {}\n", Mapping::provider(id),
                             bce(static_cast<uint64_t>(id)), iban(static_cast<uint64_t>(id)), id);
  for (int k = 0; k <= kEnvois; ++k)
    providers += fmt::format("{},grouping,,{},{},GEBABEBB,,fr,Groupement Peer {}\n", Mapping::sender(k),
                             bce(900000 + static_cast<uint64_t>(k)), iban(900000 + static_cast<uint64_t>(k)), k);
  write_file(out + "/refdata/providers.csv", providers);

  // The envois: the 100k one as it is (sender 0), the 1M one in ten of 100k (senders 1-10).
  struct Line {
    int line_no, patient, provider, code, units;
    Date date;
  };
  auto envoi = [&](const std::vector<Line>& lines, int sender, const std::string& path) {
    mutua::model::EnvoiHeader h;
    h.sending_number = 1;
    h.third_party = Mapping::sender(sender);
    h.year = kBilledYear;
    h.month = kBilledMonth;
    h.created = kCreated;
    h.bce = bce(900000 + static_cast<uint64_t>(sender));
    h.iban_a = iban(900000 + static_cast<uint64_t>(sender));
    h.bic_a = "GEBABEBB";
    h.federation = kFederation;
    h.reference = fmt::format("PEER-{}", sender);
    // One invoice per patient, in the order of the patient's first line; the lines of each in
    // peer order (502255 counts in that order).
    std::vector<mutua::model::Invoice> invoices;
    std::unordered_map<int, size_t> invoice_of;
    for (const Line& l : lines) {
      auto [it, fresh] = invoice_of.try_emplace(l.patient, invoices.size());
      if (fresh) {
        mutua::model::Invoice inv;
        inv.affiliation = kMutuality;
        inv.niss = m.niss(l.patient);
        inv.sex = m.sex[static_cast<size_t>(l.patient)] == 'M' ? 1 : 2;
        inv.provider = h.third_party;
        inv.destination = kMutuality;
        inv.number = invoices.size() + 1;
        inv.ct1 = inv.ct2 = 110;
        inv.billing_date = kCreated;
        inv.reference = fmt::format("P{}", inv.number);
        invoices.push_back(std::move(inv));
      }
      mutua::model::Prestation p;
      p.nomenclature = m.code.at(l.code);
      p.first_date = p.last_date = l.date;
      p.provider = Mapping::provider(l.provider);
      p.units = l.units;
      p.amount = kFeeCents * l.units;
      p.reference = std::to_string(l.line_no);
      invoices[it->second].lines.push_back(std::move(p));
    }
    if (auto w = mutua::model::write_envoi(path, h, invoices); !w) die(w.error().message);
  };
  auto read_envoi = [&](const std::string& file) {
    std::vector<Line> lines;
    each_tsv_row(file, [&](const std::vector<std::string_view>& r) {
      lines.push_back({to_int(r[0]), to_int(r[1]), to_int(r[2]), to_int(r[3]), to_int(r[5]), iso_date(r[4])});
    });
    return lines;
  };
  envoi(read_envoi(peer + "/envoi_100k.tsv"), 0, out + "/envois/envoi_100k.efact");
  const std::vector<Line> million = read_envoi(peer + "/envoi_1m.tsv");
  const size_t per = (million.size() + kEnvois - 1) / kEnvois;
  for (int k = 0; k < kEnvois; ++k) {
    const size_t from = static_cast<size_t>(k) * per, to = std::min(million.size(), from + per);
    envoi(std::vector<Line>(million.begin() + static_cast<std::ptrdiff_t>(from), million.begin() + static_cast<std::ptrdiff_t>(to)),
          k + 1, fmt::format("{}/envois/envoi_1m_{:02d}.efact", out, k + 1));
  }
  std::printf("%zu members, %zu codes, ten envois of %zu lines and one of 100k in %s\n", m.sex.size() - 1,
              m.code.size(), per, out.c_str());
}

void history(const std::string& peer, const std::string& db) {
  const Mapping m = read_mapping(peer);
  auto store = mutua::store::open_sqlite(db);
  if (!store) die(store.error().message);
  std::vector<mutua::model::HistoryLine> chunk;
  chunk.reserve(500000);
  uint64_t done = 0;
  auto flush = [&] {
    if (auto r = (*store)->load_history(chunk); !r) die(r.error().message);
    done += chunk.size();
    chunk.clear();
    std::fprintf(stderr, "\rhistory: %llu lines", static_cast<unsigned long long>(done));
  };
  each_tsv_row(peer + "/history.tsv", [&](const std::vector<std::string_view>& r) {
    mutua::model::HistoryLine h;
    h.niss = m.niss(to_int(r[1]));
    h.provider = h.third_party = Mapping::provider(to_int(r[2]));
    h.code = m.code.at(to_int(r[3]));
    h.first_date = h.last_date = iso_date(r[4]);
    h.units = to_int(r[5]);
    h.amount = kFeeCents * h.units;
    h.invoice_number = std::stoull(std::string(r[0]));
    h.record = 3;
    h.billed = mutua::model::add_days(h.first_date, 30);
    h.envoi_number = 1;
    chunk.push_back(std::move(h));
    if (chunk.size() == 500000) flush();
  });
  flush();
  std::fprintf(stderr, "\n");
  // As `mutua db compact` after any bulk load: the large history's filter (migration 31).
  if (auto r = (*store)->merge_recent_history(); !r) die(r.error().message);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "world") {
    world(argv[2], argv[3]);
    return 0;
  }
  if (argc == 4 && std::string(argv[1]) == "history") {
    history(argv[2], argv[3]);
    return 0;
  }
  std::fprintf(stderr, "usage: peer_convert world PEER_DATA OUT | peer_convert history PEER_DATA DB\n");
  return 2;
}
