/* Schema and extensions. btree_gist lets the exclusion constraint mix equality on integer
   keys with overlap on the validity range. */
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE SCHEMA IF NOT EXISTS calib;
COMMENT ON SCHEMA calib IS
    'calibcert: certification of calibration products. Mutate only through the calib.* '
    'functions; see README "Locking protocol" and "Error codes".';
