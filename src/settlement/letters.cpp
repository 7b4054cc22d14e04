#include "mutua/settlement/letters.h"

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mutua/tsv.h"
#include "mutua/model/dates.h"
#include "mutua/settlement/payment_run.h"

namespace mutua::settlement {

Result<std::optional<std::vector<LetterLine>>> settled_lines(model::EnvoiStore& envois, int64_t envoi_id,
                                                             const std::string& language) {
  auto found = envois.response(envoi_id, "920900");
  if (!found) return fail(found.error());
  if (!*found) {
    auto messages = envois.response_messages(envoi_id);
    if (!messages) return fail(messages.error());
    if (messages->empty()) return std::optional<std::vector<LetterLine>>();  // past retention
    return fail({.code = "Z00602", .message = fmt::format("envoi reception {} has no 920900 response", envoi_id)});
  }
  const model::StoredResponse* settlement = &**found;
  auto j = nlohmann::json::parse(settlement->json, nullptr, false);
  if (j.is_discarded() || !j.contains("records"))
    return fail({.code = "Z00602", .message = fmt::format("the 920900 of reception {} cannot be read", envoi_id)});
  std::vector<LetterLine> out;
  const std::string label = language == "nl" ? "label_nl" : "label_fr";
  for (const auto& r : j["records"]) {
    if (!r.contains("code") || !r.contains("amount")) continue;  // not a detail line
    LetterLine l;
    l.record = r.value("record", uint64_t{0});
    l.invoice = r.value("invoice", uint64_t{0});
    l.niss = r.value("niss", "");
    l.code = r.value("code", "");
    l.reference = r.value("reference", "");
    l.date = model::parse_iso_date(r.value("date", ""));
    l.account = r.value("account", std::string("A"))[0];
    l.asked = r.value("amount", int64_t{0});
    l.accepted = r.value("accepted", int64_t{0});
    l.refused = r.value("refused", int64_t{0});
    l.status = r.value("status", "");
    for (const auto& c : r.value("codes", nlohmann::json::array())) {
      if (!l.codes.empty()) l.codes += "; ";
      l.codes += c.value("code", "") + " " + c.value(label, "");
      const std::string comment = c.value("comment", "");
      if (!comment.empty()) l.codes += " (" + comment + ")";
    }
    out.push_back(std::move(l));
  }
  return out;
}

namespace {

// The letters of these payments of `run`, with the ledger as `state` holds it.
Result<std::vector<Letter>> letters_of(LetterStores store, const Config& config, const model::PaymentRun& run,
                                       const std::vector<model::Payment>& payments, const model::LedgerState& state) {
  auto shared = store.refdata.shared_refdata();
  if (!shared) return fail(shared.error());
  std::unordered_map<std::string, const model::Provider*> providers;
  for (const auto& p : (*shared)->providers) providers[p.inami] = &p;
  std::unordered_map<int64_t, const model::Regularisation*> regs;
  for (const auto& r : state.regularisations) regs[r.id] = &r;

  std::vector<Letter> out;
  std::map<std::pair<int64_t, std::string>, std::optional<std::vector<LetterLine>>> lines_of;  // (envoi, language)
  for (const auto& p : payments) {
    Letter l;
    l.payment = p;
    l.run_date = run.date;
    l.fund_name = config.fund_name;
    auto e = store.envois.envoi(p.envoi_id);
    if (!e) return fail(e.error());
    if (*e) l.envoi = **e;
    if (auto it = providers.find(p.third_party); it != providers.end()) {
      l.provider_name = it->second->name;
      l.language = it->second->language == "nl" ? "nl" : "fr";
    }
    if (p.complement == 0) {
      auto key = std::make_pair(p.envoi_id, l.language);
      if (!lines_of.count(key)) {
        auto lines = settled_lines(store.envois, p.envoi_id, l.language);
        if (!lines) return fail(lines.error());
        lines_of[key] = std::move(*lines);
      }
      if (!lines_of[key]) {
        l.lines_removed = true;
        l.asked = l.accepted = p.accepted_cents;
      } else {
        for (const auto& x : *lines_of[key])
          if (x.account == p.account) l.lines.push_back(x);
      }
    } else {
      auto approved = store.advisor.pending_lines({.envoi_id = p.envoi_id, .state = model::PendingState::Approved});
      if (!approved) return fail(approved.error());
      for (const auto& a : *approved) {
        if (a.complement != p.complement || a.account != p.account) continue;
        LetterLine x;
        x.invoice = a.line.invoice_number;
        x.record = a.line.record;
        x.niss = a.line.niss;
        x.code = a.line.code;
        x.date = a.line.first_date;
        x.account = a.account;
        x.asked = x.accepted = a.line.amount;
        x.status = "approved";
        x.codes = l.language == "nl" ? fmt::format("akkoord adviserend arts {}", model::iso(a.decided))
                                     : fmt::format("accord du médecin-conseil du {}", model::dmy(a.decided));
        l.lines.push_back(std::move(x));
      }
    }
    for (const auto& x : l.lines) {
      l.asked += x.asked;
      l.accepted += x.accepted;
      l.refused += x.refused;
      if (x.status == "pending") l.pending += x.asked;
    }
    for (const auto& c : state.compensations) {
      if (c.payment_id != p.id) continue;
      SetOff s{c.regularisation_id, "", "", c.cents};
      if (auto it = regs.find(c.regularisation_id); it != regs.end()) {
        s.reason = it->second->reason;
        s.origin = it->second->origin;
      }
      l.set_off.push_back(std::move(s));
    }
    out.push_back(std::move(l));
  }
  return out;
}

}  // namespace

Result<std::vector<Letter>> gather_letters(LetterStores store, const Config& config, const std::string& run_key) {
  auto run = store.ledger.payment_run(run_key);
  if (!run) return fail(run.error());
  if (!*run) return fail({.code = "Z00603", .message = fmt::format("no payment run '{}' in the store", run_key)});
  auto payments = store.ledger.run_payments((*run)->id);
  if (!payments) return fail(payments.error());
  auto state = store.ledger.ledger(false, false);
  if (!state) return fail(state.error());
  return letters_of(store, config, **run, *payments, *state);
}

Result<std::optional<Letter>> gather_letter(LetterStores store, const Config& config, int64_t payment_id) {
  auto state = store.ledger.ledger(false, false);
  if (!state) return fail(state.error());
  auto p = std::find_if(state->payments.begin(), state->payments.end(), [&](const auto& x) { return x.id == payment_id; });
  if (p == state->payments.end()) return std::optional<Letter>();
  auto run = std::find_if(state->runs.begin(), state->runs.end(), [&](const auto& r) { return r.id == p->run_id; });
  if (run == state->runs.end())
    return fail({.code = "Z00603", .message = fmt::format("payment {} names run {}, not in the store", payment_id, p->run_id)});
  auto letters = letters_of(store, config, *run, {*p}, *state);
  if (!letters) return fail(letters.error());
  return std::optional<Letter>(std::move(letters->front()));
}

std::string letter_name(const Letter& l) {
  const auto& p = l.payment;
  if (!p.reference.empty()) return fmt::format("letter-{:04d}-2-{:07d}", p.year, p.sequence);
  return fmt::format("letter-run-{}-{}-{}{}", p.run_id, p.envoi_id, p.account, p.complement ? fmt::format("-c{}", p.complement) : "");
}

namespace {

std::string csv_field(const std::string& s) { return format::csv_text(s, ";"); }

}  // namespace

std::string letter_csv(const Letter& l) {
  const auto& p = l.payment;
  std::string s =
      "payment_reference;envoi;complement;account;invoice;record;line_reference;niss;code;date;asked;accepted;refused;status;codes\n";
  for (const auto& x : l.lines)
    s += fmt::format("{};{:03d};{};{};{};{};{};{};{};{};{};{};{};{};{}\n", p.reference, l.envoi.number, p.complement, x.account,
                     x.invoice, x.record, csv_field(x.reference), x.niss, x.code, model::iso(x.date), euros(x.asked),
                     euros(x.accepted), euros(x.refused), x.status, csv_field(x.codes));
  return s;
}

}  // namespace mutua::settlement
