#include "engine/json_out.h"

#include <iterator>

#include <fmt/format.h>

namespace mutua::engine {

std::string dump_json(const nlohmann::ordered_json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

void append_json_string(std::string& out, std::string_view s) {
  for (const char c : s)
    if (const auto u = static_cast<unsigned char>(c); u < 0x20 || u > 0x7e || c == '"' || c == '\\') {
      out += dump_json(nlohmann::ordered_json(std::string(s)));
      return;
    }
  out += '"';
  out += s;
  out += '"';
}

void append_json_number(std::string& out, int64_t n) { fmt::format_to(std::back_inserter(out), "{}", n); }
void append_json_number(std::string& out, uint64_t n) { fmt::format_to(std::back_inserter(out), "{}", n); }

void append_json_key(std::string& out, std::string_view key) {
  out += '"';
  out += key;
  out += "\":";
}

JsonRecords::JsonRecords(std::string& out, const nlohmann::ordered_json& head, const char* key)
    : out_(out), in_object_(true) {
  nlohmann::ordered_json start = head;
  start[key] = nlohmann::ordered_json::array();
  out_ += dump_json(start);
  // `...,"key":[]}` -> `...,"key":[`: the records go where the library put the empty array.
  out_.resize(out_.size() - 2);
}

JsonRecords::JsonRecords(std::string& out) : out_(out) { out_ += '['; }

void JsonRecords::add(const nlohmann::ordered_json& record) {
  out_ += first_ ? "\n" : ",\n";
  first_ = false;
  out_ += dump_json(record);
}

void JsonRecords::add_written(std::string_view record) {
  out_ += first_ ? "\n" : ",\n";
  first_ = false;
  out_ += record;
}

void JsonRecords::finish() {
  out_ += "\n]";
  if (in_object_) out_ += '}';
  out_ += '\n';
}

}  // namespace mutua::engine
