// Information requests in the stores (SQLite and PostgreSQL alike, store/sql.h): requests,
// their messages and attachments. Free functions over the connection; the caller holds the
// transaction.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mutua/model/requests.h"
#include "store/sql.h"

namespace mutua::store {

Result<int64_t> insert_request(SqlDb& db, const model::InfoRequest& r, const model::RequestMessage& first,
                               const std::vector<model::NewAttachment>& files);
Result<std::vector<model::InfoRequest>> select_requests(SqlDb& db, int64_t id, const std::string& third_party);
Result<int64_t> insert_request_message(SqlDb& db, int64_t request_id, const model::RequestMessage& m,
                                       const std::vector<model::NewAttachment>& files, model::RequestState state);
Result<std::optional<model::NewAttachment>> select_attachment(SqlDb& db, int64_t request_id, int64_t attachment_id);

Result<int64_t> insert_registration(SqlDb& db, const model::Registration& g, const model::InfoRequest& r,
                                    const model::RequestMessage& first, const std::vector<model::NewAttachment>& files);
Result<std::vector<model::Registration>> select_registrations(SqlDb& db, int64_t id, const std::string& inami);
// The decision, with the holder's account when it is a validation (see RequestStore).
Result<int64_t> update_registration(SqlDb& db, model::Registration g, const std::optional<model::HolderAccount>& holder);

}  // namespace mutua::store
