#include "engine/json_out.h"

namespace mutua::engine {

std::string dump_json(const nlohmann::ordered_json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
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

void JsonRecords::finish() {
  out_ += "\n]";
  if (in_object_) out_ += '}';
  out_ += '\n';
}

}  // namespace mutua::engine
