// libFuzzer target: any bytes through the reader and every file rule. Nothing may crash,
// hang or read out of bounds; findings are the expected outcome for junk.
#include <cstddef>
#include <cstdint>
#include <string>

#include "mutua/preflight.h"
#include "mutua/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto reader = mutua::Reader::from_string(std::string(reinterpret_cast<const char*>(data), size), "fuzz",
                                           {.buffer_size = 4096});
  if (!reader) return 0;
  mutua::engine::PreflightOptions options;
  options.today = 20261123;
  options.list_per_code = 5;
  mutua::engine::PreflightReport report(options.list_per_code);
  mutua::engine::preflight_reader(**reader, options, report);
  (void)mutua::engine::render_json(report, options);
  return 0;
}
