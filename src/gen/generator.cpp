// The synthetic world generator behind `mutua gen`. Deterministic: one splitmix64 stream per
// seed, no std distributions (their output differs between standard libraries).
#include "mutua/gen/generator.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "format/embedded.h"
#include "mutua/tsv.h"
#include "mutua/catalog.h"
#include "mutua/check_digits.h"
#include "mutua/model/dates.h"
#include "mutua/model/envoi_writer.h"

namespace mutua::gen {

namespace {

struct Rng {
  uint64_t s;
  uint64_t next() {
    uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t below(uint64_t n) { return n ? next() % n : 0; }
  int range(int lo, int hi) { return lo + static_cast<int>(below(static_cast<uint64_t>(hi - lo + 1))); }
  bool chance(double p) { return static_cast<double>(next() >> 11) * 0x1.0p-53 < p; }
};

int days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return d[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 1 : 0);
}

model::Date ymd(int y, int m, int d) { return static_cast<model::Date>(y * 10000 + m * 100 + d); }
using model::add_days;
using model::iso;

std::string make_inami(Rng& rng, char profession, const char* qualification) {
  auto base = static_cast<uint32_t>((profession - '0') * 100000 + rng.below(100000));
  return fmt::format("{:06d}{:02d}{}", base, check::inami_check(base), qualification);
}

std::string make_iban(Rng& rng) {
  uint64_t first10 = 1000000000ULL + rng.below(8999999999ULL);
  int national = static_cast<int>(first10 % 97);
  if (national == 0) national = 97;
  std::string bban = fmt::format("{:010d}{:02d}", first10, national);
  return fmt::format("BE{:02d}{}", check::iban_check("BE", bban), bban);
}

std::string make_bce(Rng& rng) {
  uint64_t body = 20000000ULL + rng.below(79999999ULL);
  return fmt::format("0{:08d}{:02d}", body % 100000000ULL, 97 - body % 97).substr(1);
}

// A self-employed provider's enterprise number, derived from the INAMI number so that giving
// one to every provider draws nothing more from the seed (the worlds stay as they were).
// Natural persons' numbers start with 0.
std::string bce_of(std::string_view inami) {
  uint64_t body = 0;
  for (char c : inami.substr(0, 7)) body = body * 10 + static_cast<uint64_t>(c - '0');
  return fmt::format("0{:07d}{:02d}", body, 97 - body % 97);
}

std::string base36(uint64_t v) {
  const char* digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
  std::string s;
  do {
    s.insert(s.begin(), digits[v % 36]);
    v /= 36;
  } while (v);
  return s;
}

const char* kFederations[] = {"100", "200", "300", "400", "500"};
const int kFederationWeights[] = {40, 10, 25, 5, 20};

struct Member {
  std::string niss;
  int sex;
  model::Date birth;
  int federation;  // index into kFederations
  std::string mutuality;
  int ct1, ct2;
  bool holder;
  // Billed in ordinary invoices only when nothing the engine knows would refuse it: in order
  // (CT not 000), no hospital stay, no medical-house contract. The others are billed on
  // purpose, as injected engine-level errors with their expected codes.
  bool billable = true;
  uint8_t episodes = 0;  // hospital stays and medical-house contracts
};

// An episode of a member that makes the engine refuse a line on its days.
struct Episode {
  uint32_t member;
  model::Date from, to;  // to 0 = open
};

// An advisor agreement on a code that needs one, billed now and then by a specialist.
struct AgreementEpisode {
  uint32_t member;
  const std::string* code;
  char decision;
  model::Date from, to;
};

enum class Kind { Nurse, Gp, Specialist, Grouping };

struct Provider {
  std::string inami;
  Kind kind;
  std::string iban_a, bic_a, iban_b, bic_b, bce;
  std::vector<size_t> nurses;  // for a grouping: its members (indexes into providers), GPs for a council
  bool hospital_council = false;  // a grouping with account B: a hospital's number (710.../720...)
  std::string puc[5];          // destination mutuality per union
  std::string second_destination[5];
  int next_sending[3000]{};    // sending number per year offset (2000..)
  // Invoices of this provider's earlier envois, as billed, that a credit note may cancel.
  struct Billed {
    model::Invoice invoice;
    int federation = 0;        // union of its destination: a credit note goes to the same
    int sending = 0;           // its envoi's number, billed year and month (ET 20 zones 34, 41)
    int year_month = 0;
  };
  std::vector<Billed> cancellable;
  std::unordered_set<model::Date> created_days;  // eFact: one file a day (100724)
};

struct Code {
  std::string code;
  bool prescriber;
  int64_t fee;
  std::string role;   // from data/nomenclature/sample.csv (nursing roles the engine reads...)
  int max_per_day = 0;  // idem; 0 = no daily limit known
};

uint64_t code_hash(std::string_view code) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : code) h = (h ^ static_cast<uint8_t>(c)) * 1099511628211ULL;
  return h;
}

int64_t fee_of(std::string_view code) { return 400 + static_cast<int64_t>(code_hash(code) % 4600); }

bool make_dir(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) errno = ec.value();
  return !ec;
}

class Csv {
 public:
  Csv(const std::string& path, const char* header) : out_(FileWriter::create(path)) {
    if (out_) out_->write(header), out_->write("\n");
  }
  bool ok() const { return out_.has_value(); }
  void row(const std::string& line) {
    out_->write(line);
    out_->write("\n");
  }
  Result<void> close() { return out_ ? out_->close() : fail(out_.error()); }
  Error error() const { return out_.error(); }

 private:
  Result<FileWriter> out_;
};

}  // namespace

