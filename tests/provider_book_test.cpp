// The provider's book on a real SQLite file: attestations imported from CSV and JSON, what is
// wrong in them said where it is, the rest kept.
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "baseline.h"
#include "mutua/provider/book.h"

namespace fs = std::filesystem;

namespace {

std::unique_ptr<mutua::provider::Book> fresh_book(const std::string& name) {
  const std::string path = mutua::testing::temp_path(name + ".db");
  fs::remove(path);
  auto b = mutua::provider::Book::open(path);
  EXPECT_TRUE(b) << b.error().message;
  return b ? std::move(*b) : nullptr;
}

std::string write(const std::string& name, const std::string& text) {
  const std::string path = mutua::testing::temp_path(name);
  std::ofstream(path) << text;
  return path;
}

}  // namespace

TEST(ProviderBook, AttestationsFromJsonAreTheSameAsFromCsv) {
  auto csv_book = fresh_book("book-csv");
  auto json_book = fresh_book("book-json");
  ASSERT_TRUE(csv_book && json_book);
  const std::string csv = write("att.csv",
                                "attestation,niss,affiliation,destination,ct1,ct2,sex,date,code,amount_cents,units,prescriber,"
                                "prescription_date,performer,commitment,commitment_date\n"
                                "N-1,85073003328,319,319,110,110,1,2026-10-05,425014,4210,1,19012345004,2026-09-30,,,\n"
                                "N-1,85073003328,319,319,110,110,1,2026-10-06,425014,4210,1,19012345004,2026-09-30,,,\n"
                                "N-2,90010100123,306,306,111,111,2,2026-10-07,101010,2700,1,,,,123456789012,2026-10-01\n");
  const std::string json = write("att.json", R"([
    {"attestation": "N-1", "niss": "85073003328", "affiliation": "319", "destination": "319", "ct1": 110, "ct2": 110, "sex": 1,
     "lines": [{"date": "2026-10-05", "code": "425014", "amount_cents": 4210, "prescriber": "19012345004", "prescription_date": "2026-09-30"},
               {"date": "2026-10-06", "code": "425014", "amount_cents": 4210, "units": 1, "prescriber": "19012345004",
                "prescription_date": "2026-09-30"}]},
    {"attestation": "N-2", "niss": "90010100123", "affiliation": "306", "destination": "306", "ct1": "111", "ct2": "111", "sex": 2,
     "commitment": "123456789012", "commitment_date": "2026-10-01",
     "lines": [{"date": "2026-10-07", "code": "101010", "amount_cents": 2700}]}
  ])");
  auto a = csv_book->import_attestations(csv);
  auto b = json_book->import_attestations(json);
  ASSERT_TRUE(a) << a.error().message;
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(a->imported, 2);
  EXPECT_EQ(b->imported, 2);
  EXPECT_TRUE(b->problems.empty()) << b->problems[0].to_string();
  auto from_csv = csv_book->attestations();
  auto from_json = json_book->attestations();
  ASSERT_TRUE(from_csv && from_json);
  ASSERT_EQ(from_csv->size(), 2u);
  ASSERT_EQ(from_json->size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const auto &x = (*from_csv)[i], &y = (*from_json)[i];
    EXPECT_EQ(x.reference, y.reference);
    EXPECT_EQ(x.niss, y.niss);
    EXPECT_EQ(x.ct1, y.ct1);
    EXPECT_EQ(x.sex, y.sex);
    EXPECT_EQ(x.commitment, y.commitment);
    EXPECT_EQ(x.commitment_date, y.commitment_date);
    ASSERT_EQ(x.lines.size(), y.lines.size());
    for (size_t k = 0; k < x.lines.size(); ++k) {
      EXPECT_EQ(x.lines[k].code, y.lines[k].code);
      EXPECT_EQ(x.lines[k].date, y.lines[k].date);
      EXPECT_EQ(x.lines[k].amount_cents, y.lines[k].amount_cents);
      EXPECT_EQ(x.lines[k].prescriber, y.lines[k].prescriber);
      EXPECT_EQ(x.lines[k].prescription_date, y.lines[k].prescription_date);
    }
  }
  EXPECT_EQ((*from_json)[1].commitment_date, 20261001);
}

