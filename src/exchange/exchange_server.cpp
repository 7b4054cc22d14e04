// The exchange's HTTP API (docs/exchange.md): POST /exchange/v1/messages (post), GET
// /exchange/v1/messages (get), POST /exchange/v1/confirmations (confirm), each as a party known
// by its bearer token.
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <mutex>
#include <random>
#include <regex>
#include <set>

#include <fmt/format.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "exchange/mailbox.h"
#include "mutua/engine/adjudicate.h"
#include "mutua/exchange/exchange.h"
#include "mutua/layout.h"
#include "mutua/model/dates.h"
#include "mutua/response_reader.h"
#include "store/blobs.h"

namespace mutua::exchange {

using Json = nlohmann::json;

namespace {

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string base64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::optional<Environment> environment_of(const std::string& s) {
  if (s == "test") return Environment::Test;
  if (s == "production") return Environment::Production;
  return std::nullopt;
}

// A response's bytes with their last zone cut, as some funds send a 920999.
std::string cut_last_zone(std::string bytes) {
  size_t end = bytes.size();
  while (end > 0 && (bytes[end - 1] == '\n' || bytes[end - 1] == '\r')) --end;
  const std::string line_end = bytes.substr(end);
  const auto zones = Layout::builtin().zones(RecordKind::Et96);
  const size_t cut = zones.empty() ? 0 : std::min<size_t>(zones.back().len, end);
  return bytes.substr(0, end - cut) + line_end;
}

Json delivered_json(const Delivered& d) {
  Json j = {{"hash", d.hash},
            {"kind", d.kind == Delivered::Kind::Message ? "message" : "acknowledgement"},
            {"sender", d.sender},
            {"input_reference", d.input_reference},
            {"message_type", d.message_type},
            {"posted", d.posted}};
  if (d.kind == Delivered::Kind::Message) {
    j["reference"] = d.ack.reference;
    j["content"] = base64(d.content);
  } else {
    j["result"] = d.ack.success ? "success" : "failure";
    j["reason"] = d.ack.reason;
    j["reference"] = d.ack.reference;
    j["recipient"] = d.ack.recipient;
  }
  return j;
}

Json ack_json(const Acknowledgement& a) {
  return {{"result", a.success ? "success" : "failure"}, {"reason", a.reason},       {"input_reference", a.input_reference},
          {"reference", a.reference},                      {"recipient", a.recipient}, {"message_type", a.message_type}};
}

}  // namespace

Faults faults_at(uint64_t seed, double p) {
  Faults f;
  f.seed = seed;
  f.duplicate = f.reorder = f.drop_confirmation = f.delay = f.refuse_poll = f.cut_920999 = p;
  return f;
}

Result<std::string> add_party(const std::string& db, const Party& party) {
  static const std::regex provider_re(R"(\d{11})"), fund_re(R"(\d{3})");
  if (!std::regex_match(party.id, party.kind == PartyKind::Fund ? fund_re : provider_re))
    return fail({.code = "Z00224",
                 .message = party.kind == PartyKind::Fund ? "a fund is its union's three digits (e.g. 300)"
                                                          : "a provider is its INAMI number (11 digits)"});
  auto box = Mailbox::open(db);
  if (!box) return fail(box.error());
  unsigned char raw[32];
  if (RAND_bytes(raw, sizeof raw) != 1) return fail({.code = "Z00200", .message = "no random bytes for a token"});
  std::string token;
  for (unsigned char c : raw) token += fmt::format("{:02x}", c);
  if (auto r = (*box)->put_party(party, sha256_hex(token)); !r) return fail(r.error());
  return token;
}

struct Exchange::Impl {
  ExchangeOptions options;
  std::unique_ptr<Mailbox> box;
  httplib::Server http;
  int port = 0;
  int listening = -1;
  std::mutex luck_m;
  std::mt19937_64 luck;

  // Draws a fault with probability p (never when p is 0).
  bool fault(double p) {
    if (p <= 0) return false;
    std::lock_guard<std::mutex> lock(luck_m);
    return std::uniform_real_distribution<double>(0, 1)(luck) < p;
  }
  size_t pick(size_t n) {
    std::lock_guard<std::mutex> lock(luck_m);
    return std::uniform_int_distribution<size_t>(0, n - 1)(luck);
  }

