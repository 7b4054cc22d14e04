// History: the accepted lines later envois are judged against.
#pragma once
#include <cstdint>
#include <string>

#include "mutua/model/envoi.h"

namespace mutua::model {

// An accepted line, remembered so that later envois are judged against it.
struct HistoryLine {
  int64_t envoi_id = 0;
  std::string niss;
  std::string code;
  Date first_date = 0, last_date = 0;
  int units = 1;
  int64_t amount = 0;             // cents; negative for a credit note line
  std::string provider;           // who performed it (ET 50 zone 15)
  std::string third_party;        // who billed it (ET 10 zone 14)
  uint64_t invoice_number = 0;
  uint64_t record = 0;            // record number in its envoi
  Date billed = 0;                // creation date of its envoi
  int envoi_number = 0;
  bool reversed = false;          // cancelled by a later credit note
  int64_t id = 0;
};

}  // namespace mutua::model