// A book of an earlier mutua kept each attestation's content in its row, and knew no 'paid'
// state: opened, its attestations read as they were and go on to be batched and imported again.
TEST(ProviderBook, ABookOfAnEarlierLayoutIsCarriedOver) {
  const std::string path = mutua::testing::temp_path("book-earlier.db");
  fs::remove(path);
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
    const char* earlier = R"(
      CREATE TABLE envois (id INTEGER PRIMARY KEY, environment TEXT NOT NULL, recipient TEXT NOT NULL,
        input_reference TEXT NOT NULL, file_name TEXT NOT NULL, content BLOB NOT NULL, envoi_number INTEGER NOT NULL,
        billed_month TEXT NOT NULL, state TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', recorded INTEGER NOT NULL,
        resent INTEGER NOT NULL DEFAULT 0, UNIQUE (environment, input_reference));
      CREATE TABLE attestations (id INTEGER PRIMARY KEY, reference TEXT NOT NULL UNIQUE, content TEXT NOT NULL,
        destination TEXT NOT NULL, billed_month TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('waiting', 'batched', 'to correct', 'corrected', 'archived')),
        reason TEXT NOT NULL DEFAULT '', envoi_id INTEGER REFERENCES envois (id), recorded INTEGER NOT NULL);
      INSERT INTO attestations VALUES (1, 'E-1', '{"niss":"85073003328","affiliation":"319","destination":"319","ct1":110,"ct2":110,"sex":1,"lines":[{"code":"425014","date":20261005,"amount_cents":4210,"units":1}]}', '319', '202610', 'waiting', '', NULL, 0);
      INSERT INTO attestations VALUES (2, 'E-2', '{"niss":"90010100123","affiliation":"306","destination":"306","ct1":111,"ct2":111,"sex":2,"lines":[{"code":"101010","date":20261007,"amount_cents":2700,"units":1}]}', '306', '202610', 'archived', 'lost', NULL, 0);
    )";
    ASSERT_EQ(sqlite3_exec(db, earlier, nullptr, nullptr, nullptr), SQLITE_OK) << sqlite3_errmsg(db);
    sqlite3_close(db);
  }
  auto b = mutua::provider::Book::open(path);
  ASSERT_TRUE(b) << b.error().message;
  auto all = (*b)->attestations();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].reference, "E-1");
  EXPECT_EQ((*all)[0].niss, "85073003328");
  ASSERT_EQ((*all)[0].lines.size(), 1u);
  EXPECT_EQ((*all)[0].lines[0].amount_cents, 4210);
  EXPECT_EQ((*all)[1].state, "archived");
  EXPECT_EQ((*all)[1].reason, "lost");
  auto batch = (*b)->batch({.provider = "12345678901", .today = 20261105});
  ASSERT_TRUE(batch) << batch.error().message;
  ASSERT_EQ(batch->envois.size(), 1u);
  EXPECT_EQ(batch->envois[0].lines, 1);
  // A new one goes in beside them; the archived one is not taken back by importing it again.
  auto more = (*b)->import_attestations(write("earlier.csv", "attestation,niss,affiliation,destination,date,code,amount_cents\n"
                                                             "E-2,90010100123,306,306,2026-10-07,101010,2700\n"
                                                             "E-3,90010100123,306,306,2026-10-08,101010,2700\n"));
  ASSERT_TRUE(more) << more.error().message;
  EXPECT_EQ(more->imported, 1);
  EXPECT_EQ(more->already, 1);
  b = mutua::provider::Book::open(path);  // opened again: nothing to carry over twice
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ((*b)->attestations()->size(), 3u);
}

