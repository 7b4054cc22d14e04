// The payment letter's detail as an Excel workbook (libxlsxwriter): one sheet with the
// payment, one row per line with the provider's invoice numbers; amounts as numbers in euros.
#include <xlsxwriter.h>

#include <fmt/format.h>

#include "mutua/model/dates.h"
#include "mutua/settlement/letters.h"

namespace mutua::settlement {

Result<void> write_letter_xlsx(const Letter& l, const std::string& path) {
  lxw_workbook* wb = workbook_new(path.c_str());
  if (!wb) return fail({.code = "Z00602", .message = "cannot create the workbook", .file = path});
  lxw_worksheet* ws = workbook_add_worksheet(wb, l.language == "nl" ? "Betaling" : "Paiement");
  lxw_format* bold = workbook_add_format(wb);
  format_set_bold(bold);
  lxw_format* amount = workbook_add_format(wb);
  format_set_num_format(amount, "#,##0.00");
  const auto& p = l.payment;
  const bool nl = l.language == "nl";
  auto cents = [&](lxw_row_t r, lxw_col_t c, int64_t v) { worksheet_write_number(ws, r, c, static_cast<double>(v) / 100.0, amount); };
  // The payment, as on the letter.
  const std::vector<std::pair<std::string, std::string>> head = {
      {nl ? "Referentie" : "Référence", p.reference},
      {nl ? "Zending" : "Envoi", fmt::format("{:03d}{} {:02d}/{:04d}", l.envoi.number, p.complement ? "*" : "", l.envoi.month, l.envoi.year)},
      {"INAMI/RIZIV", p.third_party},
      {nl ? "Rekening" : "Compte", fmt::format("{} {}", p.account, p.iban)},
      {nl ? "Uitvoeringsdatum" : "Date d'exécution", model::iso(p.executed)}};
  lxw_row_t r = 0;
  for (const auto& [k, v] : head) {
    worksheet_write_string(ws, r, 0, k.c_str(), bold);
    worksheet_write_string(ws, r, 1, v.c_str(), nullptr);
    ++r;
  }
  const std::vector<std::pair<std::string, int64_t>> sums = {{nl ? "Aanvaard" : "Accepté", p.accepted_cents},
                                                             {nl ? "Gecompenseerd" : "Compensé", p.compensated_cents},
                                                             {nl ? "Betaald" : "Payé", p.paid_cents}};
  for (const auto& [k, v] : sums) {
    worksheet_write_string(ws, r, 0, k.c_str(), bold);
    cents(r, 1, v);
    ++r;
  }
  ++r;
  const std::vector<std::string> columns =
      nl ? std::vector<std::string>{"Factuur", "Record", "Lijnreferentie", "INSZ", "Code", "Datum", "Rekening", "Gefactureerd",
                                    "Aanvaard", "Geweigerd", "Status", "Codes"}
         : std::vector<std::string>{"Facture", "Enregistrement", "Référence ligne", "NISS", "Code", "Date", "Compte", "Facturé",
                                    "Accepté", "Refusé", "Statut", "Codes"};
  for (size_t c = 0; c < columns.size(); ++c) worksheet_write_string(ws, r, static_cast<lxw_col_t>(c), columns[c].c_str(), bold);
  const lxw_row_t first = ++r;
  for (const auto& x : l.lines) {
    worksheet_write_number(ws, r, 0, static_cast<double>(x.invoice), nullptr);
    worksheet_write_number(ws, r, 1, static_cast<double>(x.record), nullptr);
    worksheet_write_string(ws, r, 2, x.reference.c_str(), nullptr);
    worksheet_write_string(ws, r, 3, x.niss.c_str(), nullptr);
    worksheet_write_string(ws, r, 4, x.code.c_str(), nullptr);
    worksheet_write_string(ws, r, 5, model::iso(x.date).c_str(), nullptr);
    worksheet_write_string(ws, r, 6, std::string(1, x.account).c_str(), nullptr);
    cents(r, 7, x.asked);
    cents(r, 8, x.accepted);
    cents(r, 9, x.refused);
    worksheet_write_string(ws, r, 10, x.status.c_str(), nullptr);
    worksheet_write_string(ws, r, 11, x.codes.c_str(), nullptr);
    ++r;
  }
  if (r > first) worksheet_autofilter(ws, first - 1, 0, r - 1, static_cast<lxw_col_t>(columns.size() - 1));
  worksheet_set_column(ws, 0, 1, 12, nullptr);
  worksheet_set_column(ws, 2, 3, 16, nullptr);
  worksheet_set_column(ws, 11, 11, 60, nullptr);
  lxw_error e = workbook_close(wb);
  if (e != LXW_NO_ERROR)
    return fail({.code = "Z00602", .message = fmt::format("cannot write the workbook: {}", lxw_strerror(e)), .file = path});
  return {};
}

}  // namespace mutua::settlement
