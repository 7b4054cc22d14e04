// What a request posts: a JSON object, or the fields and files of a multipart/form-data form.
// Files are taken only when their content is what their name says (png, pdf, jpg, msg, doc,
// docx, xlsx), at most 5 of 10 MiB each; anything else is answered 413 or 415 with its name.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "mutua/model/requests.h"
#include "server/context.h"

namespace mutua::server {

struct Posted {
  Json fields = Json::object();
  std::vector<model::NewAttachment> files;
  std::vector<std::string> file_fields;  // the form field each file came in
};

// Files are read from the form fields named in `file_fields`, every other field as text.
// nullopt with the answer given when something is wrong.
std::optional<Posted> posted(Call& call, const std::vector<std::string>& file_fields);

// A text or whole-number member of the fields ("" otherwise).
std::string field(const Json& fields, const char* key);

// A stored file as the answer, downloaded under its name (quotes and controls replaced).
void answer_file(Call& call, const model::NewAttachment& file);

// The checked media type of a file whose content is what its name says, else "".
std::string media_type(const std::string& name, const std::string& bytes);

}  // namespace mutua::server
