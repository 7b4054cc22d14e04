-- mutua store, SQLite, version 13: members.csv gains death_date (a prestation after the
-- patient's death: 500549 / 500649, 300549 / 300649, 400549 / 400649).
ALTER TABLE ref_members ADD COLUMN "death_date" TEXT;
