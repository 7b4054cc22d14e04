// Runs the validator scenarios written as data in tests/cases/*.cases: each case starts from
// the baseline envoi (tests/baseline.cpp), applies edits, and lists the exact set of codes
// `mutua validate` must report. See tests/cases/README.md for the format.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "baseline.h"
#include "mutua/layout.h"
#include "mutua/model/envoi_writer.h"
#include "mutua/preflight.h"
#include "mutua/writer.h"

namespace mutua {
namespace {

struct Case {
  std::string file;
  int line = 0;
  std::string name;
  std::set<std::string> expect;
  model::Date today = 20261123;
  Framing framing = Framing::Flat;
  std::vector<std::string> edits;
};

std::vector<Case> load_cases() {
  std::vector<Case> cases;
  for (auto& entry : std::filesystem::directory_iterator(std::string(MUTUA_TEST_DATA) + "/cases")) {
    if (entry.path().extension() != ".cases") continue;
    std::ifstream in(entry.path());
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
      ++n;
      if (line.empty() || line[0] == '#') continue;
      if (line.rfind("case:", 0) == 0) {
        cases.push_back({});
        cases.back().file = entry.path().filename();
        cases.back().line = n;
        cases.back().name = line.substr(6);
        continue;
      }
      if (cases.empty()) continue;
      Case& c = cases.back();
      if (line.rfind("expect:", 0) == 0) {
        std::istringstream ss(line.substr(7));
        std::string code;
        while (ss >> code) c.expect.insert(code);
      } else if (line.rfind("today:", 0) == 0) {
        std::string d = line.substr(7);
        d.erase(std::remove(d.begin(), d.end(), '-'), d.end());
        c.today = static_cast<model::Date>(std::stoul(d));
      } else if (line.rfind("framing:", 0) == 0) {
        std::string f = line.substr(9);
        c.framing = f == "lf" ? Framing::LF : f == "crlf" ? Framing::CRLF : Framing::Flat;
      } else {
        c.edits.push_back(line);
      }
    }
  }
  return cases;
}

std::string unescape(std::string v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (v[i] == '_') out += ' ';
    else if (v[i] == '\\' && i + 3 < v.size() && v[i + 1] == 'x') {
      out += static_cast<char>(std::stoi(v.substr(i + 2, 2), nullptr, 16));
      i += 3;
    } else out += v[i];
  }
  return out;
}

// The baseline split into header and records, edited, then joined again.
struct Editable {
  std::string header;
  std::vector<std::string> records;
  std::string tail;

  size_t find(const std::string& selector) const {
    std::string type = selector.substr(0, selector.find('#'));
    int nth = selector.find('#') == std::string::npos ? 1 : std::stoi(selector.substr(selector.find('#') + 1));
    for (size_t i = 0; i < records.size(); ++i)
      if (records[i].compare(0, 2, type) == 0 && --nth == 0) return i;
    throw std::runtime_error("no record " + selector);
  }
};

RecordKind kind_named(const std::string& type) {
  if (type == "200") return RecordKind::Segment200;
  if (type == "300") return RecordKind::Segment300;
  return record_kind_from_type(type);
}

std::string apply(const Case& c) {
  std::string base = testing::baseline_file(Framing::Flat);
  Editable e;
  e.header = base.substr(0, 227);
  for (size_t p = 227; p + 350 <= base.size(); p += 350) e.records.push_back(base.substr(p, 350));
  const Layout& L = Layout::builtin();
  for (const auto& edit : c.edits) {
    std::istringstream ss(edit);
    std::string op;
    ss >> op;
    if (op == "set" || op == "setnoseal") {
      std::string sel, zone, value;
      ss >> sel >> zone >> value;
      value = unescape(value);
      std::string type = sel.substr(0, sel.find('#'));
      RecordKind kind = kind_named(type);
      const Zone& z = L.at(kind, zone);
      if (value.size() != z.len) throw std::runtime_error(edit + ": value must have " + std::to_string(z.len) + " characters");
      if (kind == RecordKind::Segment200) e.header.replace(z.pos - 1, z.len, value);
      else if (kind == RecordKind::Segment300) e.header.replace(67 + z.pos - 1, z.len, value);
      else {
        std::string& r = e.records[e.find(sel)];
        r.replace(z.pos - 1, z.len, value);
        if (op == "set" && kind >= RecordKind::Et10 && kind <= RecordKind::Et90) seal_record(r);
      }
    } else if (op == "delete") {
      std::string sel;
      ss >> sel;
      e.records.erase(e.records.begin() + static_cast<long>(e.find(sel)));
    } else if (op == "swap") {
      std::string a, b;
      ss >> a >> b;
      std::swap(e.records[e.find(a)], e.records[e.find(b)]);
    } else if (op == "duplicate") {
      std::string sel;
      ss >> sel;
      size_t i = e.find(sel);
      e.records.insert(e.records.begin() + static_cast<long>(i), e.records[i]);
    } else if (op == "append") {
      std::string v;
      ss >> v;
      e.tail += unescape(v);
    } else if (op == "truncate") {
      size_t n;
      ss >> n;
      e.tail = "\x01TRUNCATE" + std::to_string(n);
    } else if (op == "file") {
      std::string v;
      std::getline(ss, v);
      return unescape(v.substr(1));
    } else {
      throw std::runtime_error("unknown edit: " + edit);
    }
  }
  std::string sep(framing_separator(c.framing));
  std::string out = e.header + sep;
  for (auto& r : e.records) out += r + sep;
  if (e.tail.rfind("\x01TRUNCATE", 0) == 0) out.resize(out.size() - std::stoul(e.tail.substr(9)));
  else out += e.tail;
  return out;
}

