#include "engine/json_out.h"

namespace mutua::engine {

namespace {
// Length of the valid UTF-8 sequence starting at s[i], 0 when invalid.
size_t utf8_length(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  for (size_t k = 1; k < n; ++k)
    if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return 0;
  const auto d = static_cast<unsigned char>(s[i + 1]);
  if ((c == 0xE0 && d < 0xA0) || (c == 0xED && d > 0x9F) || (c == 0xF0 && d < 0x90) || (c == 0xF4 && d > 0x8F)) return 0;
  return n;
}
}  // namespace

void JsonOut::string(std::string_view s) {
  static const char* hex = "0123456789abcdef";
  out_ += '"';
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"' || c == '\\') {
      out_ += '\\';
      out_ += static_cast<char>(c);
    } else if (c == '\n') {
      out_ += "\\n";
    } else if (c == '\t') {
      out_ += "\\t";
    } else if (c == '\r') {
      out_ += "\\r";
    } else if (c < 0x20) {
      out_ += "\\u00";
      out_ += hex[c >> 4];
      out_ += hex[c & 15];
    } else if (c < 0x80) {
      out_ += static_cast<char>(c);
    } else if (size_t n = utf8_length(s, i)) {
      out_.append(s.substr(i, n));
      i += n - 1;
    } else {
      out_ += "\xEF\xBF\xBD";  // U+FFFD
    }
  }
  out_ += '"';
}

}  // namespace mutua::engine
