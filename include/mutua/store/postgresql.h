// The production store: a PostgreSQL server reached through libpqxx, schema migrations from
// data/store/postgresql/ applied on open (each in its own transaction, under a lock, version in
// schema_version). The same roles and contract as the SQLite store (tests/store_contract_test.cpp).
#pragma once
#include <memory>
#include <string>

#include "mutua/model/store.h"

namespace mutua::store {

// True for a connection URL (postgresql://... or postgres://...), false for a SQLite path.
bool is_postgresql_url(const std::string& where);

// `where` as it may be shown: a URL without its password, a path as it is.
std::string display_name(const std::string& where);

// Connects to `url` and brings its schema to this version.
Result<std::unique_ptr<model::Store>> open_postgresql(const std::string& url);

// The schema version this build migrates to.
int postgresql_schema_version();

// The schema version the store at `where` holds now (0: empty), without changing it.
Result<int> stored_schema_version(const std::string& where);

// The store at `where`: PostgreSQL for a URL, else the SQLite file at that path.
Result<std::unique_ptr<model::Store>> open_store_at(const std::string& where);

}  // namespace mutua::store
