// What signing in rests on: passwords hashed with argon2id, TOTP second factors (liboath,
// RFC 6238: 30-second steps, 6 digits), random tokens, and their SHA-256 for the store.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mutua/error.h"

namespace mutua::server {

// argon2id, encoded with its salt and parameters (19 MiB, 2 passes: OWASP's minimum).
Result<std::string> hash_password(const std::string& password);
bool password_matches(const std::string& encoded, const std::string& password);
// At least 12 characters; a person's password and a one-time one alike.
std::optional<std::string> weak_password(const std::string& password);

// `bytes` random bytes as lowercase hex (getrandom).
std::string random_hex(size_t bytes);
// A one-time password a person can type: 16 letters and digits without look-alikes.
std::string one_time_password();
std::string sha256_hex(const std::string& text);
// The value of cookie `name` in a Cookie header ("a=1; b=2"), "" when it has none.
std::string cookie_in(std::string_view header, std::string_view name);

// A new TOTP secret (20 random bytes), hex as the store keeps it.
std::string new_totp_secret();
// The secret as an authenticator app takes it (base32), and its otpauth:// address.
std::string totp_base32(const std::string& secret_hex);
std::string totp_uri(const std::string& secret_hex, const std::string& account, const std::string& issuer);
// The time step of `code` when it is valid at `now` (one step of drift either way), or none.
std::optional<int64_t> totp_step(const std::string& secret_hex, const std::string& code, int64_t now);
// The code of a step (tests; a provider's software that holds the secret).
std::string totp_code(const std::string& secret_hex, int64_t now);

}  // namespace mutua::server
