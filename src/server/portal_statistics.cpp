// Charts where a person would rather look than read (beyond 4CP): the error rate of each envoi
// over the months against the 5 % threshold, the rejection codes met most often with their fix
// hints, the amounts paid per month and account; the first-time pass rate and the days from
// sending to payment. Drawn here as SVG (no script, readable by screen readers through each
// chart's title and the table of its figures beside it).
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include <fmt/format.h>

#include "mutua/catalog.h"
#include "server/portal.h"

namespace mutua::server {

namespace {

constexpr int kWidth = 720, kHeight = 260, kLeft = 76, kRight = 12, kTop = 12, kBottom = 40;

std::string svg_open(const std::string& id, const std::string& title) {
  return fmt::format(R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {} {}" role="img" aria-labelledby="{}-title" class="chart"><title id="{}-title">{}</title>)",
                     kWidth, kHeight, id, id, html_escaped_text(title));
}

// The y axis from 0 to `top` with four steps, labelled by `label`.
std::string y_axis(double top, const std::function<std::string(double)>& label) {
  std::string out;
  for (int i = 0; i <= 4; ++i) {
    const double v = top * i / 4, y = kHeight - kBottom - (kHeight - kTop - kBottom) * i / 4.0;
    out += fmt::format(R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" class="grid"/><text x="{}" y="{:.1f}" class="tick" text-anchor="end">{}</text>)",
                       kLeft, y, kWidth - kRight, y, kLeft - 6, y + 4, html_escaped_text(label(v)));
  }
  return out;
}

double nice_top(double max) {
  if (max <= 0) return 1;
  const double p = std::pow(10, std::floor(std::log10(max)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0})
    if (m * p >= max) return m * p;
  return 10 * p;
}

// Each envoi's error rate, in order of receipt, with the 5 % line above which an envoi is rejected.
std::string error_rate_chart(PageCall& page, const PortalJson& envois) {
  std::vector<std::pair<std::string, double>> points;
  for (const auto& e : envois) points.emplace_back(e.value("billed_month", ""), std::stod(e.value("error_rate", "0")));
  const double top = nice_top(std::max(6.0, points.empty() ? 0 : std::max_element(points.begin(), points.end(), [](auto& a, auto& b) {
                                                              return a.second < b.second;
                                                            })->second));
  std::string out = svg_open("rates", page.t("stats_rates"));
  out += y_axis(top, [&](double v) { return fmt::format("{:g} %", v); });
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto x_of = [&](size_t i) { return kLeft + (points.size() < 2 ? plot_w / 2 : plot_w * i / (points.size() - 1)); };
  auto y_of = [&](double v) { return kHeight - kBottom - plot_h * v / top; };
  out += fmt::format(R"(<line x1="{}" y1="{:.1f}" x2="{}" y2="{:.1f}" class="threshold"/><text x="{}" y="{:.1f}" class="tick" text-anchor="end">{}</text>)",
                     kLeft, y_of(5), kWidth - kRight, y_of(5), kWidth - kRight, y_of(5) - 4, html_escaped_text(page.t("stats_threshold")));
  std::string path;
  for (size_t i = 0; i < points.size(); ++i) path += fmt::format("{}{:.1f} {:.1f}", i ? " L" : "M", x_of(i), y_of(points[i].second));
  if (!path.empty()) out += fmt::format(R"(<path d="{}" class="line"/>)", path);
  std::string last_label;
  const size_t every = std::max<size_t>(1, points.size() / 8);
  for (size_t i = 0; i < points.size(); ++i) {
    out += fmt::format(R"(<circle cx="{:.1f}" cy="{:.1f}" r="3.5" class="{}"/>)", x_of(i), y_of(points[i].second),
                       points[i].second > 5 ? "dot over" : "dot");
    if (i % every == 0 && points[i].first != last_label) {
      out += fmt::format(R"(<text x="{:.1f}" y="{}" class="tick" text-anchor="middle">{}</text>)", x_of(i), kHeight - kBottom + 18,
                         html_escaped_text(month_text(points[i].first, page.lang)));
      last_label = points[i].first;
    }
  }
  return out + "</svg>";
}

// Bars, one per label (several series side by side).
std::string bar_chart(const std::string& id, const std::string& title, const std::vector<std::string>& labels,
                      const std::vector<std::vector<double>>& series, const std::function<std::string(double)>& tick) {
  double max = 0;
  for (const auto& s : series)
    for (double v : s) max = std::max(max, v);
  const double top = nice_top(max);
  std::string out = svg_open(id, title) + y_axis(top, tick);
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  const double slot = labels.empty() ? plot_w : plot_w / labels.size();
  const double bar = std::min(40.0, slot * 0.8 / std::max<size_t>(1, series.size()));
  for (size_t i = 0; i < labels.size(); ++i) {
    for (size_t s = 0; s < series.size(); ++s) {
      const double v = i < series[s].size() ? series[s][i] : 0, h = plot_h * v / top;
      const double x = kLeft + slot * i + (slot - bar * series.size()) / 2 + bar * s;
      out += fmt::format(R"(<rect x="{:.1f}" y="{:.1f}" width="{:.1f}" height="{:.1f}" class="bar s{}"/>)", x, kHeight - kBottom - h, bar, h, s);
    }
    out += fmt::format(R"(<text x="{:.1f}" y="{}" class="tick" text-anchor="middle">{}</text>)", kLeft + slot * i + slot / 2,
                       kHeight - kBottom + 18, html_escaped_text(labels[i]));
  }
  return out + "</svg>";
}

void statistics(PageCall& page) {
  if (!page.signed_in()) return;
  if (!page.has_module("submissions")) return page.show_error(403, page.t("error_no_module"));
  httplib::Params params;
  if (!page.field("provider").empty()) params.emplace("provider", page.field("provider"));
  PortalJson view = {{"provider", page.field("provider")}};
  auto a = page.api("GET", "/api/v1/statistics", params);
  if (a.status != 200 || !a.json.is_object()) {
    view["problem"] = a.status == 400 ? page.t("stats_which_provider") : page.t("error_title");
    if (a.json.is_object() && a.json.contains("error")) view["detail"] = a.json["error"].value("message", "");
    return page.show("statistics", view, page.t("title_statistics"), a.status == 400 ? 200 : a.status);
  }
  const auto& s = a.json;
  view["provider"] = s.value("provider", "");
  view["shown"] = true;
  const auto envois = s.value("envois", PortalJson::array());
  view["rates_chart"] = error_rate_chart(page, envois);
  PortalJson rates = PortalJson::array();
  for (const auto& e : envois)
    rates.push_back({{"number", e.value("number", 0)},
                     {"month", month_text(e.value("billed_month", ""), page.lang)},
                     {"status", page.t("status_" + e.value("status", ""))},
                     {"rate", e.value("error_rate", "0") + " %"},
                     {"href", fmt::format("/submissions/{}", e.value("id", 0))}});
  view["rates"] = rates;
  std::string pass = s.value("first_time_pass_rate", "0.00");
  if (page.lang != "en") std::replace(pass.begin(), pass.end(), '.', ',');
  view["pass_rate"] = pass + "\u00a0%";
  view["pass_detail"] = fmt::format(fmt::runtime(page.t("stats_pass_detail")), s.value("accepted_first_time", 0), s.value("envois_sent", 0));
  const auto delay = s.value("days_to_payment", PortalJson::object());
  view["days"] = delay.contains("median") ? fmt::format(fmt::runtime(page.t("stats_days_value")), delay["median"].get<int64_t>()) : "–";
  view["days_detail"] = fmt::format(fmt::runtime(page.t("stats_days_detail")), delay.value("count", 0),
                                    delay.contains("max") ? delay["max"].get<int64_t>() : 0);
  // Codes met most often.
  std::vector<std::string> code_labels;
  std::vector<double> code_counts;
  PortalJson codes = PortalJson::array();
  for (const auto& c : s.value("rejection_codes", PortalJson::array())) {
    code_labels.push_back(c.value("code", ""));
    code_counts.push_back(static_cast<double>(c.value("count", 0)));
    const std::string label = page.lang == "nl" ? c.value("label_nl", "") : c.value("label_fr", "");
    const std::string code = c.value("code", "");
    const std::string hint(Catalog::builtin().hint(code, page.lang));
    codes.push_back({{"code", c.value("code", "")},
                     {"count", number_text(c.value("count", 0), page.lang)},
                     {"label", label},
                     {"label_lang", page.lang == "nl" ? "nl" : "fr"},
                     {"hint", hint},
                     {"hint_foreign", page.lang != "en" && hint == Catalog::builtin().hint(code, "en")}});
  }
  view["codes"] = codes;
  view["has_codes"] = !codes.empty();
  if (!codes.empty())
    view["codes_chart"] = bar_chart("codes", page.t("stats_codes"), code_labels, {code_counts}, [&](double v) { return fmt::format("{:g}", v); });
  // Paid per month and account.
  std::map<std::string, std::pair<double, double>> by_month;
  for (const auto& p : s.value("paid", PortalJson::array())) {
    auto& m = by_month[p.value("month", "")];
    (p.value("account", "A") == "B" ? m.second : m.first) += static_cast<double>(p.value("paid_cents", 0)) / 100;
  }
  std::vector<std::string> months;
  std::vector<double> a_paid, b_paid;
  PortalJson paid = PortalJson::array();
  for (const auto& [month, ab] : by_month) {
    months.push_back(month_text(month, page.lang));
    a_paid.push_back(ab.first);
    b_paid.push_back(ab.second);
    paid.push_back({{"month", month_text(month, page.lang)},
                    {"a", money_text(static_cast<int64_t>(std::llround(ab.first * 100)), page.lang)},
                    {"b", money_text(static_cast<int64_t>(std::llround(ab.second * 100)), page.lang)}});
  }
  view["paid"] = paid;
  view["has_paid"] = !paid.empty();
  if (!paid.empty())
    view["paid_chart"] = bar_chart("paid", page.t("stats_paid"), months, {a_paid, b_paid},
                                   [&](double v) {
                                     // Whole euros on the axis: its steps are round.
                                     const std::string n = number_text(std::llround(v), page.lang);
                                     return page.lang == "en" ? "€" + n : page.lang == "nl" ? "€ " + n : n + " €";
                                   });
  page.show("statistics", view, page.t("title_statistics"));
}

}  // namespace

std::vector<PageRoute> statistics_pages() { return {{"GET", "/statistics", statistics}}; }

}  // namespace mutua::server
