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

}  // namespace

Result<std::string> send_mail(const ServeOptions& options, const Mail& mail) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(options.outbox, ec);
  if (ec) return fail({.code = "Z00200", .message = "cannot make the outbox folder: " + ec.message(), .file = options.outbox});
  static std::atomic<uint64_t> sequence{0};
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
  const std::string id = fmt::format("{}-{}-{}", static_cast<long long>(t), ++sequence, random_hex(4));
  const std::string text = fmt::format(
      "From: {}\r\nTo: {}\r\nSubject: {}\r\nDate: {}\r\nMessage-ID: <{}@mutua>\r\nMIME-Version: 1.0\r\n"
      "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n{}",
      one_line(options.mail_from), one_line(mail.to), encoded_word(one_line(mail.subject)), date, id, mail.body);
  const fs::path path = fs::path(options.outbox) / (id + ".eml");
  const fs::path part = fs::path(options.outbox) / ("." + id + ".part");
  {
    std::ofstream out(part, std::ios::binary);
    out << text;
    out.flush();
    if (!out) return fail({.code = "Z00200", .message = "cannot write a mail into the outbox", .file = part.string()});
  }
  fs::rename(part, path, ec);
  if (ec) return fail({.code = "Z00200", .message = "cannot write a mail into the outbox: " + ec.message(), .file = path.string()});
  return path.string();
}

}  // namespace mutua::server