TEST(ProviderBook, AWrongAttestationIsSaidWhereItIsAndTheOthersAreKept) {
  auto book = fresh_book("book-wrong");
  ASSERT_TRUE(book);
  const std::string json = write("wrong.json", R"({"attestations": [
    {"attestation": "OK-1", "niss": "85073003328", "affiliation": "319", "destination": "319",
     "lines": [{"date": "2026-10-05", "code": "425014", "amount_cents": 4210}]},
    {"attestation": "BAD-2", "niss": "8507300332", "affiliation": "319", "destination": "319",
     "lines": [{"date": "2026-10-05", "code": "425014", "amount_cents": 4210}]},
    {"attestation": "BAD-3", "niss": "85073003328", "affiliation": "319", "destination": "319", "lines": []},
    {"attestation": "BAD-4", "niss": "85073003328", "affiliation": "319", "destination": "319",
     "lines": [{"date": "2026-10-31", "code": "425014", "amount_cents": 4210}, {"date": "2026-11-01", "code": "425014", "amount_cents": 4210}]},
    {"attestation": "BAD-5", "niss": "85073003328", "affiliation": "319", "destination": "319",
     "lines": [{"date": "2026-10-05", "code": "42501", "amount_cents": "4210"}]}
  ]})");
  auto r = book->import_attestations(json);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->imported, 1);
  std::map<uint64_t, std::string> said;  // attestation rank -> what
  for (const auto& p : r->problems) said[p.record] += p.code + " " + p.zone + " " + p.message + "; ";
  EXPECT_NE(said[2].find("niss"), std::string::npos) << said[2];
  EXPECT_NE(said[3].find("lines"), std::string::npos) << said[3];
  EXPECT_NE(said[0].find("102311"), std::string::npos) << said[0];  // two months: the attestation, not a row
  EXPECT_NE(said[5].find("code"), std::string::npos) << said[5];
  auto all = book->attestations();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].reference, "OK-1");
  // Not JSON at all: said, nothing read.
  EXPECT_FALSE(book->import_attestations(write("broken.json", "[{\"attestation\": ")));
}

// Two batches at once on one book (two windows of the practice's program): every attestation
// goes in one envoi, and no two envois share a number.
TEST(ProviderBook, TwoBatchesAtOnceNeverTakeTheSameAttestationOrNumber) {
  const std::string path = mutua::testing::temp_path("book-twice.db");
  fs::remove(path);
  std::string csv = "attestation,niss,affiliation,destination,date,code,amount_cents\n";
  for (int i = 0; i < 400; ++i)
    csv += fmt::format("T-{:03d},85073003328,{},{},2026-{:02d}-05,425014,4210\n", i, i % 2 ? "319" : "506", i % 2 ? "319" : "506",
                       9 + i % 3);
  {
    auto b = mutua::provider::Book::open(path);
    ASSERT_TRUE(b);
    ASSERT_EQ((*b)->import_attestations(write("twice.csv", csv))->imported, 400);
  }
  std::vector<mutua::provider::BatchOutcome> outcomes(2);
  std::vector<std::string> errors(2);
  std::vector<std::thread> both;
  for (int k = 0; k < 2; ++k)
    both.emplace_back([&, k] {
      auto b = mutua::provider::Book::open(path);
      if (!b) return void(errors[k] = b.error().message);
      auto r = (*b)->batch({.provider = "12345678901", .today = 20261201});
      if (!r) return void(errors[k] = r.error().message);
      outcomes[k] = std::move(*r);
    });
  for (auto& t : both) t.join();
  EXPECT_EQ(errors[0], "");
  EXPECT_EQ(errors[1], "");
  std::set<int> numbers;
  int64_t envois = 0, lines = 0;
  for (const auto& o : outcomes)
    for (const auto& e : o.envois) {
      ++envois;
      lines += e.lines;
      numbers.insert(e.envoi_number);
    }
  EXPECT_EQ(envois, 6);  // two unions, three months
  EXPECT_EQ(lines, 400);
  EXPECT_EQ(numbers.size(), 6u);
  auto b = mutua::provider::Book::open(path);
  ASSERT_TRUE(b);
  auto all = (*b)->attestations();
  ASSERT_TRUE(all);
  for (const auto& a : *all) EXPECT_EQ(a.state, "batched") << a.reference;
}

