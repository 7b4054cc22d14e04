// Engine speed on a generated world (bench/engine.sh builds it: 1M members, 10k providers,
// 20M history lines in a store, ten envois of 100k lines). Each envoi is prepared as the
// pipeline does (parse, its patients' reference data and history from the store), then only
// the rule families and cascades are timed: the core, data in memory, one core.
// After the benchmark, a table of the preparation steps and of the cost of each rule family.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "engine/pipeline.h"
#include "mutua/engine/adjudicate.h"
#include "mutua/store/sqlite.h"
#include "rules/lines/adjudication.h"

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Prepared {
  std::shared_ptr<mutua::rules::Envoi> envoi;
  std::unique_ptr<mutua::model::RefData> data;
  std::shared_ptr<const mutua::model::RefData> shared;
  std::unique_ptr<mutua::model::RefIndex> ref;
  std::unordered_map<std::string, std::vector<mutua::model::HistoryLine>> history;
  size_t history_lines = 0;
};

struct Steps {
  double parse = 0, refdata = 0, history = 0;
  size_t patients = 0, history_lines = 0, lines = 0;
};

Steps g_steps;

std::vector<Prepared>& world() {
  static std::vector<Prepared> prepared = [] {
    std::vector<Prepared> out;
    const char* dir = std::getenv("MUTUA_BENCH_DIR");
    const char* db = std::getenv("MUTUA_BENCH_DB");
    if (!dir || !db) return out;
    auto store = mutua::store::open_sqlite(db);
    if (!store) return out;
    std::vector<std::string> files;
    for (auto& e : std::filesystem::directory_iterator(std::string(dir) + "/envois")) files.push_back(e.path());
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
      std::ifstream in(f, std::ios::binary);
      std::ostringstream s;
      s << in.rdbuf();
      Prepared p;
      auto t = Clock::now();
      auto parsed = mutua::engine::parse_envoi(s.str(), f);
      if (!parsed) continue;
      p.envoi = *parsed;
      g_steps.parse += seconds_since(t);
      std::set<std::string> niss_set;
      for (const auto& l : p.envoi->lines) niss_set.insert(l.niss);
      for (const auto& inv : p.envoi->invoices) niss_set.insert(inv.niss);
      std::vector<std::string> niss(niss_set.begin(), niss_set.end());
      t = Clock::now();
      auto data = (*store)->load_refdata_for(niss);
      p.data = std::make_unique<mutua::model::RefData>(std::move(*data));
      p.shared = *(*store)->shared_refdata();
      p.ref = std::make_unique<mutua::model::RefIndex>(*p.data, *p.shared);
      g_steps.refdata += seconds_since(t);
      t = Clock::now();
      auto history = (*store)->history(niss);
      p.history = std::move(*history);
      g_steps.history += seconds_since(t);
      for (const auto& [k, v] : p.history) p.history_lines += v.size();
      g_steps.patients += niss.size();
      g_steps.history_lines += p.history_lines;
      g_steps.lines += p.envoi->lines.size();
      out.push_back(std::move(p));
    }
    return out;
  }();
  return prepared;
}

// The core: every family and the cascades over the ten envois, data in memory.
void BM_EngineCore(benchmark::State& state) {
  auto& envois = world();
  if (envois.empty()) return state.SkipWithError("set MUTUA_BENCH_DIR and MUTUA_BENCH_DB (bench/engine.sh)");
  uint64_t lines = 0, rejected = 0;
  for (auto _ : state) {
    for (const auto& p : envois) {
      mutua::rules::Verdicts v;
      mutua::engine::run_rules(*p.envoi, *p.ref, p.history, 20261123, v);
      lines += p.envoi->lines.size();
      for (const auto& l : p.envoi->lines) rejected += v.rejected(l.record);
    }
  }
  state.SetItemsProcessed(static_cast<int64_t>(lines));
  state.counters["lines/s"] = benchmark::Counter(static_cast<double>(lines), benchmark::Counter::kIsRate);
  state.counters["rejected %"] = lines ? 100.0 * static_cast<double>(rejected) / static_cast<double>(lines) : 0;
}
BENCHMARK(BM_EngineCore)->Unit(benchmark::kMillisecond)->UseRealTime();

void print_tables() {
  auto& envois = world();
  if (envois.empty()) return;
  std::vector<mutua::engine::FamilyCost> costs;
  const int rounds = 5;
  auto t = Clock::now();
  for (int r = 0; r < rounds; ++r)
    for (const auto& p : envois) {
      mutua::rules::Verdicts v;
      mutua::engine::run_rules(*p.envoi, *p.ref, p.history, 20261123, v, &costs);
    }
  const double timed = seconds_since(t);
  const double lines = static_cast<double>(g_steps.lines) * rounds;
  uint64_t total_ns = 0;
  for (const auto& c : costs) total_ns += c.nanoseconds;
  fmt::print("\n### Preparation of the {} envois ({} lines, {} patients, {} history lines)\n\n", envois.size(),
             g_steps.lines, g_steps.patients, g_steps.history_lines);
  fmt::print("| step | seconds (all envois) | per 100k lines |\n|---|---|---|\n");
  auto row = [&](const char* name, double s) {
    fmt::print("| {} | {:.3f} | {:.3f} |\n", name, s, s * 100000.0 / static_cast<double>(g_steps.lines));
  };
  row("parse (cut into records, invoices, lines)", g_steps.parse);
  row("reference data of the patients (store → index)", g_steps.refdata);
  row("history of the patients (store)", g_steps.history);
  fmt::print("\n### Cost per rule family ({} rounds over the envois, timed per call: {:.0f}k lines/s with the timers)\n\n",
             rounds, lines / timed / 1000.0);
  fmt::print("| family | ns per line | share |\n|---|---|---|\n");
  for (const auto& c : costs)
    fmt::print("| {} | {:.1f} | {:.1f} % |\n", c.family, static_cast<double>(c.nanoseconds) / lines,
               total_ns ? 100.0 * static_cast<double>(c.nanoseconds) / static_cast<double>(total_ns) : 0.0);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  print_tables();
  benchmark::Shutdown();
  return 0;
}
