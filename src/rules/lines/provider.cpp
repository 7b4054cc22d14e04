// The billing provider as the fund knows it: third-party number (101420), account A's IBAN
// (103620) and the destination mutualities (PUC) it may bill (201803). All blocking (B).
#include <fmt/format.h>

#include "rules/lines/families.h"

namespace mutua::rules {

namespace {

std::string compact(std::string_view s) {
  std::string out;
  for (char c : s)
    if (c != ' ') out += c;
  return out;
}

class ProviderRules final : public LineRules {
 public:
  std::string_view name() const override { return "provider"; }

  void envoi(Context& ctx) override {
    const Envoi& e = ctx.envoi;
    if (e.et10 == SIZE_MAX) return;
    const model::Provider* p = ctx.ref.provider(e.third_party);
    if (!p) {
      ctx.verdicts.add(e.et10, "101420", "provider", {{"tiers", e.third_party}});
      return;
    }
    MUTUA_NOTE(ctx.verdicts, e.et10, "provider", fmt::format("third party {} known ({})", p->inami, p->kind));
    if (!e.iban_a.empty() && compact(e.iban_a) != compact(p->iban_a))
      ctx.verdicts.add(e.et10, "103620", "provider", {{"iban", e.iban_a}, {"tiers", e.third_party}, {"known", p->iban_a}});
    const auto& allowed = ctx.ref.destinations(e.third_party);
    if (allowed.empty()) return;
    for (const auto& inv : e.invoices) {
      bool ok = false;
      for (const auto* d : allowed) ok = ok || d->destination == inv.destination;
      if (!ok) {
        std::string list;
        for (const auto* d : allowed) list += (list.empty() ? "" : ", ") + d->destination;
        ctx.verdicts.add(inv.et20, "201803", "provider",
                         {{"destination", inv.destination}, {"tiers", e.third_party}, {"allowed", list}});
      }
    }
  }
};

}  // namespace

std::unique_ptr<LineRules> make_provider_rules() { return std::make_unique<ProviderRules>(); }

}  // namespace mutua::rules
