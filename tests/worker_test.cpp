// Workers on a PostgreSQL store (a throw-away server): several at once, and killed at random
// points, judge a stream of envois with overlapping patients exactly as one process judging them
// in order of receipt (here `mutua adjudicate` on SQLite), response for response.
#include <signal.h>
#include <sys/types.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "baseline.h"

namespace fs = std::filesystem;
using mutua::testing::run_mutua;

namespace {

struct Stream {
  std::string dir;
  std::vector<std::string> envois;  // in order of receipt
  std::string files;                // the same, for a command line
  std::map<std::string, std::string> sequential;  // responses of the one-process run, by file
};

// Small members list, many providers' envois: most envois share patients with earlier ones; and
// every envoi is received twice in a row.
const Stream& stream() {
  static const Stream s = [] {
    Stream w;
    w.dir = mutua::testing::temp_path("workers");
    fs::remove_all(w.dir);
    EXPECT_EQ(run_mutua("gen --seed 31 --members 120 --providers 8 --lines 2400 --envoi-lines 80 --error-rate 0.01 "
                        "--today 2026-11-20 --out " + w.dir + "/world").code, 0);
    std::vector<std::string> files;
    for (const auto& e : fs::directory_iterator(w.dir + "/world/envois")) files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
    // Each envoi sent twice in a row, as a provider who did not see the first one go: the
    // second is refused (its number is taken) only if the first was recorded before it, so
    // which one comes first decides both answers.
    for (const auto& f : files) {
      w.envois.push_back(f);
      w.envois.push_back(f);
    }
    for (const auto& f : w.envois) w.files += " " + f;
    const std::string db = w.dir + "/sequential.db";
    EXPECT_EQ(run_mutua("refdata import " + w.dir + "/world/refdata --db " + db).code, 0);
    auto seq = run_mutua("adjudicate --today 2026-11-25 --db " + db + " --out " + w.dir + "/seq-out" + w.files);
    EXPECT_LE(seq.code, 1) << seq.out;
    for (size_t i = 1; i <= w.envois.size(); ++i)
      EXPECT_EQ(run_mutua("response --db " + db + " --reception " + std::to_string(i) + " --out " + w.dir + "/seq").code, 0);
    w.sequential = mutua::testing::files_of(w.dir + "/seq");
    return w;
  }();
  return s;
}

// A fresh PostgreSQL store holding the stream's reference data and its envois, received.
std::string received_store(const std::string& name) {
  const Stream& w = stream();
  std::string why;
  const std::string url = mutua::testing::fresh_postgresql(name, &why);
  EXPECT_FALSE(url.empty()) << why;
  EXPECT_EQ(run_mutua("refdata import " + w.dir + "/world/refdata --db " + url).code, 0);
  auto r = run_mutua("receive --today 2026-11-25 --db " + url + w.files);
  EXPECT_EQ(r.code, 0) << r.out;
  return url;
}

// Every reception's responses as recorded, written as `mutua response` writes them.
std::map<std::string, std::string> responses_of(const std::string& url, const std::string& out) {
  fs::remove_all(out);
  for (size_t i = 1; i <= stream().envois.size(); ++i)
    EXPECT_EQ(run_mutua("response --db " + url + " --reception " + std::to_string(i) + " --out " + out).code, 0);
  return mutua::testing::files_of(out);
}

void expect_same_responses(const std::map<std::string, std::string>& got) {
  const auto& want = stream().sequential;
  ASSERT_EQ(got.size(), want.size());
  size_t refused = 0;
  for (const auto& [name, bytes] : want) {
    ASSERT_TRUE(got.count(name)) << name;
    EXPECT_TRUE(got.at(name) == bytes) << name << " differs from the one-process run";
    refused += name.find(".920999.efact") != std::string::npos;
  }
  EXPECT_GE(refused, 10u) << "the second copies of accepted envois are refused";
}

}  // namespace

