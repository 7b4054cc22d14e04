// Reference data compiled into the binary (see cmake/embed.cmake and data/).
#pragma once
#include <string_view>

namespace mutua::embedded {
std::string_view efact_error_codes();
std::string_view project_codes();
std::string_view newer_official_codes();
std::string_view code_hints();
std::string_view zone_error_codes();
std::string_view record_layouts();
std::string_view nomenclature_codes();
std::string_view nomenclature_sample();
std::string_view zone_links();
std::string_view zone_conditions();
std::string_view rule_parameters();
std::string_view rule_comments();
std::string_view record_type_codes();
std::string_view sqlite_001_init();
std::string_view sqlite_002_refdata_version();
std::string_view sqlite_003_ledger();
std::string_view sqlite_004_consultations();
std::string_view sqlite_005_advisor();
std::string_view sqlite_006_disputes();
std::string_view sqlite_007_nomenclature_limits();
std::string_view sqlite_008_stays_related();
std::string_view sqlite_009_provider_services();
std::string_view sqlite_010_ct_codes();
std::string_view sqlite_011_tariff_commitments();
std::string_view sqlite_012_parameters();
std::string_view sqlite_013_death_date();
std::string_view sqlite_014_nomenclature_ages();
std::string_view sqlite_015_per_admission();
std::string_view sqlite_016_history_by_patient();
std::string_view sqlite_017_unique_accepted_envoi();
std::string_view sqlite_018_history_by_patient_and_code();
std::string_view sqlite_019_typed_refdata();
std::string_view sqlite_020_paid_once();
std::string_view sqlite_021_accounts();
std::string_view sqlite_022_requests();
std::string_view sqlite_023_password_resets();
std::string_view postgresql_001_init();
std::string_view postgresql_002_queue();
std::string_view postgresql_003_accounts();
std::string_view postgresql_004_requests();
std::string_view postgresql_005_password_resets();
std::string_view openapi_document();
}  // namespace mutua::embedded
