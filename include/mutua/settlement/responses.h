// The fund's responses to a recorded envoi as the provider gets them once it is paid. The
// adjudication writes the 920900 before any payment, with the reference zones of its ET 91s
// blank; once a payment run has paid the envoi, every ET 91 carries the references of the
// envoi's transfers (zone 423 account A, zone 424 account B) and the JSON lists the payments.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "mutua/error.h"
#include "mutua/model/store.h"

namespace mutua::settlement {

// Writes the two references into every ET 91 of a 920900 (left-aligned, space-padded to the
// zone's 22 characters; empty leaves the zone blank). Fails (Z00604) when `settlement` is not
// a readable 920900.
Result<std::string> with_payment_references(std::string_view settlement, std::string_view reference_a,
                                            std::string_view reference_b);

// What the responses as sent read: the envois' responses and their payments.
struct ResponseStores {
  model::EnvoiStore& envois;
  model::LedgerStore& ledger;
  ResponseStores(model::EnvoiStore& envois_, model::LedgerStore& ledger_) : envois(envois_), ledger(ledger_) {}
  // A whole store has every role.
  ResponseStores(model::Store& s) : envois(s), ledger(s) {}  // NOLINT(google-explicit-constructor): on purpose
};

// The stored responses of the envoi received as `envoi_id`; its 920900 with the references of
// the envoi's own payments (complements are paid under their own references and letters) and,
// in its JSON, a "payments" array of all its payments, complements included.
Result<std::vector<model::StoredResponse>> responses_as_sent(ResponseStores store, int64_t envoi_id);

}  // namespace mutua::settlement
