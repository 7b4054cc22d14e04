// Zones 42-45 of ET 20 and ET 51 (48 positions from byte 213): a network (MyCareNet) reference
// or a SIS card's data, as the CIN's own certification files write them (FORMAT.md §6,
// docs/format.md): zone 42, 32 positions, the consultation's agreement number (or the SIS
// certificate); zone 43, 10 positions, part N (SIS card number); zone 44, 2 positions, part V
// (card version); zone 45, 4 positions, part A (0 none, 1 SIS card, 2 network reference) then
// three zeros. A network reference is 32 characters, parts N and V zero, then "2000"; an unused
// zone is 48 zeros.
#pragma once
#include <string>
#include <string_view>

namespace mutua {

inline constexpr size_t kNetworkReferencePos = 213;  // 1-based
inline constexpr size_t kNetworkReferenceLen = 48;

struct NetworkReference {
  std::string_view zones;     // the 48 positions, or shorter when the record is cut
  std::string_view number;    // zone 42 without its padding (spaces, and zeros on the left)
  std::string_view parts_nv;  // zones 43-44
  char part_a = '\0';         // first position of zone 45, '\0' when the record is cut
  bool network() const { return part_a == '2'; }
  bool empty() const;         // only zeros and spaces
};

// Reads zones 42-45 of an ET 20 / ET 51 record (the record's bytes from position 1).
NetworkReference read_network_reference(std::string_view record);
// The 48 positions for a network reference `number` (at most 32 characters kept); 48 zeros
// when `number` is empty.
std::string network_reference_zones(std::string_view number);

}  // namespace mutua
