#include "engine/json_out.h"

#include "format/utf8.h"

namespace mutua::engine {


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
    } else if (size_t n = format::utf8_length(s, i)) {
      out_.append(s.substr(i, n));
      i += n - 1;
    } else {
      out_ += "\xEF\xBF\xBD";  // U+FFFD
    }
  }
  out_ += '"';
}

}  // namespace mutua::engine
