#include "mutua/settlement/ledger_check.h"

#include <map>
#include <set>
#include <tuple>
#include <unordered_map>

#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "mutua/settlement/config.h"
#include "mutua/settlement/payment_run.h"

namespace mutua::settlement {

LedgerReport check_ledger(const model::LedgerState& st) {
  LedgerReport rep;
  auto& t = rep.totals;
  auto problem = [&](std::string s) { rep.problems.push_back(std::move(s)); };
  std::unordered_map<int64_t, const model::LedgerEnvoi*> envois;
  for (const auto& e : st.envois) envois[e.id] = &e;
  std::unordered_map<int64_t, std::vector<const model::Payment*>> by_envoi;
  std::map<int64_t, int64_t> comp_by_payment, comp_by_reg;
  for (const auto& c : st.compensations) {
    comp_by_payment[c.payment_id] += c.cents;
    comp_by_reg[c.regularisation_id] += c.cents;
  }
  std::set<std::string> references;
  std::set<int64_t> run_ids;
  for (const auto& r : st.runs) run_ids.insert(r.id);
  std::set<std::tuple<int64_t, char>> credit_balances;
  for (const auto& r : st.regularisations)
    if (r.origin == "credit") credit_balances.insert({r.envoi_id, r.account});

  for (const auto& p : st.payments) {
    const std::string who = fmt::format("payment {} (envoi reception {}, account {}{})", p.id, p.envoi_id, p.account,
                                        p.complement ? fmt::format(", complement {}", p.complement) : "");
    if (!envois.count(p.envoi_id)) problem(who + ": its envoi is not an accepted envoi of the ledger");
    if (!run_ids.count(p.run_id)) problem(who + fmt::format(": its run {} does not exist", p.run_id));
    by_envoi[p.envoi_id].push_back(&p);
    if (p.paid_cents + p.compensated_cents != p.accepted_cents)
      problem(who + fmt::format(": paid {} + compensated {} != accepted {}", euros(p.paid_cents), euros(p.compensated_cents),
                                euros(p.accepted_cents)));
    if (p.paid_cents < 0) problem(who + ": negative amount paid");
    if ((p.paid_cents > 0) != !p.reference.empty()) problem(who + ": a transfer without reference, or a reference without transfer");
    if (!p.reference.empty()) {
      if (p.reference != reference(p.year, p.sequence))
        problem(who + fmt::format(": reference {} does not match year {} and sequence {}", p.reference, p.year, p.sequence));
      if (!references.insert(p.reference).second) problem(who + ": reference " + p.reference + " given twice");
      ++t.transfers;
    }
    const int64_t comps = comp_by_payment.count(p.id) ? comp_by_payment[p.id] : 0;
    if (p.accepted_cents >= 0 && comps != p.compensated_cents)
      problem(who + fmt::format(": compensated {} but its compensations add up to {}", euros(p.compensated_cents), euros(comps)));
    if (p.accepted_cents < 0) {
      if (comps != 0) problem(who + ": a credit-note payment cannot set off regularisations");
      if (!credit_balances.count({p.envoi_id, p.account}))
        problem(who + ": credit note without the balance it should have created");
    }
    t.paid += p.paid_cents;
    t.compensated += p.compensated_cents;
  }
  for (const auto& r : st.regularisations) {
    const int64_t off = comp_by_reg.count(r.id) ? comp_by_reg[r.id] : 0;
    const bool beyond = r.amount_cents > 0 ? (off < 0 || off > r.amount_cents) : (off > 0 || off < r.amount_cents);
    if (beyond)
      problem(fmt::format("regularisation {} of {}: {} set off, beyond its amount {}", r.id, r.third_party, euros(off),
                          euros(r.amount_cents)));
    const int64_t open = r.amount_cents - off;
    if (open != 0) ++t.regularisations;
    (open > 0 ? t.owed_by_providers : t.owed_to_providers) += open > 0 ? open : -open;
  }
  // Lines left pending on the advisor, per envoi; approved ones per complement and account.
  struct Waiting {
    int64_t recorded = 0, approved = 0;
    std::map<std::pair<int64_t, char>, int64_t> complements;  // (complement, account) -> approved lines paid
  };
  std::unordered_map<int64_t, Waiting> waiting;
  for (const auto& l : st.pending_lines) {
    auto& w = waiting[l.line.envoi_id];
    w.recorded += l.line.amount;
    switch (l.state) {
      case model::PendingState::Pending: t.pending += l.line.amount; break;
      case model::PendingState::Refused: t.refused_later += l.line.amount; break;
      case model::PendingState::Approved:
        w.approved += l.line.amount;
        t.approved += l.line.amount;
        if (l.complement) w.complements[{l.complement, l.account}] += l.line.amount;
        else t.approved_awaiting += l.line.amount;
        break;
    }
  }
  for (const auto& e : st.envois) {
    ++t.envois;
    const std::string who = fmt::format("envoi {:03d} of {} ({:02d}/{:04d}, reception {})", e.number, e.third_party,
                                        e.month, e.year, e.id);
    const int64_t accepted = e.accepted_a + e.accepted_b;
    t.accepted += accepted;
    t.account_c += e.account_c;
    auto& w = waiting[e.id];
    if (w.recorded != e.pending)
      problem(who + fmt::format(": {} pending on the advisor at reception but its pending lines add up to {}", euros(e.pending),
                                euros(w.recorded)));
    int64_t settled_amount = 0;
    std::map<char, int64_t> own;
    std::map<std::pair<int64_t, char>, int64_t> complements;
    for (const auto* p : by_envoi[e.id]) {
      if (p->complement) {
        complements[{p->complement, p->account}] += p->accepted_cents;
        continue;
      }
      own[p->account] += p->accepted_cents;
      settled_amount += p->paid_cents + p->compensated_cents;
      if (p->run_id != e.settled_run)
        problem(who + fmt::format(": paid by run {} but marked settled by run {}", p->run_id, e.settled_run));
    }
    if (e.settled_run) {
      ++t.settled;
      for (char account : {'A', 'B'}) {
        const int64_t want = account == 'A' ? e.accepted_a : e.accepted_b;
        const int64_t got = own.count(account) ? own[account] : 0;
        if (want != got)
          problem(who + fmt::format(": accepted {} on account {} but its payment settles {}", euros(want), account, euros(got)));
      }
    } else if (!own.empty()) {
      problem(who + ": has payments but is not marked settled");
    }
    // accepted = paid + compensated + awaiting
    const int64_t awaiting = e.settled_run ? 0 : accepted;
    t.awaiting += awaiting;
    if (accepted != settled_amount + awaiting)
      problem(who + fmt::format(": accepted {} != paid + compensated {} + awaiting {}", euros(accepted),
                                euros(settled_amount), euros(awaiting)));
    // Complements: each pays exactly the approved lines marked with its number and account.
    if (complements != w.complements)
      for (const auto& [key, cents] : w.complements)
        if (!complements.count(key) || complements[key] != cents)
          problem(who + fmt::format(": complement {} account {}: approved lines {} but paid as {}", key.first, key.second,
                                    euros(cents), euros(complements.count(key) ? complements[key] : 0)));
    for (const auto& [key, cents] : complements)
      if (!w.complements.count(key))
        problem(who + fmt::format(": complement {} account {} paid {} without approved lines", key.first, key.second, euros(cents)));
    if (e.history_cents >= 0 && e.history_lines > 0) {
      ++t.history_checked;
      if (e.history_cents != accepted + w.approved)
        problem(who + fmt::format(": accepted {} (and approved later {}) but its lines in history add up to {}", euros(accepted),
                                  euros(w.approved), euros(e.history_cents)));
    }
  }
  // One envoi number accepted twice (two processes of an older mutua), and what that paid.
  std::map<std::tuple<std::string, int, int>, std::vector<const model::LedgerEnvoi*>> by_number;
  for (const auto& e : st.envois) by_number[{e.third_party, e.year, e.number}].push_back(&e);
  for (const auto& [key, list] : by_number) {
    if (list.size() < 2) continue;
    std::string ids, paid;
    int paid_count = 0;
    for (const auto* e : list) {
      ids += (ids.empty() ? "" : ", ") + std::to_string(e->id);
      if (e->settled_run) {
        ++paid_count;
        paid += (paid.empty() ? "" : ", ") + fmt::format("reception {} by run {}", e->id, e->settled_run);
      }
    }
    problem(fmt::format("envoi {:03d} of {} for {} accepted {} times: receptions {}", std::get<2>(key), std::get<0>(key),
                        std::get<1>(key), list.size(), ids));
    if (paid_count > 1)
      problem(fmt::format("envoi {:03d} of {} for {} paid {} times: {}", std::get<2>(key), std::get<0>(key),
                          std::get<1>(key), paid_count, paid));
  }
  for (const auto& l : st.repeated_lines) {
    std::string ids;
    for (int64_t id : l.envoi_ids) ids += (ids.empty() ? "" : ", ") + std::to_string(id);
    problem(fmt::format("line of envoi {:03d} of {} (created {}), invoice {}, record {} accepted {} times: receptions {}",
                        l.envoi_number, l.third_party, model::iso(l.billed), l.invoice_number, l.record,
                        l.envoi_ids.size(), ids));
  }
  t.runs = static_cast<int64_t>(st.runs.size());
  return rep;
}

}  // namespace mutua::settlement
