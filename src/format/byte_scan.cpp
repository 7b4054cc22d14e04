// Whole-record byte scans, alone in their file so that only they are compiled with -O3
// (CMakeLists.txt): their loops vectorise there, and they run on every byte of every file.
#include "mutua/byte_scan.h"

namespace mutua::check {

bool printable_ascii(std::string_view s) {
  unsigned char outside = 0;
  for (unsigned char c : s) outside |= static_cast<unsigned char>(static_cast<unsigned char>(c - 32) >= 95);
  return outside == 0;
}

bool byte_classes_hold(std::string_view bytes, std::string_view classes) {
  if (bytes.size() < classes.size()) return false;
  unsigned char bad = 0;
  for (size_t i = 0; i < classes.size(); ++i) {
    const auto c = static_cast<unsigned char>(bytes[i]);
    const auto m = static_cast<unsigned char>(classes[i]);
    const bool digit = static_cast<unsigned char>(c - '0') < 10;
    const bool sign = c == '+' || c == '-';
    bad |= static_cast<unsigned char>((m == kDigit && !digit) | (m == kZero && c != '0') | (m == kSign && !sign));
  }
  return bad == 0;
}

}  // namespace mutua::check
