// Audit entries of concurrent requests, committed together. Each request still waits until its
// own entries are in the store (personal data is not given without them), but one write
// transaction carries the entries of every request that came while the previous one was being
// written: under load, tens of requests share a commit instead of queueing for one each.
#pragma once
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "mutua/error.h"
#include "mutua/model/store.h"

namespace mutua::server {

class AuditWriter {
 public:
  AuditWriter() = default;
  AuditWriter(const AuditWriter&) = delete;
  AuditWriter& operator=(const AuditWriter&) = delete;
  // Writes what is pending, then stops.
  ~AuditWriter();

  // On its own connection to the accounts' store.
  Result<void> open(const std::string& where);
  // Returns once the entries are committed (or could not be).
  Result<void> append(std::vector<model::AuditEntry> entries);

 private:
  void run();

  std::unique_ptr<model::Store> store_;
  std::mutex m_;
  std::condition_variable work_, done_;
  std::vector<model::AuditEntry> pending_;
  uint64_t open_batch_ = 1;  // the batch new entries join
  uint64_t committed_ = 0;   // every batch up to this one is written (or failed)
  std::map<uint64_t, Error> failed_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mutua::server
