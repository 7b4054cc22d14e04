#include "mutua/settlement/disputes.h"

#include <fmt/format.h>

#include "mutua/check_digits.h"
#include "mutua/model/dates.h"
#include "mutua/settlement/config.h"

namespace mutua::settlement {

namespace {

tl::unexpected<Error> bad(const std::string& zone, const std::string& message) {
  return fail({.code = "Z00710", .message = message, .zone = zone});
}

// The dispute as it is now, if a step may still be taken on `date`.
Result<model::Dispute> current(DisputeStores store, const DisputeStep& step) {
  auto found = store.disputes.disputes(step.id, "");
  if (!found) return fail(found.error());
  if (found->empty()) return bad("id", fmt::format("no dispute {} in the store", step.id));
  const auto& d = found->front();
  if (d.state == model::DisputeState::Settled || d.state == model::DisputeState::Closed)
    return bad("id", fmt::format("dispute {} was {} on {}: it takes no more steps", d.id, model::dispute_state_name(d.state),
                                 model::iso(d.ended)));
  if (!model::valid_date(step.date)) return bad("date", "the step needs a valid date");
  if (step.date < d.opened)
    return bad("date", fmt::format("{} is before the dispute was opened ({})", model::iso(step.date), model::iso(d.opened)));
  return d;
}

Result<model::Dispute> step_to(DisputeStores store, const DisputeStep& step, const std::string& kind) {
  auto d = current(store, step);
  if (!d) return d;
  const model::DisputeState before = d->state;
  model::DisputeEvent e{step.date, kind, step.text, step.by, 0};
  std::optional<model::Regularisation> reg;
  if (kind == "comment") {
    if (step.text.empty()) return bad("text", "a comment needs its text");
    d->state = model::DisputeState::UnderReview;
  } else if (kind == "close") {
    d->state = model::DisputeState::Closed;
    d->ended = step.date;
  } else {
    if (step.amount_cents == 0) return bad("amount", "a settled dispute needs its amount (close it when there is none)");
    if (step.account) d->account = step.account;
    d->state = model::DisputeState::Settled;
    d->ended = step.date;
    d->amount_cents = e.amount_cents = step.amount_cents;
    model::Regularisation r;
    r.third_party = d->third_party;
    r.account = d->account;
    r.amount_cents = step.amount_cents;
    r.reason = fmt::format("dispute {}: {}", d->id, d->subject);
    r.origin = "dispute";
    r.recorded = step.date;
    r.envoi_id = d->envoi_id;
    r.record = d->record;
    r.dispute_id = d->id;
    reg = std::move(r);
  }
  if (auto w = store.disputes.dispute_step(d->id, before, *d, e, reg); !w) return fail(w.error());
  auto after = store.disputes.disputes(d->id, "");
  if (!after) return fail(after.error());
  return after->front();
}

}  // namespace

Result<model::Dispute> open_dispute(DisputeStores store, model::Dispute d, const std::string& by) {
  if (d.third_party.size() != 11 || !check::all_digits(d.third_party))
    return bad("provider", fmt::format("'{}' is not an 11-digit INAMI number", d.third_party));
  if (d.subject.empty()) return bad("subject", "a dispute needs its subject");
  if (!model::valid_date(d.opened)) return bad("date", "the dispute needs a valid date");
  if (d.account != 'A' && d.account != 'B') return bad("account", "the account is A or B");
  if (d.record && !d.envoi_id) return bad("line", "a line is named within its envoi (--envoi)");
  if (d.envoi_id) {
    auto e = store.envois.envoi(d.envoi_id);
    if (!e) return fail(e.error());
    if (!*e || (*e)->third_party != d.third_party)
      return bad("envoi", fmt::format("reception {} is not an envoi of {}", d.envoi_id, d.third_party));
  }
  if (!d.payment_reference.empty()) {
    auto st = store.ledger.ledger(false, false);
    if (!st) return fail(st.error());
    bool found = false;
    for (const auto& p : st->payments) found = found || (p.reference == d.payment_reference && p.third_party == d.third_party);
    if (!found) return bad("payment", fmt::format("no payment {} to {}", d.payment_reference, d.third_party));
  }
  d.state = model::DisputeState::Open;
  d.events = {{d.opened, "open", d.subject, by, 0}};
  auto id = store.disputes.open_dispute(d);
  if (!id) return fail(id.error());
  d.id = *id;
  return d;
}

Result<model::Dispute> comment_dispute(DisputeStores store, const DisputeStep& step) { return step_to(store, step, "comment"); }
Result<model::Dispute> settle_dispute(DisputeStores store, const DisputeStep& step) { return step_to(store, step, "settle"); }
Result<model::Dispute> close_dispute(DisputeStores store, const DisputeStep& step) { return step_to(store, step, "close"); }

nlohmann::ordered_json dispute_json(const model::Dispute& d) {
  nlohmann::ordered_json j = {{"id", d.id},
                              {"provider", d.third_party},
                              {"subject", d.subject},
                              {"state", std::string(model::dispute_state_name(d.state))},
                              {"opened", model::iso(d.opened)},
                              {"ended", model::iso(d.ended)},
                              {"account", std::string(1, d.account)},
                              {"envoi", d.envoi_id},
                              {"record", d.record},
                              {"payment_reference", d.payment_reference},
                              {"amount_cents", d.amount_cents},
                              {"regularisation", d.regularisation_id}};
  auto& history = j["history"] = nlohmann::ordered_json::array();
  for (const auto& e : d.events)
    history.push_back(
        {{"date", model::iso(e.date)}, {"kind", e.kind}, {"text", e.text}, {"by", e.by}, {"amount_cents", e.amount_cents}});
  return j;
}

}  // namespace mutua::settlement
