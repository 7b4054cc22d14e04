// Workers: received envois judged from a queue in the store (model::QueueStore), by any number
// of processes on one or several machines, with the decisions one process makes judging them
// in order of receipt. A worker takes the oldest reception no other worker holds, judges it
// against the store as it stands, and records it once every earlier reception is done; if one
// of those recorded lines of its patients meanwhile, the store's mark says so and it is judged
// again (engine::adjudicate). A worker killed at any point lets its reception go: the next one
// to take it finds it recorded (the envoi id was given at receipt) or judges it.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "mutua/engine/adjudicate.h"
#include "mutua/model/store.h"

namespace mutua::engine {

struct WorkerOptions {
  std::string name;            // who judged it, kept with the reception (host:pid)
  bool until_empty = false;    // stop when no reception is waiting; else wait for new ones
  int64_t threshold_bp = -1;   // as AdjudicateOptions
  int idle_ms = 200;           // between looks at an empty queue
};

struct WorkerEvent {
  int64_t id = 0;
  std::string file_name;
  const Adjudication* judged = nullptr;  // null when it failed
  bool resumed = false;                  // recorded already (by a worker that died before saying so)
  std::string error;                     // why it failed
};

struct WorkerTotals {
  int64_t judged = 0, resumed = 0, failed = 0;
};

// Records a received envoi as waiting, in order of receipt; its envoi id.
Result<int64_t> receive_into_queue(model::QueueStore& queue, const std::string& file_name, const std::string& bytes,
                                   model::Date today);

// Takes receptions one at a time until the queue is empty (until_empty) or `stop` says so.
// `on_done` hears of each one finished. `ahead`, a second store on the same database (its own
// connections): the next reception is taken and read on it (file checks, its patients'
// reference data) while one is judged and recorded, the two stores taking turns; history is
// still read only once the reception before is recorded, so reading ahead judges nothing again.
// `helper`, a third store on the same database: each reading ahead shares its reads with it
// (engine::read_ahead).
Result<WorkerTotals> run_worker(model::Store& store, const WorkerOptions& options,
                                const std::function<void(const WorkerEvent&)>& on_done,
                                const std::function<bool()>& stop = {}, model::Store* ahead = nullptr,
                                model::Store* helper = nullptr);

}  // namespace mutua::engine
