-- mutua store, SQLite, version 20: a line is paid once, said by the database itself. An
-- envoi's accepted lines are paid by the run that settles it (envois.settled_run) and a line
-- approved later by the run of its complement (pending_lines.run_id); payments already hold one
-- row per envoi, account and complement. Once set, neither is ever moved to another run,
-- whatever process writes (a second payment run, a worker of another machine).
CREATE TRIGGER envois_settled_once BEFORE UPDATE OF settled_run ON envois
WHEN OLD.settled_run IS NOT NULL AND NEW.settled_run IS NOT OLD.settled_run
BEGIN
  SELECT RAISE(ABORT, 'an envoi is paid once: a payment run settled it already');
END;
CREATE TRIGGER pending_lines_paid_once BEFORE UPDATE OF run_id, complement ON pending_lines
WHEN OLD.run_id IS NOT NULL AND (NEW.run_id IS NOT OLD.run_id OR NEW.complement IS NOT OLD.complement)
BEGIN
  SELECT RAISE(ABORT, 'a line is paid once: a payment run paid it already');
END;
