// Errors as values: every problem found in a file or a request carries the rule code and
// where it is, so a person can find and fix it.
#pragma once
#include <cstdint>
#include <string>

#include <tl/expected.hpp>

namespace mutua {

struct Error {
  std::string code;        // official eFact code ("500402") or project code ("Z00001")
  std::string message;     // one line a person can act on
  std::string file;        // file name, empty when not about a file
  uint64_t record = 0;     // 1-based record number in the file; 0 when not about a record
  std::string record_type; // "20", "50", "200" (segment)... empty when unknown
  std::string zone;        // zone number as in the instructions ("19", "8a"); empty if none
  uint64_t position = 0;   // 1-based byte position in the file; 0 when unknown

  std::string to_string() const;
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

}  // namespace mutua
