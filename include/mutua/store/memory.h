// Reference data held in memory: what a provider's pre-flight judges its envois against (the
// reference data it knows, loaded from CSV for one batch). Nothing is written anywhere; every
// read is safe from several threads at once, so envois are judged on every core.
#pragma once
#include <memory>

#include "mutua/model/store.h"

namespace mutua::store {

// A reference-data store over `data`, as parsed and checked at import (model::parse_refdata).
std::unique_ptr<model::RefDataStore> memory_refdata(model::RefData data);

}  // namespace mutua::store
