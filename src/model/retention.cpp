#include "mutua/model/retention.h"

namespace mutua::model {

Date retention_cutoff(Date today) { return static_cast<Date>((today / 10000 - 3) * 10000 + 101); }

}  // namespace mutua::model
