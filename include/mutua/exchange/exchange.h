// `mutua exchange`: a MyCareNet-like exchange between providers and funds. MyCareNet cannot be
// reached from here, so mutua ships one that behaves like the eHealth generic asynchronous
// "invoicing" service: a party posts a message with its own unique input reference and gets an
// acknowledgement (TAck) at once; the recipient polls its messages and acknowledgements (get),
// at most N at a time and not more often than an interval allows, and confirms by hash what it
// received; what is not confirmed is delivered again. Test (segment 200 zone 202 = 92) and
// production (12) never mix. A seeded fault mode makes it misbehave the ways real exchanges do.
// docs/exchange.md describes the HTTP API.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mutua/error.h"

namespace mutua::exchange {

// Faults for tests, each drawn with its probability from a generator seeded with `seed`, so a
// run with the same requests misbehaves the same way.
struct Faults {
  uint64_t seed = 0;
  double duplicate = 0;        // an item of a get answer is given twice
  double reorder = 0;          // a get answer comes in another order
  double drop_confirmation = 0;  // a confirmed hash is not recorded (delivered again)
  double delay = 0;            // a message posted becomes visible only `delay_seconds` later
  int64_t delay_seconds = 2;
  double refuse_poll = 0;      // a get is refused (503) though in time
  double cut_920999 = 0;       // a 920999 posted loses its last zone, as some funds send it
  bool any() const { return duplicate + reorder + drop_confirmation + delay + refuse_poll + cut_920999 > 0; }
};

// Every fault at the same probability (`--faults SEED[:P]`, P default 0.2).
Faults faults_at(uint64_t seed, double p);

struct ExchangeOptions {
  std::string db = "exchange.db";   // its own SQLite file: parties, messages, acknowledgements
  std::string host = "127.0.0.1";
  int port = 8090;                  // 0: a free one, said by Exchange::port()
  int64_t poll_interval_seconds = 30;  // a party's gets in one environment, at least this far apart
  int max_per_get = 1000;           // what one get gives at most (a get asks for fewer)
  uint64_t max_message_bytes = 400ULL << 20;
  Faults faults;
};

enum class PartyKind { Provider, Fund };

struct Party {
  std::string id;     // a provider's INAMI number (11 digits) or a fund's union number ("300")
  PartyKind kind = PartyKind::Provider;
};

// Adds a party to the exchange's file (created when missing); returns its token, shown once
// (the exchange keeps its SHA-256 only). A party added again gets a new token, the old one ends.
Result<std::string> add_party(const std::string& db, const Party& party);

class Exchange {
 public:
  static Result<std::unique_ptr<Exchange>> open(const ExchangeOptions& options);
  ~Exchange();
  Result<void> bind();
  int port() const;
  void run();   // until stop()
  void stop();

  struct Impl;

 private:
  explicit Exchange(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace mutua::exchange
