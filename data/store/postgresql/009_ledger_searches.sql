-- mutua store, PostgreSQL, version 9: the indexes the server's payment and letter searches read
-- by (model::LedgerScope): a payee's payments, an envoi's payments, a billed month's accepted
-- envois. Before them, each search read the whole ledger.
CREATE INDEX payments_envoi ON payments (envoi_id);
CREATE INDEX payments_third_party ON payments (third_party, id);
CREATE INDEX envois_billed_month ON envois (year, month) WHERE status = 'accepted' AND test = 0;
