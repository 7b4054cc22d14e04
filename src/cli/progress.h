// A progress bar on stderr when it is a terminal; silent otherwise (CI logs, pipes).
#pragma once
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace mutua::cli {

class Progress {
 public:
  explicit Progress(std::string label, bool enabled = isatty(2)) : label_(std::move(label)), enabled_(enabled) {}
  void update(uint64_t done, uint64_t total, const char* unit = "") {
    if (!enabled_) return;
    auto now = std::chrono::steady_clock::now();
    if (done < total && now - last_ < std::chrono::milliseconds(100)) return;
    last_ = now;
    double fraction = total ? static_cast<double>(done) / static_cast<double>(total) : 1.0;
    int width = 30, filled = static_cast<int>(fraction * width);
    std::string bar(static_cast<size_t>(filled), '#');
    bar.resize(static_cast<size_t>(width), '.');
    std::fprintf(stderr, "\r%s [%s] %5.1f%% %llu/%llu%s", label_.c_str(), bar.c_str(), fraction * 100,
                 static_cast<unsigned long long>(done), static_cast<unsigned long long>(total), unit);
    if (done >= total) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  std::string label_;
  bool enabled_;
  std::chrono::steady_clock::time_point last_{};
};

}  // namespace mutua::cli
