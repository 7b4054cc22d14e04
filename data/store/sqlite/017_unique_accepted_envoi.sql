-- mutua store, SQLite, version 17: an accepted envoi number (third party, billed year, number,
-- test or production) is unique in the store itself, whatever process records it. A store
-- where two processes of an older mutua both accepted one envoi stops here: `mutua ledger check`
-- with that version says where.
CREATE UNIQUE INDEX envois_accepted_number ON envois (third_party, year, number, test) WHERE status = 'accepted';
