#include "mutua/engine/batch.h"

#include <future>

namespace mutua::engine {

Result<BatchOutcome> adjudicate_batch(const std::vector<std::string>& paths, model::Store& store,
                                      const AdjudicateOptions& options, const BatchCallbacks& callbacks,
                                      model::Store* ahead) {
  BatchOutcome out;
  if (paths.empty()) return out;
  auto receive_next = [&](size_t i) {
    return std::async(std::launch::async, [path = paths[i], today = options.today, ahead] {
      auto received = receive_file(path, today);
      // What could not be read ahead is read when the envoi is judged, where a store error
      // stops the batch: nothing is lost by leaving it here.
      if (received && ahead) (void)read_ahead(*received, *ahead);
      return received;
    });
  };
  std::future<Result<Reception>> next = receive_next(0);
  std::future<bool> delivered;  // the previous envoi's responses, being delivered
  int64_t delivering = 0;       // its reception
  auto previous_delivered = [&]() { return !delivered.valid() || delivered.get(); };
  for (size_t i = 0; i < paths.size(); ++i) {
    auto received = next.get();
    if (i + 1 < paths.size()) next = receive_next(i + 1);
    if (!received) {
      if (callbacks.unreceivable) callbacks.unreceivable(paths[i], received.error());
      continue;
    }
    auto r = adjudicate(std::move(*received), store, options);
    if (!previous_delivered()) {
      out.undelivered.push_back(delivering);
      if (r && r->envoi.id) out.undelivered.push_back(r->envoi.id);
      out.stopped = true;
      if (next.valid()) next.wait();
      return out;
    }
    if (!r) {
      if (next.valid()) next.wait();
      return fail(r.error());
    }
    bool owns_its_name = false;
    if (r->resumed) {
      auto first = store.first_reception_named(r->envoi.file_name);
      owns_its_name = first && *first == r->envoi.id;
    }
    ++out.judged;
    delivering = r->envoi.id;
    delivered = std::async(std::launch::async, [&callbacks, &path = paths[i], outcome = std::move(*r), owns_its_name]() mutable {
      return callbacks.judged ? callbacks.judged(path, std::move(outcome), owns_its_name) : true;
    });
  }
  if (!previous_delivered()) {
    out.undelivered.push_back(delivering);
    out.stopped = true;
  }
  return out;
}

}  // namespace mutua::engine