TEST(Workers, SeveralAtOnceJudgeOverlappingEnvoisAsOneProcessInOrderOfReceipt) {
  const Stream& w = stream();
  ASSERT_GE(w.envois.size(), 20u);
  const std::string url = received_store("workers_at_once");
  auto waiting = run_mutua("queue --json --db " + url);
  EXPECT_NE(waiting.out.find("\"waiting\":" + std::to_string(w.envois.size())), std::string::npos) << waiting.out;
  std::vector<pid_t> workers;
  for (int i = 0; i < 3; ++i)
    workers.push_back(mutua::testing::spawn({"worker", "--until-empty", "--name", "w" + std::to_string(i), "--db", url},
                                            w.dir + "/at-once-" + std::to_string(i) + ".log"));
  size_t judged_by = 0;
  for (size_t i = 0; i < workers.size(); ++i) {
    EXPECT_EQ(mutua::testing::wait_exit(workers[i]), 0) << mutua::testing::read_all(w.dir + "/at-once-" + std::to_string(i) + ".log");
    const std::string log = mutua::testing::read_all(w.dir + "/at-once-" + std::to_string(i) + ".log");
    judged_by += log.find(": 920") != std::string::npos;
  }
  EXPECT_GE(judged_by, 2u) << "the envois were shared out between the workers";
  auto done = run_mutua("queue --json --db " + url);
  EXPECT_NE(done.out.find("\"done\":" + std::to_string(w.envois.size()) + ",\"failed\":0"), std::string::npos) << done.out;
  expect_same_responses(responses_of(url, w.dir + "/at-once"));
  auto check = run_mutua("ledger check --db " + url);
  EXPECT_EQ(check.code, 0) << check.out;
}

TEST(Workers, AWorkerKilledAtAnyPointLeavesNothingHalfDoneOrDoneTwice) {
  const Stream& w = stream();
  const std::string url = received_store("workers_killed");
  std::mt19937 random(20261204);
  int kills = 0;
  for (int round = 0; round < 24 && kills < 20; ++round) {
    // Two workers; one is killed after a random while, mid-judgement or mid-recording.
    const pid_t steady = mutua::testing::spawn({"worker", "--db", url}, w.dir + "/steady.log");
    const pid_t victim = mutua::testing::spawn({"worker", "--db", url}, w.dir + "/victim.log");
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + random() % 400));
    kill(victim, SIGKILL);
    bool killed = false;
    mutua::testing::wait_exit(victim, &killed);
    kills += killed;
    kill(steady, SIGKILL);
    mutua::testing::wait_exit(steady);
  }
  EXPECT_GE(kills, 20);
  auto rest = run_mutua("worker --until-empty --db " + url);
  EXPECT_EQ(rest.code, 0) << rest.out;
  auto done = run_mutua("queue --json --db " + url);
  EXPECT_NE(done.out.find("\"waiting\":0,\"in_progress\":0,\"done\":" + std::to_string(w.envois.size()) + ",\"failed\":0"),
            std::string::npos)
      << done.out;
  expect_same_responses(responses_of(url, w.dir + "/killed"));
  auto check = run_mutua("ledger check --db " + url);
  EXPECT_EQ(check.code, 0) << check.out;
  // Each envoi recorded once: the envoi ids given at receipt, and no other.
  auto none_after = run_mutua("response --db " + url + " --reception " + std::to_string(w.envois.size() + 1) + " --out " +
                              w.dir + "/none");
  EXPECT_NE(none_after.code, 0) << none_after.out;
}

TEST(Workers, ASQLiteStoreSaysWorkersNeedPostgreSQL) {
  const Stream& w = stream();
  auto r = run_mutua("receive --db " + w.dir + "/sequential.db " + w.envois.front());
  EXPECT_EQ(r.code, 2) << r.out;
  EXPECT_NE(r.out.find("PostgreSQL"), std::string::npos) << r.out;
}
