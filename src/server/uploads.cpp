#include "server/uploads.h"

#include <algorithm>

#include <fmt/format.h>

#include "server/auth.h"

namespace mutua::server {

namespace {

constexpr size_t kMaxAttachmentBytes = 10u << 20;
constexpr size_t kMaxAttachments = 5;

bool starts(const std::string& bytes, std::string_view magic) { return bytes.compare(0, magic.size(), magic) == 0; }

}  // namespace

// A file named .pdf must be a PDF, a .docx a ZIP holding word/, an .xlsx one holding xl/...
std::string media_type(const std::string& name, const std::string& bytes) {
  const auto dot = name.rfind('.');
  if (dot == std::string::npos) return "";
  std::string ext = name.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  static const std::string ole("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8), zip("PK\x03\x04", 4);
  if (ext == "png" && starts(bytes, "\x89PNG\r\n\x1a\n")) return "image/png";
  if (ext == "pdf" && starts(bytes, "%PDF-")) return "application/pdf";
  if ((ext == "jpg" || ext == "jpeg") && starts(bytes, "\xFF\xD8\xFF")) return "image/jpeg";
  if (ext == "msg" && starts(bytes, ole)) return "application/vnd.ms-outlook";
  if (ext == "doc" && starts(bytes, ole)) return "application/msword";
  if (ext == "docx" && starts(bytes, zip) && bytes.find("word/") != std::string::npos)
    return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
  if (ext == "xlsx" && starts(bytes, zip) && bytes.find("xl/") != std::string::npos)
    return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  return "";
}

std::optional<Posted> posted(Call& call, const std::vector<std::string>& file_fields) {
  Posted p;
  if (!call.req.is_multipart_form_data()) {
    auto body = call.body();
    if (!body) return std::nullopt;
    p.fields = *body;
    return p;
  }
  for (const auto& [key, part] : call.req.files) {
    if (std::find(file_fields.begin(), file_fields.end(), key) == file_fields.end()) {
      p.fields[key] = part.content;
      continue;
    }
    // A browser sends a file input left empty as a part without file name or content.
    if (part.filename.empty() && part.content.empty()) continue;
    const std::string name = part.filename.substr(part.filename.find_last_of("/\\") + 1);
    if (name.empty() || name.size() > 200) {
      call.error(400, "Z00224", "an attachment needs a file name of at most 200 characters");
      return std::nullopt;
    }
    if (part.content.size() > kMaxAttachmentBytes || p.files.size() >= kMaxAttachments) {
      call.error(413, "Z00224", fmt::format("at most {} attachments of {} MiB each", kMaxAttachments, kMaxAttachmentBytes >> 20));
      return std::nullopt;
    }
    const std::string type = media_type(name, part.content);
    if (type.empty()) {
      call.error(415, "Z00224",
                 fmt::format("'{}': attach png, pdf, jpg, msg, doc, docx or xlsx files whose content is what their name says", name));
      return std::nullopt;
    }
    p.files.push_back({{0, 0, name, type, static_cast<int64_t>(part.content.size()), sha256_hex(part.content)}, part.content});
    p.file_fields.push_back(key);
  }
  return p;
}

std::string field(const Json& fields, const char* key) {
  auto it = fields.find(key);
  if (it == fields.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number_integer()) return std::to_string(it->get<int64_t>());
  return "";
}

void answer_file(Call& call, const model::NewAttachment& file) {
  std::string safe;
  for (char c : file.info.name) safe += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? '_' : c;
  call.res.set_header("Content-Disposition", "attachment; filename=\"" + safe + "\"");
  call.res.set_content(file.bytes, file.info.media_type);
}

}  // namespace mutua::server
