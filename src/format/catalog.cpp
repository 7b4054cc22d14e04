#include "mutua/catalog.h"

#include <stdexcept>

#include "format/embedded.h"
#include "mutua/tsv.h"

namespace mutua {

int type_rank(char type) {
  switch (type) {
    case 'B': return 0;
    case 'F': return 1;
    case 'R': return 2;
    case 'S': return 3;
    case 'E': return 4;
    default: return 5;
  }
}

namespace {

void load(std::vector<CodeInfo>& out, std::string_view tsv, bool project) {
  auto table = format::parse_table(tsv, '\t');
  int c_code = table.column("code"), c_type = table.column("type"), c_rt = table.column("record_type"),
      c_zone = table.column("zone"), c_fr = table.column("label_fr"), c_nl = table.column("label_nl"),
      c_en = table.column("label_en");
  if (c_code < 0 || c_type < 0 || c_fr < 0 || c_nl < 0) throw std::logic_error("code table lacks columns");
  for (auto& row : table.rows) {
    auto get = [&](int c) { return c >= 0 && c < static_cast<int>(row.size()) ? row[c] : std::string(); };
    CodeInfo info;
    info.code = get(c_code);
    auto type = get(c_type);
    info.type = type.empty() ? 'R' : type[0];
    info.record_type = get(c_rt);
    info.zone = get(c_zone);
    info.label_fr = get(c_fr);
    info.label_nl = get(c_nl);
    info.label_en = get(c_en);
    info.project = project;
    out.push_back(std::move(info));
  }
}

bool matches(std::string_view pattern, std::string_view code) {
  if (pattern.size() != code.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i)
    if (pattern[i] != '.' && pattern[i] != code[i]) return false;
  return true;
}

}  // namespace

const Catalog& Catalog::builtin() {
  static const Catalog catalog = [] {
    Catalog c;
    load(c.codes_, embedded::efact_error_codes(), false);
    load(c.codes_, embedded::newer_official_codes(), false);
    load(c.codes_, embedded::project_codes(), true);
    // The official list holds 203210 twice (S before the 2006-07 billing month, F after): the
    // later row wins, as it is the one in force for current files (docs/codes.md).
    std::vector<CodeInfo> unique;
    for (auto& info : c.codes_) {
      auto [it, fresh] = c.index_.emplace(info.code, unique.size());
      if (fresh) unique.push_back(std::move(info));
      else if (info.project) throw std::logic_error("code listed twice: " + info.code);
      else unique[it->second] = std::move(info);
    }
    c.codes_ = std::move(unique);
    auto hints = format::parse_table(embedded::code_hints(), '\t');
    for (auto& row : hints.rows)
      if (row.size() >= 2) {
        Hint h{row[0], {row[1], "", "", ""}};
        for (size_t i = 2; i < row.size() && i < 5; ++i) h.text[i - 1] = row[i];
        c.hints_.push_back(std::move(h));
      }
    return c;
  }();
  return catalog;
}

const CodeInfo* Catalog::find(std::string_view code) const {
  auto it = index_.find(std::string(code));
  return it == index_.end() ? nullptr : &codes_[it->second];
}

std::string_view Catalog::hint(std::string_view code, std::string_view language) const {
  const size_t i = language == "fr" ? 1 : language == "nl" ? 2 : language == "de" ? 3 : 0;
  auto in = [&](const Hint& h) -> std::string_view { return h.text[i].empty() ? h.text[0] : h.text[i]; };
  for (auto& h : hints_)
    if (h.pattern == code) return in(h);
  for (auto& h : hints_)
    if (matches(h.pattern, code)) return in(h);
  return {};
}

std::string_view Catalog::label(std::string_view code, std::string_view language) const {
  const CodeInfo* info = find(code);
  if (!info) return {};
  if (language == "nl" && !info->label_nl.empty()) return info->label_nl;
  if (language == "en" && !info->label_en.empty()) return info->label_en;
  return info->label_fr;
}

}  // namespace mutua
