#include "mutua/settlement/pain001.h"

#include <fmt/format.h>

#include "mutua/model/dates.h"

namespace mutua::settlement {

std::string sepa_text(std::string_view s, size_t max) {
  static const std::string_view allowed = "/-?:().,'+ ";
  std::string out;
  for (size_t i = 0; i < s.size() && out.size() < max; ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      allowed.find(static_cast<char>(c)) != std::string_view::npos;
      out += ok ? static_cast<char>(c) : c == '&' ? '+' : ' ';
      continue;
    }
    // Two-byte UTF-8 Latin-1 letters lose their accent; other characters become a space.
    if (c == 0xC3 && i + 1 < s.size()) {
      unsigned char d = static_cast<unsigned char>(s[++i]);
      static const char* map = "AAAAAAACEEEEIIIIDNOOOOO OUUUUY saaaaaaaceeeeiiiidnooooo ouuuuy y";
      out += d >= 0x80 && d <= 0xBF ? map[d - 0x80] : ' ';
      continue;
    }
    while (i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xC0) == 0x80) ++i;
    out += ' ';
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

namespace {

std::string amount(int64_t cents) { return fmt::format("{}.{:02d}", cents / 100, cents % 100); }

}  // namespace

std::string write_pain001(const Config& config, const model::PaymentRun& run, const std::vector<CreditTransfer>& transfers) {
  const bool v09 = config.pain_version == "001.001.09";
  const char* bic_tag = v09 ? "BICFI" : "BIC";
  int64_t total = 0;
  for (const auto& t : transfers) total += t.cents;
  const std::string msg_id = sepa_text("MUTUA-" + run.key, 35);
  // The run's date, not the clock: the same run gives the same bytes.
  const std::string created = model::iso(run.date) + "T00:00:00";
  const std::string execution = model::iso(run.execution);
  std::string x;
  x.reserve(600 + transfers.size() * 700);
  x += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += fmt::format("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:pain.{}\" "
                   "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\n",
                   config.pain_version);
  x += "  <CstmrCdtTrfInitn>\n    <GrpHdr>\n";
  x += fmt::format("      <MsgId>{}</MsgId>\n      <CreDtTm>{}</CreDtTm>\n", msg_id, created);
  x += fmt::format("      <NbOfTxs>{}</NbOfTxs>\n      <CtrlSum>{}</CtrlSum>\n", transfers.size(), amount(total));
  x += fmt::format("      <InitgPty>\n        <Nm>{}</Nm>\n", sepa_text(config.initiating_party, 70));
  if (!config.initiating_id.empty())
    x += fmt::format("        <Id>\n          <OrgId>\n            <Othr>\n              <Id>{}</Id>\n            </Othr>\n"
                     "          </OrgId>\n        </Id>\n",
                     sepa_text(config.initiating_id, 35));
  x += "      </InitgPty>\n    </GrpHdr>\n    <PmtInf>\n";
  x += fmt::format("      <PmtInfId>{}</PmtInfId>\n      <PmtMtd>TRF</PmtMtd>\n      <BtchBookg>false</BtchBookg>\n",
                   sepa_text(msg_id + "-1", 35));
  x += fmt::format("      <NbOfTxs>{}</NbOfTxs>\n      <CtrlSum>{}</CtrlSum>\n", transfers.size(), amount(total));
  x += "      <PmtTpInf>\n        <SvcLvl>\n          <Cd>SEPA</Cd>\n        </SvcLvl>\n      </PmtTpInf>\n";
  x += v09 ? fmt::format("      <ReqdExctnDt>\n        <Dt>{}</Dt>\n      </ReqdExctnDt>\n", execution)
           : fmt::format("      <ReqdExctnDt>{}</ReqdExctnDt>\n", execution);
  x += fmt::format("      <Dbtr>\n        <Nm>{}</Nm>\n      </Dbtr>\n", sepa_text(config.fund_name, 70));
  x += fmt::format("      <DbtrAcct>\n        <Id>\n          <IBAN>{}</IBAN>\n        </Id>\n      </DbtrAcct>\n",
                   config.fund_iban);
  x += fmt::format("      <DbtrAgt>\n        <FinInstnId>\n          <{0}>{1}</{0}>\n        </FinInstnId>\n      </DbtrAgt>\n",
                   bic_tag, config.fund_bic);
  x += "      <ChrgBr>SLEV</ChrgBr>\n";
  for (const auto& t : transfers) {
    x += "      <CdtTrfTxInf>\n";
    x += fmt::format("        <PmtId>\n          <EndToEndId>{}</EndToEndId>\n        </PmtId>\n", t.end_to_end);
    x += fmt::format("        <Amt>\n          <InstdAmt Ccy=\"EUR\">{}</InstdAmt>\n        </Amt>\n", amount(t.cents));
    if (!t.bic.empty())
      x += fmt::format("        <CdtrAgt>\n          <FinInstnId>\n            <{0}>{1}</{0}>\n          </FinInstnId>\n"
                       "        </CdtrAgt>\n",
                       bic_tag, t.bic);
    x += fmt::format("        <Cdtr>\n          <Nm>{}</Nm>\n        </Cdtr>\n", sepa_text(t.creditor, 70));
    x += fmt::format("        <CdtrAcct>\n          <Id>\n            <IBAN>{}</IBAN>\n          </Id>\n        </CdtrAcct>\n",
                     t.iban);
    x += fmt::format("        <RmtInf>\n          <Ustrd>{}</Ustrd>\n        </RmtInf>\n", sepa_text(t.remittance, 140));
    x += "      </CdtTrfTxInf>\n";
  }
  x += "    </PmtInf>\n  </CstmrCdtTrfInitn>\n</Document>\n";
  return x;
}

}  // namespace mutua::settlement
