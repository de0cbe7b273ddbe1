-- FROZEN upgrade of revision 0017, written by migrations/freeze.py from sources/0017_speed2.sqlite.sql.
-- Never edit by hand.
-- Revision 0017 (0016 -> 0017) on SQLite: the source that migrations/freeze.py expands into
-- versions/0017_speed2.sqlite.sql. Each topic adds its block below.

-- sq-writes2: changing writes nearer their floors (issue 17 item 2; bench/README.md "SQLite
-- writes (revision 0017)"). The FROZEN guard of a certification UPDATE probes the row's
-- collection once when the row stays in it (the same rule: a row moved out of a FROZEN
-- collection is still refused). The text is that of sql/sqlite/schema/states.sql (the
-- fresh install).
DROP TRIGGER certification_frozen_update;
-- A certification that stays in its collection probes it once (revision 0017: the second
-- probe was about 0.3 us of every changed row, close_open_range and decertify change many).
CREATE TRIGGER certification_frozen_update BEFORE UPDATE ON certification
WHEN (SELECT state FROM collection WHERE collection_id = NEW.collection_id) = 'FROZEN'
  OR (NEW.collection_id IS NOT OLD.collection_id
      AND (SELECT state FROM collection WHERE collection_id = OLD.collection_id) = 'FROZEN')
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
-- sq-writes2: end
