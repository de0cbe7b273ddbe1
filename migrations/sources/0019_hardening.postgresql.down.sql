-- Undo revision 0019 on PostgreSQL (source of versions/0019_hardening.postgresql.down.sql).
-- freeze.py puts back what 0019 changed as 0018 had it and drops what it created.
-- sec-install: begin
-- sec-install: end
-- sec-locks: begin
-- sec-locks: calib._stamp_epoch, put back above by freeze.py, takes the advisory lock again.
DROP TABLE calib.epoch_lock;
-- sec-locks: end
-- lead: begin
-- lead: end
