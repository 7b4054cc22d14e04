#include "mutua/engine/worker.h"

#include <chrono>
#include <future>
#include <optional>
#include <thread>

namespace mutua::engine {

Result<int64_t> receive_into_queue(model::QueueStore& queue, const std::string& file_name, const std::string& bytes,
                                   model::Date today) {
  return queue.enqueue(file_name, bytes, today);
}

namespace {

// A reception taken from the queue, read and checked, its patients' reference data and history
// read.
struct Taken {
  model::QueuedEnvoi queued;
  Reception reception;
};

// Takes the oldest free reception on `store` (which then holds it) and prepares it: nothing when
// the queue has none free.
Result<std::optional<Taken>> take(model::Store& store, const std::string& name, model::Store* helper) {
  auto held = store.claim(name);
  if (!held) return fail(held.error());
  if (!*held) return std::optional<Taken>();
  Taken t{std::move(**held), {}};
  t.reception = receive(t.queued.bytes, t.queued.file_name, t.queued.today);
  if (auto r = read_ahead(t.reception, store, helper); !r) {
    (void)store.release();
    return fail(r.error());
  }
  return std::optional<Taken>(std::move(t));
}

}  // namespace

Result<WorkerTotals> run_worker(model::Store& store, const WorkerOptions& options,
                                const std::function<void(const WorkerEvent&)>& on_done,
                                const std::function<bool()>& stop, model::Store* ahead, model::Store* helper) {
  WorkerTotals totals;
  // With `ahead`, the two stores take turns: one judges and records a reception while the other
  // takes the next and reads it (file checks, its patients' reference data).
  model::Store* stores[2] = {&store, ahead ? ahead : &store};
  int turn = 0;
  std::future<Result<std::optional<Taken>>> next;
  auto release_all = [&]() -> Result<void> {
    if (next.valid()) (void)next.get();  // never left running on a store about to be released
    for (auto* s : stores)
      if (auto r = s->release(); !r) return fail(r.error());
    return {};
  };
  while (!stop || !stop()) {
    // One reception is taken at a time (the next only once this one is got), so one helper.
    auto got = next.valid() ? next.get() : take(*stores[turn], options.name, helper);
    if (!got) {
      (void)release_all();
      return fail(got.error());
    }
    if (!*got) {
      if (options.until_empty) {
        auto status = store.queue_status();
        if (!status) return fail(status.error());
        if (status->waiting == 0 && status->in_progress == 0) return totals;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(options.idle_ms));
      continue;
    }
    model::Store& mine = *stores[turn];
    Taken taken = std::move(**got);
    const model::QueuedEnvoi& q = taken.queued;
    if (ahead) {
      const int other = 1 - turn;
      next = std::async(std::launch::async, [&, other] { return take(*stores[other], options.name, helper); });
    }
    auto done = [&]() -> Result<void> {
      WorkerEvent event;
      event.id = q.id;
      event.file_name = q.file_name;
      // Recorded already: its worker died between recording it and saying so.
      auto recorded = mine.envoi(q.id);
      if (!recorded) return fail(recorded.error());
      if (*recorded) {
        auto responses = mine.responses(q.id);
        if (!responses) return fail(responses.error());
        Adjudication as_recorded;
        as_recorded.resumed = true;
        as_recorded.envoi = **recorded;
        as_recorded.responses = std::move(*responses);
        as_recorded.message = as_recorded.responses.empty() ? "" : as_recorded.responses.front().message;
        if (auto f = mine.finish(q.id, as_recorded.message, ""); !f) return fail(f.error());
        ++totals.resumed;
        event.judged = &as_recorded;
        event.resumed = true;
        if (on_done) on_done(event);
        return {};
      }
      AdjudicateOptions adj;
      adj.today = q.today;
      adj.threshold_bp = options.threshold_bp;
      adj.envoi_id = q.id;
      auto judged = adjudicate(std::move(taken.reception), mine, adj);
      if (!judged && judged.error().code == model::kNotItsTurn) {
        // An earlier reception nobody holds (its worker died): let this one go, take that one.
        return mine.release();
      }
      if (!judged) {
        // The store could not take it (not a verdict on the envoi: those are responses).
        event.error = judged.error().to_string();
        if (auto f = mine.finish(q.id, "", event.error); !f) return fail(f.error());
        ++totals.failed;
        if (on_done) on_done(event);
        return {};
      }
      if (auto f = mine.finish(q.id, judged->message, ""); !f) return fail(f.error());
      ++totals.judged;
      event.judged = &*judged;
      if (on_done) on_done(event);
      return {};
    }();
    if (!done) {
      (void)release_all();
      return fail(done.error());
    }
    if (ahead) turn = 1 - turn;
  }
  if (auto r = release_all(); !r) return fail(r.error());
  return totals;
}

}  // namespace mutua::engine