  static void error(httplib::Response& res, int status, const std::string& code, const std::string& message) {
    res.status = status;
    res.set_content(Json{{"error", {{"status", status}, {"code", code}, {"message", message}}}}.dump(), "application/json");
  }

  std::optional<Party> who(const httplib::Request& req, httplib::Response& res) {
    const std::string auth = req.get_header_value("Authorization");
    if (auth.rfind("Bearer ", 0) != 0) {
      error(res, 401, "Z00220", "a bearer token is needed (mutua exchange party add)");
      return std::nullopt;
    }
    auto p = box->party_of_token(sha256_hex(auth.substr(7)));
    if (!p) {
      error(res, 500, p.error().code, p.error().message);
      return std::nullopt;
    }
    if (!*p) error(res, 401, "Z00220", "unknown token");
    return *p;
  }

  // What the exchange checks before it takes a message: who may send what to whom, in which
  // environment. A refusal is an acknowledgement with its reason, not an HTTP error.
  Acknowledgement judge(const Party& sender, Environment env, const std::string& recipient, const std::string& reference,
                        const std::shared_ptr<const std::string>& message) {
    const std::string& bytes = *message;
    Acknowledgement a;
    a.input_reference = reference;
    a.recipient = recipient;
    a.message_type = bytes.substr(0, std::min<size_t>(6, bytes.size()));
    auto refuse = [&](std::string why) {
      a.success = false;
      a.reason = std::move(why);
      return a;
    };
    auto exists = box->party_exists(recipient);
    if (!exists || !*exists) return refuse(fmt::format("no party '{}' on this exchange", recipient));
    if (bytes.size() < 67) return refuse("unreadable: shorter than a segment 200 (67 characters)");
    const std::string zone202 = bytes.substr(12, 2);
    if (zone202 != "12" && zone202 != "92")
      return refuse(fmt::format("segment 200 zone 202 (position 13) is '{}': 12 (production) or 92 (test)", zone202));
    const Environment file_env = zone202 == "92" ? Environment::Test : Environment::Production;
    if (file_env != env)
      return refuse(fmt::format("a {} message (segment 200 zone 202 = {}) posted to {}", environment_name(file_env), zone202,
                                environment_name(env)));
    if (a.message_type == "920000") {
      if (sender.kind != PartyKind::Provider) return refuse("a fund posts responses, not billing files (920000)");
      // Read, not checked: the fund checks what the exchange carries (and answers 920098 /
      // 920999 to what it finds).
      const auto got = engine::read_envoi(message, "input-" + reference);
      if (!got.parsed) return refuse("unreadable: " + got.unreadable.to_string());
      // A file cut or garbled so that it says neither who bills nor for which union cannot be
      // carried: the exchange refuses it here (the fund answers 920999 to what it can route).
      if (engine::federation_of(got).empty() || engine::sender_of(got).empty())
        return refuse("unreadable: no sending header (ET 10) and invoice (ET 20) say who bills which union");
      if (const auto fund = engine::federation_of(got); fund != recipient)
        return refuse(fmt::format("the file is addressed to union {}, posted to '{}'", fund, recipient));
      if (const auto third = engine::sender_of(got); third != sender.id)
        return refuse(fmt::format("the file bills for {} (ET 10 zone 14), posted by {}", third, sender.id));
      const std::string zone204 = bytes.substr(20, 14);
      if (zone204 != fmt::format("{:0>14}", reference))
        return refuse(fmt::format("segment 200 zone 204 is '{}', the input reference '{}'", zone204, reference));
    } else if (a.message_type == "931000" || a.message_type == "920098" || a.message_type == "920099" ||
               a.message_type == "920900" || a.message_type == "920999") {
      if (sender.kind != PartyKind::Fund) return refuse("a provider posts billing files (920000), not responses");
      auto r = read_response(bytes, "input-" + reference);
      if (!r) return refuse("unreadable: " + r.error().message);
    } else {
      return refuse(fmt::format("segment 200 zone 200 is '{}', no message this exchange carries", a.message_type));
    }
    a.success = true;
    return a;
  }

