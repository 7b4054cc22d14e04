// The generator against the validator: same seed, same bytes; every injected error found at
// its record with its code, and nothing else (consistency, not fidelity: see tests/cases).
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include "baseline.h"
#include "mutua/gen/generator.h"
#include "mutua/preflight.h"

namespace mutua {
namespace {

namespace fs = std::filesystem;

std::string read_all(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

gen::Options small_world(const std::string& out) {
  gen::Options o;
  o.seed = 11;
  o.members = 3000;
  o.providers = 60;
  o.lines = 20000;
  o.envoi_lines = 2000;
  o.error_rate = 0.03;
  o.out = out;
  return o;
}

TEST(Generator, SameSeedSameBytes) {
  std::string a = testing::temp_path("gen-a"), b = testing::temp_path("gen-b");
  ASSERT_TRUE(gen::generate(small_world(a)));
  ASSERT_TRUE(gen::generate(small_world(b)));
  size_t files = 0;
  for (auto& entry : fs::recursive_directory_iterator(a)) {
    if (!entry.is_regular_file()) continue;
    auto rel = fs::relative(entry.path(), a);
    EXPECT_EQ(read_all(entry.path()), read_all(fs::path(b) / rel)) << rel;
    ++files;
  }
  EXPECT_GT(files, 20u);
  fs::remove_all(a);
  fs::remove_all(b);
}

TEST(Generator, ValidatorFindsExactlyTheInjectedErrors) {
  std::string dir = testing::temp_path("gen-truth");
  auto summary = gen::generate(small_world(dir));
  ASSERT_TRUE(summary) << summary.error().to_string();
  EXPECT_EQ(summary->lines, 20000u);
  EXPECT_GT(summary->injected, 300u);

  std::vector<std::string> files;
  for (auto& entry : fs::directory_iterator(dir + "/envois")) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  engine::PreflightOptions options;
  options.today = 20261123;
  options.list_per_code = 1000000;
  auto report = engine::preflight(files, options);

  std::set<std::tuple<std::string, uint64_t, std::string>> found, truth;
  size_t injected = 0;
  for (const auto& [code, slot] : report.findings.by_code())
    for (const auto& f : slot.listed) found.emplace(fs::path(f.file).filename(), f.record, code);
  std::ifstream in(dir + "/ground-truth.csv");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::stringstream ss(line);
    std::string file, record, type, zone, kind, code, found_by;
    std::getline(ss, file, ',');
    std::getline(ss, record, ',');
    std::getline(ss, type, ',');
    std::getline(ss, zone, ',');
    std::getline(ss, kind, ',');
    std::getline(ss, code, ',');
    std::getline(ss, found_by, ',');
    if (kind != "cascade") ++injected;
    // What needs the fund's data (and the cascades) is the engine's: tests/end_to_end_test.cpp.
    if (found_by == "validate") truth.emplace(fs::path(file).filename(), std::stoull(record), code);
  }
  EXPECT_EQ(injected, summary->injected);
  EXPECT_GT(truth.size(), 200u);
  std::vector<std::tuple<std::string, uint64_t, std::string>> missing, extra;
  std::set_difference(truth.begin(), truth.end(), found.begin(), found.end(), std::back_inserter(missing));
  std::set_difference(found.begin(), found.end(), truth.begin(), truth.end(), std::back_inserter(extra));
  EXPECT_TRUE(missing.empty()) << missing.size() << " injected errors not found, first: " << std::get<0>(missing[0]) << " "
                               << std::get<1>(missing[0]) << " " << std::get<2>(missing[0]);
  EXPECT_TRUE(extra.empty()) << extra.size() << " findings not injected, first: " << std::get<0>(extra[0]) << " "
                             << std::get<1>(extra[0]) << " " << std::get<2>(extra[0]);
  fs::remove_all(dir);
}

// The command line as a user runs it: exit codes and the JSON report.
TEST(Cli, ValidateExitCodes) {
  std::string good = testing::temp_path("cli-good.efact"), bad = testing::temp_path("cli-bad.efact"),
              junk = testing::temp_path("cli-junk.efact"), out = testing::temp_path("cli-out.json");
  std::string file = testing::baseline_file();
  { std::ofstream(good, std::ios::binary) << file; }
  std::string broken = file;
  broken[227 + 350 * 2 + 15] = '5';  // first ET 50, nomenclature 0425014 -> 0425015
  { std::ofstream(bad, std::ios::binary) << broken; }
  { std::ofstream(junk, std::ios::binary) << "\x7f" "ELF not a billing file"; }
  auto run = [&](const std::string& args) {
    int status = std::system((std::string(MUTUA_BINARY) + " validate --today 2026-11-23 " + args + " > " + out).c_str());
    return WEXITSTATUS(status);
  };
  EXPECT_EQ(run(good), 0);
  EXPECT_EQ(run("--json " + bad), 1);
  std::string json = read_all(out);
  EXPECT_NE(json.find("\"code\": \"500402\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"zone\": \"4\""), std::string::npos);
  EXPECT_EQ(run(junk), 2);
  EXPECT_NE(read_all(out).find("Z00002"), std::string::npos);
  for (auto& p : {good, bad, junk, out}) fs::remove(p);
}

}  // namespace
}  // namespace mutua
