/* The schema. btree_gist, which lets the exclusion constraint mix equality on integer keys
   with overlap on the validity range, is created by schema/preamble.sql (before any
   revision runs, also under alembic: revision 0001's own CREATE EXTENSION IF NOT EXISTS
   then finds it). */
CREATE SCHEMA IF NOT EXISTS calib;
COMMENT ON SCHEMA calib IS
    'calibcert: certification of calibration products. Mutate only through the calib.* '
    'functions; see README "Locking protocol" and "Error codes".';
