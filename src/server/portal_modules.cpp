// The portal's modules (the 4CP source's, with their search keys and columns): each list page
// is data (ListSpec) over one list of the API, shown as a table with its search form, pages,
// and exports of every matching row to CSV and .xlsx (the API's own ?format=).
#include <algorithm>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "mutua/catalog.h"
#include "server/context.h"
#include "server/portal.h"

namespace mutua::server {

namespace {

struct Filter {
  std::string name;
  std::string kind = "text";  // text, month, date, number, select
  std::vector<std::string> options = {};
};

struct ListSpec {
  std::string path, module, api;
  std::vector<Filter> filters;
  std::vector<std::string> columns;
  std::string link_column = "", link = "";  // the cell of `link_column` links to `link` ({id}, {envoi})
  bool needs_search = false;                // the API answers only a search (one of the filters given)
  bool staff_only = false;
  std::string new_link = "";                // a page that makes a new one
};

const std::vector<ListSpec>& lists() {
  static const std::vector<ListSpec> l = {
      {"/submissions", "submissions", "/api/v1/envois",
       {{"number", "number"}, {"billed_month", "month"}, {"status", "select", {"accepted", "rejected", "refused"}}, {"provider", "number"}},
       {"number", "billed_month", "provider", "status", "received", "lines", "rejected_lines", "error_rate", "asked_cents",
        "accepted_cents", "refused_cents"},
       "number", "/submissions/{id}"},
      {"/payments", "payments", "/api/v1/payments",
       {{"reference"}, {"niss", "number"}, {"code", "number"}, {"date", "date"}, {"billed_month", "month"}, {"provider", "number"}},
       {"reference", "provider", "envoi_number", "billed_month", "account", "niss", "code", "date", "line_amount_cents", "accepted_cents",
        "paid_cents", "executed", "iban"},
       "envoi_number", "/submissions/{envoi}", true},
      {"/disputes", "disputes", "/api/v1/disputes",
       {{"state", "select", {"open", "under review", "settled", "closed"}}, {"provider", "number"}},
       {"id", "provider", "subject", "state", "opened", "ended", "payment_reference", "amount_cents"},
       "id", "/disputes/{id}", false, false, "/disputes/new"},
      {"/requests", "requests", "/api/v1/requests",
       {{"state", "select", {"open", "answered", "closed"}}, {"provider", "number"}},
       {"id", "provider", "subject", "state", "envoi", "record", "payment_reference", "niss", "opened", "updated"},
       "id", "/requests/{id}", false, false, "/requests/new"},
      {"/agreements", "agreements", "/api/v1/agreements",
       {{"niss", "number"}, {"code", "number"}, {"decision", "select", {"A", "N", "D", "O", "R", "none"}}, {"provider", "number"}},
       {"niss", "code", "requested_by", "decision", "decision_name", "request_date", "decision_date", "valid_from", "valid_to", "settled"},
       "code", "/agreements/{id}"},
      {"/care-pathways", "care-pathways", "/api/v1/care-pathways",
       {{"niss", "number"}, {"date", "date"}, {"closed", "select", {"false", "true"}}, {"provider", "number"}},
       {"niss", "type", "from", "to", "current", "last_billed", "lines_billed"}},
      {"/care-pathways/payments", "care-pathways", "/api/v1/care-pathways/payments",
       {{"year", "number"}, {"provider", "number"}},
       {"niss", "type", "code", "date", "amount_cents", "performed_by", "envoi_number", "invoice", "payment_reference", "executed"},
       "envoi_number", "/submissions/{envoi}"},
      // The provider's own book (mutua serve --books): from attestation to payment.
      {"/billing", "billing", "/api/v1/providers/{provider}/book/envois",
       {{"provider", "number"}},
       {"envoi_number", "union", "billed_month", "state", "reason", "lines", "rejected_lines", "accepted_cents", "paid_cents",
        "payment_references"}},
      {"/billing/attestations", "billing", "/api/v1/providers/{provider}/book/attestations",
       {{"state", "select", {"waiting", "batched", "sent", "accepted", "rejected", "to correct", "corrected", "archived", "paid"}},
        {"provider", "number"}},
       {"reference", "niss", "destination", "state", "reason", "amount_cents"}},
      {"/billing/to-correct", "billing", "/api/v1/providers/{provider}/book/to-correct",
       {{"provider", "number"}},
       {"envoi_number", "record", "niss", "nomenclature", "date", "code", "label", "comment", "hint"}},
      {"/billing/payments", "billing", "/api/v1/providers/{provider}/book/payments",
       {{"state", "select", {"matched", "complement", "unmatched", "finalised", "not billing"}}, {"provider", "number"}},
       {"id", "booked", "cents", "communication", "counterparty", "payment_reference", "envoi_number", "billed_month", "state", "reason"}},
      {"/registrations", "", "/api/v1/registrations",
       {{"state", "select", {"submitted", "validated", "refused"}}, {"provider", "number"}},
       {"id", "provider", "name", "email", "username", "state", "submitted", "decided"}, "id", "/registrations/{id}", false, true},
      {"/audit", "", "/api/v1/audit",
       {{"user"}, {"provider", "number"}, {"niss", "number"}, {"action"}, {"from", "date"}, {"to", "date"}},
       {"at", "user", "action", "resource", "provider", "niss", "status", "fund"}, "", "", false, true},
  };
  return l;
}

// A member as text, whatever its JSON type (numbers as digits); "" when absent or null.
std::string str_of(const PortalJson& j, const char* key) {
  if (!j.is_object()) return "";
  const auto at = j.find(key);
  if (at == j.end() || at->is_null()) return "";
  return at->is_string() ? at->get_ref<const std::string&>() : at->dump();
}

// True for true, a non-empty text other than "false", a non-zero number.
bool truthy(const PortalJson& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return false;
  const auto& v = j[key];
  if (v.is_boolean()) return v.get<bool>();
  if (v.is_string()) return !v.get<std::string>().empty() && v.get<std::string>() != "false";
  if (v.is_number()) return v.get<double>() != 0;
  return false;
}

bool is_date_column(const std::string& k) {
  static const std::set<std::string> dates = {"received", "executed", "opened", "updated", "ended", "submitted", "decided", "at", "date",
                                              "from", "to", "request_date", "decision_date", "valid_from", "valid_to", "last_billed"};
  return dates.count(k) > 0;
}

std::string rate_text(const std::string& rate, const std::string& lang) {
  std::string r = rate;
  if (lang != "en") std::replace(r.begin(), r.end(), '.', ',');
  return r + "\u00a0%";
}

// One cell as people read it in `lang`.
std::string cell_text(PageCall& page, const std::string& key, const PortalJson& v) {
  if (v.is_null()) return "";
  if (v.is_array()) {  // a list of texts (payment references)
    std::string out;
    for (const auto& x : v) out += (out.empty() ? "" : ", ") + (x.is_string() ? x.get<std::string>() : x.dump());
    return out;
  }
  if (key == "cents" && v.is_number()) return money_text(v.get<int64_t>(), page.lang);
  if (v.is_boolean()) return page.t(v.get<bool>() ? "value_yes" : "value_no");
  if (key.ends_with("_cents") && v.is_number()) return money_text(v.get<int64_t>(), page.lang);
  if (v.is_number_integer() && key != "number" && key != "id" && key != "envoi" && key != "envoi_number" && key != "record" &&
      key != "year" && key != "invoice")
    return number_text(v.get<int64_t>(), page.lang);
  if (!v.is_string()) return v.dump();
  const std::string s = v.get<std::string>();
  if (key == "billed_month") return month_text(s, page.lang);
  if (key == "error_rate") return rate_text(s, page.lang);
  if (is_date_column(key)) return date_text(s, page.lang);
  if (key == "status" || key == "state") {
    const std::string said = page.t("status_" + s);
    return said == "status_" + s ? s : said;
  }
  return s;
}

std::string filled(std::string pattern, const PortalJson& row) {
  for (const char* key : {"id", "envoi"}) {
    const std::string mark = std::string("{") + key + "}";
    if (auto at = pattern.find(mark); at != std::string::npos) {
      const auto& v = row.contains(key) ? row[key] : PortalJson();
      if (!v.is_number_integer() || v.get<int64_t>() <= 0) return "";
      pattern.replace(at, mark.size(), std::to_string(v.get<int64_t>()));
    }
  }
  return pattern;
}

// A code's description in the page's language, else another (the fund gives French and Dutch,
// mutua English for the codes it knows): the text and its language, or two empty texts.
std::pair<std::string, std::string> code_label_of(const PageCall& page, const PortalJson& item) {
  for (const std::string& l : {page.lang, std::string("fr"), std::string("nl"), std::string("en")})
    if (const std::string text = str_of(item, ("code_label_" + l).c_str()); !text.empty()) return {text, l};
  return {};
}

std::string query_of(const httplib::Params& params) {
  std::string q;
  for (const auto& [k, v] : params) q += (q.empty() ? "?" : "&") + httplib::detail::encode_query_param(k) + "=" + httplib::detail::encode_query_param(v);
  return q;
}

// A table of rows from the API (`items`), with its header labels in the page's language.
PortalJson table_of(PageCall& page, const std::vector<std::string>& columns, const PortalJson& items, const std::string& link_column,
                    const std::string& link) {
  PortalJson head = PortalJson::array(), rows = PortalJson::array();
  for (const auto& c : columns)
    head.push_back({{"label", page.t("col_" + c)}, {"numeric", c.ends_with("_cents") || c == "lines" || c == "rejected_lines" || c == "error_rate"}});
  for (const auto& item : items) {
    PortalJson cells = PortalJson::array();
    for (const auto& c : columns) {
      PortalJson v = item.contains(c) ? item[c] : PortalJson();
      // A code's label and fix hint in the page's language (the book gives FR, NL, and the
      // practice's own hint or the English one).
      if (c == "label") v = item.value(page.lang == "nl" ? "label_nl" : "label_fr", "");
      if (c == "hint" && item.contains("code") && item["code"].is_string()) {
        const std::string code = item["code"], given = v.is_string() ? v.get<std::string>() : "";
        if (given.empty() || given == Catalog::builtin().hint(code, "en")) v = std::string(Catalog::builtin().hint(code, page.lang));
      }
      std::string text = cell_text(page, c, v);
      if (c == "account" && truthy(item, "complement")) text += " *";  // a complement, marked as 4CP does
      if (c == "decision_name") text = page.t("decision_" + str_of(item, "decision"));  // what the code means, in words
      PortalJson cell = {{"text", text}, {"numeric", c.ends_with("_cents") || v.is_number()}};
      // The code's description over it, as 4CP shows it on hovering (and in full on its page).
      if (c == "code")
        if (const auto label = code_label_of(page, item); !label.first.empty()) cell["title"] = label.first;
      if (c == link_column && !link.empty()) {
        const std::string href = filled(link, item);
        if (!href.empty()) cell["href"] = href;
      }
      cells.push_back(cell);
    }
    rows.push_back({{"cells", cells}, {"unpaid", item.contains("paid") && item["paid"].is_boolean() && !item["paid"].get<bool>()}});
  }
  return {{"head", head}, {"rows", rows}};
}

void show_list(PageCall& page, const ListSpec& spec, const PortalJson& notice = nullptr) {
  if (!page.signed_in()) return;
  const std::string kind = page.me.value("kind", "");
  if (spec.staff_only ? kind == "provider" : !page.has_module(spec.module))
    return page.show_error(403, page.t("error_no_module"));
  httplib::Params params;
  PortalJson filters = PortalJson::array();
  bool searched = false;
  for (const auto& f : spec.filters) {
    const std::string v = page.field(f.name);
    if (!v.empty()) {
      params.emplace(f.name, v);
      searched = true;
    }
    PortalJson field = {{"name", f.name}, {"label", page.t("col_" + f.name)}, {"value", v}, {"type", f.kind == "select" ? "text" : f.kind}};
    if (f.kind == "month") field["type"] = "month";
    if (f.kind == "number") field["inputmode"] = "numeric";
    if (f.kind == "select") {
      PortalJson options = PortalJson::array();
      options.push_back({{"value", ""}, {"label", page.t("filter_any")}, {"selected", v.empty()}});
      for (const auto& o : f.options) {
        const std::string said = page.t("status_" + o);
        options.push_back({{"value", o}, {"label", said == "status_" + o ? o : said}, {"selected", o == v}});
      }
      field["options"] = options;
      field["select"] = true;
    }
    filters.push_back(field);
  }
  if (!page.field("fund").empty()) params.emplace("fund", page.field("fund"));
  PortalJson view = {{"filters", filters}, {"action", spec.path}, {"intro", page.t("intro_" + spec.path.substr(1))}};
  if (!spec.new_link.empty()) {
    view["new_link"] = spec.new_link;
    view["new_label"] = page.t("new_" + spec.path.substr(1));
  }
  if (notice.is_object()) view["notice"] = notice;
  const std::string title = page.t("title_" + spec.path.substr(1));
  if (spec.needs_search && !searched) {
    view["ask"] = true;
    return page.show("list", view, title);
  }
  // A list of one provider's own (its book): the provider asked, else the one acted for, else
  // one's only provider with the module.
  std::string api_path = spec.api;
  if (auto at = api_path.find("{provider}"); at != std::string::npos) {
    const std::string provider = page.own_provider();
    if (provider.empty()) {
      view["problem"] = page.t("stats_which_provider");
      return page.show("list", view, title);
    }
    api_path.replace(at, 10, provider);
    params.erase("provider");
    view["book_provider"] = provider;
  }
  if (spec.module == "billing") {
    PortalJson tabs = PortalJson::array();
    for (const char* p : {"/billing", "/billing/attestations", "/billing/to-correct", "/billing/payments"})
      tabs.push_back({{"href", p}, {"label", page.t(std::string("title_") + (p + 1))}, {"current", spec.path == p}});
    view["tabs"] = tabs;
    view["has_tabs"] = true;
    view["upload_attestations"] = spec.path == "/billing/attestations";
    view["upload_statement"] = spec.path == "/billing/payments";
  }
  httplib::Params exports = params;
  const std::string page_no = page.field("page").empty() ? "1" : page.field("page");
  params.emplace("page", page_no);
  params.emplace("per_page", "50");
  auto a = page.api("GET", api_path, params);
  if (a.status != 200 || !a.json.is_object()) {
    // What the search lacks or may not see, as the API says it (in English, marked so).
    view["problem"] = a.status == 400 ? page.t("list_ask") : a.status == 403 ? page.t("error_no_module") : page.t("error_title");
    if (a.json.is_object() && a.json.contains("error")) view["detail"] = str_of(a.json["error"], "message");
    return page.show("list", view, title, a.status == 400 ? 200 : a.status);
  }
  const int64_t total = a.json.value("total", 0), at = a.json.value("page", 1), per = a.json.value("per_page", 50);
  view["table"] = table_of(page, spec.columns, a.json["items"], spec.link_column, spec.link);
  view["table"]["caption"] = title;
  view["total"] = fmt::format(fmt::runtime(page.t("list_total")), number_text(total, page.lang));
  view["empty"] = total == 0;
  httplib::Params here = exports;
  if (at > 1) {
    here.emplace("page", std::to_string(at - 1));
    view["previous"] = spec.path + query_of(here);
  }
  here = exports;
  if (at * per < total) {
    here.emplace("page", std::to_string(at + 1));
    view["next"] = spec.path + query_of(here);
  }
  httplib::Params csv = exports, xlsx = exports;
  csv.emplace("format", "csv");
  xlsx.emplace("format", "xlsx");
  view["csv"] = api_path + query_of(csv);
  view["xlsx"] = api_path + query_of(xlsx);
  page.show("list", view, title);
}

// A code's label in the page's language: the official list has French and Dutch; German and
// English pages show the French label, marked as French for screen readers (docs/portal.md).
// A text as the template's data: "" is false, as data_of says ({{#comment}} shows nothing then).
kainjow::mustache::data text(const std::string& t) { return t.empty() ? kainjow::mustache::data(false) : kainjow::mustache::data(t); }

kainjow::mustache::data code_data(PageCall& page, const PortalJson& c) {
  using Data = kainjow::mustache::data;
  const std::string code = str_of(c, "code");
  std::string label = str_of(c, page.lang == "nl" ? "label_nl" : "label_fr");
  std::string label_lang = page.lang == "nl" ? "nl" : "fr";
  if (page.lang == "en") {
    if (auto en = Catalog::builtin().label(code, "en"); !en.empty() && en != Catalog::builtin().label(code, "fr")) {
      label = std::string(en);
      label_lang = "en";
    }
  }
  // The fix hint in the page's language (data/codes/hints.tsv), English where it has none.
  const std::string hint(Catalog::builtin().hint(code, page.lang));
  Data d(Data::type::object);
  d["code"] = text(code);
  d["type"] = text(str_of(c, "type"));
  d["label"] = text(label);
  d["label_lang"] = text(label_lang);
  d["foreign"] = Data(label_lang != page.lang);
  d["comment"] = text(str_of(c, "comment"));
  d["hint"] = text(hint);
  d["hint_foreign"] = Data(page.lang != "en" && hint == Catalog::builtin().hint(code, "en"));
  return d;
}

void show_envoi(PageCall& page) {
  if (!page.signed_in()) return;
  const std::string id = page.req.matches[1];
  auto e = page.api("GET", "/api/v1/envois/" + id);
  if (e.status != 200) return page.show_error(e.status, page.t("envoi_missing"), e.json);
  const auto& j = e.json;
  PortalJson facts = PortalJson::array();
  for (const char* k : {"number", "billed_month", "provider", "status", "received", "file", "lines", "rejected_lines", "error_rate",
                        "asked_cents", "accepted_cents", "refused_cents"})
    facts.push_back({{"label", page.t(std::string("col_") + k)}, {"text", cell_text(page, k, j.contains(k) ? j[k] : PortalJson())}});
  PortalJson responses = PortalJson::array();
  for (const auto& m : j.value("responses", PortalJson::array()))
    if (m.is_string())
      responses.push_back({{"message", m}, {"href", fmt::format("/api/v1/envois/{}/responses/{}?format=efact", id, m.get<std::string>())}});
  PortalJson view = {{"facts", facts}, {"responses", responses}, {"id", id}};
  const std::string title = fmt::format(fmt::runtime(page.t("envoi_title")), str_of(j, "number"), month_text(str_of(j, "billed_month"), page.lang));
  std::optional<kainjow::mustache::data> lines_data;
  if (page.has_module("settlements")) {
    const std::string status = page.field("status").empty() ? "rejected" : page.field("status");
    const std::string page_no = page.field("page").empty() ? "1" : page.field("page");
    httplib::Params params = {{"status", status}, {"per_page", "50"}, {"page", page_no}};
    auto lines = page.api("GET", "/api/v1/envois/" + id + "/lines", params);
    if (lines.status == 200 && lines.json.is_object()) {
      // The lines go straight into the template's data (Data), not through a JSON view first.
      using Data = kainjow::mustache::data;
      Data rows(Data::type::list);
      size_t shown = 0;
      const bool may_ask = page.has_module("requests");
      static const PortalJson no_codes = PortalJson::array(), no_insurability = PortalJson::object();
      for (const auto& l : lines.json["items"]) {
        Data codes(Data::type::list);
        const auto c_at = l.find("codes"), i_at = l.find("insurability");
        for (const auto& c : c_at != l.end() ? *c_at : no_codes) codes.push_back(code_data(page, c));
        const PortalJson& ins = i_at != l.end() && i_at->is_object() ? *i_at : no_insurability;
        const std::string reason = str_of(ins, "reason");
        const std::string insured =
            truthy(ins, "insured")
                ? fmt::format("{} ({} {}/{})", page.t("value_insured"), str_of(ins, "mutuality"), str_of(ins, "ct1"), str_of(ins, "ct2"))
                : page.t("value_not_insured") + (reason.empty() ? "" : ": " + reason);
        const int64_t amount = l.contains("amount_cents") && l["amount_cents"].is_number_integer() ? l["amount_cents"].get<int64_t>() : 0;
        Data row(Data::type::object);
        row.set("record", text(str_of(l, "record")));
        row.set("niss", text(str_of(l, "niss")));
        row.set("code", text(str_of(l, "code")));
        row.set("date", text(date_text(str_of(l, "date"), page.lang)));
        row.set("invoice", text(str_of(l, "invoice")));
        row.set("amount", text(money_text(amount, page.lang)));
        row.set("insurability", text(insured));
        row["codes"] = std::move(codes);  // moved: the library's set() and push_back() copy whole trees
        row.set("ask", text(may_ask ? fmt::format("/requests/new?envoi={}&record={}&niss={}", id, str_of(l, "record"), str_of(l, "niss")) : ""));
        rows.push_back(row);
        ++shown;
      }
      lines_data = std::move(rows);
      view["has_lines"] = true;
      view["lines_total"] = fmt::format(fmt::runtime(page.t("list_total")), number_text(lines.json.value("total", 0), page.lang));
      view["no_lines"] = shown == 0;
      PortalJson tabs = PortalJson::array();
      for (const char* s : {"rejected", "accepted", "pending"})
        tabs.push_back({{"href", fmt::format("/submissions/{}?status={}", id, s)}, {"label", page.t(std::string("status_") + s)}, {"current", status == s}});
      view["tabs"] = tabs;
      view["lines_csv"] = fmt::format("/api/v1/envois/{}/lines?status={}&format=csv", id, status);
      view["lines_xlsx"] = fmt::format("/api/v1/envois/{}/lines?status={}&format=xlsx", id, status);
      const int64_t at = lines.json.value("page", 1), per = lines.json.value("per_page", 50), total = lines.json.value("total", 0);
      if (at > 1) view["lines_previous"] = fmt::format("/submissions/{}?status={}&page={}#lines", id, status, at - 1);
      if (at * per < total) view["lines_next"] = fmt::format("/submissions/{}?status={}&page={}#lines", id, status, at + 1);
    }
  }
  page.show("envoi", view, title, 200, [&](kainjow::mustache::data& d) {
    if (lines_data) d["lines"] = std::move(*lines_data);
  });
}

// An advisor agreement: its decisions, and the lines it settled with the payment of each (4CP:
// "click the line to see the payment detail"); the code's description in full.
void show_agreement(PageCall& page) {
  if (!page.signed_in()) return;
  const std::string id = page.req.matches[1];
  auto a = page.api("GET", "/api/v1/agreements/" + id);
  if (a.status != 200 || !a.json.is_object()) return page.show_error(a.status == 200 ? 500 : a.status, page.t("agreement_missing"), a.json);
  const auto& j = a.json;
  PortalJson facts = PortalJson::array();
  auto fact = [&](const char* key, const std::string& text) { facts.push_back({{"label", page.t(std::string("col_") + key)}, {"text", text}}); };
  fact("niss", str_of(j, "niss"));
  fact("requested_by", str_of(j, "requested_by"));
  fact("decision", page.t("decision_" + str_of(j, "decision")));
  for (const char* k : {"request_date", "decision_date", "valid_from", "valid_to"}) fact(k, date_text(str_of(j, k), page.lang));
  if (const auto stay = j.find("stay"); stay != j.end() && stay->is_object())
    fact("stay", fmt::format("{} · {} – {}", str_of(*stay, "establishment"), date_text(str_of(*stay, "admission"), page.lang),
                             date_text(str_of(*stay, "discharge"), page.lang)));
  PortalJson events = PortalJson::array();
  if (const auto ev = j.find("events"); ev != j.end() && ev->is_array())
    for (const auto& e : *ev)
      events.push_back({{"date", date_text(str_of(e, "date"), page.lang)},
                        {"decision", page.t("decision_" + str_of(e, "decision"))},
                        {"note", str_of(e, "note")},
                        {"by", str_of(e, "by")}});
  static const std::vector<std::string> columns = {"envoi_number", "invoice", "date", "amount_cents", "account", "state", "payment_reference"};
  PortalJson head = PortalJson::array(), lines = PortalJson::array();
  for (const auto& c : columns) head.push_back({{"label", page.t("col_" + c)}, {"numeric", c.ends_with("_cents")}});
  if (const auto ls = j.find("lines"); ls != j.end() && ls->is_array())
    for (const auto& l : *ls) {
      PortalJson cells = PortalJson::array();
      const std::string reference = str_of(l, "payment_reference");
      for (const auto& c : columns) {
        const auto at = l.find(c);
        std::string text = cell_text(page, c, at != l.end() ? *at : PortalJson());
        if (c == "account" && truthy(l, "complement")) text += " *";
        PortalJson cell = {{"text", text}, {"numeric", c.ends_with("_cents")}};
        if (c == "envoi_number" && l.contains("reception")) cell["href"] = fmt::format("/submissions/{}", str_of(l, "reception"));
        if (c == "payment_reference" && !reference.empty())
          cell["href"] = "/payments?reference=" + httplib::detail::encode_query_param(reference);
        cells.push_back(std::move(cell));
      }
      lines.push_back({{"cells", cells}, {"unpaid", reference.empty()}});
    }
  const auto label = code_label_of(page, j);
  PortalJson view = {{"code", str_of(j, "code")}, {"niss", str_of(j, "niss")}, {"facts", facts}, {"events", events},
                     {"no_events", events.empty()}, {"head", head}, {"lines", lines}, {"no_lines", lines.empty()},
                     {"code_label", label.first}, {"code_label_lang", label.second}};
  page.show("agreement", view, fmt::format(fmt::runtime(page.t("agreement_title")), id, str_of(j, "code")));
}

// Rejections: found by envoi number and billed month (the 4CP search keys), then the envoi's page.
void show_settlements(PageCall& page) {
  if (!page.signed_in()) return;
  if (!page.has_module("settlements")) return page.show_error(403, page.t("error_no_module"));
  const std::string number = page.field("number"), month = page.field("billed_month");
  PortalJson view = {{"number", number}, {"billed_month", month}};
  if (!number.empty() || !month.empty()) {
    httplib::Params params = {{"per_page", "50"}};
    if (!number.empty()) params.emplace("number", number);
    if (!month.empty()) params.emplace("billed_month", month);
    auto a = page.api("GET", "/api/v1/envois", params);
    if (a.status == 200 && a.json.is_object()) {
      if (a.json.value("total", 0) == 1) return page.redirect(fmt::format("/submissions/{}", a.json["items"][0].value("id", 0)));
      view["table"] = table_of(page, {"number", "billed_month", "provider", "status", "lines", "rejected_lines", "error_rate"}, a.json["items"],
                               "number", "/submissions/{id}");
      view["table"]["caption"] = page.t("title_settlements");
      view["empty"] = a.json.value("total", 0) == 0;
    } else {
      view["problem"] = a.json.is_object() && a.json.contains("error") ? a.json["error"].value("message", "") : page.t("error_title");
    }
  }
  page.show("settlements", view, page.t("title_settlements"));
}

// One patient's insurability on a day (the module's single consultation).
void show_insurability(PageCall& page) {
  if (!page.signed_in()) return;
  if (!page.has_module("insurability")) return page.show_error(403, page.t("error_no_module"));
  PortalJson view = {{"niss", page.field("niss")}, {"date", page.field("date")}, {"provider", page.field("provider")}};
  if (page.req.method == "POST") {
    PortalJson body = {{"niss", page.field("niss")}, {"date", page.field("date")}};
    if (!page.field("provider").empty()) body["provider"] = page.field("provider");
    auto a = page.api("POST", "/api/v1/insurability", {}, body);
    if (a.status == 200 && a.json.is_object()) {
      PortalJson facts = PortalJson::array();
      for (const auto& [k, v] : a.json.items())
        if (!v.is_object() && !v.is_array()) facts.push_back({{"label", page.t("col_" + k)}, {"text", cell_text(page, k, v)}});
      view["facts"] = facts;
      view["has_facts"] = true;
    } else {
      view["problem"] = a.json.is_object() && a.json.contains("error") ? a.json["error"].value("message", "") : page.t("error_title");
    }
  }
  page.show("insurability", view, page.t("title_insurability"));
}

// Attestations marked by hand in the book (corrected: taken again by the next batch; archived:
// given up, with why), or a bank credit finalised by hand (paid for this envoi or these
// attestations, or not billing at all).
void book_mark(PageCall& page, const ListSpec& spec, const std::string& what) {
  if (!page.signed_in()) return;
  if (!page.has_module("billing")) return page.show_error(403, page.t("error_no_module"));
  const std::string provider = page.own_provider();
  if (provider.empty()) return show_list(page, spec);
  std::vector<std::string> refs;
  {
    std::string all = page.field("references"), one;
    for (char& c : all)
      if (c == ',' || c == ';' || c == '\n' || c == '\r' || c == '\t') c = ' ';
    std::istringstream in(all);
    while (in >> one) refs.push_back(one);
  }
  ApiAnswer a;
  if (what == "mark") {
    a = page.api("POST", fmt::format("/api/v1/providers/{}/book/attestations/mark", provider), {},
                 {{"references", refs}, {"state", page.field("state")}, {"reason", page.field("reason")}});
  } else {
    const std::string line = page.field("line");
    if (line.empty() || line.size() > 18 || line.find_first_not_of("0123456789") != std::string::npos)
      return show_list(page, spec, {{"problem", true}, {"text", page.t("people_refused")}});
    PortalJson body = {{"note", page.field("note")}, {"not_billing", page.field("not_billing") == "true"}};
    if (!page.field("envoi").empty()) body["envoi"] = page.field("envoi");
    if (!refs.empty()) body["attestations"] = refs;
    a = page.api("POST", fmt::format("/api/v1/providers/{}/book/payments/{}/finalise", provider, line), {}, body);
  }
  if (a.status != 200)
    return show_list(page, spec, {{"problem", true}, {"text", page.t("people_refused")},
                                  {"detail", a.json.is_object() && a.json.contains("error") ? a.json["error"].value("message", "") : ""}});
  show_list(page, spec, {{"problem", false}, {"text", what == "mark" ? fmt::format(fmt::runtime(page.t("book_marked")), a.json.value("marked", 0))
                                                                    : page.t("book_finalised")}});
}

// A file into the provider's book: attestations (JSON, as docs/provider.md describes them) or a
// bank statement (CODA or CSV) to reconcile; what was taken is said above the list.
void book_upload(PageCall& page, const ListSpec& spec, const std::string& what) {
  if (!page.signed_in()) return;
  if (!page.has_module("billing")) return page.show_error(403, page.t("error_no_module"));
  const std::string provider = page.own_provider();
  if (provider.empty()) return show_list(page, spec);
  const auto file = page.req.has_file("file") ? page.req.get_file_value("file") : httplib::MultipartFormData{};
  httplib::Params params;
  if (what == "statements") params.emplace("name", file.filename.empty() ? "statement" : file.filename);
  auto a = page.api_raw(fmt::format("/api/v1/providers/{}/book/{}", provider, what), params, file.content,
                        what == "attestations" ? "application/json" : "text/plain");
  PortalJson notice = {{"problem", a.status / 100 != 2}};
  std::string text;
  if (a.json.is_object() && a.json.contains("error")) {
    text = page.t("request_refused");
    notice["detail"] = a.json["error"].value("message", "");
  } else if (a.json.is_object()) {
    for (const auto& [k, v] : a.json.items())
      if (v.is_number_integer()) text += (text.empty() ? "" : " · ") + page.t("book_" + k) + " " + number_text(v.get<int64_t>(), page.lang);
    std::string problems;
    for (const auto& e : a.json.value("problems", PortalJson::array()))
      problems += (problems.empty() ? "" : "; ") + e.value("message", "");
    if (!problems.empty()) notice["detail"] = problems;
  }
  notice["text"] = text;
  show_list(page, spec, notice);
}

void show_home(PageCall& page) {
  if (!page.signed_in()) return;
  PortalJson cards = PortalJson::array();
  for (const auto& m : page.modules())
    cards.push_back({{"href", "/" + m}, {"title", page.t("module_" + m)}, {"about", page.t("about_" + m)}});
  PortalJson view = {{"cards", cards}, {"name", page.me.value("name", page.me.value("username", ""))}};
  view["no_modules"] = cards.empty();
  page.show("home", view, page.t("nav_home"));
}

}  // namespace

std::vector<PageRoute> module_pages() {
  std::vector<PageRoute> out = {
      {"GET", "/", show_home},
      {"GET", R"(/submissions/(\d{1,18}))", show_envoi},
      {"GET", "/settlements", show_settlements},
      {"GET", R"(/agreements/(\d{1,18}))", show_agreement},
      {"GET", "/insurability", show_insurability},
      {"POST", "/insurability", show_insurability},
  };
  for (const auto& spec : lists()) {
    out.push_back({"GET", spec.path, [&spec](PageCall& page) { show_list(page, spec); }});
    if (spec.path == "/billing/attestations")
      out.push_back({"POST", spec.path, [&spec](PageCall& page) { book_upload(page, spec, "attestations"); }});
    if (spec.path == "/billing/payments")
      out.push_back({"POST", spec.path, [&spec](PageCall& page) { book_upload(page, spec, "statements"); }});
    if (spec.path == "/billing/attestations")
      out.push_back({"POST", "/billing/attestations/mark", [&spec](PageCall& page) { book_mark(page, spec, "mark"); }});
    if (spec.path == "/billing/payments")
      out.push_back({"POST", "/billing/payments/finalise", [&spec](PageCall& page) { book_mark(page, spec, "finalise"); }});
  }
  return out;
}

}  // namespace mutua::server
