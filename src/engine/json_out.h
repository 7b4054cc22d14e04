// A small JSON emitter for the big documents of the engine (a response lists every record of
// a 100k-line envoi): written straight into one string, no document tree. Invalid UTF-8 bytes
// become U+FFFD, as nlohmann's "replace" handler does for the small documents.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace mutua::engine {

class JsonOut {
 public:
  explicit JsonOut(std::string& out) : out_(out) {}
  JsonOut& open_object() { return sep(), out_ += '{', first_ = true, *this; }
  JsonOut& close_object() { return out_ += '}', first_ = false, *this; }
  JsonOut& open_array() { return sep(), out_ += '[', first_ = true, *this; }
  JsonOut& close_array() { return out_ += ']', first_ = false, *this; }
  JsonOut& key(std::string_view k) {
    sep();
    string(k);
    out_ += ':';
    first_ = true;  // the value follows without a comma
    return *this;
  }
  JsonOut& value(std::string_view v) { return sep(), string(v), *this; }
  JsonOut& value(const char* v) { return value(std::string_view(v)); }
  JsonOut& value(int64_t v) { return sep(), out_ += std::to_string(v), *this; }
  JsonOut& value(uint64_t v) { return sep(), out_ += std::to_string(v), *this; }
  JsonOut& value(int v) { return value(static_cast<int64_t>(v)); }
  JsonOut& object(const std::map<std::string, std::string>& m) {
    open_object();
    for (const auto& [k, v] : m) key(k).value(v);
    return close_object();
  }
  JsonOut& newline() { return out_ += '\n', *this; }

 private:
  void sep() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  void string(std::string_view s);
  std::string& out_;
  bool first_ = true;
};

}  // namespace mutua::engine