// The practice's own hints come before the built-in ones; removed, the built-in one shows again.
TEST(ProviderBook, APracticesOwnHintComesFirst) {
  auto book = fresh_book("book-hints");
  ASSERT_TRUE(book);
  ASSERT_TRUE(book->set_hint("500450", "Ask the patient which medical house; bill it there, then archive."));
  ASSERT_TRUE(book->set_hint("500402", "Our software's code list is old: update it."));
  auto all = book->hints();
  ASSERT_TRUE(all);
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].first, "500402");
  EXPECT_FALSE(book->set_hint("5004", "too short"));
  ASSERT_TRUE(book->set_hint("500402", ""));
  EXPECT_EQ(book->hints()->size(), 1u);
  // What to correct shows them: tests/certification_test.cpp.
}

// Bank exports as Belgian banks shape them: Dutch or French column names, ';', decimal commas,
// the communication split over two columns. Each credit is read with its date, amount, payment
// reference, envoi and counterparty; debits and patients' transfers are told apart.
TEST(ProviderBook, BankExportsInTheirOwnShapesAreRead) {
  auto book = fresh_book("book-exports");
  ASSERT_TRUE(book);
  const std::string kbc = write(
      "kbc.csv",
      "Rekeningnummer;Rubrieknaam;Naam;Munt;Afschriftnummer;Datum;Omschrijving;Valuta;Bedrag;Saldo;credit;debet;"
      "rekeningnummer tegenpartij;BIC tegenpartij;Naam tegenpartij;Adres tegenpartij;gestructureerde mededeling;Vrije mededeling\n"
      "BE68539007547034;;Praktijk;EUR;2026047;14/11/2026;OVERSCHRIJVING;14/11/2026;1.234,56;5000,00;1.234,56;;BE71096123456769;GKCCBEBB;"
      "Mutualiteit;;;2026/2/0000123 ENVOI 004 10/2026 COMPTE A\n"
      "BE68539007547034;;Praktijk;EUR;2026047;14/11/2026;KOSTEN;14/11/2026;-2,50;4997,50;;2,50;;;Bank;;;kosten\n"
      "BE68539007547034;;Praktijk;EUR;2026047;15/11/2026;OVERSCHRIJVING;15/11/2026;25,00;5022,50;25,00;;BE12;;J. Peeters;;;raadpleging\n");
  auto r = book->reconcile(kbc);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->credits, 2);
  EXPECT_EQ(r->not_billing, 1);
  EXPECT_EQ(r->unmatched, 1);
  const std::string bnp = write("bnp.csv",
                                "Numéro de séquence;Date d'exécution;Date valeur;Montant;Devise du compte;Numéro de compte;"
                                "Type de transaction;Contrepartie;Nom de la contrepartie;Communication;Détails;Statut;Motif du refus\n"
                                "2026-0412;16/11/2026;16/11/2026;42,10;EUR;BE68539007547034;Virement;BE71096123456769;Mutualité;"
                                "2026/2/0000124;ENVOI 005 10/2026 COMPTE B;Accepté;\n");
  r = book->reconcile(bnp);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->credits, 1);
  auto lines = book->statement_lines("unmatched");
  ASSERT_TRUE(lines);
  ASSERT_EQ(lines->size(), 2u);
  const auto& k = (*lines)[0];
  EXPECT_EQ(k.booked, 20261114);
  EXPECT_EQ(k.cents, 123456);
  EXPECT_EQ(k.payment_reference, "2026/2/0000123");
  EXPECT_EQ(k.envoi_number, 4);
  EXPECT_EQ(k.billed_month, "202610");
  EXPECT_EQ(k.counterparty, "Mutualiteit BE71096123456769");
  const auto& b = (*lines)[1];
  EXPECT_EQ(b.cents, 4210);
  EXPECT_EQ(b.payment_reference, "2026/2/0000124");  // in one column, the envoi in the next
  EXPECT_EQ(b.envoi_number, 5);
  EXPECT_EQ(b.communication, "2026/2/0000124 ENVOI 005 10/2026 COMPTE B");
  // Read again: nothing new.
  EXPECT_EQ(book->reconcile(bnp)->already, 1);
}