class ValidateCase : public ::testing::TestWithParam<Case> {};

TEST_P(ValidateCase, ReportsExactlyTheExpectedCodes) {
  const Case& c = GetParam();
  std::string bytes = apply(c);
  std::string path = testing::temp_path("case.efact");
  {
    std::ofstream out(path, std::ios::binary);
    out << bytes;
  }
  engine::PreflightOptions options;
  options.today = c.today;
  auto report = engine::preflight({path}, options);
  ::unlink(path.c_str());
  std::set<std::string> found;
  for (const auto& [code, slot] : report.findings.by_code()) found.insert(code);
  EXPECT_EQ(found, c.expect) << c.file << ":" << c.line << " " << c.name << "\n"
                             << engine::render_text(report, options);
  bool rejecting = false;
  for (const auto& code : c.expect) rejecting |= std::string("BFR").find(mutua::type_of(code)) != std::string::npos;
  EXPECT_EQ(report.exit_code(), report.files.at(0).readable ? (rejecting ? 1 : 0) : 2);
}

std::string case_name(const ::testing::TestParamInfo<Case>& info) {
  std::string n = info.param.file.substr(0, info.param.file.find('.')) + "_" + std::to_string(info.param.line);
  return n;
}

INSTANTIATE_TEST_SUITE_P(Cases, ValidateCase, ::testing::ValuesIn(load_cases()), case_name);

TEST(ValidateCases, ThereAreCasesForEveryFamily) { EXPECT_GE(load_cases().size(), 40u); }

// Checks between the files of one run (a case holds one file): a sending number used twice by
// a third-party payer in a year (100721) and two eFact files of one day (100724), each with a
// near miss.
std::set<std::string> codes_of_run(const std::vector<std::pair<int, model::Date>>& files) {
  std::vector<std::string> paths;
  for (size_t i = 0; i < files.size(); ++i) {
    model::EnvoiHeader h = testing::baseline_header();
    h.sending_number = files[i].first;
    h.created = files[i].second;
    paths.push_back(testing::temp_path("run-" + std::to_string(i) + ".efact"));
    EXPECT_TRUE(model::write_envoi(paths.back(), h, testing::baseline_invoices()));
  }
  engine::PreflightOptions options;
  options.today = 20261123;
  auto report = engine::preflight(paths, options);
  for (const auto& p : paths) ::unlink(p.c_str());
  std::set<std::string> found;
  for (const auto& [code, slot] : report.findings.by_code()) found.insert(code);
  return found;
}

TEST(ValidateCases, ASendingNumberUsedTwiceInAYearIs100721) {
  EXPECT_EQ(codes_of_run({{12, 20261105}, {12, 20261106}}), std::set<std::string>{"100721"});
  EXPECT_EQ(codes_of_run({{12, 20261105}, {13, 20261106}}), std::set<std::string>{});  // near miss
}

TEST(ValidateCases, TwoEfactFilesOfOneDayAre100724) {
  EXPECT_EQ(codes_of_run({{12, 20261105}, {13, 20261105}}), std::set<std::string>{"100724"});
  EXPECT_EQ(codes_of_run({{12, 20261105}, {13, 20261106}}), std::set<std::string>{});  // near miss
}

}  // namespace
}  // namespace mutua
