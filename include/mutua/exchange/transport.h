// How a party (a provider's software, a fund's connector) talks to an exchange: post, get,
// confirm, as the eHealth generic asynchronous service has them. mutua's own exchange is reached
// over HTTP (exchange_client); a MyCareNet client would be another implementation of this.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mutua/error.h"

namespace mutua::exchange {

enum class Environment { Test, Production };
std::string_view environment_name(Environment e);  // "test" / "production"

// The exchange's answer to a post (TAck): taken, or refused with why.
struct Acknowledgement {
  bool success = false;
  std::string reason;           // when refused: what is wrong, naming the zone
  std::string input_reference;  // the poster's reference it answers
  std::string reference;        // the exchange's reference of the message (when taken)
  std::string recipient;
  std::string message_type;     // of the message posted (920000, 931000, 920900...)
};

// One item of a get: a message posted to the party, or the acknowledgement of one it posted.
struct Delivered {
  enum class Kind { Message, Acknowledgement } kind = Kind::Message;
  std::string hash;             // what confirm takes
  std::string sender;
  std::string input_reference;  // the sender's reference of the message (or of what the TAck answers)
  std::string message_type;
  std::string content;          // the message's bytes (empty for an acknowledgement)
  Acknowledgement ack;          // for an acknowledgement
  int64_t posted = 0;           // unix seconds
};

// Why a get was not answered: too soon after the last one, or the exchange refused it.
inline constexpr const char* kNotEnoughTime = "Z00230";

class Transport {
 public:
  virtual ~Transport() = default;
  // Posts `content` to `recipient` under the sender's unique `input_reference`. Posting the same
  // reference again answers the same acknowledgement and stores nothing.
  virtual Result<Acknowledgement> post(Environment env, const std::string& recipient, const std::string& input_reference,
                                       const std::string& content) = 0;
  // The same with the message as a zstd frame of its bytes (as the provider's book keeps its
  // files): sent as it is by a transport that can (mutua's exchange takes it so: a billing file
  // is mostly blanks and zeros), unpacked for one that cannot.
  virtual Result<Acknowledgement> post_packed(Environment env, const std::string& recipient, const std::string& input_reference,
                                              const std::string& frame);
  // At most `max` items not confirmed yet, oldest first; an error with code kNotEnoughTime when
  // polled before the exchange's interval.
  virtual Result<std::vector<Delivered>> get(Environment env, int max) = 0;
  // Confirms what was received; the rest is delivered again at the next get.
  virtual Result<int64_t> confirm(Environment env, const std::vector<std::string>& hashes) = 0;
};

// mutua's exchange at `url` (http://host:port), as the party whose token this is.
std::unique_ptr<Transport> exchange_client(const std::string& url, const std::string& token);

}  // namespace mutua::exchange
