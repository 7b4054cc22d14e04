// `mutua exchange serve` as a test runs it: the real binary on its own SQLite file, on a free
// loopback port it reads from the log, stopped by SIGTERM (and expected to exit cleanly).
#pragma once
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "baseline.h"

namespace mutua::testing {

class ExchangeProcess {
 public:
  explicit ExchangeProcess(std::string dir) : dir_(std::move(dir)) {}
  ~ExchangeProcess() { stop(); }

  std::string db() const { return dir_ + "/ex.db"; }
  std::string log() const { return dir_ + "/exchange.log"; }

  // A party's token (`exchange party add ARGS`), as the command prints it once.
  std::string token(const std::string& args) const {
    auto r = run_mutua("exchange party add --db " + db() + " " + args);
    EXPECT_EQ(r.code, 0) << r.out;
    std::string t = r.out;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
    return t;
  }

  // Serves (again), with these options; polls may come at any pace unless --poll-interval says.
  void start(std::vector<std::string> more = {}) {
    stop();
    std::vector<std::string> args = {"exchange", "serve", "--db", db(), "--listen", "127.0.0.1:0"};
    if (std::find(more.begin(), more.end(), "--poll-interval") == more.end()) more.insert(more.end(), {"--poll-interval", "0"});
    for (auto& a : more) args.push_back(a);
    pid_ = spawn(args, log());
    static const std::regex port_re(R"(on http://127\.0\.0\.1:(\d+))");
    port_ = 0;
    for (int i = 0; i < 200 && port_ == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
      std::smatch m;
      const std::string out = read_all(log());
      if (std::regex_search(out, m, port_re)) port_ = std::stoi(m[1]);
    }
    ASSERT_GT(port_, 0) << read_all(log());
  }

  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      EXPECT_EQ(wait_exit(pid_), 0) << read_all(log());
      pid_ = -1;
    }
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace mutua::testing
