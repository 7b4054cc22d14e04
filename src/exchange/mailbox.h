// The exchange's own store: parties, the messages posted with their acknowledgements, what each
// party has confirmed, and when it last polled. One SQLite file, apart from any fund's store
// (the exchange is another system than the funds it carries messages for). Thread-safe: one
// connection behind a mutex (the exchange's load is polls and posts, not the funds' volumes).
#pragma once
#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mutua/error.h"
#include "mutua/exchange/exchange.h"
#include "mutua/exchange/transport.h"

namespace mutua::exchange {

// SHA-256 of `text`, in hex: items' hashes, tokens kept as hashes.
std::string sha256_hex(const std::string& text);
// The same of the parts one after the other, without joining them.
std::string sha256_hex_of(std::initializer_list<std::string_view> parts);

struct StoredItem {
  int64_t id = 0;
  Delivered item;
};

class Mailbox {
 public:
  static Result<std::unique_ptr<Mailbox>> open(const std::string& path);
  ~Mailbox();

  Result<void> put_party(const Party& party, const std::string& token_hash);
  // The party a token belongs to.
  Result<std::optional<Party>> party_of_token(const std::string& token_hash);
  Result<bool> party_exists(const std::string& id);

  // The acknowledgement given to this sender's post under this reference, if any.
  Result<std::optional<Acknowledgement>> earlier_post(const std::string& sender, Environment env, const std::string& input_reference);
  // Records a post: its acknowledgement (answered again to the same reference), and when taken
  // the message for its recipient; the acknowledgement also goes to the sender's own mailbox.
  // All or nothing; a concurrent post of the same reference gives the first one's answer.
  // `content` is the message as kept: a zstd frame of its bytes (store::packed), unpacked when
  // delivered.
  Result<Acknowledgement> record_post(const std::string& sender, Environment env, const Acknowledgement& ack,
                                      std::string_view content, int64_t now, int64_t visible_after);

  // Refused (kNotEnoughTime) when the party's last get in `env` is less than `interval` ago;
  // else notes this one.
  Result<void> note_poll(const std::string& party, Environment env, int64_t now, int64_t interval);
  Result<std::vector<Delivered>> unconfirmed(const std::string& party, Environment env, int64_t now, int max);
  Result<int64_t> confirm(const std::string& party, Environment env, const std::vector<std::string>& hashes);

 private:
  explicit Mailbox(sqlite3* db) : db_(db) {}
  Result<void> exec(const char* sql);
  sqlite3* db_;
  std::mutex m_;
};

}  // namespace mutua::exchange
