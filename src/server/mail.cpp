#include "server/mail.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "server/auth.h"

namespace mutua::server {

namespace {

// A header value on one line: line breaks would let a value add headers of its own.
std::string one_line(const std::string& s) {
  std::string out;
  for (char c : s) out += (c == '\r' || c == '\n') ? ' ' : c;
  return out;
}

// RFC 2047 for a subject that is not plain ASCII.
std::string encoded_word(const std::string& s) {
  for (unsigned char c : s)
    if (c >= 0x80) {
      std::string hex;
      for (unsigned char x : s) hex += (x < 0x80 && x != '?' && x != '=' && x != '_' && x != ' ') ? std::string(1, char(x))
                                                                                                : fmt::format("={:02X}", x);
      return "=?UTF-8?Q?" + hex + "?=";
    }
  return s;
}

// A file written whole into the outbox (created when missing), or not at all: a relay reading
// the folder never sees half of one. `.part` files are not for it.
Result<std::string> write_to_outbox(const std::string& outbox, const std::string& extension, const std::string& text) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(outbox, ec);
  if (ec) return fail({.code = "Z00200", .message = "cannot make the outbox folder: " + ec.message(), .file = outbox});
  static std::atomic<uint64_t> sequence{0};
  const std::string id = fmt::format("{}-{}-{}", static_cast<long long>(std::time(nullptr)), ++sequence, random_hex(4));
  const fs::path path = fs::path(outbox) / (id + extension);
  const fs::path part = fs::path(outbox) / ("." + id + ".part");
  {
    std::ofstream out(part, std::ios::binary);
    out << text;
    out.flush();
    if (!out) return fail({.code = "Z00200", .message = "cannot write into the outbox", .file = part.string()});
  }
  fs::rename(part, path, ec);
  if (ec) return fail({.code = "Z00200", .message = "cannot write into the outbox: " + ec.message(), .file = path.string()});
  return path.string();
}

class OutboxSms : public SmsSender {
 public:
  explicit OutboxSms(std::string outbox) : outbox_(std::move(outbox)) {}
  Result<void> send(const std::string& phone, const std::string& text) override {
    auto w = write_to_outbox(outbox_, ".sms", fmt::format("To: {}\n\n{}\n", one_line(phone), text));
    if (!w) return fail(w.error());
    return {};
  }

 private:
  std::string outbox_;
};

}  // namespace

Result<std::string> send_mail(const ServeOptions& options, const Mail& mail) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  const std::string id = random_hex(16);
  const std::string text = fmt::format(
      "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}@mutua>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
      one_line(options.mail_from), one_line(mail.to), encoded_word(one_line(mail.subject)), date, id, mail.body);
  return write_to_outbox(options.outbox, ".eml", text);
}

std::shared_ptr<SmsSender> outbox_sms(const std::string& outbox) { return std::make_shared<OutboxSms>(outbox); }

}  // namespace mutua::server
