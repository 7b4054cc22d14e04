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
#include "mutua/model/accounts.h"

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

// A provider registered by its mandate holder (4CP): the provider's INAMI number (or a
// fictitious 9... one), the holder's name, address and wished username. The mandate and the ID
// copy are the attachments of an information request of that provider, where fund staff and
// the registrant exchange; staff validate it (the holder's account is then made) or refuse it.
enum class RegistrationState { Submitted, Validated, Refused };
std::string_view registration_state_name(RegistrationState s);  // submitted, validated, refused
std::optional<RegistrationState> registration_state_from(std::string_view name);

// The account a validated registration makes for the mandate holder, with the link (its hash)
// that lets them choose a password.
struct HolderAccount {
  User user;
  std::string reset_hash;
  int64_t reset_expires = 0;
};

struct Registration {
  int64_t id = 0;
  int64_t request_id = 0;
  std::string inami, name, email, phone, username;
  RegistrationState state = RegistrationState::Submitted;
  int64_t submitted = 0, decided = 0;
  std::string decided_by, note;
  int64_t user_id = 0;       // the mandate holder's account, once validated
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

  // Records a registration with its request (first message and documents), all or nothing;
  // returns the registration's id. A provider with a registration submitted or validated is not
  // registered again (Z00211).
  virtual Result<int64_t> register_provider(const Registration& registration, const InfoRequest& request,
                                            const RequestMessage& first, const std::vector<NewAttachment>& files) = 0;
  // One (id) or all (0), of one provider or all (""), newest first.
  virtual Result<std::vector<Registration>> registrations(int64_t id, const std::string& inami) = 0;
  // Records the decision (state, decided, decided_by, note) of a registration still submitted,
  // and closes its request. With `holder` (a validation), the holder's account, its `holder`
  // membership of the provider and its first-password link are made in the same transaction
  // and the registration points to the account; returns its id (0 without). All or nothing:
  // Z00212 when it was decided meanwhile, Z00211 when the username is taken.
  virtual Result<int64_t> decide_registration(const Registration& decided, const std::optional<HolderAccount>& holder) = 0;
};

}  // namespace mutua::model
