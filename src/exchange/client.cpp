// The HTTP client of mutua's exchange (exchange_server.cpp is the other end).
#include <openssl/evp.h>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "mutua/exchange/transport.h"
#include "store/blobs.h"

namespace mutua::exchange {

namespace {

using Json = nlohmann::json;

Result<std::string> from_base64(const std::string& text) {
  if (text.size() % 4 != 0) return fail({.code = "Z00232", .message = "the exchange sent content that is not base64"});
  std::string out(text.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return fail({.code = "Z00232", .message = "the exchange sent content that is not base64"});
  size_t size = static_cast<size_t>(n);
  // EVP_DecodeBlock counts the padding as zero bytes.
  for (size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --size;
  out.resize(size);
  return out;
}

Acknowledgement ack_of(const Json& j) {
  Acknowledgement a;
  a.success = j.value("result", "") == "success";
  a.reason = j.value("reason", "");
  a.input_reference = j.value("input_reference", "");
  a.reference = j.value("reference", "");
  a.recipient = j.value("recipient", "");
  a.message_type = j.value("message_type", "");
  return a;
}

class HttpExchange final : public Transport {
 public:
  HttpExchange(const std::string& url, std::string token) : http_(url), token_(std::move(token)) {
    http_.set_connection_timeout(10, 0);
    http_.set_read_timeout(120, 0);
    http_.set_write_timeout(120, 0);
  }

  Result<Acknowledgement> post(Environment env, const std::string& recipient, const std::string& input_reference,
                               const std::string& content) override {
    // Packed on the wire: the exchange reads it unpacked and keeps the frame as it came.
    const store::Packed packed = store::packed(content);
    return send(env, recipient, input_reference, packed.bytes, packed.owned != nullptr);
  }

  Result<Acknowledgement> post_packed(Environment env, const std::string& recipient, const std::string& input_reference,
                                      const std::string& frame) override {
    if (!store::frame_size(frame)) return Transport::post_packed(env, recipient, input_reference, frame);  // not a frame
    return send(env, recipient, input_reference, frame, true);
  }

  Result<std::vector<Delivered>> get(Environment env, int max) override {
    auto r = http_.Get(fmt::format("/exchange/v1/messages?environment={}&max={}", environment_name(env), max).c_str(), headers());
    auto body = answer(r, "get");
    if (!body) return fail(body.error());
    std::vector<Delivered> out;
    for (const auto& i : (*body)["items"]) {
      Delivered d;
      d.kind = i.value("kind", "") == "acknowledgement" ? Delivered::Kind::Acknowledgement : Delivered::Kind::Message;
      d.hash = i.value("hash", "");
      d.sender = i.value("sender", "");
      d.input_reference = i.value("input_reference", "");
      d.message_type = i.value("message_type", "");
      d.posted = i.value("posted", int64_t{0});
      if (d.kind == Delivered::Kind::Message) {
        auto bytes = from_base64(i.value("content", ""));
        if (!bytes) return fail(bytes.error());
        d.content = std::move(*bytes);
        d.ack.reference = i.value("reference", "");
      } else {
        d.ack = ack_of(i);
        d.ack.input_reference = d.input_reference;
        d.ack.message_type = d.message_type;
      }
      out.push_back(std::move(d));
    }
    return out;
  }

  Result<int64_t> confirm(Environment env, const std::vector<std::string>& hashes) override {
    const Json body = {{"environment", environment_name(env)}, {"hashes", hashes}};
    auto r = http_.Post("/exchange/v1/confirmations", headers(), body.dump(), "application/json");
    auto answered = answer(r, "confirm");
    if (!answered) return fail(answered.error());
    return answered->value("confirmed", int64_t{0});
  }

 private:
  httplib::Headers headers() const { return {{"Authorization", "Bearer " + token_}}; }

  Result<Acknowledgement> send(Environment env, const std::string& recipient, const std::string& input_reference,
                               std::string_view body, bool zstd) {
    auto digits = [](const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; };
    if (!digits(recipient) || !digits(input_reference))
      return fail({.code = "Z00224", .message = "a recipient (union or INAMI number) and an input reference are digits"});
    const std::string path = fmt::format("/exchange/v1/messages?environment={}&recipient={}&input_reference={}",
                                         environment_name(env), recipient, input_reference);
    httplib::Headers h = headers();
    if (zstd) h.emplace("Content-Encoding", "zstd");
    auto r = http_.Post(path.c_str(), h, body.data(), body.size(), "application/octet-stream");
    auto answered = answer(r, "post");
    if (!answered) return fail(answered.error());
    return ack_of(*answered);
  }

  Result<Json> answer(const httplib::Result& r, const char* what) {
    if (!r) return fail({.code = "Z00233", .message = fmt::format("the exchange did not answer the {} ({})", what, httplib::to_string(r.error()))});
    Json body = Json::parse(r->body, nullptr, false);
    if (r->status != 200) {
      const std::string code = body.is_object() && body.contains("error") ? body["error"].value("code", "Z00233") : "Z00233";
      const std::string message = body.is_object() && body.contains("error") ? body["error"].value("message", "") : r->body;
      return fail({.code = code, .message = fmt::format("the exchange refused the {} ({}): {}", what, r->status, message)});
    }
    if (!body.is_object()) return fail({.code = "Z00233", .message = fmt::format("the exchange's answer to the {} is no JSON", what)});
    return body;
  }

  httplib::Client http_;
  std::string token_;
};

}  // namespace

Result<Acknowledgement> Transport::post_packed(Environment env, const std::string& recipient, const std::string& input_reference,
                                               const std::string& frame) {
  auto bytes = store::unpacked(frame);
  if (!bytes) return fail(bytes.error());
  return post(env, recipient, input_reference, *bytes);
}

std::unique_ptr<Transport> exchange_client(const std::string& url, const std::string& token) {
  return std::make_unique<HttpExchange>(url, token);
}

}  // namespace mutua::exchange
