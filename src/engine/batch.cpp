#include "mutua/engine/batch.h"

#include <future>

#include "engine/response.h"

namespace mutua::engine {

Result<BatchOutcome> adjudicate_batch(const std::vector<std::string>& paths, model::Store& store,
                                      const AdjudicateOptions& options, const BatchCallbacks& callbacks,
                                      model::Store* ahead, model::Store* helper) {
  BatchOutcome out;
  if (paths.empty()) return out;
  // Reading a file (and checking it) and reading ahead its patients' data are two steps on two
  // threads: while envoi i is judged, i + 1's data are read ahead and i + 2 is read. Without a
  // second connection, only the next file is read.
  auto read_file = [&](size_t i) {
    return std::async(std::launch::async, [path = paths[i], today = options.today] { return receive_file(path, today); });
  };
  // A file this batch recorded before it was interrupted is not judged again: nothing to read
  // for it (a restart would otherwise read every recorded envoi's patients again).
  auto recorded_in_batch = [&options](model::Store& store, const Reception& r) {
    if (options.batch.empty() || !options.record) return false;
    auto seen = find_in_batch(store, options.batch, r);
    return seen && seen->has_value();
  };
  // One envoi is read ahead at a time (the next once this one is judged): one helper.
  auto read_data_ahead = [ahead, helper, &recorded_in_batch](std::future<Result<Reception>> file) {
    return std::async(std::launch::async, [file = std::move(file), ahead, helper, &recorded_in_batch]() mutable {
      auto received = file.get();
      // What could not be read ahead is read when the envoi is judged, where a store error
      // stops the batch: nothing is lost by leaving it here.
      if (received && ahead && !recorded_in_batch(*ahead, *received)) (void)read_ahead(*received, *ahead, helper);
      return received;
    });
  };
  // The first envoi: nothing is judged yet to keep the other core busy, so its patients' data are
  // read ahead beside its file checks, once it is parsed (a batch of one file is only that), and
  // shared with the store's own connection, which has nothing to do until that envoi is read.
  auto read_first = [&] {
    return std::async(std::launch::async, [&, path = paths[0]]() -> Result<Reception> {
      ReadAhead early;
      early.envois_like_this = paths.size();
      model::Store* sharing = helper ? helper : &store;
      auto received = receive_file(path, options.today, [&](const Reception& parsed) {
        if (!recorded_in_batch(*ahead, parsed)) (void)read_ahead_into(parsed, *ahead, sharing, early);
      });
      if (received) add_read_ahead(*received, std::move(early));
      return received;
    });
  };
  std::future<Result<Reception>> next = ahead ? read_first() : read_data_ahead(read_file(0));
  std::future<Result<Reception>> file_after;  // i + 2, being read (with a second connection)
  if (ahead && paths.size() > 1) file_after = read_file(1);
  std::future<bool> delivered;  // the previous envoi's responses, being delivered
  int64_t delivering = 0;       // its reception
  auto previous_delivered = [&]() { return !delivered.valid() || delivered.get(); };
  auto wait_ahead = [&] {
    if (next.valid()) next.wait();
    if (file_after.valid()) file_after.wait();
  };
  for (size_t i = 0; i < paths.size(); ++i) {
    auto received = next.get();
    if (i + 1 < paths.size()) next = read_data_ahead(ahead ? std::move(file_after) : read_file(i + 1));
    if (ahead && i + 2 < paths.size()) file_after = read_file(i + 2);
    if (!received) {
      if (callbacks.unreceivable) callbacks.unreceivable(paths[i], received.error());
      continue;
    }
    auto r = adjudicate(std::move(*received), store, options);
    if (!previous_delivered()) {
      out.undelivered.push_back(delivering);
      if (r && r->envoi.id) out.undelivered.push_back(r->envoi.id);
      out.stopped = true;
      wait_ahead();
      return out;
    }
    if (!r) {
      wait_ahead();
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
      const bool ok = callbacks.judged ? callbacks.judged(path, outcome, owns_its_name) : true;
      recycle_responses(outcome.responses);  // for the envois after
      return ok;
    });
  }
  // The last responses are being delivered: what the store put off runs beside them.
  store.flush_in_background();
  if (!previous_delivered()) {
    out.undelivered.push_back(delivering);
    out.stopped = true;
  }
  return out;
}

}  // namespace mutua::engine
