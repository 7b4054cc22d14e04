// Retention (DOMAIN.md "Decisions": 3 years plus the current year). Personal details older
// than the cut-off go: the received envoi, its responses and verdicts, its lines in history
// (and lines loaded without an envoi of the store, billed before the cut-off);
// lines once pending on the advisor, consultations, closed agreements, ended disputes,
// information requests and audit entries lose their NISS and free text, requests their
// attachments. Kept, without personal data: envoi-number keys (unicity), ledger
// totals, payments and their references, regularisations, so the ledger check still passes.
#pragma once
#include <cstdint>

#include "mutua/model/envoi.h"

namespace mutua::model {

// The first day kept: 1 January of (today's year - 3).
Date retention_cutoff(Date today);

struct RetentionReport {
  Date cutoff = 0;
  int64_t envois = 0;             // envois received before the cut-off whose details went
  int64_t received_files = 0, responses = 0, history_lines = 0;
  int64_t pending_lines = 0, consultations = 0, agreements = 0, disputes = 0;  // anonymised
  // Information requests (and registrations) last changed before the cut-off: attachments
  // removed, texts and NISS blanked; audit entries keep who read what, not the patient.
  int64_t requests = 0, attachments = 0, audit_entries = 0;
  // PostgreSQL: years of history dropped whole (their lines are counted in history_lines).
  int64_t history_years_dropped = 0;
};

}  // namespace mutua::model
