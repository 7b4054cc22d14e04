// Codec speed on generated envois (bench/run.sh makes them): parse only, parse + full
// validation, and write. One core. Bytes/s and records/s are reported by Google Benchmark.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <vector>

#include "mutua/model/envoi_writer.h"
#include "mutua/preflight.h"
#include "mutua/reader.h"

namespace {

std::vector<std::string> envoi_files() {
  static std::vector<std::string> files = [] {
    std::vector<std::string> out;
    const char* dir = std::getenv("MUTUA_BENCH_DIR");
    if (!dir) return out;
    for (auto& e : std::filesystem::directory_iterator(std::string(dir) + "/envois")) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }();
  return files;
}

void BM_Parse(benchmark::State& state) {
  auto files = envoi_files();
  if (files.empty()) return state.SkipWithError("set MUTUA_BENCH_DIR (bench/run.sh)");
  uint64_t bytes = 0, records = 0;
  for (auto _ : state) {
    for (const auto& f : files) {
      auto r = mutua::Reader::open(f);
      std::vector<mutua::Error> problems;
      mutua::RecordView rec;
      uint64_t kinds = 0;
      while ((*r)->next(rec, problems)) {
        kinds += static_cast<uint64_t>(rec.kind);
        ++records;
      }
      benchmark::DoNotOptimize(kinds);
      bytes += (*r)->bytes_consumed();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["records/s"] = benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Parse)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_ParseValidate(benchmark::State& state) {
  auto files = envoi_files();
  if (files.empty()) return state.SkipWithError("set MUTUA_BENCH_DIR (bench/run.sh)");
  uint64_t bytes = 0, records = 0;
  for (auto _ : state) {
    mutua::engine::PreflightOptions options;
    options.today = 20261123;
    auto report = mutua::engine::preflight(files, options);
    for (const auto& f : report.files) {
      bytes += f.bytes;
      records += f.records;
    }
    benchmark::DoNotOptimize(report.findings.total());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["records/s"] = benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ParseValidate)->Unit(benchmark::kMillisecond)->UseRealTime();

// Writes one envoi of 100k lines (ET 20/50/80 with totals and check digits) to /dev/null.
void BM_Write(benchmark::State& state) {
  mutua::model::EnvoiHeader h;
  h.third_party = "40765140401";
  h.year = 2026;
  h.month = 10;
  h.created = 20261105;
  h.federation = "300";
  h.iban_a = "BE71096123456769";
  std::vector<mutua::model::Invoice> invoices(10000);
  for (size_t i = 0; i < invoices.size(); ++i) {
    auto& inv = invoices[i];
    inv.affiliation = inv.destination = "301";
    inv.niss = "85073003328";
    inv.provider = h.third_party;
    inv.number = i + 1;
    inv.billing_date = 20261105;
    for (int l = 0; l < 10; ++l) {
      mutua::model::Prestation p;
      p.nomenclature = "425014";
      p.first_date = p.last_date = 20261003;
      p.provider = h.third_party;
      p.amount = 1250;
      p.personal_share = 310;
      p.reference = "L";
      inv.lines.push_back(p);
    }
  }
  uint64_t bytes = 0, records = 0;
  for (auto _ : state) {
    auto out = mutua::FileWriter::create("/dev/null");
    mutua::model::EnvoiWriter w(*out, h);
    for (const auto& inv : invoices) w.add(inv);
    w.finish();
    bytes += out->bytes_written();
    records += w.records_written();
    (void)out->close();
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  state.counters["records/s"] = benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Write)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