  void post(const httplib::Request& req, httplib::Response& res) {
    auto sender = who(req, res);
    if (!sender) return;
    const auto env = environment_of(req.get_param_value("environment"));
    if (!env) return error(res, 400, "Z00224", "environment is test or production");
    const std::string reference = req.get_param_value("input_reference"), recipient = req.get_param_value("recipient");
    static const std::regex reference_re(R"(\d{1,14})");
    if (!std::regex_match(reference, reference_re))
      return error(res, 400, "Z00224", "input_reference is the message's reference, 1 to 14 digits (segment 200 zone 204)");
    if (recipient.empty()) return error(res, 400, "Z00224", "recipient is a fund's union (300) or a provider's INAMI number");
    // The same reference again: the same answer, nothing stored twice.
    auto before = box->earlier_post(sender->id, *env, reference);
    if (!before) return error(res, 500, before.error().code, before.error().message);
    if (*before) {
      res.set_content(ack_json(**before).dump(), "application/json");
      return;
    }
    // A body sent as a zstd frame (Content-Encoding: zstd, as mutua's client sends) is read
    // unpacked and kept as it came; any other is packed to be kept. (gzip, deflate and br are
    // unpacked by the HTTP library before this, or refused by it.)
    const std::string encoding = req.get_header_value("Content-Encoding");
    static const std::set<std::string> kEncodings = {"", "identity", "zstd", "gzip", "deflate", "br"};
    if (!kEncodings.count(encoding))
      return error(res, 415, "Z00224", fmt::format("Content-Encoding {}: the exchange takes zstd, gzip or none", encoding));
    const bool zstd = encoding == "zstd";
    std::shared_ptr<const std::string> message;
    if (zstd) {
      const auto size = store::frame_size(req.body);
      if (!size) return error(res, 400, "Z00224", "Content-Encoding zstd: the body is no zstd frame saying its size");
      if (*size > options.max_message_bytes)
        return error(res, 413, "Z00224", fmt::format("the message unpacks to {} bytes, over the exchange's {}", *size,
                                                     options.max_message_bytes));
      auto raw = store::unpacked(req.body);
      if (!raw) return error(res, 400, "Z00224", "Content-Encoding zstd: " + raw.error().message);
      message = std::make_shared<const std::string>(std::move(*raw));
    } else {
      message = std::make_shared<const std::string>(req.body);
    }
    Acknowledgement ack = judge(*sender, *env, recipient, reference, message);
    const int64_t now = unix_now();
    store::Packed kept{nullptr, std::string_view()};  // only what is taken is kept
    if (ack.success && ack.message_type == "920999" && fault(options.faults.cut_920999)) {
      message = std::make_shared<const std::string>(cut_last_zone(*message));
      kept = store::packed(*message);
    } else if (ack.success) {
      kept = zstd ? store::Packed{nullptr, req.body} : store::packed(*message);
    }
    const int64_t visible = fault(options.faults.delay) ? now + options.faults.delay_seconds : now;
    {
      auto recorded = box->record_post(sender->id, *env, ack, kept.bytes, now, visible);
      if (!recorded) return error(res, 500, recorded.error().code, recorded.error().message);
      ack = *recorded;
    }
    res.status = 200;
    res.set_content(ack_json(ack).dump(), "application/json");
  }

  void get(const httplib::Request& req, httplib::Response& res) {
    auto party = who(req, res);
    if (!party) return;
    const auto env = environment_of(req.get_param_value("environment"));
    if (!env) return error(res, 400, "Z00224", "environment is test or production");
    int max = 100;
    if (req.has_param("max")) {
      const std::string m = req.get_param_value("max");
      if (m.empty() || m.size() > 6 || m.find_first_not_of("0123456789") != std::string::npos || (max = std::stoi(m)) < 1)
        return error(res, 400, "Z00224", "max is a number of items, at least 1");
    }
    max = std::min(max, options.max_per_get);
    if (fault(options.faults.refuse_poll)) return error(res, 503, "Z00231", "the exchange refused this get (fault mode)");
    const int64_t now = unix_now();
    if (auto ok = box->note_poll(party->id, *env, now, options.poll_interval_seconds); !ok) {
      if (ok.error().code == kNotEnoughTime) {
        res.set_header("Retry-After", std::to_string(options.poll_interval_seconds));
        return error(res, 429, kNotEnoughTime, ok.error().message);
      }
      return error(res, 500, ok.error().code, ok.error().message);
    }
    auto items = box->unconfirmed(party->id, *env, now, max);
    if (!items) return error(res, 500, items.error().code, items.error().message);
    if (!items->empty() && fault(options.faults.duplicate)) items->push_back((*items)[pick(items->size())]);
    if (items->size() > 1 && fault(options.faults.reorder)) {
      std::lock_guard<std::mutex> lock(luck_m);
      std::shuffle(items->begin(), items->end(), luck);
    }
    Json list = Json::array();
    for (const auto& d : *items) list.push_back(delivered_json(d));
    res.set_content(Json{{"environment", environment_name(*env)}, {"items", list}}.dump(), "application/json");
  }

