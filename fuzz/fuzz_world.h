// What the engine and reference-data fuzzers share: the generated world scripts/fuzz.sh makes
// (MUTUA_FUZZ_WORLD, a `mutua gen --out` directory) and how a broken promise stops the run.
#pragma once
#include <cstdio>
#include <cstdlib>
#include <string>

namespace mutua::fuzz {

[[noreturn]] inline void die(const char* fuzzer, const std::string& why) {
  std::fprintf(stderr, "%s: %s\n", fuzzer, why.c_str());
  std::abort();
}

inline std::string world_dir(const char* fuzzer) {
  const char* dir = std::getenv("MUTUA_FUZZ_WORLD");
  if (!dir || !*dir) die(fuzzer, "MUTUA_FUZZ_WORLD must name a `mutua gen --out` directory (scripts/fuzz.sh sets it)");
  return dir;
}

}  // namespace mutua::fuzz
