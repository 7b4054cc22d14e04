#include "server/auth.h"

#include <sys/random.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <argon2.h>
#include <fmt/format.h>
#include <liboath/oath.h>
#include <openssl/evp.h>

namespace mutua::server {

namespace {

constexpr uint32_t kArgonPasses = 2, kArgonKiB = 19 * 1024, kArgonLanes = 1, kArgonHashBytes = 32, kSaltBytes = 16;
constexpr unsigned kTotpStep = 30, kTotpDigits = 6;

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  size_t got = 0;
  while (got < n) {
    ssize_t r = getrandom(out.data() + got, n - got, 0);
    if (r > 0) got += static_cast<size_t>(r);
  }
  return out;
}

std::string hex_of(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

std::string bytes_of_hex(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  return out;
}

// liboath wants oath_init once per process.
void oath_ready() {
  static const int ok = oath_init();
  (void)ok;
}

}  // namespace

Result<std::string> hash_password(const std::string& password) {
  const std::string salt = random_bytes(kSaltBytes);
  std::vector<char> encoded(argon2_encodedlen(kArgonPasses, kArgonKiB, kArgonLanes, kSaltBytes, kArgonHashBytes, Argon2_id));
  const int rc = argon2id_hash_encoded(kArgonPasses, kArgonKiB, kArgonLanes, password.data(), password.size(), salt.data(),
                                       salt.size(), kArgonHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK) return fail({.code = "Z00220", .message = std::string("password hashing: ") + argon2_error_message(rc)});
  return std::string(encoded.data());
}

bool password_matches(const std::string& encoded, const std::string& password) {
  if (encoded.empty()) return false;
  return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::optional<std::string> weak_password(const std::string& password) {
  if (password.size() < 12) return "a password has at least 12 characters";
  if (password.size() > 256) return "a password has at most 256 characters";
  return std::nullopt;
}

std::string random_hex(size_t bytes) { return hex_of(random_bytes(bytes)); }

std::string one_time_password() {
  static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";  // no i, l, o, 0, 1
  const std::string r = random_bytes(16);
  std::string out;
  for (unsigned char c : r) out += kAlphabet[c % (sizeof(kAlphabet) - 1)];
  return out;
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), digest, &len, EVP_sha256(), nullptr);
  return hex_of(std::string_view(reinterpret_cast<const char*>(digest), len));
}

std::string new_totp_secret() { return random_hex(20); }

std::string totp_base32(const std::string& secret_hex) {
  oath_ready();
  const std::string raw = bytes_of_hex(secret_hex);
  char* out = nullptr;
  size_t len = 0;
  if (oath_base32_encode(raw.data(), raw.size(), &out, &len) != OATH_OK) return "";
  std::string b32(out, len);
  std::free(out);
  while (!b32.empty() && b32.back() == '=') b32.pop_back();
  return b32;
}

std::string totp_uri(const std::string& secret_hex, const std::string& account, const std::string& issuer) {
  auto escaped = [](const std::string& s) {
    std::string out;
    for (unsigned char c : s)
      out += std::isalnum(c) || c == '-' || c == '.' || c == '_' ? std::string(1, static_cast<char>(c)) : fmt::format("%{:02X}", c);
    return out;
  };
  return fmt::format("otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={}&period={}", escaped(issuer),
                     escaped(account), totp_base32(secret_hex), escaped(issuer), kTotpDigits, kTotpStep);
}

std::optional<int64_t> totp_step(const std::string& secret_hex, const std::string& code, int64_t now) {
  oath_ready();
  if (code.size() != kTotpDigits || code.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const std::string raw = bytes_of_hex(secret_hex);
  int pos = 0;
  const int rc = oath_totp_validate2(raw.data(), raw.size(), static_cast<time_t>(now), kTotpStep, 0, 1, &pos, code.c_str());
  if (rc < 0) return std::nullopt;
  return now / kTotpStep + pos;
}

std::string totp_code(const std::string& secret_hex, int64_t now) {
  oath_ready();
  const std::string raw = bytes_of_hex(secret_hex);
  char otp[kTotpDigits + 1] = {};
  if (oath_totp_generate(raw.data(), raw.size(), static_cast<time_t>(now), kTotpStep, 0, kTotpDigits, otp) != OATH_OK)
    return "";
  return otp;
}

std::string cookie_in(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    const size_t end = std::min(header.find(';'), header.size());
    std::string_view pair = header.substr(0, end);
    header.remove_prefix(std::min(end + 1, header.size()));
    while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
    if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=')
      return std::string(pair.substr(name.size() + 1));
  }
  return std::string();
}

}  // namespace mutua::server
