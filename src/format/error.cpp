#include "mutua/error.h"

#include <fmt/format.h>

namespace mutua {

std::string Error::to_string() const {
  std::string out;
  if (!file.empty()) out += file;
  if (position) out += fmt::format("{}byte {}", out.empty() ? "" : ":", position);
  if (record) out += fmt::format(" record {}", record);
  if (!record_type.empty()) out += fmt::format(" (ET {})", record_type);
  if (!zone.empty()) out += fmt::format(" zone {}", zone);
  if (!out.empty()) out += ": ";
  if (!code.empty()) out += fmt::format("[{}] ", code);
  out += message;
  return out;
}

}  // namespace mutua
