#include "mutua/engine/worker.h"

#include <chrono>
#include <thread>

namespace mutua::engine {

Result<int64_t> receive_into_queue(model::QueueStore& queue, const std::string& file_name, const std::string& bytes,
                                   model::Date today) {
  return queue.enqueue(file_name, bytes, today);
}

Result<WorkerTotals> run_worker(model::Store& store, const WorkerOptions& options,
                                const std::function<void(const WorkerEvent&)>& on_done,
                                const std::function<bool()>& stop) {
  WorkerTotals totals;
  while (!stop || !stop()) {
    auto held = store.claim(options.name);
    if (!held) return fail(held.error());
    if (!*held) {
      if (options.until_empty) {
        auto status = store.queue_status();
        if (!status) return fail(status.error());
        if (status->waiting == 0 && status->in_progress == 0) return totals;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(options.idle_ms));
      continue;
    }
    const model::QueuedEnvoi& q = **held;
    WorkerEvent event;
    event.id = q.id;
    event.file_name = q.file_name;
    // Recorded already: its worker died between recording it and saying so.
    auto recorded = store.envoi(q.id);
    if (!recorded) return fail(recorded.error());
    if (*recorded) {
      auto responses = store.responses(q.id);
      if (!responses) return fail(responses.error());
      Adjudication as_recorded;
      as_recorded.resumed = true;
      as_recorded.envoi = **recorded;
      as_recorded.responses = std::move(*responses);
      as_recorded.message = as_recorded.responses.empty() ? "" : as_recorded.responses.front().message;
      if (auto f = store.finish(q.id, as_recorded.message, ""); !f) return fail(f.error());
      ++totals.resumed;
      event.judged = &as_recorded;
      event.resumed = true;
      if (on_done) on_done(event);
      continue;
    }
    AdjudicateOptions adj;
    adj.today = q.today;
    adj.threshold_bp = options.threshold_bp;
    adj.envoi_id = q.id;
    auto judged = adjudicate(q.bytes, q.file_name, store, adj);
    if (!judged && judged.error().code == model::kNotItsTurn) {
      // An earlier reception nobody holds (its worker died): let this one go, take that one.
      if (auto r = store.release(); !r) return fail(r.error());
      continue;
    }
    if (!judged) {
      // The store could not take it (not a verdict on the envoi: those are responses).
      event.error = judged.error().to_string();
      if (auto f = store.finish(q.id, "", event.error); !f) return fail(f.error());
      ++totals.failed;
      if (on_done) on_done(event);
      continue;
    }
    if (auto f = store.finish(q.id, judged->message, ""); !f) return fail(f.error());
    ++totals.judged;
    event.judged = &*judged;
    if (on_done) on_done(event);
  }
  if (auto r = store.release(); !r) return fail(r.error());
  return totals;
}

}  // namespace mutua::engine
