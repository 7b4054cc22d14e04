#include "server/mail.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>

#include <curl/curl.h>
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

// The address itself, for the SMTP envelope: "Name <a@b>" gives "<a@b>".
std::string envelope_address(const std::string& s) {
  const auto open = s.find('<'), close = s.rfind('>');
  if (open != std::string::npos && close != std::string::npos && close > open) return s.substr(open, close - open + 1);
  return "<" + s + ">";
}

// SMTP wants CRLF line ends: the body's bare LFs become CRLF.
std::string with_crlf(const std::string& text) {
  std::string out;
  out.reserve(text.size() + text.size() / 32);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r')) out += '\r';
    out += text[i];
  }
  return out;
}

// Hands the message to the SMTP server (libcurl: STARTTLS, AUTH and dot-stuffing are its).
Result<void> send_by_smtp(const ServeOptions& options, const std::string& to, const std::string& message) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  std::unique_ptr<CURL, void (*)(CURL*)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) return fail({.code = "Z00200", .message = "cannot start an SMTP client"});
  const std::string body = with_crlf(message), from = envelope_address(options.mail_from), rcpt = envelope_address(to);
  size_t sent = 0;
  auto read = +[](char* buffer, size_t size, size_t n, void* user) -> size_t {
    auto* state = static_cast<std::pair<const std::string*, size_t*>*>(user);
    const std::string& text = *state->first;
    size_t& at = *state->second;
    const size_t take = std::min(size * n, text.size() - at);
    std::memcpy(buffer, text.data() + at, take);
    at += take;
    return take;
  };
  std::pair<const std::string*, size_t*> state{&body, &sent};
  curl_slist* recipients = curl_slist_append(nullptr, rcpt.c_str());
  const char* user = std::getenv("MUTUA_SMTP_USER");
  const char* password = std::getenv("MUTUA_SMTP_PASSWORD");
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, options.smtp.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_FROM, from.c_str());
  curl_easy_setopt(c, CURLOPT_MAIL_RCPT, recipients);
  curl_easy_setopt(c, CURLOPT_READFUNCTION, read);
  curl_easy_setopt(c, CURLOPT_READDATA, &state);
  curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
  curl_easy_setopt(c, CURLOPT_USE_SSL, options.smtp_require_tls ? long(CURLUSESSL_ALL) : long(CURLUSESSL_TRY));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (user && *user) curl_easy_setopt(c, CURLOPT_USERNAME, user);
  if (password && *password) curl_easy_setopt(c, CURLOPT_PASSWORD, password);
  char why[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, why);
  const CURLcode rc = curl_easy_perform(c);
  curl_slist_free_all(recipients);
  if (rc != CURLE_OK)
    return fail({.code = "Z00200",
                 .message = fmt::format("the SMTP server did not take the mail: {}", *why ? why : curl_easy_strerror(rc))});
  return {};
}

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
  if (!options.smtp.empty()) {
    auto sent = send_by_smtp(options, mail.to, text);
    if (sent) return "<" + id + "@mutua>";
    // Not lost: kept for the relay (or the operator) to send, and said.
    auto kept = write_to_outbox(options.outbox, ".eml", text);
    fmt::print(stderr, "mail: {}; kept in {}\n", sent.error().message, kept ? *kept : options.outbox);
    return kept;
  }
  return write_to_outbox(options.outbox, ".eml", text);
}

std::shared_ptr<SmsSender> outbox_sms(const std::string& outbox) { return std::make_shared<OutboxSms>(outbox); }

}  // namespace mutua::server
