#include "mutua/network_reference.h"

namespace mutua {

namespace {
constexpr size_t kNumberLen = 32, kPartsNvLen = 12;
}  // namespace

bool NetworkReference::empty() const { return zones.find_first_not_of("0 ") == std::string_view::npos; }

NetworkReference read_network_reference(std::string_view record) {
  NetworkReference r;
  if (record.size() < kNetworkReferencePos) return r;
  r.zones = record.substr(kNetworkReferencePos - 1, kNetworkReferenceLen);
  std::string_view number = r.zones.substr(0, kNumberLen);
  while (!number.empty() && number.back() == ' ') number.remove_suffix(1);
  const size_t first = number.find_first_not_of("0 ");
  r.number = first == std::string_view::npos ? std::string_view() : number.substr(first);
  if (r.zones.size() > kNumberLen) r.parts_nv = r.zones.substr(kNumberLen, kPartsNvLen);
  if (r.zones.size() > kNumberLen + kPartsNvLen) r.part_a = r.zones[kNumberLen + kPartsNvLen];
  return r;
}

std::string network_reference_zones(std::string_view number) {
  if (number.empty()) return std::string(kNetworkReferenceLen, '0');
  std::string out(number.substr(0, kNumberLen));
  out.append(kNumberLen - out.size(), ' ');
  out.append(kPartsNvLen, '0');
  out += "2000";
  return out;
}

}  // namespace mutua
