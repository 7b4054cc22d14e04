// Signing in through the portal: password, then the one-time password changed, the second
// factor set up (a QR code for an authenticator app, or the secret to type) or given; signing
// out. Each step is the API's (docs/server.md "Signing in"); the pages carry its forms.
#include <qrencode.h>

#include <fmt/format.h>

#include "server/portal.h"

namespace mutua::server {

namespace {

// The page for the step the API says comes next.
std::string step_page(const std::string& next) {
  if (next == "change-password") return "/sign-in/password";
  if (next == "set-up-second-factor") return "/sign-in/set-up";
  if (next == "second-factor") return "/sign-in/code";
  return "/";
}

// The API's answer to a step: the next page, or this step's form again with what went wrong.
void after_step(PageCall& page, const ApiAnswer& a, const std::string& form, const std::string& title, PortalJson view) {
  if (a.status / 100 == 2) {
    for (const auto& [name, value] : a.headers)
      if (name == "Set-Cookie") page.res.set_header("Set-Cookie", value);
    return page.redirect(step_page(a.json.is_object() ? a.json.value("next", "ready") : "ready"));
  }
  std::string problem = a.status == 401 ? page.t("sign_in_wrong")
                        : a.status == 423 ? page.t("sign_in_locked")
                        : a.status == 429 ? page.t("sign_in_too_soon")
                                          : page.t("sign_in_refused");
  view["problem"] = problem;
  if (a.json.is_object() && a.json.contains("error") && a.status != 401)
    view["detail"] = a.json["error"].value("message", "");
  page.show(form, view, title, a.status == 401 || a.status == 423 ? a.status : 400);
}

// The otpauth:// address as a QR code, drawn as SVG squares (no image file, no script).
std::string qr_svg(const std::string& text) {
  QRcode* qr = QRcode_encodeString(text.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  if (!qr) return "";
  const int n = qr->width, quiet = 4, size = n + 2 * quiet;
  std::string path;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x)
      if (qr->data[y * n + x] & 1) path += fmt::format("M{} {}h1v1h-1z", x + quiet, y + quiet);
  QRcode_free(qr);
  return fmt::format(
      R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {0} {0}" width="220" height="220" role="img" aria-labelledby="qr-title"><title id="qr-title">QR</title><rect width="{0}" height="{0}" fill="#fff"/><path d="{1}" fill="#000"/></svg>)",
      size, path);
}

void sign_in_form(PageCall& page) { page.show("sign-in", PortalJson::object(), page.t("sign_in_title")); }

void sign_in(PageCall& page) {
  auto a = page.api("POST", "/api/v1/sessions", {}, {{"username", page.field("username")}, {"password", page.field("password")}});
  after_step(page, a, "sign-in", page.t("sign_in_title"), {{"username", page.field("username")}});
}

void password_form(PageCall& page) { page.show("password", PortalJson::object(), page.t("password_title")); }

void change_password(PageCall& page) {
  if (page.field("new") != page.field("again")) {
    return page.show("password", {{"problem", page.t("password_differ")}}, page.t("password_title"), 400);
  }
  auto a = page.api("POST", "/api/v1/me/password", {}, {{"current", page.field("current")}, {"new", page.field("new")}});
  if (a.status == 403) a.status = 401;  // the current password is wrong
  after_step(page, a, "password", page.t("password_title"), PortalJson::object());
}

void set_up_form(PageCall& page) { page.show("set-up", {{"start", true}}, page.t("set_up_title")); }

// Starts the app's set-up (a new secret each time until one is confirmed) and shows it.
void set_up_start(PageCall& page) {
  auto a = page.api("POST", "/api/v1/me/second-factor", {}, {{"method", "totp"}});
  if (a.status / 100 != 2 || !a.json.is_object()) return after_step(page, a, "set-up", page.t("set_up_title"), {{"start", true}});
  const std::string secret = a.json.value("secret", ""), uri = a.json.value("otpauth_uri", a.json.value("uri", ""));
  page.show("set-up", {{"secret", secret}, {"qr", qr_svg(uri)}, {"uri", uri}}, page.t("set_up_title"));
}

void set_up_confirm(PageCall& page) {
  auto a = page.api("POST", "/api/v1/me/second-factor/confirm", {}, {{"code", page.field("code")}});
  if (a.status == 400 || a.status == 403) a.status = 401;
  after_step(page, a, "set-up", page.t("set_up_title"), {{"start", true}});
}

void code_form(PageCall& page) { page.show("code", PortalJson::object(), page.t("code_title")); }

void give_code(PageCall& page) {
  auto a = page.api("POST", "/api/v1/sessions/current/second-factor", {}, {{"code", page.field("code")}});
  if (a.status == 400 || a.status == 403) a.status = 401;
  after_step(page, a, "code", page.t("code_title"), PortalJson::object());
}

void sign_out(PageCall& page) {
  auto a = page.api("DELETE", "/api/v1/sessions/current");
  for (const auto& [name, value] : a.headers)
    if (name == "Set-Cookie") page.res.set_header("Set-Cookie", value);
  page.redirect("/sign-in");
}

}  // namespace

std::vector<PageRoute> sign_in_pages() {
  return {
      {"GET", "/sign-in", sign_in_form},
      {"POST", "/sign-in", sign_in},
      {"GET", "/sign-in/password", password_form},
      {"POST", "/sign-in/password", change_password},
      {"GET", "/sign-in/set-up", set_up_form},
      {"POST", "/sign-in/set-up", set_up_start},
      {"POST", "/sign-in/set-up/confirm", set_up_confirm},
      {"GET", "/sign-in/code", code_form},
      {"POST", "/sign-in/code", give_code},
      {"POST", "/sign-out", sign_out},
  };
}

}  // namespace mutua::server
