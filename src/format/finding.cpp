#include "mutua/finding.h"

#include <fmt/format.h>

#include "mutua/catalog.h"

namespace mutua {

char type_of(std::string_view code) {
  const CodeInfo* info = Catalog::builtin().find(code);
  return info ? info->type : 'B';
}

void Findings::add(Finding f) {
  ++total_;
  auto& slot = by_code_[f.code];
  ++slot.count;
  if (slot.listed.size() < keep_) slot.listed.push_back(std::move(f));
}

uint64_t Findings::count(const std::string& code) const {
  auto it = by_code_.find(code);
  return it == by_code_.end() ? 0 : it->second.count;
}

uint64_t Findings::count_types(std::string_view letters) const {
  uint64_t n = 0;
  for (const auto& [code, slot] : by_code_)
    if (!slot.listed.empty() ? letters.find(slot.listed.front().type) != std::string_view::npos
                             : letters.find(type_of(code)) != std::string_view::npos)
      n += slot.count;
  return n;
}

void Findings::merge(const Findings& other) {
  for (const auto& [code, slot] : other.by_code_) {
    auto& mine = by_code_[code];
    mine.count += slot.count;
    total_ += slot.count;
    for (const auto& f : slot.listed)
      if (mine.listed.size() < keep_) mine.listed.push_back(f);
  }
}

std::string printable(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (unsigned char c : bytes) {
    if (c >= 32 && c < 127) out += static_cast<char>(c);
    else out += fmt::format("\\x{:02X}", c);
  }
  return out;
}

}  // namespace mutua
