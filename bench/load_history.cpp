// Loads a synthetic history into a store for the engine benchmark: N accepted lines spread over
// the members of a generated world (10 to 30 each), in the twelve months before the envois'
// months, performed by its providers. Straight into the store (Store::load_history), in
// chunks, members in NISS order; then, as `mutua db compact` after any bulk load, the large
// history's filter made (SQLite, migration 31).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "mutua/model/refdata.h"
#include "mutua/store/postgresql.h"

namespace {

struct Rng {
  uint64_t s;
  uint64_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  uint64_t below(uint64_t n) { return next() % n; }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: load_history DB|URL REFDATA_DIR LINES\n");
    return 2;
  }
  const std::string db = argv[1], dir = argv[2];
  const uint64_t total = std::strtoull(argv[3], nullptr, 10);
  std::vector<mutua::Error> problems;
  auto ref = mutua::model::load_refdata_dir(dir, problems);
  if (!ref) {
    std::fprintf(stderr, "load_history: %s\n", ref.error().to_string().c_str());
    return 2;
  }
  std::vector<std::string> members, providers;
  for (const auto& m : ref->members) members.push_back(m.niss);
  for (const auto& p : ref->providers)
    if (p.inami[0] != '9') providers.push_back(p.inami);
  std::sort(members.begin(), members.end());
  if (members.empty() || providers.empty()) {
    std::fprintf(stderr, "load_history: no members or providers in %s\n", dir.c_str());
    return 2;
  }
  auto store = mutua::store::open_store_at(db);  // an SQLite file or a postgresql:// URL
  if (!store) {
    std::fprintf(stderr, "load_history: %s\n", store.error().message.c_str());
    return 2;
  }
  // The mix of a home-nursing and general-practice fund: the codes the generator bills.
  const char* codes[] = {"425014", "425014", "425014", "425036", "425051", "424336", "423076",
                         "101032", "101076", "101010", "103132", "475075", "102771"};
  const mutua::model::Date from = 20241101;
  const int span = mutua::model::days_between(from, 20251031) + 1;
  Rng rng{0x9E3779B97F4A7C15ULL};
  const uint64_t per_member = std::max<uint64_t>(1, total / members.size());
  std::vector<mutua::model::HistoryLine> chunk;
  chunk.reserve(500000);
  uint64_t written = 0, invoice = 1;
  for (size_t i = 0; i < members.size() && written < total; ++i) {
    uint64_t n = i + 1 == members.size() ? total - written
                                         : std::min<uint64_t>(total - written, per_member / 2 + rng.below(per_member + 1));
    const std::string& provider = providers[rng.below(providers.size())];
    for (uint64_t k = 0; k < n; ++k) {
      mutua::model::HistoryLine h;
      h.envoi_id = 0;
      h.niss = members[i];
      h.code = codes[rng.below(std::size(codes))];
      h.first_date = h.last_date = mutua::model::add_days(from, static_cast<int>(rng.below(static_cast<uint64_t>(span))));
      h.units = 1;
      h.amount = 1500 + static_cast<int64_t>(rng.below(4000));
      h.provider = provider;
      h.third_party = provider;
      h.invoice_number = invoice;
      h.record = 3 + k;
      h.billed = mutua::model::add_days(h.first_date, 35);
      h.envoi_number = 1;
      chunk.push_back(std::move(h));
    }
    ++invoice;
    written += n;
    if (chunk.size() >= 500000 || written >= total || i + 1 == members.size()) {
      if (auto r = (*store)->load_history(chunk); !r) {
        std::fprintf(stderr, "load_history: %s\n", r.error().message.c_str());
        return 2;
      }
      chunk.clear();
      std::fprintf(stderr, "\rhistory: %llu / %llu lines", static_cast<unsigned long long>(written),
                   static_cast<unsigned long long>(total));
    }
  }
  std::fprintf(stderr, "\n");
  // As `mutua db compact` after any bulk load: the large history's filter (SQLite, migration 31).
  if (auto r = (*store)->merge_recent_history(); !r) {
    std::fprintf(stderr, "load_history: %s\n", r.error().message.c_str());
    return 2;
  }
  fmt::print("{} history lines for {} members, {} providers\n", written, members.size(), providers.size());
  return 0;
}
