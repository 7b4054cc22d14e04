#include <algorithm>
#include <charconv>
#include <memory>
#include <mutex>
#include <stdexcept>

#include <fmt/format.h>

#include "format/embedded.h"
#include "mutua/tsv.h"
#include "mutua/catalog.h"
#include "mutua/model/dates.h"
#include "rules/lines/adjudication.h"

namespace mutua::rules {

const RuleData& RuleData::builtin() {
  static const RuleData data = [] {
    RuleData d;
    for (const auto& [name, value] : model::builtin_rule_parameters()) d.set(name, value);
    auto comments = format::parse_table(embedded::rule_comments(), '\t');
    int c = comments.column("code"), l = comments.column("lang"), t = comments.column("template");
    for (auto& row : comments.rows) d.comments_[row[c] + "/" + row[l]] = row[t];
    return d;
  }();
  return data;
}

void RuleData::set(const std::string& name, const std::string& value) {
  params_[name] = value;
  auto& items = lists_[name];
  items.clear();
  std::string cur;
  for (char ch : value) {
    if (ch == ';') {
      items.push_back(cur);
      cur.clear();
    } else {
      cur += ch;
    }
  }
  if (!cur.empty()) items.push_back(cur);
}

const RuleData& RuleData::with(const std::vector<model::RuleParameter>& fund) {
  if (fund.empty()) return builtin();
  // One instance per set of values, kept: verdicts point at it after the run.
  std::string key;
  for (const auto& p : fund) key += p.name + '\t' + p.value + '\n';
  static std::mutex mutex;
  static std::map<std::string, std::unique_ptr<RuleData>> instances;
  std::lock_guard<std::mutex> lock(mutex);
  auto& slot = instances[key];
  if (!slot) {
    slot = std::make_unique<RuleData>(builtin());
    for (const auto& p : fund) slot->set(p.name, p.value);
  }
  return *slot;
}

const std::string& RuleData::text(const std::string& name) const {
  auto it = params_.find(name);
  if (it == params_.end()) throw std::logic_error("parameters.tsv has no " + name);
  return it->second;
}

int64_t RuleData::number(const std::string& name) const {
  // Values are checked against their bounds at import; a store of an older mutua may still hold
  // one that is not a number: the built-in value then stands.
  const std::string& v = text(name);
  int64_t out = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec == std::errc() && end == v.data() + v.size()) return out;
  return std::stoll(builtin().text(name));
}

const std::vector<std::string>& RuleData::list(const std::string& name) const {
  auto it = lists_.find(name);
  if (it == lists_.end()) throw std::logic_error("parameters.tsv has no " + name);
  return it->second;
}

bool RuleData::in_list(const std::string& name, const std::string& value) const { return contains(list(name), value); }

bool contains(const std::vector<std::string>& list, const std::string& value) {
  for (const auto& x : list)
    if (x == value) return true;
  return false;
}

std::string RuleData::comment(const std::string& code, const std::string& language,
                              const std::map<std::string, std::string>& facts) const {
  // A rule may pick another wording of its code's comment (a "variant" fact: code.variant).
  std::string key = code;
  if (auto v = facts.find("variant"); v != facts.end() && comments_.count(code + "." + v->second + "/fr"))
    key += "." + v->second;
  auto it = comments_.find(key + "/" + language);
  if (it == comments_.end()) it = comments_.find(key + "/fr");
  if (it == comments_.end()) return {};
  const std::string& t = it->second;
  std::string out;
  for (size_t i = 0; i < t.size(); ++i) {
    if (t[i] == '{') {
      size_t end = t.find('}', i);
      if (end != std::string::npos) {
        // {name:words}: each item of a ", "-separated fact said in the comment's language
        // (comments.tsv rows "word.<item>", e.g. word.nurse: infirmier / verpleegkundige).
        std::string name = t.substr(i + 1, end - i - 1);
        const bool words = name.size() > 6 && name.compare(name.size() - 6, 6, ":words") == 0;
        if (words) name.resize(name.size() - 6);
        auto f = facts.find(name);
        if (f != facts.end() && !words) out += f->second;
        if (f != facts.end() && words) {
          std::string_view items = f->second;
          for (bool first = true; !items.empty(); first = false) {
            const size_t comma = items.find(", ");
            const std::string item(items.substr(0, comma));
            items = comma == std::string_view::npos ? std::string_view() : items.substr(comma + 2);
            auto w = comments_.find("word." + item + "/" + language);
            if (w == comments_.end()) w = comments_.find("word." + item + "/fr");
            out += (first ? "" : ", ") + (w == comments_.end() ? item : w->second);
          }
        }
        i = end;
        continue;
      }
    }
    out += t[i];
  }
  return out;
}

void Verdicts::add(size_t record, std::string code, std::string rule, std::map<std::string, std::string> facts) {
  if (record >= by_record.size()) return;
  for (const auto& v : by_record[record])
    if (v.code == code) return;  // one code once per record
  Verdict v;
  const CodeInfo* info = Catalog::builtin().find(code);
  v.type = info ? info->type : 'R';
  v.code = std::move(code);
  v.rule = std::move(rule);
  if (data) v.comment = data->comment(v.code, language, facts);
  v.facts = std::move(facts);
  if (tracing) trace.push_back({record, v.rule, "fired " + std::string(1, v.type) + v.code});
  by_record[record].push_back(std::move(v));
}

bool Verdicts::has(size_t record, std::string_view code) const {
  if (record >= by_record.size()) return false;
  for (const auto& v : by_record[record])
    if (v.code == code) return true;
  return false;
}

const std::map<std::string, std::string>* Verdicts::facts(size_t record, std::string_view code) const {
  if (record >= by_record.size()) return nullptr;
  for (const auto& v : by_record[record])
    if (v.code == code) return &v.facts;
  return nullptr;
}

void Verdicts::remove(size_t record, std::string_view code) {
  if (record >= by_record.size()) return;
  auto& list = by_record[record];
  list.erase(std::remove_if(list.begin(), list.end(), [&](const Verdict& v) { return v.code == code; }), list.end());
}

bool Verdicts::rejected(size_t record) const {
  if (record >= by_record.size()) return false;
  for (const auto& v : by_record[record])
    if ((v.type == 'B' || v.type == 'F' || v.type == 'R') && !is_pending_code(v.code)) return true;
  return false;
}

bool Verdicts::pending(size_t record) const {
  if (record >= by_record.size()) return false;
  for (const auto& v : by_record[record])
    if (is_pending_code(v.code)) return true;
  return false;
}

bool is_pending_code(std::string_view code) {
  return code == "500434" || code == "300434" || code == "400434";
}

std::string fmt_cents(int64_t cents) {
  int64_t m = cents < 0 ? -cents : cents;
  return fmt::format("{}{},{:02d}", cents < 0 ? "-" : "", m / 100, m % 100);
}

std::string join_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : ", ") + s;
  return out;
}

bool in_period(Date d, Date from, Date to) { return d >= from && (to == 0 || d <= to); }

Period period_of(std::string_view period) {
  if (period == "year") return Period::Year;
  if (period == "month") return Period::Month;
  if (period == "week") return Period::Week;
  return Period::Day;
}

int64_t period_key(Date d, Period period) {
  switch (period) {
    case Period::Year: return d / 10000;
    case Period::Month: return d / 100;
    case Period::Week: return (model::day_number(d) + 3) / 7;  // weeks from Monday (1970-01-05 was one)
    case Period::Day: break;
  }
  return d;
}

int64_t period_key(Date d, const std::string& period) { return period_key(d, period_of(period)); }

}  // namespace mutua::rules