Result<Summary> generate(const Options& o, ProgressFn progress, void* user) {
  Summary summary;
  if (o.out.empty()) return fail({.code = "", .message = "no output directory given"});
  if (!make_dir(o.out) || !make_dir(o.out + "/refdata") || !make_dir(o.out + "/envois"))
    return fail({.code = "", .message = fmt::format("cannot create directories under {}: {}", o.out, std::strerror(errno)),
                 .file = o.out});
  if (o.members == 0 || o.providers == 0)
    return fail({.code = "", .message = "--members and --providers must be at least 1"});
  if (o.envoi_lines == 0 || o.envoi_lines > 200000)
    return fail({.code = "", .message = "--envoi-lines must be between 1 and 200000 (the 6-digit record number caps a file)"});
  Rng rng{o.seed * 0x2545F4914F6CDD1DULL + 1};
  const int today_y = static_cast<int>(o.today / 10000), today_m = static_cast<int>(o.today / 100 % 100);

  // --- Nomenclature: the real codes, with fees derived from the code (sample values).
  std::vector<Code> codes;
  {
    auto table = format::parse_table(embedded::nomenclature_codes(), ',');
    codes.reserve(table.rows.size());
    for (auto& row : table.rows) codes.push_back({row[0], row[1] == "1", fee_of(row[0])});
    // Sorted and once each (the list repeats a few codes): the look-ups below search it, and a
    // nomenclature file gives a code and its validity once.
    std::stable_sort(codes.begin(), codes.end(), [](const Code& a, const Code& b) { return a.code < b.code; });
    codes.erase(std::unique(codes.begin(), codes.end(), [](const Code& a, const Code& b) { return a.code == b.code; }),
                codes.end());
  }
  // What is known of the codes' rules (NOMENCLATURE.md, distilled in data/nomenclature/sample.csv):
  // the nursing roles (basic visits, flat fees, supplements) and the daily limits, so the
  // nursing rules and the units rule meet real codes with their real attributes.
  {
    auto sample = format::parse_table(embedded::nomenclature_sample(), ',');
    const int code_col = sample.column("code"), role_col = sample.column("role"), max_col = sample.column("max_per_day");
    for (const auto& row : sample.rows) {
      auto it = std::lower_bound(codes.begin(), codes.end(), row[code_col],
                                 [](const Code& a, const std::string& b) { return a.code < b; });
      if (it == codes.end() || it->code != row[code_col]) continue;
      it->role = row[role_col];
      if (!row[max_col].empty()) it->max_per_day = std::stoi(row[max_col]);
    }
  }
  std::unordered_set<std::string> first_visit_codes;  // role basic_visit_1
  for (const auto& c : codes)
    if (c.role == "basic_visit_1") first_visit_codes.insert(c.code);
  auto code_index = [&](std::string_view c) -> const Code* {
    auto it = std::lower_bound(codes.begin(), codes.end(), c, [](const Code& a, std::string_view b) { return a.code < b; });
    return it != codes.end() && it->code == c ? &*it : nullptr;
  };
  std::vector<const Code*> gp_extra, specialist_codes, agreement_codes;
  for (const auto& c : codes) {
    if (c.code[0] == '4' && c.code[1] == '7') gp_extra.push_back(&c);
    if (c.code[0] == '2' || c.code[0] == '3' || c.code[0] == '5') specialist_codes.push_back(&c);
    // Codes needing the medical advisor's agreement: a sample choice (the sources give no
    // list), taken where ordinary invoices never bill, so only agreement invoices meet them.
    if (c.code[0] == '7' && c.code[1] == '1' && agreement_codes.size() < 20) agreement_codes.push_back(&c);
  }
  {
    Csv nom(o.out + "/refdata/nomenclature.csv",
            "code,fee_cents,personal_share_cents,personal_share_cents_preferential,prescriber,valid_from,valid_to,sector,"
            "agreement,role,max_units,max_period,label_fr,label_nl");
    if (!nom.ok()) return fail(nom.error());
    // Personal share: at most a quarter of the fee per unit (a tenth for preferential CTs).
    // Descriptions (the fund's, in French and Dutch) only for the codes that need an agreement:
    // the sources give no official label for the others (data/nomenclature/sample.csv has
    // mutua's English paraphrases of some).
    for (const auto& c : codes) {
      const bool agreement = std::find(agreement_codes.begin(), agreement_codes.end(), &c) != agreement_codes.end();
      nom.row(fmt::format("{},{},{},{},{},2019-01-01,,{},{},{},{},{},{},{}", c.code, c.fee, (c.fee + 3) / 4, (c.fee + 9) / 10,
                          c.prescriber ? 1 : 0,
                          c.code.compare(0, 2, "42") == 0   ? "home_nursing"
                          : c.code.compare(0, 1, "1") == 0 ? "general_practice"
                                                           : "",
                          agreement ? 1 : 0, c.role, c.max_per_day ? std::to_string(c.max_per_day) : "", c.max_per_day ? "day" : "",
                          agreement ? "Prestation soumise à l'accord du médecin-conseil" : "",
                          agreement ? "Verstrekking onderworpen aan het akkoord van de adviserend arts" : ""));
    }
    if (auto r = nom.close(); !r) return fail(r.error());
  }

  // --- Members and their insurability.
  std::vector<Member> members;
  members.reserve(o.members);
  std::vector<std::vector<uint32_t>> by_federation(5);
  {
    Csv mem(o.out + "/refdata/members.csv", "niss,birth_date,sex,mutuality,holder");
    Csv ins(o.out + "/refdata/insurability.csv", "niss,start,end,ct1,ct2");
    if (!mem.ok()) return fail(mem.error());
    if (!ins.ok()) return fail(ins.error());
    std::unordered_set<std::string> seen;
    seen.reserve(o.members * 2);
    for (uint64_t i = 0; i < o.members; ++i) {
      Member m;
      std::string niss;
      int y, mo, d;
      do {
        y = rng.range(1930, 2024);
        mo = rng.range(1, 12);
        d = rng.range(1, days_in_month(y, mo));
        int serial = rng.range(1, 997);
        uint64_t body = static_cast<uint64_t>((y % 100) * 10000 + mo * 100 + d) * 1000 + static_cast<uint64_t>(serial);
        m.sex = serial % 2 ? 1 : 2;
        niss = fmt::format("{:09d}{:02d}", body, check::niss_check(body, y >= 2000));
      } while (!seen.insert(niss).second);
      m.niss = niss;
      m.birth = ymd(y, mo, d);
      int w = rng.range(1, 100), f = 0;
      for (int acc = 0; f < 5; ++f) {
        acc += kFederationWeights[f];
        if (w <= acc) break;
      }
      m.federation = std::min(f, 4);
      m.mutuality = fmt::format("{}{:02d}", kFederations[m.federation][0], rng.range(1, 30));
      int kind = rng.range(1, 100);
      m.ct1 = kind <= 70 ? 110 : kind <= 92 ? 111 : kind <= 99 ? 130 : 0;
      m.ct2 = m.ct1 == 130 ? 131 : m.ct1;
      m.holder = y < 2006 ? rng.chance(0.8) : false;
      m.billable = m.ct1 != 0;
      mem.row(fmt::format("{},{},{},{},{}", m.niss, iso(m.birth), m.sex, m.mutuality, m.holder ? "TIT" : "PAC"));
      ins.row(fmt::format("{},2019-01-01,,{:03d},{:03d}", m.niss, m.ct1, m.ct2));
      by_federation[static_cast<size_t>(m.federation)].push_back(static_cast<uint32_t>(i));
      members.push_back(std::move(m));
    }
    if (auto r = mem.close(); !r) return fail(r.error());
    if (auto r = ins.close(); !r) return fail(r.error());
    // The CT1-CT2 combinations the fund allows (202703 / 202710): the ones its members hold.
    Csv cts(o.out + "/refdata/ct_codes.csv", "ct1,ct2");
    if (!cts.ok()) return fail(cts.error());
    for (const char* pair : {"110,110", "111,111", "130,131"}) cts.row(pair);
    if (auto r = cts.close(); !r) return fail(r.error());
  }

  // --- Providers: nurses, GPs, specialists, groupings (fictitious 9... numbers).
  std::vector<Provider> providers(o.providers);
  std::vector<size_t> gps;
  const char* bics[] = {"GEBABEBB", "KREDBEBB", "BBRUBEBB", "GKCCBEBB", "AXABBE22", "NICABEBB"};
  {
    Csv prov(o.out + "/refdata/providers.csv", "inami,kind,qualification,bce,iban_a,bic_a,iban_b,bic_b,grouping,name");
    Csv dest(o.out + "/refdata/provider_destinations.csv", "inami,union,destination,puc");
    if (!prov.ok()) return fail(prov.error());
    if (!dest.ok()) return fail(dest.error());
    std::unordered_set<std::string> seen;
    std::vector<std::string> grouping_of(o.providers);
    for (size_t i = 0; i < providers.size(); ++i) {
      Provider& p = providers[i];
      int k = rng.range(1, 100);
      p.kind = k <= 55 ? Kind::Nurse : k <= 88 ? Kind::Gp : k <= 95 ? Kind::Specialist : Kind::Grouping;
      if (i == 0) p.kind = Kind::Gp;  // there is always a prescriber
      // Account B is a hospital's (its medical council billing for its doctors): such a grouping
      // has a hospital's number, 710XXXCC000 or 720XXXCC000 (100312 / 104312); the others bill
      // for nurses under a fictitious 9... number.
      p.hospital_council = p.kind == Kind::Grouping && rng.chance(0.3);
      do {
        switch (p.kind) {
          case Kind::Nurse: p.inami = make_inami(rng, '4', rng.chance(0.7) ? "401" : "408"); break;
          case Kind::Gp: p.inami = make_inami(rng, '1', rng.chance(0.6) ? "003" : "004"); break;
          case Kind::Specialist: p.inami = make_inami(rng, '1', "580"); break;
          case Kind::Grouping:
            if (p.hospital_council) {
              const auto base = static_cast<uint32_t>((rng.chance(0.5) ? 710000 : 720000) + rng.below(1000));
              p.inami = fmt::format("{:06d}{:02d}000", base, check::inami_check(base));
            } else {
              p.inami = fmt::format("9{:010d}", rng.below(10000000000ULL));
            }
            break;
        }
      } while (!seen.insert(p.inami).second);
      p.iban_a = make_iban(rng);
      p.bic_a = bics[rng.below(6)];
      // ET 10 zone 27 is required from January 2015 (102710): every provider bills under an
      // enterprise number, a grouping under its own.
      if (p.kind != Kind::Grouping) p.bce = bce_of(p.inami);
      if (p.kind == Kind::Grouping) {
        p.bce = make_bce(rng);
        if (p.hospital_council) {
          p.iban_b = make_iban(rng);
          p.bic_b = bics[rng.below(6)];
        }
      }
      if (p.kind == Kind::Gp) gps.push_back(i);
      for (int u = 0; u < 5; ++u) {
        p.puc[u] = fmt::format("{}{:02d}", kFederations[u][0], rng.range(1, 30));
        dest.row(fmt::format("{},{},{},1", p.inami, kFederations[u], p.puc[u]));
        if (rng.chance(0.2)) {
          p.second_destination[u] = fmt::format("{}{:02d}", kFederations[u][0], 31 + static_cast<int>(rng.below(20)));
          dest.row(fmt::format("{},{},{},0", p.inami, kFederations[u], p.second_destination[u]));
        }
      }
    }
    // Groupings bill for some nurses, a hospital's medical council for some GPs.
    std::vector<size_t> nurses;
    for (size_t i = 0; i < providers.size(); ++i)
      if (providers[i].kind == Kind::Nurse) nurses.push_back(i);
    for (auto& p : providers) {
      const std::vector<size_t>& pool = p.hospital_council ? gps : nurses;
      if (p.kind != Kind::Grouping || pool.empty()) continue;
      int n = rng.range(2, 6);
      for (int j = 0; j < n; ++j) {
        size_t member = pool[rng.below(pool.size())];
        p.nurses.push_back(member);
        grouping_of[member] = p.inami;
      }
    }
    for (size_t i = 0; i < providers.size(); ++i) {
      const Provider& p = providers[i];
      const char* kind = p.kind == Kind::Nurse ? "nurse" : p.kind == Kind::Gp ? "gp" : p.kind == Kind::Specialist ? "specialist" : "grouping";
      // Names from the INAMI number, not the random stream: the rest of the world is unchanged.
      static const char* surnames[] = {"Peeters", "Janssens", "Maes",   "Jacobs",  "Mertens", "Willems",
                                       "Claes",   "Goossens", "Dubois", "Lambert", "Lefèvre", "Dupont",
                                       "Hermans", "De Smet",  "Renard", "François"};
      const char* surname = surnames[std::stoull(p.inami) % 16];
      std::string name = p.kind == Kind::Nurse ? fmt::format("Infirmière {}", surname)
                         : p.hospital_council       ? fmt::format("Conseil médical Hôpital {}", surname)
                         : p.kind == Kind::Grouping ? fmt::format("Soins à domicile {} SRL", surname)
                                                    : fmt::format("Dr {}", surname);
      prov.row(fmt::format("{},{},{},{},{},{},{},{},{},{}", p.inami, kind, p.inami.substr(8), p.bce, p.iban_a, p.bic_a,
                           p.iban_b, p.bic_b, grouping_of[i], name));
    }
    if (auto r = prov.close(); !r) return fail(r.error());
    if (auto r = dest.close(); !r) return fail(r.error());
  }

  // --- Episodes: hospital stays, care pathways, medical houses, agreements, palliative care.
  std::vector<std::vector<Episode>> stays(5), houses(5);
  std::vector<std::vector<AgreementEpisode>> agreements(5);
  {
    Csv hosp(o.out + "/refdata/hospitalisations.csv", "niss,establishment,service,admission,discharge");
    Csv path(o.out + "/refdata/care_pathways.csv", "niss,type,start,end");
    Csv mh(o.out + "/refdata/medical_houses.csv", "niss,medical_house,start,end");
    Csv agr(o.out + "/refdata/agreements.csv", "niss,code,decision,request_date,decision_date,valid_from,valid_to");
    Csv pal(o.out + "/refdata/palliative.csv", "niss,doctor_notification,nurse_notification");
    for (Csv* c : {&hosp, &path, &mh, &agr, &pal})
      if (!c->ok()) return fail(c->error());
    auto recent = [&](int months_back) {
      int y = today_y, m = today_m - rng.range(1, months_back);
      while (m < 1) { m += 12; --y; }
      return ymd(y, m, rng.range(1, days_in_month(y, m)));
    };
    for (size_t mi = 0; mi < members.size(); ++mi) {
      Member& m = members[mi];
      if (rng.chance(0.02)) {
        model::Date adm = recent(14);
        std::string est = make_inami(rng, '7', "000");
        model::Date dis = rng.chance(0.1) ? 0 : add_days(adm, rng.range(1, 20));
        hosp.row(fmt::format("{},{},{:03d},{},{}", m.niss, est, rng.range(100, 990), iso(adm), iso(dis)));
        stays[static_cast<size_t>(m.federation)].push_back({static_cast<uint32_t>(mi), adm, dis});
        m.billable = false;
        ++m.episodes;
      }
      if (rng.chance(0.05)) {
        model::Date start = recent(36);
        path.row(fmt::format("{},{},{},{}", m.niss, rng.chance(0.7) ? "diabetes" : "renal", iso(start),
                             rng.chance(0.2) ? iso(add_days(start, 365)) : ""));
      }
      if (rng.chance(0.03)) {
        model::Date start = recent(36);
        model::Date end = rng.chance(0.3) ? add_days(start, rng.range(30, 400)) : 0;
        mh.row(fmt::format("{},{},{},{}", m.niss, make_inami(rng, '8', "000"), iso(start), end ? iso(end) : ""));
        houses[static_cast<size_t>(m.federation)].push_back({static_cast<uint32_t>(mi), start, end});
        m.billable = false;
        ++m.episodes;
      }
      if (rng.chance(0.01) && !agreement_codes.empty()) {
        const char decisions[] = {'A', 'A', 'A', 'N', 'D', 'O', 'R'};
        model::Date req = recent(12);
        char dec = decisions[rng.below(7)];
        const std::string& code = agreement_codes[rng.below(agreement_codes.size())]->code;
        agr.row(fmt::format("{},{},{},{},{},{},{}", m.niss, code, dec, iso(req),
                            dec == 'D' || dec == 'O' ? "" : iso(add_days(req, rng.range(1, 30))), iso(req),
                            iso(add_days(req, 365))));
        agreements[static_cast<size_t>(m.federation)].push_back(
            {static_cast<uint32_t>(mi), &code, dec, req, add_days(req, 365)});
      }
      if (rng.chance(0.005)) {
        model::Date doctor = recent(6);
        pal.row(fmt::format("{},{},{}", m.niss, iso(doctor), rng.chance(0.9) ? iso(add_days(doctor, rng.range(0, 12))) : ""));
      }
    }
    for (Csv* c : {&hosp, &path, &mh, &agr, &pal})
      if (auto r = c->close(); !r) return fail(r.error());
  }

  std::vector<std::vector<uint32_t>> billable_by_federation(5);
  for (size_t f = 0; f < 5; ++f)
    for (uint32_t mi : by_federation[f])
      if (members[mi].billable) billable_by_federation[f].push_back(mi);

  // --- Envois.
  Csv index(o.out + "/envois.csv", "file,third_party,sending_number,year,month,union,invoices,lines,test");
  Csv truth(o.out + "/ground-truth.csv", "file,record,record_type,zone,kind,code,found_by");
  if (!index.ok()) return fail(index.error());
  if (!truth.ok()) return fail(truth.error());

  // The engine's threshold (data/rules/parameters.tsv), to know which envois it accepts.
  int64_t error_rate_threshold_bp = 500;
  {
    auto params = format::parse_table(embedded::rule_parameters(), '\t');
    for (const auto& row : params.rows)
      if (row.size() > 1 && row[0] == "error_rate_threshold_bp") error_rate_threshold_bp = std::stoll(row[1]);
  }
  const char* nursing_extra[] = {"424336", "424351", "423076", "424874", "418913", "427534"};
  const char* gp_codes[] = {"101032", "101076", "101010", "103132", "104215", "109955", "475075"};
  uint64_t lines_left = o.lines;
  uint64_t line_id = 0, invoice_number = 1;
  size_t provider_cursor = 0;
  // Lines (patient, performer, code, day) of the envois written so far, and of this one.
  std::unordered_set<uint64_t> billed_before, billed_now;
  uint64_t envoi_count = 0;
  const uint64_t avg_per_provider = std::max<uint64_t>(1, o.lines / o.providers);

  // Senders: when limited, the groupings of nurses first (big senders, billing nursing days for
  // their nurses), then the others (hospitals' medical councils among them).
  std::vector<size_t> senders;
  if (o.senders) {
    for (int pass = 0; pass < 2 && senders.size() < o.senders; ++pass)
      for (size_t i = 0; i < providers.size() && senders.size() < o.senders; ++i)
        if ((providers[i].kind == Kind::Grouping && !providers[i].hospital_council) == (pass == 0)) senders.push_back(i);
  }

  while (lines_left > 0) {
    size_t pi = senders.empty() ? provider_cursor++ % providers.size() : senders[provider_cursor++ % senders.size()];
    Provider& prov = providers[pi];
    int u = static_cast<int>(rng.below(5));
    if (billable_by_federation[static_cast<size_t>(u)].empty()) continue;
    int back = rng.range(1, 12);
    int year = today_y, month = today_m - back;
    while (month < 1) { month += 12; --year; }
    uint64_t target = std::min<uint64_t>({lines_left, o.envoi_lines,
                                          std::max<uint64_t>(20, avg_per_provider / 2 + rng.below(avg_per_provider + 1))});
    if ((o.lines >= o.envoi_lines * 4 && o.providers <= 20) || !senders.empty()) target = std::min(lines_left, o.envoi_lines);
    int& seq = prov.next_sending[year - 2000];
    if (seq >= 999) continue;
    model::EnvoiHeader h;
    h.sending_number = ++seq;
    h.third_party = prov.inami;
    h.year = year;
    h.month = month;
    h.created = add_days(ymd(year, month, days_in_month(year, month)), rng.range(1, 20));
    if (h.created > o.today) h.created = o.today;
    while (!prov.created_days.insert(h.created).second) h.created = add_days(h.created, -1);
    h.bce = prov.bce;
    h.iban_a = prov.iban_a;
    h.bic_a = prov.bic_a;
    h.iban_b = prov.iban_b;
    h.bic_b = prov.bic_b;
    h.federation = kFederations[u];
    h.test = rng.chance(o.test_files);
    h.reference = fmt::format("MUTUA-{}", envoi_count + 1);
    std::string name = fmt::format("envois/{}-{}{:02d}-{:03d}-{}.efact", prov.inami, year, month, h.sending_number, h.federation);
    std::string path = o.out + "/" + name;

    // Build the invoices in memory (one envoi at a time), sorted by destination.
    std::vector<model::Invoice> invoices;
    uint64_t envoi_lines = 0;
    std::unordered_set<uint32_t> used_in_envoi;  // members given an engine-level error here
    const auto& pool = billable_by_federation[static_cast<size_t>(u)];
    // Engine-level errors injected in this envoi: invoice number -> kind (one line each).
    // Agreement invoices are not errors: an agreement A covering the date is paid, one still
    // waiting (D, O) leaves the line pending with 500434.
    enum class EngineError { None, MedicalHouse, HospitalStay, WrongMutuality, AgreementCovered, AgreementWaiting };
    std::unordered_map<uint64_t, EngineError> engine_errors;
    std::vector<Provider::Billed> cancellable_now;
    std::unordered_set<uint64_t> injected_invoices;
    while (envoi_lines < target) {
      const Member& m = members[pool[rng.below(pool.size())]];
      model::Invoice inv;
      inv.affiliation = m.mutuality;
      inv.niss = m.niss;
      inv.sex = m.sex;
      inv.provider = prov.inami;
      inv.destination = !prov.second_destination[u].empty() && rng.chance(0.3) ? prov.second_destination[u] : prov.puc[u];
      inv.number = invoice_number++;
      inv.ct1 = m.ct1 ? m.ct1 : 110;
      inv.ct2 = m.ct2 ? m.ct2 : 110;
      inv.billing_type = 0;
      inv.billing_date = h.created;
      inv.reference = base36(inv.number);
      // A credit note cancels an invoice of an earlier envoi to the same union, line for line,
      // and names it (ET 20 zones 29, 34, 37, 41): the engine finds that envoi (203420) and
      // reverses the lines in history. Earlier means before in file-name order too (billed
      // month, then sending number), the order in which the envois are usually adjudicated.
      if (rng.chance(o.credit_notes) && !prov.cancellable.empty()) {
        const size_t pick = rng.below(prov.cancellable.size());
        if (prov.cancellable[pick].federation == u && prov.cancellable[pick].year_month <= year * 100 + month) {
          Provider::Billed prev = std::move(prov.cancellable[pick]);
          prov.cancellable.erase(prov.cancellable.begin() + static_cast<std::ptrdiff_t>(pick));  // cancelled once
          model::Invoice credit = prev.invoice;
          credit.number = inv.number;
          credit.billing_type = 3;
          credit.billing_date = h.created;
          credit.reference = inv.reference;
          credit.previous_invoice = prev.invoice.number;
          credit.previous_sending = prev.sending;
          credit.previous_mutuality = prev.invoice.destination;
          credit.previous_year_month = prev.year_month;
          for (auto& p : credit.lines) {
            p.amount = -p.amount;
            p.personal_share = -p.personal_share;
            p.units = -p.units;
            p.reference = base36(++line_id);
          }
          if (envoi_lines + credit.lines.size() > target) credit.lines.resize(target - envoi_lines);
          envoi_lines += credit.lines.size();
          invoices.push_back(std::move(credit));
          continue;
        }
      }
      const bool bim = m.ct1 % 10 == 1;
      // Returns false (and adds nothing) when an earlier envoi billed the same line: the
      // engine would rightly call it a duplicate (500423).
      auto add_line = [&](std::string code, model::Date date, const std::string& performer, int units = 1,
                          bool once = true) {
        const Code* c = code_index(code);
        // A code with a daily limit (once a day: the 1st and 2nd basic visits) is billed once a
        // day per patient whoever performs it, in this envoi or before (else 502255, rightly).
        const bool daily = c && c->max_per_day == 1;
        const uint64_t key = code_hash(inv.niss) ^ (daily ? 0 : code_hash(performer) * 3) ^ (code_hash(code) * 5) ^
                             (static_cast<uint64_t>(date) * 0x9E3779B97F4A7C15ULL);
        if (once && daily && billed_now.count(key)) return false;
        if (once && billed_before.count(key)) return false;
        billed_now.insert(key);
        int64_t fee = c ? c->fee : fee_of(code);
        model::Prestation p;
        p.nomenclature = std::move(code);
        p.first_date = p.last_date = date;
        p.provider = performer;
        p.units = units;
        p.amount = fee * units;
        p.personal_share = bim ? fee * units / 10 : fee * units / 4;
        p.reference = base36(++line_id);
        if (c && c->prescriber) {
          p.prescriber = providers[gps.empty() ? 0 : gps[rng.below(gps.size())]].inami;
          p.prescription_date = add_days(date, -rng.range(1, 20));
          p.prescriber_norm = p.prescriber == performer ? 3 : 1;  // 3: for the provider's own patients
        }
        if (prov.kind == Kind::Grouping && !prov.iban_b.empty() && rng.chance(0.1)) p.account = 1;
        p.time_hhmm = rng.range(7, 20) * 100 + rng.range(0, 59);
        if (rng.chance(0.3)) {
          p.has_eid = true;
          p.eid_read_date = date;
          p.eid_time_hhmm = p.time_hhmm;
        }
        inv.lines.push_back(std::move(p));
        return true;
      };
      const int dim = days_in_month(year, month);
      std::string performer = prov.inami;
      Kind kind = prov.kind;
      if (kind == Kind::Grouping) {
        performer = prov.nurses.empty() ? prov.inami : providers[prov.nurses[rng.below(prov.nurses.size())]].inami;
        kind = prov.hospital_council ? Kind::Gp : Kind::Nurse;
      }
      // Now and then a doctor bills a code under an advisor agreement (one line).
      if ((kind == Kind::Specialist || kind == Kind::Gp) && !agreements[static_cast<size_t>(u)].empty() &&
          rng.chance(0.05)) {
        const auto& pool_a = agreements[static_cast<size_t>(u)];
        const model::Date month_first = ymd(year, month, 1), month_last = ymd(year, month, dim);
        for (int tries = 0; tries < 16; ++tries) {
          const AgreementEpisode& ag = pool_a[rng.below(pool_a.size())];
          const Member& who = members[ag.member];
          if (ag.decision != 'A' && ag.decision != 'D' && ag.decision != 'O') continue;
          if (!who.billable || who.ct1 == 0 || used_in_envoi.count(ag.member)) continue;
          const model::Date from = std::max(ag.from, month_first), to = std::min(ag.to, month_last);
          if (from > to) continue;
          const model::Date date = add_days(from, rng.range(0, static_cast<int>(model::days_between(from, to))));
          inv.niss = who.niss;
          if (!add_line(*ag.code, date, performer)) {  // billed already: a duplicate (500423)
            inv.niss = m.niss;
            continue;
          }
          used_in_envoi.insert(ag.member);
          inv.affiliation = who.mutuality;
          inv.sex = who.sex;
          inv.ct1 = who.ct1;
          inv.ct2 = who.ct2;
          inv.billing_type = 0;
          inv.lines.back().personal_share = inv.ct1 % 10 == 1 ? inv.lines.back().amount / 10 : inv.lines.back().amount / 4;
          engine_errors[inv.number] = ag.decision == 'A' ? EngineError::AgreementCovered : EngineError::AgreementWaiting;
          break;
        }
      }
      // Now and then an invoice of one line the engine must refuse (not a format error).
      if (engine_errors.count(inv.number)) {
        // an agreement invoice, above
      } else if (!o.error_rate || !rng.chance(o.error_rate)) {
        // an ordinary invoice, below
      } else {
        EngineError want = static_cast<EngineError>(1 + rng.below(3));
        if (kind == Kind::Specialist && want == EngineError::MedicalHouse) want = EngineError::HospitalStay;
        model::Date date = ymd(year, month, rng.range(1, dim));
        const auto& episodes = (want == EngineError::MedicalHouse ? houses : stays)[static_cast<size_t>(u)];
        const Member* who = nullptr;
        if (want != EngineError::WrongMutuality)
          for (int tries = 0; tries < 64 && !episodes.empty() && !who; ++tries) {
            const Episode& ep = episodes[rng.below(episodes.size())];
            const Member& cand = members[ep.member];
            // One episode only: a stay and a contract together would give two codes.
            if (date >= ep.from && (!ep.to || date <= ep.to) && cand.ct1 != 0 && cand.episodes == 1 &&
                !used_in_envoi.count(ep.member)) {
              who = &cand;
              used_in_envoi.insert(ep.member);
            }
          }
        if (!who) want = EngineError::WrongMutuality;
        if (who) {
          inv.affiliation = who->mutuality;
          inv.niss = who->niss;
          inv.sex = who->sex;
          inv.ct1 = who->ct1;
          inv.ct2 = who->ct2;
        } else {
          // Another mutuality of the member's union: the fund does not know the member there.
          int nn = std::stoi(m.mutuality.substr(1));
          inv.affiliation = fmt::format("{}{:02d}", m.mutuality[0], nn % 30 + 1);
        }
        std::string code = kind == Kind::Nurse ? "425014" : kind == Kind::Gp ? "101032"
                                                     : specialist_codes[rng.below(specialist_codes.size())]->code;
        add_line(code, date, performer, 1, /*refused anyway, never in history*/ false);
        auto& l = inv.lines.back();
        // The personal share follows the CT of the member billed, not of the one first drawn.
        l.personal_share = inv.ct1 % 10 == 1 ? l.amount / 10 : l.amount / 4;
        l.has_eid = false;
        l.eid_read_date = 0;
        l.eid_time_hhmm = 0;
        inv.billing_type = 0;
        engine_errors[inv.number] = want;
      }
      if (engine_errors.count(inv.number)) {
        // done: the one-line invoice above
      } else if (kind == Kind::Nurse) {
        int days = rng.range(1, 8), start = rng.range(1, dim);
        for (int d = 0; d < days && envoi_lines + inv.lines.size() < target; ++d) {
          model::Date date = ymd(year, month, std::min(dim, start + d));
          if (!add_line("425014", date, performer)) continue;
          if (rng.chance(0.5)) add_line("425036", date, performer);
          if (rng.chance(0.2)) add_line("425051", date, performer);
          if (rng.chance(0.3)) add_line(nursing_extra[rng.below(6)], date, performer);
        }
      } else if (kind == Kind::Gp) {
        int visits = rng.range(1, 3);
        for (int v = 0; v < visits; ++v) {
          model::Date date = ymd(year, month, rng.range(1, dim));
          std::string code = gp_codes[rng.below(7)];
          add_line(code, date, performer, code == "109955" ? rng.range(4, 40) : 1);
          if (rng.chance(0.1)) add_line(code, date, performer);  // a repeated code the same day
          if (rng.chance(0.1) && !gp_extra.empty()) add_line(gp_extra[rng.below(gp_extra.size())]->code, date, performer);
        }
      } else {
        int acts = rng.range(1, 4);
        model::Date date = ymd(year, month, rng.range(1, dim));
        for (int a = 0; a < acts; ++a) add_line(specialist_codes[rng.below(specialist_codes.size())]->code, date, performer);
      }
      if (envoi_lines + inv.lines.size() > target) inv.lines.resize(target - envoi_lines);
      if (inv.lines.empty()) continue;
      envoi_lines += inv.lines.size();
      // As billed, before any injected error, an invoice a later credit note may cancel.
      // (A sample of 5 %, kept if nothing is injected into it below.)
      if (!engine_errors.count(inv.number) && !h.test && rng.chance(0.05) &&
          std::none_of(inv.lines.begin(), inv.lines.end(), [](const auto& p) { return p.has_commitment; }))
        cancellable_now.push_back({inv, u, h.sending_number, year * 100 + month});
      invoices.push_back(std::move(inv));
    }
    std::stable_sort(invoices.begin(), invoices.end(),
                     [](const model::Invoice& a, const model::Invoice& b) { return a.destination < b.destination; });

    // Injected errors: chosen per line, each breaking exactly one rule.
    enum class Inject { None, NomenclatureCheck, ImpossibleDate, PrescriberCheck, AmountSign, RecordCheck };
    struct Planned {
      uint64_t record;
      Inject kind;
    };
    std::vector<Planned> tamper_plan;
    // What the engine must answer besides the injected codes: the cascades (DOMAIN.md,
    // "Decisions"). A rejected line takes its ET 51 / 52 with it (510119 / 520119), and a
    // rejected nursing line the other nursing lines of the patient that day in this envoi
    // (500118, with their ET 51 / 52). Gathered per (patient, day), settled after the loop.
    struct DayLine {
      uint64_t record;
      std::vector<std::pair<uint64_t, const char*>> attached;  // record, block code
      bool cause = false;     // rejected by its injected error, with its code and day intact
      bool rejected = false;  // rejected by an injected error of its own
    };
    std::map<std::pair<std::string, model::Date>, std::vector<DayLine>> nursing_days;
    // found_by: "validate" when the file alone shows it, "adjudicate" when it takes the fund's
    // data or the cascades.
    // Whether the fund will accept this envoi (920900): no blocking code, and at most the
    // threshold of rejected lines (500434 leaves a line pending, not rejected). Only an
    // accepted envoi's invoices can be cancelled later.
    bool blocked = false;
    std::unordered_set<uint64_t> rejected_lines;
    auto expect = [&](uint64_t rec, const char* type, const char* zone, const char* kind, const char* code,
                      const char* found_by = "adjudicate") {
      truth.row(fmt::format("{},{},{},{},{},{},{}", name, rec, type, zone, kind, code, found_by));
      const CodeInfo* info = Catalog::builtin().find(code);
      const char letter = info ? info->type : 'R';
      blocked = blocked || letter == 'B';
      if (std::strcmp(type, "50") == 0 && std::strcmp(code, "500434") != 0 && type_rank(letter) <= type_rank('R'))
        rejected_lines.insert(rec);
    };
    uint64_t record = 2;  // ET 10 is record 1, the first ET 20 record 2
    for (auto& inv : invoices) {
      const uint64_t et20_record = record++;
      auto engine = engine_errors.find(inv.number);
      for (auto& p : inv.lines) {
        uint64_t line_record = record++;
        DayLine day{line_record, {}};
        if (p.has_commitment) day.attached.emplace_back(record++, "510119");
        if (p.has_eid) day.attached.emplace_back(record++, "520119");
        const bool nursing = p.nomenclature.compare(0, 2, "42") == 0;
        auto keep_day = [&] {
          if (nursing) nursing_days[{inv.niss, p.first_date}].push_back(day);
        };
        if (engine != engine_errors.end()) {
          // The one line of an engine-level error: its code, nothing else injected.
          switch (engine->second) {
            case EngineError::MedicalHouse: expect(line_record, "50", "", "medical_house", "500450"); break;
            case EngineError::HospitalStay: expect(line_record, "50", "", "hospital_stay", "500545"); break;
            case EngineError::WrongMutuality:
              expect(et20_record, "20", "7", "wrong_mutuality", "200742");
              expect(line_record, "50", "", "cascade", "500119");
              break;
            case EngineError::AgreementWaiting: expect(line_record, "50", "", "agreement_waiting", "500434"); break;
            case EngineError::AgreementCovered:
            case EngineError::None: break;
          }
          if (engine->second != EngineError::AgreementCovered) ++summary.injected;
          continue;
        }
        if (!rng.chance(o.error_rate)) {
          keep_day();
          continue;
        }
        auto kind = static_cast<Inject>(1 + rng.below(5));
        if (p.has_eid || p.has_commitment) kind = kind == Inject::NomenclatureCheck ? Inject::RecordCheck : kind;
        if (inv.billing_type == 3 && kind == Inject::AmountSign) kind = Inject::RecordCheck;
        if ((p.has_eid || p.has_commitment) && kind == Inject::ImpossibleDate) kind = Inject::PrescriberCheck;
        // A first basic visit made unreadable (its code or its date) would leave its day's other
        // visits without one: the engine rightly adds the informative 500452 there, which the
        // ground truth cannot foresee across invoices and envois. Broken otherwise instead.
        if (first_visit_codes.count(p.nomenclature) &&
            (kind == Inject::NomenclatureCheck || kind == Inject::ImpossibleDate))
          kind = Inject::RecordCheck;
        const char* kind_name = "";
        const char* zone = "";
        const char* code = "";
        day.rejected = true;
        injected_invoices.insert(inv.number);
        // A changed code or an impossible date leaves no nursing day to take along.
        day.cause = kind != Inject::NomenclatureCheck && kind != Inject::ImpossibleDate;
        keep_day();
        switch (kind) {
          case Inject::NomenclatureCheck: {
            char& last = p.nomenclature[5];
            last = static_cast<char>('0' + (last - '0' + 1) % 10);
            kind_name = "nomenclature_check_digit"; zone = "4"; code = "500402";
            break;
          }
          case Inject::ImpossibleDate:
            p.last_date = p.first_date;
            p.first_date = p.first_date / 100 * 100 + 32;
            kind_name = "impossible_date"; zone = "5"; code = "500501";
            break;
          case Inject::PrescriberCheck: {
            std::string presc = providers[gps.empty() ? 0 : gps[rng.below(gps.size())]].inami;
            presc[7] = static_cast<char>('0' + (presc[7] - '0' + 1) % 10);
            if (check::inami(presc) == check::Verdict::Valid) presc[6] = static_cast<char>('0' + (presc[6] - '0' + 3) % 10);
            p.prescriber = presc;
            if (!p.prescription_date) p.prescription_date = p.first_date;
            kind_name = "prescriber_check_digit"; zone = "24"; code = "502402";
            break;
          }
          case Inject::AmountSign:
            tamper_plan.push_back({line_record, kind});
            kind_name = "amount_without_sign"; zone = "19"; code = "501905";
            break;
          case Inject::RecordCheck:
            tamper_plan.push_back({line_record, kind});
            kind_name = "record_check_digits"; zone = "99"; code = "509902";
            break;
          case Inject::None: break;
        }
        expect(line_record, "50", zone, kind_name, code, "validate");
        for (const auto& [rec, block] : day.attached) expect(rec, rec == line_record + 1 && p.has_commitment ? "51" : "52", "", "cascade", block);
        ++summary.injected;
      }
      ++record;  // ET 80
    }
    for (const auto& [key, lines] : nursing_days) {
      bool cause = false;
      for (const auto& d : lines) cause = cause || d.cause;
      if (!cause) continue;
      for (const auto& d : lines) {
        if (d.rejected) continue;
        expect(d.record, "50", "", "cascade", "500118");
        for (const auto& [rec, block] : d.attached) expect(rec, block[1] == '1' ? "51" : "52", "", "cascade", block);
      }
    }

    // A few invoices of each accepted envoi stay cancellable later (a bounded sample per provider).
    const bool accepted = !blocked && envoi_lines > 0 &&
                          static_cast<int64_t>((rejected_lines.size() * 10000 + envoi_lines / 2) / envoi_lines) <=
                              error_rate_threshold_bp;
    for (auto& b : cancellable_now) {
      if (!accepted || injected_invoices.count(b.invoice.number)) continue;
      if (prov.cancellable.size() < 64) prov.cancellable.push_back(std::move(b));
      else prov.cancellable[rng.below(64)] = std::move(b);
    }
    billed_before.merge(billed_now);
    billed_now.clear();
    auto out = FileWriter::create(path);
    if (!out) return fail(out.error());
    model::EnvoiWriter writer(*out, h, o.framing);
    size_t next_plan = 0;
    if (!tamper_plan.empty()) {
      writer.set_tamper([&](RecordKind kind, uint64_t number, std::string& rec) {
        if (next_plan >= tamper_plan.size() || tamper_plan[next_plan].record != number || kind != RecordKind::Et50) return;
        if (tamper_plan[next_plan].kind == Inject::AmountSign) {
          rec[87] = ' ';
          seal_record(rec);
        } else {
          rec[348] = rec[348] == '9' ? '0' : static_cast<char>(rec[348] + 1);
        }
        ++next_plan;
      });
    }
    for (const auto& inv : invoices) writer.add(inv);
    writer.finish();
    summary.records += writer.records_written();
    summary.bytes += out->bytes_written();
    if (auto r = out->close(); !r) return fail(r.error());
    index.row(fmt::format("{},{},{},{},{},{},{},{},{}", name, h.third_party, h.sending_number, year, month, h.federation,
                          invoices.size(), envoi_lines, h.test ? 1 : 0));
    ++envoi_count;
    summary.invoices += invoices.size();
    summary.lines += envoi_lines;
    lines_left -= std::min(lines_left, envoi_lines);
    if (progress) progress(o.lines - lines_left, o.lines, user);
  }
  summary.envois = envoi_count;
  if (auto r = index.close(); !r) return fail(r.error());
  if (auto r = truth.close(); !r) return fail(r.error());
  return summary;
}

}  // namespace mutua::gen
