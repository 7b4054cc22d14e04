// Fills a store with accepted envois for the payment-run benchmark: N envois from the world's
// providers (round robin), each declaring L lines, received over the 14 days before the run,
// with account A amounts (and B for one in ten, when the provider has a B account), plus one M38 regularisation per hundred
// envois. Recorded through Store::record as the engine records them (without the responses,
// which a payment run never reads).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mutua/model/dates.h"
#include "mutua/store/sqlite.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: load_envois DB ENVOIS LINES_PER_ENVOI FIRST_RECEIVED(YYYY-MM-DD)\n");
    return 2;
  }
  const std::string db = argv[1];
  const int64_t envois = std::strtoll(argv[2], nullptr, 10), lines = std::strtoll(argv[3], nullptr, 10);
  const mutua::model::Date first = mutua::model::parse_iso_date(argv[4]);
  auto store = mutua::store::open_sqlite(db);
  if (!store) {
    std::fprintf(stderr, "load_envois: %s\n", store.error().message.c_str());
    return 2;
  }
  auto ref = (*store)->shared_refdata();
  if (!ref) {
    std::fprintf(stderr, "load_envois: %s\n", ref.error().message.c_str());
    return 2;
  }
  // Providers with an account (a payment run holds the others); account B only for those with one.
  std::vector<std::string> providers;
  std::vector<bool> has_b;
  for (const auto& p : (*ref)->providers)
    if (p.inami[0] != '9' && !p.iban_a.empty()) {
      providers.push_back(p.inami);
      has_b.push_back(!p.iban_b.empty());
    }
  if (providers.empty()) {
    std::fprintf(stderr, "load_envois: no providers with an account in %s\n", db.c_str());
    return 2;
  }
  uint64_t seed = 88172645463325252ull;
  for (int64_t i = 0; i < envois; ++i) {
    seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
    mutua::model::EnvoiOutcome o;
    auto& e = o.envoi;
    e.third_party = providers[static_cast<size_t>(i) % providers.size()];
    e.year = 2026;
    e.month = 10;
    e.number = static_cast<int>(i / static_cast<int64_t>(providers.size())) + 1;
    e.status = mutua::model::EnvoiStatus::Accepted;
    e.received = mutua::model::add_days(first, static_cast<int>(i * 14 / envois));
    e.file_name = "bench-" + std::to_string(i) + ".efact";
    e.content_hash = std::to_string(i);
    e.federation = "300";
    e.lines = static_cast<uint64_t>(lines);
    e.accepted_a_cents = lines * 2500 + static_cast<int64_t>(seed % 10000);
    e.accepted_b_cents = i % 10 == 0 && has_b[static_cast<size_t>(i) % providers.size()] ? lines * 300 : 0;
    e.accepted_cents = e.asked_cents = e.accepted_a_cents + e.accepted_b_cents;
    o.received_bytes = "";
    o.verdicts_json = "[]";
    if (auto r = (*store)->record(o); !r) {
      std::fprintf(stderr, "load_envois: %s\n", r.error().message.c_str());
      return 2;
    }
    if (i % 100 == 0) {
      mutua::model::Regularisation reg;
      reg.third_party = e.third_party;
      reg.amount_cents = 1000 + static_cast<int64_t>(seed % 50000);
      reg.reason = "M38 bench";
      reg.recorded = first;
      if (auto r = (*store)->add_regularisation(reg); !r) return 2;
    }
    if (i % 10000 == 0) std::fprintf(stderr, "\rload_envois: %lld / %lld", static_cast<long long>(i), static_cast<long long>(envois));
  }
  std::fprintf(stderr, "\rload_envois: %lld envois of %lld lines\n", static_cast<long long>(envois), static_cast<long long>(lines));
  return 0;
}
