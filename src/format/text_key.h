// Sorting an envoi's NISS and nomenclature codes (100k lines) in the order of their text, by a
// number made once from each: the sorts compared 11 or 6 bytes with memcmp at every step
// (docs/performance.md, session 41).
#pragma once
#include <cstdint>
#include <string_view>

namespace mutua {

// `text`, with its value when it is 1 to 18 digits: two digit strings of one length are in the
// order of their values, anything else in the order of their bytes.
struct TextKey {
  std::string_view text;
  uint64_t value = 0;
  bool digits = false;

  explicit TextKey(std::string_view t) : text(t) {
    if (t.empty() || t.size() > 18) return;
    for (char c : t) {
      if (c < '0' || c > '9') return;
      value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    digits = true;
  }

  friend bool operator<(const TextKey& a, const TextKey& b) {
    if (a.digits && b.digits && a.text.size() == b.text.size()) return a.value < b.value;
    return a.text < b.text;
  }
  friend bool operator==(const TextKey& a, const TextKey& b) {
    if (a.digits && b.digits && a.text.size() == b.text.size()) return a.value == b.value;
    return a.text == b.text;
  }
};

}  // namespace mutua
