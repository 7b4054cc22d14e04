// The last step of the line rules: ET 30 / 40 lines get their record type's own codes
// (data/rules/record-type-codes.tsv). Every row of the table, on an ET 30, an ET 40 and an
// ET 50 line: the ET 50 code a family gave becomes the ET 30 / 40 code, or stays when the table
// has none; an ET 50 line keeps it. The rules themselves fire in the scenarios
// (tests/scenarios/records3040.scn for ET 30 / 40, the others for ET 50).
#include <gtest/gtest.h>

#include "format/embedded.h"
#include "mutua/tsv.h"
#include "mutua/catalog.h"
#include "rules/lines/adjudication.h"

namespace mutua {
namespace {

TEST(RecordTypeCodes, EveryRowOfTheTableGivesTheRecordTypesOwnCode) {
  auto table = format::parse_table(embedded::record_type_codes(), '\t');
  const int c50 = table.column("code_50"), c30 = table.column("code_30"), c40 = table.column("code_40");
  ASSERT_GE(c50, 0);
  ASSERT_GE(table.rows.size(), 40u);
  rules::Envoi e;
  for (RecordKind kind : {RecordKind::Et30, RecordKind::Et40, RecordKind::Et50}) {
    rules::Line l;
    l.record = e.lines.size();
    l.kind = kind;
    e.lines.push_back(l);
  }
  model::RefData empty;
  model::RefIndex ref(empty);
  for (const auto& row : table.rows) {
    const std::string& code = row[static_cast<size_t>(c50)];
    rules::Verdicts verdicts;
    verdicts.by_record.resize(3);
    for (size_t r = 0; r < 3; ++r) verdicts.add(r, code, "test");
    rules::Context ctx{e, ref, rules::RuleData::builtin(), verdicts, 20261123, std::vector<bool>(3, false)};
    rules::apply_record_type_codes(ctx);
    const std::string& want30 = row[static_cast<size_t>(c30)] == "-" ? code : row[static_cast<size_t>(c30)];
    const std::string& want40 = row[static_cast<size_t>(c40)] == "-" ? code : row[static_cast<size_t>(c40)];
    EXPECT_EQ(verdicts.by_record[0].at(0).code, want30) << code;
    EXPECT_EQ(verdicts.by_record[1].at(0).code, want40) << code;
    EXPECT_EQ(verdicts.by_record[2].at(0).code, code);
    // The verdict keeps the type letter it was given: the table must pair codes of one letter.
    for (size_t r = 0; r < 2; ++r) {
      const CodeInfo* info = Catalog::builtin().find(verdicts.by_record[r][0].code);
      ASSERT_NE(info, nullptr) << verdicts.by_record[r][0].code;
      EXPECT_EQ(info->type, verdicts.by_record[r][0].type) << verdicts.by_record[r][0].code;
    }
  }
}

TEST(RecordTypeCodes, APendingEt30Or40LineIsPendingNotRejected) {
  rules::Verdicts verdicts;
  verdicts.by_record.resize(3);
  verdicts.add(0, "300434", "agreements");
  verdicts.add(1, "400434", "agreements");
  verdicts.add(2, "300420", "nomenclature");
  EXPECT_TRUE(verdicts.pending(0));
  EXPECT_TRUE(verdicts.pending(1));
  EXPECT_FALSE(verdicts.rejected(0));
  EXPECT_FALSE(verdicts.rejected(1));
  EXPECT_TRUE(verdicts.rejected(2));
  EXPECT_FALSE(verdicts.pending(2));
}

}  // namespace
}  // namespace mutua
