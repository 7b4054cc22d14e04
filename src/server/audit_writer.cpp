#include "server/audit_writer.h"

#include <pthread.h>

#include <csignal>

#include "mutua/store/postgresql.h"

namespace mutua::server {

Result<void> AuditWriter::open(const std::string& where) {
  auto s = store::open_store_at(where);
  if (!s) return fail(s.error());
  store_ = std::move(*s);
  thread_ = std::thread([this] { run(); });
  return {};
}

AuditWriter::~AuditWriter() {
  {
    std::lock_guard<std::mutex> lock(m_);
    stopping_ = true;
  }
  work_.notify_one();
  if (thread_.joinable()) thread_.join();
}

Result<void> AuditWriter::append(std::vector<model::AuditEntry> entries) {
  if (entries.empty()) return {};
  std::unique_lock<std::mutex> lock(m_);
  if (!thread_.joinable()) return fail({.code = "Z00200", .message = "the audit log is not open"});
  pending_.insert(pending_.end(), std::make_move_iterator(entries.begin()), std::make_move_iterator(entries.end()));
  const uint64_t mine = open_batch_;
  work_.notify_one();
  done_.wait(lock, [&] { return committed_ >= mine; });
  if (auto it = failed_.find(mine); it != failed_.end()) return fail(it->second);
  return {};
}

void AuditWriter::run() {
  // Signals are for the threads the program chose (mutua serve stops on SIGTERM in its own).
  sigset_t all;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  std::unique_lock<std::mutex> lock(m_);
  for (;;) {
    work_.wait(lock, [&] { return stopping_ || !pending_.empty(); });
    if (pending_.empty()) return;  // stopping, nothing left
    std::vector<model::AuditEntry> batch;
    batch.swap(pending_);
    const uint64_t id = open_batch_++;
    lock.unlock();
    auto written = store_->append_audit(batch);
    lock.lock();
    if (!written) {
      failed_[id] = written.error();
      // The waiters of a failed batch read it at once; old failures are not kept forever.
      while (failed_.size() > 1024) failed_.erase(failed_.begin());
    }
    committed_ = id;
    done_.notify_all();
  }
}

}  // namespace mutua::server
