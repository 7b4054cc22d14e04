#include "mutua/settlement/config.h"

#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mutua/check_digits.h"

namespace mutua::settlement {

namespace {

Error config_error(const std::string& origin, const std::string& message) {
  return {.code = "Z00600", .message = message, .file = origin};
}

}  // namespace

Result<Config> parse_config(std::string_view text, const std::string& origin) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) return fail(config_error(origin, "not a JSON object"));
  Config c;
  auto str = [&](const nlohmann::json& o, const char* key, std::string& into, bool required) -> Result<void> {
    auto it = o.find(key);
    if (it == o.end() || it->is_null()) {
      if (required) return fail(config_error(origin, fmt::format("missing \"{}\"", key)));
      return {};
    }
    if (!it->is_string()) return fail(config_error(origin, fmt::format("\"{}\" must be a string", key)));
    into = it->get<std::string>();
    return {};
  };
  auto fund = j.find("fund");
  if (fund == j.end() || !fund->is_object())
    return fail(config_error(origin, "missing \"fund\": {\"name\", \"iban\", \"bic\"} of the account debited"));
  for (auto r : {str(*fund, "name", c.fund_name, true), str(*fund, "iban", c.fund_iban, true),
                 str(*fund, "bic", c.fund_bic, true), str(*fund, "initiating_party", c.initiating_party, false),
                 str(*fund, "initiating_id", c.initiating_id, false),
                 str(*fund, "number", c.fund_number, false)})
    if (!r) return fail(r.error());
  if (c.initiating_party.empty()) c.initiating_party = c.fund_name;
  if (check::iban(c.fund_iban) != check::Verdict::Valid)
    return fail(config_error(origin, fmt::format("fund.iban '{}' is not a valid IBAN", c.fund_iban)));
  if (check::bic(c.fund_bic) != check::Verdict::Valid)
    return fail(config_error(origin, fmt::format("fund.bic '{}' is not a valid BIC", c.fund_bic)));
  if (auto p = j.find("payments"); p != j.end()) {
    if (!p->is_object()) return fail(config_error(origin, "\"payments\" must be an object"));
    if (auto v = p->find("execution_offset_days"); v != p->end()) {
      if (!v->is_number_integer() || v->get<int>() < 0 || v->get<int>() > 30)
        return fail(config_error(origin, "payments.execution_offset_days must be an integer from 0 to 30"));
      c.execution_offset_days = v->get<int>();
    }
    if (auto r = str(*p, "pain_version", c.pain_version, false); !r) return fail(r.error());
  }
  if (c.pain_version != "001.001.09" && c.pain_version != "001.001.03")
    return fail(config_error(origin, "payments.pain_version must be 001.001.09 or 001.001.03"));
  return c;
}

Result<Config> load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return fail(config_error(path, "cannot read the payment configuration"));
  std::stringstream ss;
  ss << in.rdbuf();
  return parse_config(ss.str(), path);
}

Result<int64_t> parse_euros(std::string_view t) {
  auto bad = [&] {
    return fail({.code = "Z00601", .message = fmt::format("'{}' is not an amount in euros (like 1234.56)", t)});
  };
  if (t.empty()) return bad();
  bool negative = false;
  size_t i = 0;
  if (t[0] == '-') {
    negative = true;
    i = 1;
  }
  int64_t whole = 0, cents = 0;
  int decimals = -1, digits = 0;
  for (; i < t.size(); ++i) {
    char c = t[i];
    if (c == '.' || c == ',') {
      if (decimals >= 0) return bad();
      decimals = 0;
      continue;
    }
    if (c < '0' || c > '9') return bad();
    if (decimals < 0) {
      if (++digits > 13) return bad();
      whole = whole * 10 + (c - '0');
    } else {
      if (++decimals > 2) return bad();
      cents = cents * 10 + (c - '0');
    }
  }
  if (digits == 0 || decimals == 0) return bad();
  if (decimals == 1) cents *= 10;
  int64_t v = whole * 100 + cents;
  return negative ? -v : v;
}

std::string euros(int64_t cents) {
  const bool negative = cents < 0;
  const uint64_t v = negative ? static_cast<uint64_t>(-(cents + 1)) + 1 : static_cast<uint64_t>(cents);
  return fmt::format("{}{}.{:02d}", negative ? "-" : "", v / 100, v % 100);
}

}  // namespace mutua::settlement
