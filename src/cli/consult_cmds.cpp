// Look-ups before billing: insurability consultation, one person or a whole CSV.
#include <cstdio>
#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.h"
#include "dates.h"
#include "progress.h"
#include "store_access.h"
#include "mutua/check_digits.h"
#include "mutua/consult/insurability.h"
#include "mutua/model/dates.h"

namespace mutua::cli {

namespace {

nlohmann::json to_json(const consult::InsurabilityAnswer& a) {
  const auto& c = a.consultation;
  nlohmann::json j = {{"niss", c.niss}, {"date", model::iso(c.date)}, {"insured", c.insured ? "V" : "X"}};
  if (a.member) {
    j["mutuality"] = c.mutuality;
    if (c.insured) {
      j["ct1"] = fmt::format("{:03d}", c.ct1);
      j["ct2"] = fmt::format("{:03d}", c.ct2);
    }
    j["holder"] = c.holder ? "TIT" : "PAC";
  }
  if (!a.reason.empty()) j["reason"] = a.reason;
  auto& mh = j["medical_houses"] = nlohmann::json::array();
  for (const auto& m : a.medical_houses)
    mh.push_back({{"medical_house", m.medical_house}, {"disciplines", m.disciplines}, {"start", model::iso(m.start)},
                  {"end", m.end == model::kOpenEnd ? "" : model::iso(m.end)}});
  auto& pw = j["care_pathways"] = nlohmann::json::array();
  for (const auto& p : a.pathways)
    pw.push_back({{"type", p.type}, {"start", model::iso(p.start)}, {"end", p.end == model::kOpenEnd ? "" : model::iso(p.end)}});
  auto& st = j["stays"] = nlohmann::json::array();
  for (const auto& h : a.stays)
    st.push_back({{"establishment", h.establishment}, {"service", h.service}, {"kind", h.kind},
                  {"admission", model::iso(h.admission)}, {"discharge", model::iso(h.discharge)}});
  if (a.detained) j["detained"] = true;
  if (!c.commitment.empty()) {
    j["commitment"] = c.commitment;
    j["commitment_until"] = model::iso(a.commitment_until);
  }
  return j;
}

void print_answer(const consult::InsurabilityAnswer& a) {
  const auto& c = a.consultation;
  std::printf("%s on %s: %s\n", c.niss.c_str(), model::iso(c.date).c_str(),
              c.insured ? "V insured" : ("X not insured: " + a.reason).c_str());
  if (a.member && c.insured)
    std::printf("  mutuality %s, CT1/CT2 %03d/%03d, %s\n", c.mutuality.c_str(), c.ct1, c.ct2,
                c.holder ? "holder (TIT)" : "dependant (PAC)");
  else if (a.member)
    std::printf("  member of mutuality %s, %s\n", c.mutuality.c_str(), c.holder ? "holder (TIT)" : "dependant (PAC)");
  for (const auto& m : a.medical_houses)
    std::printf("  medical house %s (%s) since %s%s\n", m.medical_house.c_str(), m.disciplines.c_str(),
                model::iso(m.start).c_str(), m.end == model::kOpenEnd ? "" : (" until " + model::iso(m.end)).c_str());
  for (const auto& p : a.pathways)
    std::printf("  care pathway %s since %s%s\n", p.type.c_str(), model::iso(p.start).c_str(),
                p.end == model::kOpenEnd ? "" : (" until " + model::iso(p.end)).c_str());
  for (const auto& h : a.stays)
    std::printf("  %s stay at %s (service %s) since %s%s\n", h.kind == "nursing_home" ? "nursing-home" : "hospital",
                h.establishment.c_str(), h.service.c_str(), model::iso(h.admission).c_str(),
                h.discharge ? (" until " + model::iso(h.discharge)).c_str() : ", discharge not known");
  if (a.detained) std::printf("  detained or interned at that date (social category 9)\n");
  if (!c.commitment.empty())
    std::printf("  payment commitment %s, covers prestations from %s to %s (ET 20 zones 42-45: part A = 2)\n",
                c.commitment.c_str(), model::iso(c.date).c_str(), model::iso(a.commitment_until).c_str());
}

}  // namespace

void add_insurability(CLI::App& app) {
  struct Opts {
    std::string db = default_db(), niss, date, today, csv, out, by;
    bool json = false;
  };
  auto opts = std::make_shared<Opts>();
  auto* cmd = app.add_subcommand(
      "insurability",
      "Insurability consultation (801000 -> 801900): insured (V) or not (X) at a date, mutuality, CT1/CT2, holder or\n"
      "dependant, medical-house contract, care pathways, hospital stay; when insured, a payment commitment number\n"
      "valid 30 days that invoices carry and the engine honours. One person (--niss, --date) or a CSV of niss,date\n"
      "rows (--csv; answers as CSV, docs/insurability.md). Every consultation is recorded.\n"
      "Exit 0 when insured (or the CSV answered), 1 when not insured or a CSV row was bad, 2 on an error.");
  cmd->add_option("--niss", opts->niss, "NISS of the person (11 digits)");
  cmd->add_option("--date", opts->date, "Date asked about (YYYY-MM-DD; default: --today)");
  cmd->add_option("--csv", opts->csv, "Mass insurability: a CSV file of niss,date rows ('-' for stdin)");
  cmd->add_option("--out", opts->out, "Where to write the CSV answers (default: stdout)");
  cmd->add_option("--today", opts->today, "Day of the consultation (YYYY-MM-DD; default: the system date)");
  cmd->add_option("--by", opts->by, "Who asks (INAMI number or user), recorded with the consultation");
  cmd->add_option("--db", opts->db, "Store: SQLite file or postgresql:// URL (default $MUTUA_DB or ./mutua.db)");
  cmd->add_flag("--json", opts->json, "One person: print the answer as JSON");
  cmd->callback([opts] {
    const model::Date today = opts->today.empty() ? system_today() : parse_date(opts->today);
    const model::Date date = opts->date.empty() ? today : parse_date(opts->date);
    if (!today || !date) {
      std::fprintf(stderr, "mutua insurability: --today and --date take YYYY-MM-DD\n");
      exit_code() = 2;
      return;
    }
    if (opts->csv.empty() == opts->niss.empty()) {
      std::fprintf(stderr, "mutua insurability: give --niss (one person) or --csv (mass insurability)\n");
      exit_code() = 2;
      return;
    }
    if (!opts->niss.empty() && (opts->niss.size() != 11 || check::niss(opts->niss) != check::Verdict::Valid)) {
      std::fprintf(stderr, "mutua insurability: --niss '%s' is not a valid NISS (11 digits, check digits)\n", opts->niss.c_str());
      exit_code() = 2;
      return;
    }
    auto store = open_store(opts->db, /*mapped: look-ups all over the patient tables*/ true);
    if (!store) return;
    if (!opts->niss.empty()) {
      auto r = consult::consult(*store, {{opts->niss, date}}, today, opts->by);
      if (!r) {
        print_error(r.error());
        exit_code() = 2;
        return;
      }
      const auto& a = r->front();
      if (opts->json) std::printf("%s\n", to_json(a).dump(2).c_str());
      else print_answer(a);
      if (!a.consultation.insured) exit_code() = 1;
      return;
    }
    std::ifstream file;
    std::istream* in = &std::cin;
    if (opts->csv != "-") {
      file.open(opts->csv, std::ios::binary);
      if (!file) {
        std::fprintf(stderr, "mutua insurability: cannot read %s\n", opts->csv.c_str());
        exit_code() = 2;
        return;
      }
      in = &file;
    }
    std::ofstream outfile;
    std::ostream* out = &std::cout;
    if (!opts->out.empty()) {
      outfile.open(opts->out, std::ios::binary | std::ios::trunc);
      if (!outfile) {
        std::fprintf(stderr, "mutua insurability: cannot write %s\n", opts->out.c_str());
        exit_code() = 2;
        return;
      }
      out = &outfile;
    }
    Progress bar("insurability", isatty(2) && !opts->out.empty());
    std::vector<Error> problems;
    auto n = consult::consult_csv(*store, *in, *out, today, opts->by, problems,
                                  [&](size_t done, size_t total) { bar.update(done, total, " consultations"); });
    out->flush();
    if (!n) {
      print_error(n.error());
      exit_code() = 2;
      return;
    }
    for (const auto& p : problems) std::fprintf(stderr, "%s:%llu: %s\n", opts->csv.c_str(), static_cast<unsigned long long>(p.record), p.message.c_str());
    if (!opts->out.empty())
      std::fprintf(stderr, "%zu consultation(s) answered into %s, %zu bad row(s)\n", *n, opts->out.c_str(), problems.size());
    if (!problems.empty()) exit_code() = 1;
  });
}

}  // namespace mutua::cli
