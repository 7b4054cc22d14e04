// A batch of envois judged in the order given, as `mutua adjudicate` and the server receive
// them: steps overlap (the next file is read and checked, this one is judged and recorded,
// the previous one's responses are delivered; with a second connection, the file after the
// next is read and checked while the next one's data are read ahead), each keeping the order.
// Only the calling thread touches the store; the reading ahead touches `ahead` (and `helper`)
// only, one envoi at a time.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mutua/engine/adjudicate.h"

namespace mutua::engine {

struct BatchCallbacks {
  // A path that cannot be received (not a regular file, unreadable): said; the others go on.
  std::function<void(const std::string& path, const Error& error)> unreceivable;
  // An envoi judged and recorded, in the order given, on a thread of its own while the next is
  // judged. `owns_its_name`: a resumed envoi that was the first reception of its file name, so
  // what is named after that file is its own to write again. Returns false when its responses
  // could not be delivered: the batch stops; they stay recorded.
  std::function<bool(const std::string& path, const Adjudication& outcome, bool owns_its_name)> judged;
};

struct BatchOutcome {
  size_t judged = 0;                    // envois judged (resumed ones included)
  std::vector<int64_t> undelivered;     // receptions recorded whose responses were not delivered
  bool stopped = false;                 // stopped early (undelivered responses, a store error)
};

// Judges `paths` in order against the store. A store error stops the batch and is returned
// (what was recorded before it stands); a delivery failure stops it too, with the receptions
// concerned in `undelivered`. With `ahead` (a second connection to the same store), the next
// file's patients' reference data and history are read ahead (engine::read_ahead) while this
// one is judged and recorded; when it is judged, the patients this one recorded lines of are
// read again, so that the decisions are those of a batch without it.
// `helper`, a third connection: each reading ahead shares its reads with it (engine::read_ahead).
Result<BatchOutcome> adjudicate_batch(const std::vector<std::string>& paths, model::Store& store,
                                      const AdjudicateOptions& options, const BatchCallbacks& callbacks,
                                      model::Store* ahead = nullptr, model::Store* helper = nullptr);

}  // namespace mutua::engine
