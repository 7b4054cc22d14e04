// Check digits of the identifiers and control zones of the billing file (DOMAIN.md, FORMAT.md §1.4).
#pragma once
#include <cstdint>
#include <string_view>

namespace mutua::check {

// Zone 99 of records 10..90: sum of the character values of positions 1..348 mod 97 (0 -> 97).
// Digit = its value, space = 10, letter = 11..36, anything else = 37. [V1: taktik writer]
int record_check_digits(std::string_view first_348);
// Mod 97 with 0 written as 97, for zones 80/98, 90/98, 95/410, 96/510.
int control_mod97(uint64_t sum);

enum class Verdict : uint8_t { Valid, NotNumeric, BadCheckDigits, Malformed };

// NISS (11 digits): 97 - (first 9 mod 97), or with a '2' in front of the 9 digits for births
// from 2000. Bis numbers (month + 20 / + 40) follow the same rule.
Verdict niss(std::string_view eleven);
// INAMI/RIZIV number (11 digits): 6-digit base, 2 check digits = 97 - (base mod 97), then a
// 3-digit qualification. Numbers starting with 9 are fictitious (groupings) and not checked.
Verdict inami(std::string_view eleven);
// IBAN: ISO 13616 mod-97 over the rearranged string. BadCheckDigits when the digits at
// positions 3-4 are wrong, Malformed when the shape is wrong (country, length, characters).
Verdict iban(std::string_view text);
// BIC (ISO 9362): 8 or 11 characters, bank and country letters. Shape only: no check digits.
Verdict bic(std::string_view text);
// BCE/KBO enterprise number (10 digits): 97 - (first 8 mod 97).
Verdict bce(std::string_view ten);
// Nomenclature code (6 digits, or 7 with a leading 0): last digit = first five digits mod 7.
Verdict nomenclature(std::string_view code);

// The check digits to append to a 9-digit NISS body (born_2000: the 20xx variant).
int niss_check(uint64_t first_nine, bool born_2000);
int inami_check(uint32_t base);
int iban_check(std::string_view country, std::string_view bban);  // returns 2..98
int nomenclature_check(uint32_t first_five);

bool all_digits(std::string_view s);

}  // namespace mutua::check
