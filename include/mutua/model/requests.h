// Information requests (the 4CP "Demande d'information" module and the envelope on each line):
// a provider's people ask the fund a question about a line, a payment or anything else; fund
// staff answer; both add messages with attachments (png, pdf, jpg, msg, doc, docx, xlsx) until
// the request is closed. Times are Unix seconds.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mutua/error.h"

namespace mutua::model {

enum class RequestState { Open, Answered, Closed };  // asked (or asked again), answered by the fund, closed
std::string_view request_state_name(RequestState s);  // open, answered, closed
std::optional<RequestState> request_state_from(std::string_view name);

struct AttachmentInfo {
  int64_t id = 0, message_id = 0;
  std::string name;          // as uploaded (a file name, no folder)
  std::string media_type;    // what its content is (checked by its first bytes, not its name)
  int64_t size = 0;
  std::string sha256;        // hex, of the bytes
};

// An attachment to write: its description and its bytes.
struct NewAttachment {
  AttachmentInfo info;
  std::string bytes;
};

struct RequestMessage {
  int64_t id = 0;
  int64_t at = 0;
  int64_t user_id = 0;
  std::string author;        // username
  bool staff = false;        // written by the fund
  std::string text;
  std::vector<AttachmentInfo> attachments;
};

struct InfoRequest {
  int64_t id = 0;
  std::string third_party;   // the provider it is asked for
  std::string subject;
  // What it is about, when it is about something: a line (envoi reception + record), a payment.
  int64_t envoi_id = 0;
  uint64_t record = 0;
  std::string payment_reference;
  std::string niss;          // the patient of that line, when it is one
  RequestState state = RequestState::Open;
  int64_t opened = 0, updated = 0;
  int64_t opened_by = 0;     // user id
  std::vector<RequestMessage> messages;  // oldest first
};

class RequestStore {
 public:
  virtual ~RequestStore() = default;

  // Records a request with its first message and that message's attachments; returns its id.
  virtual Result<int64_t> open_request(const InfoRequest& request, const RequestMessage& first,
                                       const std::vector<NewAttachment>& files) = 0;
  // One request (id) or all (0), of one provider or all (""), newest first, with their messages
  // and what is attached (not the bytes).
  virtual Result<std::vector<InfoRequest>> requests(int64_t id, const std::string& third_party) = 0;
  // Adds a message with its attachments and puts the request in `state`, all or nothing; a
  // closed request takes no more (Z00212). Returns the message's id.
  virtual Result<int64_t> add_request_message(int64_t request_id, const RequestMessage& message,
                                              const std::vector<NewAttachment>& files, RequestState state) = 0;
  // An attachment of a request with its bytes; nullopt when that request has no such one.
  virtual Result<std::optional<NewAttachment>> attachment(int64_t request_id, int64_t attachment_id) = 0;
};

}  // namespace mutua::model
