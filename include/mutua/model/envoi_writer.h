// Writes a 920000 billing file from model values, streaming: header, invoices in
// destination-mutuality order, then ET 90, one ET 95 per mutuality and ET 96, with every
// total, control number and check digit computed as FORMAT.md §1.4-1.5 says.
#pragma once
#include <functional>
#include <map>
#include <string>

#include "mutua/model/envoi.h"
#include "mutua/writer.h"

namespace mutua::model {

class EnvoiWriter {
 public:
  EnvoiWriter(FileWriter& out, const EnvoiHeader& header, Framing framing = Framing::Flat);
  // Called with each sealed record before it is written, with its 1-based record number:
  // lets test and data generators break a record on purpose (see mutua gen --error-rate).
  using Tamper = std::function<void(RecordKind kind, uint64_t record_number, std::string& record)>;
  void set_tamper(Tamper tamper) { tamper_ = std::move(tamper); }
  // Invoices must come in ascending destination mutuality (201812); the writer writes them as given.
  void add(const Invoice& invoice);
  // Writes ET 90, ET 95s and ET 96.
  void finish();
  uint64_t records_written() const { return sequence_; }
  // 1-based record number of the next record to be written (for ground truth).
  uint64_t next_record_number() const { return sequence_ + 1; }

 private:
  struct Totals {
    int64_t a = 0, b = 0;
    uint64_t records = 0;
    uint64_t code_sum = 0;
  };
  void emit(const std::string& record);
  FileWriter& out_;
  EnvoiHeader header_;
  Framing framing_;
  uint32_t sequence_ = 0;
  Totals file_;
  std::map<std::string, Totals> by_mutuality_;
  bool finished_ = false;
  Tamper tamper_;
};

// Writes a whole envoi to a file.
Result<void> write_envoi(const std::string& path, const EnvoiHeader& header, const std::vector<Invoice>& invoices,
                         Framing framing = Framing::Flat);
// The same file's bytes, made in memory.
std::string envoi_bytes(const EnvoiHeader& header, const std::vector<Invoice>& invoices, Framing framing = Framing::Flat);

std::string pad_inami(std::string_view eleven);  // "0" + 11 digits, as numeric zones are written

}  // namespace mutua::model
