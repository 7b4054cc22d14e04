// The payment letter as PDF, drawn with cairo (A4, DejaVu Sans): header, payment, summary,
// one row per invoice, then every line not paid with its codes and comments, whole (wrapped).
// Pages break as needed.
#include <cairo-pdf.h>
#include <cairo.h>

#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "mutua/settlement/letters.h"
#include "mutua/settlement/payment_run.h"

namespace mutua::settlement {

namespace {

constexpr double kWidth = 595.28, kHeight = 841.89, kMargin = 48;

// The letter's words in French and Dutch.
const std::map<std::string, std::pair<const char*, const char*>>& words() {
  static const std::map<std::string, std::pair<const char*, const char*>> w = {
      {"title", {"Avis de paiement", "Betalingsbericht"}},
      {"complement", {"Paiement complémentaire", "Aanvullende betaling"}},
      {"provider", {"Prestataire", "Zorgverlener"}},
      {"payment", {"Paiement", "Betaling"}},
      {"reference", {"Référence", "Referentie"}},
      {"statement", {"Sur l'extrait de compte", "Op het rekeninguittreksel"}},
      {"account", {"Compte", "Rekening"}},
      {"executed", {"Date d'exécution", "Uitvoeringsdatum"}},
      {"envoi", {"Envoi", "Zending"}},
      {"received", {"reçu le", "ontvangen op"}},
      {"asked", {"Montant facturé", "Gefactureerd bedrag"}},
      {"accepted", {"Montant accepté", "Aanvaard bedrag"}},
      {"refused", {"Montant refusé", "Geweigerd bedrag"}},
      {"pending", {"En attente du médecin-conseil", "In afwachting van de adviserend arts"}},
      {"regularisation", {"Régularisation", "Regularisatie"}},
      {"paid", {"Montant payé", "Betaald bedrag"}},
      {"no_transfer", {"aucun virement (tout est compensé)", "geen overschrijving (alles gecompenseerd)"}},
      {"invoices", {"Par facture", "Per factuur"}},
      {"invoice", {"Facture", "Factuur"}},
      {"patient", {"Patient (NISS)", "Patiënt (INSZ)"}},
      {"lines", {"Lignes", "Lijnen"}},
      {"not_paid", {"Lignes non payées et leurs codes", "Niet betaalde lijnen en hun codes"}},
      {"record", {"Enr.", "Rec."}},
      {"code", {"Code", "Code"}},
      {"date", {"Date", "Datum"}},
      {"amount", {"Montant", "Bedrag"}},
      {"none_refused", {"Toutes les lignes sont payées.", "Alle lijnen zijn betaald."}},
      {"lines_removed", {"Le détail des lignes n'est plus conservé (délai de conservation de 3 ans plus l'année en cours).",
                         "De details van de lijnen worden niet meer bewaard (bewaartermijn van 3 jaar plus het lopende jaar)."}},
      {"page", {"page", "pagina"}},
      {"account_A", {"A (fédéral)", "A (federaal)"}},
      {"account_B", {"B (conseil médical / groupement)", "B (medische raad / groepering)"}},
  };
  return w;
}

std::string money(int64_t cents) {
  // 1.234,56 EUR, as Belgian letters write it.
  const bool neg = cents < 0;
  uint64_t v = static_cast<uint64_t>(neg ? -cents : cents);
  std::string whole = std::to_string(v / 100), grouped;
  for (size_t i = 0; i < whole.size(); ++i) {
    if (i && (whole.size() - i) % 3 == 0) grouped += '.';
    grouped += whole[i];
  }
  return fmt::format("{}{},{:02d} EUR", neg ? "-" : "", grouped, v % 100);
}

class Pdf {
 public:
  Pdf(const std::string& path, std::string language) : language_(std::move(language)) {
    surface_ = cairo_pdf_surface_create(path.c_str(), kWidth, kHeight);
    cr_ = cairo_create(surface_);
    y_ = kMargin;
  }
  ~Pdf() {
    cairo_destroy(cr_);
    cairo_surface_destroy(surface_);
  }
  std::string w(const std::string& key) const {
    auto it = words().find(key);
    if (it == words().end()) return key;
    return language_ == "nl" ? it->second.second : it->second.first;
  }
  void font(double size, bool bold) {
    cairo_select_font_face(cr_, "DejaVu Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr_, size);
  }
  double width(const std::string& s) {
    cairo_text_extents_t e;
    cairo_text_extents(cr_, s.c_str(), &e);
    return e.x_advance;
  }
  // Text cut to `max` points wide, with an ellipsis.
  std::string fit(std::string s, double max) {
    if (width(s) <= max) return s;
    while (!s.empty() && width(s + "…") > max) {
      s.pop_back();
      while (!s.empty() && (static_cast<unsigned char>(s.back()) & 0xC0) == 0x80) s.pop_back();  // whole UTF-8 characters
      if (!s.empty() && static_cast<unsigned char>(s.back()) >= 0xC0) s.pop_back();
    }
    return s + "…";
  }
  // Text broken at spaces into lines at most `max` points wide (a word wider than a line is
  // cut with an ellipsis), so that a rejection's comment is read whole.
  std::vector<std::string> wrap(const std::string& s, double max) {
    std::vector<std::string> lines;
    std::string line;
    size_t at = 0;
    while (at < s.size()) {
      size_t end = s.find(' ', at);
      if (end == std::string::npos) end = s.size();
      const std::string word = s.substr(at, end - at);
      at = end + 1;
      if (word.empty()) continue;
      if (!line.empty() && width(line + " " + word) <= max) {
        line += " " + word;
        continue;
      }
      if (!line.empty()) lines.push_back(std::move(line));
      line = fit(word, max);
    }
    if (!line.empty()) lines.push_back(std::move(line));
    return lines;
  }
  void text(double x, const std::string& s) {
    cairo_move_to(cr_, x, y_);
    cairo_show_text(cr_, s.c_str());
  }
  void right(double x, const std::string& s) { text(x - width(s), s); }
  void rule(double thickness = 0.5) {
    cairo_set_line_width(cr_, thickness);
    cairo_move_to(cr_, kMargin, y_);
    cairo_line_to(cr_, kWidth - kMargin, y_);
    cairo_stroke(cr_);
  }
  void shade(double height) {
    cairo_set_source_rgb(cr_, 0.92, 0.94, 0.97);
    cairo_rectangle(cr_, kMargin, y_ - height + 3, kWidth - 2 * kMargin, height);
    cairo_fill(cr_);
    cairo_set_source_rgb(cr_, 0, 0, 0);
  }
  // Moves down; starts a new page when the next `need` points do not fit.
  void down(double dy, double need = 0) {
    y_ += dy;
    if (y_ + need > kHeight - kMargin - 20) new_page();
  }
  void new_page() {
    footer();
    cairo_show_page(cr_);
    ++page_;
    y_ = kMargin;
  }
  void footer() {
    const double keep = y_;
    y_ = kHeight - kMargin + 10;
    font(7.5, false);
    right(kWidth - kMargin, fmt::format("{} {}", w("page"), page_));
    text(kMargin, footer_);
    y_ = keep;
  }
  void set_footer(std::string f) { footer_ = std::move(f); }
  Result<void> finish(const std::string& path) {
    footer();
    cairo_show_page(cr_);
    cairo_surface_finish(surface_);
    if (cairo_surface_status(surface_) != CAIRO_STATUS_SUCCESS)
      return fail({.code = "Z00602",
                   .message = fmt::format("cannot write the letter: {}", cairo_status_to_string(cairo_surface_status(surface_))),
                   .file = path});
    return {};
  }
  double y() const { return y_; }

 private:
  cairo_surface_t* surface_;
  cairo_t* cr_;
  std::string language_, footer_;
  double y_;
  int page_ = 1;
};

}  // namespace

Result<void> write_letter_pdf(const Letter& l, const std::string& path) {
  Pdf pdf(path, l.language);
  const auto& p = l.payment;
  const bool nl = l.language == "nl";
  const double right = kWidth - kMargin;
  const std::string envoi = fmt::format("{:03d}{} {:02d}/{:04d}", l.envoi.number, p.complement ? "*" : "", l.envoi.month, l.envoi.year);
  pdf.set_footer(fmt::format("{} · {} {} · INAMI/RIZIV {}", l.fund_name, pdf.w("envoi"), envoi, p.third_party));

  // Header: the fund, the title, the date.
  pdf.font(15, true);
  pdf.text(kMargin, l.fund_name);
  pdf.font(13, true);
  pdf.right(right, p.complement ? pdf.w("complement") : pdf.w("title"));
  pdf.down(16);
  pdf.font(9, false);
  pdf.right(right, nl ? model::iso(l.run_date) : model::dmy(l.run_date));
  pdf.down(26);

  // Provider and payment, side by side.
  const double col2 = kWidth / 2 + 10;
  pdf.font(8, true);
  pdf.text(kMargin, pdf.w("provider"));
  pdf.text(col2, pdf.w("payment"));
  pdf.down(13);
  pdf.font(10, true);
  pdf.text(kMargin, l.provider_name.empty() ? "INAMI/RIZIV " + p.third_party : l.provider_name);
  pdf.font(9.5, false);
  pdf.text(col2, fmt::format("{}: {}", pdf.w("reference"), p.reference.empty() ? "-" : p.reference));
  pdf.down(13);
  pdf.text(kMargin, "INAMI/RIZIV " + p.third_party);
  pdf.text(col2, p.reference.empty() ? pdf.w("no_transfer")
                                     : fmt::format("{}: {}", pdf.w("statement"), statement_reference(p.year, p.sequence)));
  pdf.down(13);
  pdf.text(kMargin, fmt::format("{} {} ({} {})", pdf.w("envoi"), envoi, pdf.w("received"),
                                nl ? model::iso(l.envoi.received) : model::dmy(l.envoi.received)));
  pdf.text(col2, fmt::format("{} {}: {}", pdf.w("account"), pdf.w(std::string("account_") + p.account), p.iban));
  pdf.down(13);
  pdf.text(col2, fmt::format("{}: {}", pdf.w("executed"), nl ? model::iso(p.executed) : model::dmy(p.executed)));
  pdf.down(24);

  // Summary: asked, accepted, refused, pending, each regularisation, paid.
  auto row = [&](const std::string& label, int64_t cents, bool bold = false) {
    pdf.font(9.5, bold);
    pdf.text(kMargin + 6, label);
    pdf.right(right - 6, money(cents));
    pdf.down(14);
  };
  pdf.rule(0.8);
  pdf.down(14);
  row(pdf.w("asked"), l.asked);
  row(pdf.w("accepted"), p.accepted_cents);
  if (l.refused) row(pdf.w("refused"), l.refused);
  if (l.pending) row(pdf.w("pending"), l.pending);
  for (const auto& s : l.set_off)
    row(pdf.fit(fmt::format("{} {}: {}", pdf.w("regularisation"), s.regularisation_id, s.reason), 330), -s.cents);
  pdf.down(-10);
  pdf.rule(0.5);
  pdf.down(14);
  row(pdf.w("paid"), p.paid_cents, true);
  pdf.down(14);

  if (l.lines_removed) {
    pdf.font(9.5, false);
    pdf.text(kMargin, pdf.fit(pdf.w("lines_removed"), right - kMargin));
    pdf.down(14);
  }

  // Per invoice.
  struct Sum {
    std::string niss;
    int64_t lines = 0, asked = 0, accepted = 0, refused = 0;
  };
  std::map<uint64_t, Sum> invoices;
  for (const auto& x : l.lines) {
    auto& s = invoices[x.invoice];
    s.niss = x.niss;
    ++s.lines;
    s.asked += x.asked;
    s.accepted += x.accepted;
    s.refused += x.refused;
  }
  const double c_niss = kMargin + 80, c_lines = kMargin + 230, c_asked = kMargin + 320, c_acc = kMargin + 410, c_ref = right - 6;
  pdf.font(11, true);
  pdf.text(kMargin, pdf.w("invoices"));
  pdf.down(16);
  auto invoice_header = [&] {
    pdf.shade(13);
    pdf.font(8, true);
    pdf.text(kMargin + 6, pdf.w("invoice"));
    pdf.text(c_niss, pdf.w("patient"));
    pdf.right(c_lines, pdf.w("lines"));
    pdf.right(c_asked, pdf.w("asked"));
    pdf.right(c_acc, pdf.w("accepted"));
    pdf.right(c_ref, pdf.w("refused"));
    pdf.down(14);
  };
  invoice_header();
  for (const auto& [number, s] : invoices) {
    pdf.font(8.5, false);
    pdf.text(kMargin + 6, std::to_string(number));
    pdf.text(c_niss, s.niss);
    pdf.right(c_lines, std::to_string(s.lines));
    pdf.right(c_asked, money(s.asked));
    pdf.right(c_acc, money(s.accepted));
    pdf.right(c_ref, money(s.refused));
    const double before = pdf.y();
    pdf.down(12, 12);
    if (pdf.y() < before) invoice_header();
  }
  pdf.down(14, 40);

  // Lines not paid, with what to correct.
  pdf.font(11, true);
  pdf.text(kMargin, pdf.w("not_paid"));
  pdf.down(16);
  bool any = false;
  for (const auto& x : l.lines) {
    if (x.status == "accepted" || x.status == "approved") continue;
    if (!any) {
      pdf.shade(13);
      pdf.font(8, true);
      pdf.text(kMargin + 6, pdf.w("invoice"));
      pdf.text(kMargin + 60, pdf.w("record"));
      pdf.text(kMargin + 100, pdf.w("patient"));
      pdf.text(kMargin + 190, pdf.w("code"));
      pdf.text(kMargin + 240, pdf.w("date"));
      pdf.right(c_ref, pdf.w("amount"));
      pdf.down(14);
    }
    any = true;
    pdf.font(8.5, false);
    pdf.text(kMargin + 6, std::to_string(x.invoice));
    pdf.text(kMargin + 60, std::to_string(x.record));
    pdf.text(kMargin + 100, x.niss);
    pdf.text(kMargin + 190, x.code);
    pdf.text(kMargin + 240, nl ? model::iso(x.date) : model::dmy(x.date));
    pdf.right(c_ref, money(x.asked));
    pdf.down(11);
    pdf.font(7.5, false);
    const auto lines = pdf.wrap((x.status == "pending" ? pdf.w("pending") + ": " : std::string()) + x.codes, right - kMargin - 24);
    for (size_t i = 0; i < lines.size(); ++i) {
      pdf.text(kMargin + 18, lines[i]);
      if (i + 1 < lines.size()) pdf.down(9.5, 12);
    }
    pdf.down(13, 26);
  }
  if (!any) {
    pdf.font(9, false);
    pdf.text(kMargin + 6, pdf.w("none_refused"));
  }
  return pdf.finish(path);
}

}  // namespace mutua::settlement
