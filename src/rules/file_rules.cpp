#include "rules/billing_period.h"
#include "rules/blocks.h"
#include "rules/file_rule.h"
#include "rules/hospital_days.h"
#include "rules/identifiers.h"
#include "rules/invoices.h"
#include "rules/network_reference.h"
#include "rules/structure.h"
#include "rules/totals.h"
#include "rules/zone_conditions.h"
#include "rules/zone_format.h"

namespace mutua::rules {

std::vector<std::unique_ptr<FileRule>> make_file_rules() {
  std::vector<std::unique_ptr<FileRule>> rules;
  rules.push_back(std::make_unique<StructureRule>());
  rules.push_back(std::make_unique<ZoneFormatRule>());
  rules.push_back(std::make_unique<IdentifierRule>());
  rules.push_back(std::make_unique<TotalsRule>());
  rules.push_back(std::make_unique<InvoiceRule>());
  rules.push_back(std::make_unique<ZoneConditionRule>());
  rules.push_back(std::make_unique<BillingPeriodRule>());
  rules.push_back(std::make_unique<BlockRule>());
  rules.push_back(std::make_unique<HospitalDayRule>());
  rules.push_back(std::make_unique<NetworkReferenceRule>());
  return rules;
}

}  // namespace mutua::rules
