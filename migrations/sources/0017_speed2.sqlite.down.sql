-- Undo revision 0017 on SQLite (source of versions/0017_speed2.sqlite.down.sql). Each topic
-- adds its block below.

-- sq-writes2: revision 0012's FROZEN guard of a certification UPDATE (two probes).
DROP TRIGGER certification_frozen_update;
CREATE TRIGGER certification_frozen_update BEFORE UPDATE ON certification
WHEN (SELECT state FROM collection WHERE collection_id = NEW.collection_id) = 'FROZEN'
  OR (SELECT state FROM collection WHERE collection_id = OLD.collection_id) = 'FROZEN'
BEGIN SELECT RAISE(ABORT, 'collection_frozen'); END;
-- sq-writes2: end
