#include "mutua/model/refdata_tables.h"

#include <stdexcept>
#include <type_traits>

namespace mutua::model {

namespace {

// One column: its name, its type, and how a row's field goes into and comes out of a cell.
template <class T>
struct Field {
  RefColumn column;
  std::function<void(const T&, RowSink&)> put;
  std::function<void(T&, RowSource&)> get;
};

// The column of a member: its type follows the member's.
template <class T, class M>
Field<T> field(const char* name, M T::*member) {
  Field<T> f;
  f.column.name = name;
  if constexpr (std::is_same_v<M, std::string>) {
    f.column.type = ColumnType::Text;
    f.put = [member](const T& row, RowSink& out) { out.text(row.*member); };
    f.get = [member](T& row, RowSource& in) { row.*member = in.text(); };
  } else if constexpr (std::is_same_v<M, std::vector<std::string>>) {
    f.column.type = ColumnType::Text;
    f.put = [member](const T& row, RowSink& out) { out.text(joined_list(row.*member)); };
    f.get = [member](T& row, RowSource& in) { row.*member = split_list(in.text()); };
  } else if constexpr (std::is_same_v<M, char>) {
    f.column.type = ColumnType::Text;
    f.put = [member](const T& row, RowSink& out) { out.text(std::string(1, row.*member)); };
    f.get = [member](T& row, RowSource& in) {
      const std::string v = in.text();
      row.*member = v.empty() ? T().*member : v[0];
    };
  } else if constexpr (std::is_same_v<M, bool>) {
    f.column.type = ColumnType::Integer;
    f.put = [member](const T& row, RowSink& out) { out.integer(row.*member ? 1 : 0); };
    f.get = [member](T& row, RowSource& in) { row.*member = in.integer() != 0; };
  } else {
    static_assert(std::is_integral_v<M>, "a reference field is text, a list, a character, a flag or a number");
    f.column.type = ColumnType::Integer;
    f.put = [member](const T& row, RowSink& out) { out.integer(static_cast<int64_t>(row.*member)); };
    f.get = [member](T& row, RowSource& in) { row.*member = static_cast<M>(in.integer()); };
  }
  return f;
}

template <class T>
RefTableSpec table(const char* file, const char* name, std::vector<T> RefData::*rows, std::vector<Field<T>> fields) {
  RefTableSpec spec;
  spec.file = file;
  spec.table = name;
  for (const auto& f : fields) spec.columns.push_back(f.column);
  spec.per_patient = !spec.columns.empty() && spec.columns[0].name == "niss";
  spec.rows = [rows](const RefData& d) { return (d.*rows).size(); };
  spec.reserve = [rows](RefData& d, size_t n) { (d.*rows).reserve(n); };
  spec.write = [rows, fields](const RefData& d, size_t i, RowSink& out) {
    for (const auto& f : fields) f.put((d.*rows)[i], out);
  };
  spec.read = [rows, fields](RowSource& in, RefData& d) {
    T row;
    for (const auto& f : fields) f.get(row, in);
    (d.*rows).push_back(std::move(row));
  };
  if constexpr (requires(const T& row) { std::string_view(row.niss); })
    spec.niss = [rows](const RefData& d, size_t i) { return std::string_view((d.*rows)[i].niss); };
  spec.append = [rows](const RefData& from, size_t first, size_t last, RefData& to) {
    const auto& source = from.*rows;
    (to.*rows).insert((to.*rows).end(), source.begin() + static_cast<std::ptrdiff_t>(first),
                      source.begin() + static_cast<std::ptrdiff_t>(last));
  };
  return spec;
}

std::vector<RefTableSpec> make_specs() {
  using M = Member;
  using I = InsurabilityPeriod;
  using P = Provider;
  using D = ProviderDestination;
  using N = NomenclatureRule;
  using C = Cumulation;
  using Q = Prerequisite;
  using H = Hospitalisation;
  using W = CarePathway;
  using MH = MedicalHouseContract;
  using A = Agreement;
  using PN = PalliativeNotification;
  using PC = PaymentCommitment;
  using X = Detention;
  using CT = CtCode;
  using TC = TariffCommitment;
  using RP = RuleParameter;
  return {
      table<M>("members.csv", "ref_members", &RefData::members,
               {field("niss", &M::niss), field("birth_date", &M::birth_date), field("sex", &M::sex),
                field("mutuality", &M::mutuality), field("holder", &M::holder), field("death_date", &M::death_date)}),
      table<I>("insurability.csv", "ref_insurability", &RefData::insurability,
               {field("niss", &I::niss), field("start", &I::start), field("end", &I::end), field("ct1", &I::ct1),
                field("ct2", &I::ct2)}),
      table<P>("providers.csv", "ref_providers", &RefData::providers,
               {field("inami", &P::inami), field("kind", &P::kind), field("qualification", &P::qualification),
                field("bce", &P::bce), field("iban_a", &P::iban_a), field("bic_a", &P::bic_a),
                field("iban_b", &P::iban_b), field("bic_b", &P::bic_b), field("grouping", &P::grouping),
                field("member_of", &P::member_of), field("language", &P::language), field("name", &P::name),
                field("services", &P::services)}),
      table<D>("provider_destinations.csv", "ref_provider_destinations", &RefData::destinations,
               {field("inami", &D::inami), field("union", &D::union_code), field("destination", &D::destination),
                field("puc", &D::puc)}),
      table<N>("nomenclature.csv", "ref_nomenclature", &RefData::nomenclature,
               {field("code", &N::code),
                field("valid_from", &N::valid_from),
                field("valid_to", &N::valid_to),
                field("fee_cents", &N::fee_cents),
                field("personal_share_cents", &N::personal_share_cents),
                field("personal_share_cents_preferential", &N::personal_share_cents_preferential),
                field("prescriber", &N::needs_prescriber),
                field("account", &N::account),
                field("sex", &N::sex),
                field("kinds", &N::kinds),
                field("max_units", &N::max_units),
                field("max_period", &N::max_period),
                field("renewal_days", &N::renewal_days),
                field("ceiling_cents", &N::ceiling_cents),
                field("ceiling_period", &N::ceiling_period),
                field("role", &N::role),
                field("sector", &N::sector),
                field("laterality", &N::needs_laterality),
                field("agreement", &N::needs_agreement),
                field("gmd", &N::gmd),
                field("ambulatory", &N::ambulatory),
                field("hospital", &N::hospital),
                field("per_admission", &N::per_admission),
                field("services", &N::services),
                field("related", &N::related),
                field("max_supplement_cents", &N::max_supplement_cents),
                field("min_age", &N::min_age),
                field("max_age", &N::max_age),
                field("label_fr", &N::label_fr),
                field("label_nl", &N::label_nl)}),
      table<C>("cumulations.csv", "ref_cumulations", &RefData::cumulations,
               {field("code", &C::code), field("other", &C::other), field("scope", &C::scope),
                field("period_days", &C::period_days)}),
      table<Q>("prerequisites.csv", "ref_prerequisites", &RefData::prerequisites,
               {field("code", &Q::code), field("required", &Q::required), field("within_days", &Q::within_days)}),
      table<H>("hospitalisations.csv", "ref_hospitalisations", &RefData::hospitalisations,
               {field("niss", &H::niss), field("establishment", &H::establishment), field("service", &H::service),
                field("admission", &H::admission), field("discharge", &H::discharge), field("kind", &H::kind),
                field("ct1", &H::ct1), field("ct2", &H::ct2)}),
      table<W>("care_pathways.csv", "ref_care_pathways", &RefData::pathways,
               {field("niss", &W::niss), field("type", &W::type), field("start", &W::start), field("end", &W::end)}),
      table<MH>("medical_houses.csv", "ref_medical_houses", &RefData::medical_houses,
                {field("niss", &MH::niss), field("medical_house", &MH::medical_house), field("start", &MH::start),
                 field("end", &MH::end), field("disciplines", &MH::disciplines)}),
      table<A>("agreements.csv", "ref_agreements", &RefData::agreements,
               {field("niss", &A::niss), field("code", &A::code), field("decision", &A::decision),
                field("request_date", &A::request_date), field("decision_date", &A::decision_date),
                field("valid_from", &A::valid_from), field("valid_to", &A::valid_to)}),
      table<PN>("palliative.csv", "ref_palliative", &RefData::palliative,
                {field("niss", &PN::niss), field("doctor_notification", &PN::doctor_notification),
                 field("nurse_notification", &PN::nurse_notification)}),
      table<PC>("commitments.csv", "ref_commitments", &RefData::commitments,
                {field("niss", &PC::niss), field("number", &PC::number), field("consulted", &PC::consulted),
                 field("ct1", &PC::ct1), field("ct2", &PC::ct2), field("mutuality", &PC::mutuality)}),
      table<X>("detentions.csv", "ref_detentions", &RefData::detentions,
               {field("niss", &X::niss), field("start", &X::start), field("end", &X::end)}),
      table<CT>("ct_codes.csv", "ref_ct_codes", &RefData::ct_codes, {field("ct1", &CT::ct1), field("ct2", &CT::ct2)}),
      table<TC>("tariff_commitments.csv", "ref_tariff_commitments", &RefData::tariff_commitments,
                {field("niss", &TC::niss), field("number", &TC::number), field("code", &TC::code),
                 field("date", &TC::date), field("amount_cents", &TC::amount_cents),
                 field("provider", &TC::provider)}),
      table<RP>("parameters.csv", "ref_parameters", &RefData::parameters,
                {field("name", &RP::name), field("value", &RP::value)}),
  };
}

}  // namespace

const std::vector<RefTableSpec>& ref_table_specs() {
  static const std::vector<RefTableSpec> specs = [] {
    auto s = make_specs();
    // One description per file, in the files' order: a file without one would be lost at import.
    const auto& files = refdata_files();
    if (s.size() != files.size()) throw std::logic_error("a reference file has no table description");
    for (size_t i = 0; i < s.size(); ++i)
      if (s[i].file != files[i] || s[i].per_patient != is_patient_file(files[i]) ||
          s[i].per_patient != static_cast<bool>(s[i].niss))
        throw std::logic_error("reference table descriptions out of order: " + s[i].file);
    return s;
  }();
  return specs;
}

const RefTableSpec& ref_table_spec(const std::string& file) {
  for (const auto& s : ref_table_specs())
    if (s.file == file) return s;
  throw std::out_of_range("no reference file " + file);
}

std::vector<std::vector<std::string>> ref_rows(const RefTableSpec& spec, const RefData& data) {
  struct Cells final : RowSink {
    std::vector<std::string> row;
    void integer(int64_t v) override { row.push_back(std::to_string(v)); }
    void text(std::string_view v) override { row.emplace_back(v); }
  };
  std::vector<std::vector<std::string>> out;
  for (size_t i = 0; i < spec.rows(data); ++i) {
    Cells c;
    spec.write(data, i, c);
    out.push_back(std::move(c.row));
  }
  return out;
}

std::string joined_list(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& v : list) out += (out.empty() ? "" : ";") + v;
  return out;
}

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find(';', at);
    if (end == std::string::npos) end = text.size();
    if (end > at) out.push_back(text.substr(at, end - at));
    at = end + 1;
  }
  return out;
}

}  // namespace mutua::model
