// Large JSON documents of the engine (a response lists every record of a 100k-line envoi),
// written a record at a time: every record is an nlohmann document serialised by the library
// (escaping, invalid UTF-8 replaced by U+FFFD), only the enclosing array is framed here, so the
// whole never becomes one document tree in memory.
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace mutua::engine {

class JsonRecords {
 public:
  // Starts `head` (an object) and opens its array `key`, into `out`.
  JsonRecords(std::string& out, const nlohmann::ordered_json& head, const char* key);
  // Starts a document that is only the array.
  explicit JsonRecords(std::string& out);
  void add(const nlohmann::ordered_json& record);
  // Closes the array (and the head object); ends with a line end.
  void finish();

 private:
  std::string& out_;
  bool in_object_ = false, first_ = true;
};

// `j` as compact JSON, invalid UTF-8 replaced (for every JSON mutua writes).
std::string dump_json(const nlohmann::ordered_json& j, int indent = -1);

}  // namespace mutua::engine
