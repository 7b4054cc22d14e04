// The rejection-code catalog: the official eFact list plus mutua's project codes (Z.....),
// each with its type letter and French / Dutch labels. Codes are data, looked up by code.
#pragma once
#include <array>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mutua {

struct CodeInfo {
  std::string code;
  char type = 'R';  // B, F, R, S or E
  std::string record_type;
  std::string zone;
  std::string label_fr;
  std::string label_nl;
  std::string label_en;  // project codes only
  bool project = false;
};

class Catalog {
 public:
  static const Catalog& builtin();
  const CodeInfo* find(std::string_view code) const;
  const std::vector<CodeInfo>& all() const { return codes_; }
  // A one-line fix hint for the code in "en", "fr", "nl" or "de" (English when the language has
  // none); empty when none is known.
  std::string_view hint(std::string_view code, std::string_view language = "en") const;
  // Label in the provider's language ("fr" or "nl"); falls back to French.
  std::string_view label(std::string_view code, std::string_view language = "fr") const;

 private:
  std::vector<CodeInfo> codes_;
  std::unordered_map<std::string, size_t> index_;
  struct Hint {
    std::string pattern;
    std::array<std::string, 4> text;  // en, fr, nl, de
  };
  std::vector<Hint> hints_;
};

// Severity order used to rank codes on a record: B, F, R, S, E.
int type_rank(char type);

}  // namespace mutua
