// Scans of a whole record's bytes, vectorised: they run on every byte of every file, so the
// per-zone checks can be skipped for the records (nearly all) where nothing is wrong.
#pragma once
#include <string_view>

namespace mutua::check {

// Only printable ASCII (32..126), the characters a record may hold (Z00006).
bool printable_ascii(std::string_view bytes);

// What a byte of a record must be, one class per position (a template per record kind).
enum ByteClass : char { kAny = 0, kDigit = 1, kZero = 2, kSign = 3 };

// True when the record is at least as long as `classes` and each of its bytes is of its
// position's class ('+' or '-' for kSign). False says only that some zone must be looked at.
bool byte_classes_hold(std::string_view bytes, std::string_view classes);

}  // namespace mutua::check
