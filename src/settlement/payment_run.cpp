#include "mutua/settlement/payment_run.h"

#include <algorithm>
#include <map>
#include <unordered_map>

#include <fmt/format.h>

#include "mutua/check_digits.h"
#include "mutua/coda.h"
#include "mutua/model/dates.h"
#include "mutua/settlement/pain001.h"

namespace mutua::settlement {


std::string reference(int year, int64_t sequence) { return fmt::format("{:04d}/2/{:07d}", year, sequence); }
std::string statement_reference(int year, int64_t sequence) { return fmt::format("0{:04d}2{:07d}", year, sequence); }

namespace {

// What is left of one regularisation; id < 0 for a balance created in this run.
struct Open {
  int64_t id = 0;
  int64_t remaining = 0;
};
using OpenKey = std::pair<std::string, char>;

std::string envoi_label(const model::LedgerEnvoi& e) {
  return fmt::format("{:03d}{} {:02d}/{:04d}", e.number, e.complement ? "*" : "", e.month, e.year);
}

// Envois in order of receipt, each complement in its place by the day its lines were approved.
std::vector<const model::LedgerEnvoi*> payment_order(const model::LedgerState& awaiting) {
  std::vector<const model::LedgerEnvoi*> order;
  order.reserve(awaiting.envois.size() + awaiting.complements.size());
  size_t c = 0;
  for (const auto& e : awaiting.envois) {
    while (c < awaiting.complements.size() && awaiting.complements[c].received < e.received)
      order.push_back(&awaiting.complements[c++]);
    order.push_back(&e);
  }
  while (c < awaiting.complements.size()) order.push_back(&awaiting.complements[c++]);
  return order;
}

}  // namespace

RunPlan plan_run(const model::LedgerState& awaiting, const std::vector<std::tuple<std::string, int, int64_t>>& last_sequences,
                 const model::RefData& ref, const RunOptions& options) {
  RunPlan plan;
  auto& o = plan.outcome;
  o.run.key = options.key;
  o.run.date = options.date;
  o.run.execution = options.execution;
  o.run.budget_cents = options.budget_cents;
  const int year = static_cast<int>(options.date / 10000);
  // References have no fund in them, so they are numbered per payment year across the store
  // (the store is one fund's instance): never two alike, whatever fund number was configured.
  std::map<int, int64_t> last;
  for (const auto& [fund, y, seq] : last_sequences) last[y] = std::max(last[y], seq);
  std::map<OpenKey, std::vector<Open>> open;
  for (const auto& r : awaiting.regularisations)
    if (r.amount_cents != r.set_off_cents) open[{r.third_party, r.account}].push_back({r.id, r.amount_cents - r.set_off_cents});
  std::unordered_map<std::string, const model::Provider*> providers;
  for (const auto& p : ref.providers) providers[p.inami] = &p;

  int64_t spent = 0;
  bool stopped = false;
  for (const model::LedgerEnvoi* next : payment_order(awaiting)) {
    const model::LedgerEnvoi& e = *next;
    if (e.received > options.date) continue;  // received (approved) after the run's date: not its turn
    NotPaid np{e, 0, model::days_between(e.received, options.date), false, {}};
    np.overdue = np.days_waiting > kDueDays;
    if (stopped) {
      np.net_cents = std::max<int64_t>(e.accepted_a, 0) + std::max<int64_t>(e.accepted_b, 0);
      np.why = "waits its turn: an earlier envoi did not fit the budget";
      plan.waiting.push_back(std::move(np));
      continue;
    }
    // Tentative payments of this envoi; the provider's open regularisations are restored if
    // the envoi is not paid after all.
    const auto saved_a = open[{e.third_party, 'A'}], saved_b = open[{e.third_party, 'B'}];
    std::vector<model::Payment> pays;
    std::vector<model::Compensation> comps;   // payment_id = index in pays
    std::vector<model::Regularisation> balances;
    int64_t net = 0;
    std::string held;
    const model::Provider* provider = providers.count(e.third_party) ? providers[e.third_party] : nullptr;
    for (char account : {'A', 'B'}) {
      const int64_t accepted = account == 'A' ? e.accepted_a : e.accepted_b;
      if (accepted == 0) continue;
      model::Payment p;
      p.envoi_id = e.id;
      p.complement = e.complement;
      p.account = account;
      p.fund = options.fund.empty() ? e.fund : options.fund;
      p.year = year;
      p.accepted_cents = accepted;
      p.third_party = e.third_party;
      p.executed = options.execution;
      auto& regs = open[{e.third_party, account}];
      const int64_t index = static_cast<int64_t>(pays.size());
      if (accepted < 0) {
        // A credit-note envoi: nothing to pay; what it cancels becomes an amount owed, set off
        // against the next payments on this account.
        p.compensated_cents = accepted;
        model::Regularisation b;
        b.third_party = e.third_party;
        b.account = account;
        b.amount_cents = -accepted;
        b.reason = fmt::format("credit note: envoi {}", envoi_label(e));
        b.origin = "credit";
        b.recorded = options.date;
        b.envoi_id = e.id;
        const int64_t temp_id = -static_cast<int64_t>(o.balances.size() + balances.size() + 1);
        balances.push_back(std::move(b));
        regs.push_back({temp_id, -accepted});
      } else {
        // What the fund owes the provider first, then what the provider owes, oldest first.
        int64_t comp = 0;
        for (auto& r : regs)
          if (r.remaining < 0) {
            comps.push_back({r.id, index, r.remaining});
            comp += r.remaining;
            r.remaining = 0;
          }
        for (auto& r : regs)
          if (r.remaining > 0 && accepted - comp > 0) {
            const int64_t take = std::min(r.remaining, accepted - comp);
            comps.push_back({r.id, index, take});
            comp += take;
            r.remaining -= take;
          }
        std::erase_if(regs, [](const Open& r) { return r.remaining == 0; });
        p.compensated_cents = comp;
        p.paid_cents = accepted - comp;
      }
      if (p.paid_cents > 0) {
        if (!provider) {
          held = "the provider is not in the reference data (no account to pay)";
        } else {
          p.iban = account == 'A' ? provider->iban_a : provider->iban_b;
          p.bic = account == 'A' ? provider->bic_a : provider->bic_b;
          if (check::iban(p.iban) != check::Verdict::Valid)
            held = fmt::format("no valid IBAN on file for account {} ('{}')", account, p.iban);
          else if (!p.bic.empty() && check::bic(p.bic) != check::Verdict::Valid)
            held = fmt::format("the BIC on file for account {} is not valid ('{}')", account, p.bic);
        }
      }
      net += p.paid_cents;
      pays.push_back(std::move(p));
    }
    auto restore = [&] {
      open[{e.third_party, 'A'}] = saved_a;
      open[{e.third_party, 'B'}] = saved_b;
    };
    np.net_cents = net;
    if (!held.empty()) {
      restore();
      np.why = "held: " + held;
      plan.held.push_back(std::move(np));
      continue;
    }
    if (spent + net > options.budget_cents) {
      restore();
      stopped = true;
      np.why = fmt::format("does not fit the budget left ({} of {})", euros(options.budget_cents - spent),
                           euros(options.budget_cents));
      plan.waiting.push_back(std::move(np));
      continue;
    }
    const int64_t offset = static_cast<int64_t>(o.payments.size());
    for (auto& p : pays) {
      if (p.paid_cents > 0) {
        p.sequence = ++last[p.year];
        p.reference = reference(p.year, p.sequence);
        ++o.run.transfers;
      }
      o.payments.push_back(std::move(p));
    }
    for (auto& c : comps) {
      c.payment_id += offset;
      o.compensations.push_back(c);
    }
    for (auto& b : balances) o.balances.push_back(std::move(b));
    if (e.complement)
      for (int64_t line : e.line_ids) o.complement_lines.emplace_back(line, e.complement);
    else if (pays.empty())
      o.settled_envois.push_back(e.id);
    spent += net;
    ++plan.envois_paid;
    plan.account_c_cents += e.account_c;
  }
  o.run.paid_cents = spent;
  return plan;
}

Result<RunResult> settle(PaymentStores store, const Config& config, RunOptions options) {
  if (!model::valid_date(options.date))
    return fail({.code = "Z00603", .message = "the payment run needs a valid date"});
  if (options.budget_cents < 0) return fail({.code = "Z00603", .message = "the budget cannot be negative"});
  if (options.key.empty()) options.key = model::iso(options.date);
  // The key names the payment file: letters, digits, '.', '_', '-', not starting with '.'.
  const bool key_ok = options.key.size() <= 64 && options.key[0] != '.' &&
                      std::all_of(options.key.begin(), options.key.end(), [](char c) {
                        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                               c == '_' || c == '-';
                      });
  if (!key_ok)
    return fail({.code = "Z00603",
                 .message = fmt::format("the run's name '{}' may hold only letters, digits, '.', '_' and '-' (at most 64, "
                                        "not starting with '.'): it names the payment file", options.key)});
  if (!options.execution) options.execution = model::add_days(options.date, config.execution_offset_days);
  if (options.execution < options.date)
    return fail({.code = "Z00603", .message = "the execution date is before the run's date"});
  auto shared = store.refdata.shared_refdata();
  if (!shared) return fail(shared.error());
  if (options.fund.empty()) options.fund = config.fund_number;
  RunResult res;
  // Planned from the ledger as it stands; when another run records first (the store refuses a
  // payment, reference or key given meanwhile: nothing of this one is written), planned again.
  for (int attempt = 1;; ++attempt) {
  auto existing = store.ledger.payment_run(options.key);
  if (!existing) return fail(existing.error());
  if (*existing) {
    res.resumed = true;
    res.run = **existing;
  } else {
    auto awaiting = store.ledger.ledger(true, false);
    if (!awaiting) return fail(awaiting.error());
    auto sequences = store.ledger.last_sequences();
    if (!sequences) return fail(sequences.error());
    RunPlan plan = plan_run(*awaiting, *sequences, **shared, options);
    res.waiting = std::move(plan.waiting);
    res.held = std::move(plan.held);
    res.account_c_cents = plan.account_c_cents;
    if (plan.outcome.payments.empty() && plan.outcome.settled_envois.empty() && plan.outcome.complement_lines.empty()) {
      // Nothing paid: no run is recorded, so the same key can be run again with more budget.
      res.run = plan.outcome.run;
      return res;
    }
    if (plan.outcome.run.transfers > 0) plan.outcome.run.payment_file = "payments-" + options.key + ".pain.001.xml";
    auto id = store.ledger.record_payment_run(plan.outcome);
    if (!id && id.error().code == model::kStoreConflict && attempt < 100) continue;
    if (!id) return fail(id.error());
    res.run = plan.outcome.run;
    res.run.id = *id;
  }
  break;
  }
  auto payments = store.ledger.run_payments(res.run.id);
  if (!payments) return fail(payments.error());
  res.payments = std::move(*payments);
  if (res.resumed) {
    // What still waits now (the run itself is done).
    auto awaiting = store.ledger.ledger(true, false);
    if (!awaiting) return fail(awaiting.error());
    for (const model::LedgerEnvoi* next : payment_order(*awaiting)) {
      const model::LedgerEnvoi& e = *next;
      if (e.received > res.run.date) continue;
      NotPaid np{e, std::max<int64_t>(e.accepted_a, 0) + std::max<int64_t>(e.accepted_b, 0),
                 model::days_between(e.received, res.run.date), false, "awaits a later run"};
      np.overdue = np.days_waiting > kDueDays;
      res.waiting.push_back(std::move(np));
    }
  }
  if (res.run.payment_file.empty()) return res;

  std::unordered_map<std::string, const model::Provider*> providers;
  for (const auto& p : (*shared)->providers) providers[p.inami] = &p;
  std::unordered_map<int64_t, model::EnvoiRecord> envois;
  std::vector<CreditTransfer> transfers;
  for (const auto& p : res.payments) {
    if (p.paid_cents <= 0) continue;
    auto it = envois.find(p.envoi_id);
    if (it == envois.end()) {
      auto e = store.envois.envoi(p.envoi_id);
      if (!e) return fail(e.error());
      it = envois.emplace(p.envoi_id, e->value_or(model::EnvoiRecord{})).first;
    }
    const auto& e = it->second;
    const auto* prov = providers.count(p.third_party) ? providers[p.third_party] : nullptr;
    CreditTransfer t;
    t.end_to_end = statement_reference(p.year, p.sequence);
    t.cents = p.paid_cents;
    // A name of nothing the bank's character set can write (emoji...) would leave <Nm> empty,
    // which the bank's schema refuses: the INAMI number stands in.
    t.creditor = prov && !sepa_text(prov->name, 70).empty() ? prov->name : "INAMI " + p.third_party;
    t.iban = p.iban;
    t.bic = p.bic;
    // The * that marks a complement is not in the SEPA character set: the remittance spells it out.
    t.remittance = fmt::format("{} ENVOI {:03d} {:02d}/{:04d}{} COMPTE {} INAMI {}", p.reference, e.number, e.month, e.year,
                               p.complement ? fmt::format(" COMPLEMENT {}", p.complement) : "", p.account, p.third_party);
    transfers.push_back(std::move(t));
  }
  res.payment_file = res.run.payment_file;
  res.pain001 = write_pain001(config, res.run, transfers);
  res.transfers = std::move(transfers);
  return res;
}

std::vector<std::pair<std::string, std::string>> bank_statements(const Config& config, const RunResult& run, model::Date booked) {
  std::map<std::string, format::CodaStatement> by_account;
  for (const auto& t : run.transfers) {
    auto& s = by_account[t.iban];
    if (s.account.empty()) {
      s.account = t.iban;
      s.holder = sepa_text(t.creditor, 26);
      s.creation_date = booked;
      s.bank_id = "000";
      s.number = 1;
    }
    format::CodaMove m;
    // The bank's own reference of the movement, unique as a bank's is: the payer's and its transfer's.
    m.bank_reference = fmt::format("M{:0>3.3}{:0>4.4}{}", config.fund_number, run.run.key.substr(0, 4), t.end_to_end);
    m.cents = t.cents;
    m.value_date = m.entry_date = booked;
    m.transaction_code = "00150000";  // SEPA credit transfer in the account holder's favour
    m.communication = sepa_text(t.remittance, 140);
    m.customer_reference = t.end_to_end;
    m.counterparty_bic = config.fund_bic;
    m.counterparty_account = config.fund_iban;
    m.counterparty_name = sepa_text(config.fund_name, 35);
    s.moves.push_back(std::move(m));
  }
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [iban, s] : by_account)
    out.emplace_back(fmt::format("coda-{}-{}.cod", run.run.key, iban), format::write_coda(s));
  return out;
}

}  // namespace mutua::settlement
