-- Undo revision 0017 on PostgreSQL (source of versions/0017_speed2.postgresql.down.sql).
-- freeze.py puts back what 0017 changed as 0016 had it and drops what it created.
-- pg-findmany: the lookup's btree index goes (calib.probe's 0016 definition, put back
-- above, probes the exclusion constraint's GiST index).
DROP INDEX calib.certification_lookup_idx;
-- pg-findmany: end
