// Large JSON documents of the engine (a response lists every record of a 100k-line envoi),
// written a record at a time: every record is an nlohmann document serialised by the library
// (escaping, invalid UTF-8 replaced by U+FFFD), only the enclosing array is framed here, so the
// whole never becomes one document tree in memory.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace mutua::engine {

class JsonRecords {
 public:
  // Starts `head` (an object) and opens its array `key`, into `out`.
  JsonRecords(std::string& out, const nlohmann::ordered_json& head, const char* key);
  // Starts a document that is only the array.
  explicit JsonRecords(std::string& out);
  void add(const nlohmann::ordered_json& record);
  // A record already written as one compact JSON object.
  void add_written(std::string_view record);
  // Closes the array (and the head object); ends with a line end.
  void finish();

 private:
  std::string& out_;
  bool in_object_ = false, first_ = true;
};

// `j` as compact JSON, invalid UTF-8 replaced (for every JSON mutua writes).
std::string dump_json(const nlohmann::ordered_json& j, int indent = -1);

// Pieces of a record written without a document: the bytes dump_json() would write for the same
// value. A string of printable ASCII without quote or backslash (nearly every zone of a billing
// file) is copied between quotes; any other goes through the library, so escaping and the
// replacement of invalid UTF-8 stay the library's.
void append_json_string(std::string& out, std::string_view s);
void append_json_number(std::string& out, int64_t n);
void append_json_number(std::string& out, uint64_t n);
// `"key":` for a key that needs no escaping.
void append_json_key(std::string& out, std::string_view key);

}  // namespace mutua::engine