  void confirm(const httplib::Request& req, httplib::Response& res) {
    auto party = who(req, res);
    if (!party) return;
    const Json body = Json::parse(req.body, nullptr, false);
    if (!body.is_object() || !body.contains("hashes") || !body["hashes"].is_array() || !body.contains("environment") ||
        !body["environment"].is_string())
      return error(res, 400, "Z00224", R"(the body is {"environment": "test"|"production", "hashes": [...]})");
    const auto env = environment_of(body["environment"].get<std::string>());
    if (!env) return error(res, 400, "Z00224", "environment is test or production");
    std::vector<std::string> hashes;
    for (const auto& h : body["hashes"]) {
      if (!h.is_string()) return error(res, 400, "Z00224", "hashes are strings");
      hashes.push_back(h.get<std::string>());
    }
    const size_t asked = hashes.size();
    if (!hashes.empty() && fault(options.faults.drop_confirmation)) hashes.erase(hashes.begin() + static_cast<std::ptrdiff_t>(pick(hashes.size())));
    auto n = box->confirm(party->id, *env, hashes);
    if (!n) return error(res, 500, n.error().code, n.error().message);
    // A dropped confirmation is answered as if it had been recorded: the party learns it at the
    // next get, as with the real service.
    res.set_content(Json{{"confirmed", asked == hashes.size() ? *n : *n + 1}}.dump(), "application/json");
  }
};

Exchange::Exchange(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Exchange::~Exchange() = default;

Result<std::unique_ptr<Exchange>> Exchange::open(const ExchangeOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->luck.seed(options.faults.seed);
  auto box = Mailbox::open(options.db);
  if (!box) return fail(box.error());
  impl->box = std::move(*box);
  auto& http = impl->http;
  Impl* self = impl.get();
  http.new_task_queue = [] { return new httplib::ThreadPool(16); };
  http.set_payload_max_length(options.max_message_bytes);
  http.set_keep_alive_max_count(1000);
  http.set_tcp_nodelay(true);
  http.set_socket_options([self](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    self->listening = sock;
  });
  http.set_default_headers({{"X-Content-Type-Options", "nosniff"}, {"Cache-Control", "no-store"}});
  http.Post("/exchange/v1/messages", [self](const httplib::Request& q, httplib::Response& r) { self->post(q, r); });
  http.Get("/exchange/v1/messages", [self](const httplib::Request& q, httplib::Response& r) { self->get(q, r); });
  http.Post("/exchange/v1/confirmations", [self](const httplib::Request& q, httplib::Response& r) { self->confirm(q, r); });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    Impl::error(res, 500, "Z00200", "internal error");
  });
  return std::unique_ptr<Exchange>(new Exchange(std::move(impl)));
}

Result<void> Exchange::bind() {
  auto& o = impl_->options;
  if (o.port == 0) {
    impl_->port = impl_->http.bind_to_any_port(o.host.c_str());
    if (impl_->port <= 0) return fail({.code = "Z00200", .message = "cannot listen on " + o.host});
  } else {
    if (!impl_->http.bind_to_port(o.host.c_str(), o.port))
      return fail({.code = "Z00200", .message = fmt::format("cannot listen on {}:{} (in use?)", o.host, o.port)});
    impl_->port = o.port;
  }
  // The backlog cpp-httplib gives (5) is too short for many parties at once (docs/performance.md).
  if (impl_->listening >= 0) ::listen(impl_->listening, 1024);
  return {};
}

int Exchange::port() const { return impl_->port; }
void Exchange::run() { impl_->http.listen_after_bind(); }
void Exchange::stop() { impl_->http.stop(); }

}  // namespace mutua::exchange
