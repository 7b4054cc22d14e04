// How PostgreSQL's history is laid out (data/store/postgresql/001_init.sql and
// 012_time_partitions.sql): hash partitions by NISS, history_p00..p15, each partitioned by year
// of `billed`, history_pNN_yYYYY. The migrations say it in SQL; the store's code reads it here.
#pragma once

namespace mutua::store {

constexpr int kHistoryHashPartitions = 16;  // MODULUS 16

}  // namespace mutua::store
