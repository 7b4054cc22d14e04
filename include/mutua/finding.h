// A finding: one rule that fired on one place of a file. Findings are counted without limit
// but only the first `keep_per_code` of each code keep their details, so a 2 GB file full of
// errors still validates in bounded memory.
#pragma once
#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "mutua/layout.h"
#include "mutua/reader.h"

namespace mutua {

struct Finding {
  std::string code;
  char type = 'B';
  std::string file;
  uint64_t record = 0;       // 1-based record number; 0 for the file or its header
  std::string record_type;   // "50", "200"...
  std::string zone;          // zone id as in the instructions
  uint64_t position = 0;     // 1-based byte position in the file
  std::string value;         // what the file holds there
  std::string expected;      // what it should hold, when known
  std::string message;       // detail beyond the label
};

class Findings {
 public:
  explicit Findings(size_t keep_per_code = 100) : keep_(keep_per_code) {}
  void add(Finding f);
  struct PerCode {
    uint64_t count = 0;
    std::deque<Finding> listed;  // a deque: no copy of all when it grows (junk has millions)
  };
  const std::map<std::string, PerCode>& by_code() const { return by_code_; }
  uint64_t total() const { return total_; }
  uint64_t count(const std::string& code) const;
  // Number of findings of the given type letters ("BFR").
  uint64_t count_types(std::string_view letters) const;
  void merge(const Findings& other);

 private:
  size_t keep_;
  uint64_t total_ = 0;
  std::map<std::string, PerCode> by_code_;
};

// The type letter of a code, from the catalog ('B' when unknown).
char type_of(std::string_view code);

// Printable form of a zone value for reports (non-printable bytes as \xNN).
std::string printable(std::string_view bytes);

}  // namespace mutua
