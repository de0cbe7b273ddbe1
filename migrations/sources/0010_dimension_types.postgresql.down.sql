-- Undo revision 0010 on PostgreSQL (source of versions/0010_dimension_types.postgresql.down.sql):
-- freeze.py first puts back the functions 0010 re-creates as 0009 had them; then the name
-- CHECKs go back to 0009's, the triggers on calib.data_id and calib.dimension are dropped;
-- freeze.py drops the functions 0010 created after this point.
DROP TRIGGER data_id_types_insert ON calib.data_id;
DROP TRIGGER data_id_types_update ON calib.data_id;
ALTER TABLE calib.collection DROP CONSTRAINT collection_name_check,
    ADD CONSTRAINT collection_name_check
        CHECK (char_length(name) BETWEEN 1 AND 255 AND name !~ '[\x01-\x1f\x7f-\x9f]');
ALTER TABLE calib.dataset_type DROP CONSTRAINT dataset_type_name_check,
    ADD CONSTRAINT dataset_type_name_check
        CHECK (char_length(name) BETWEEN 1 AND 255 AND name !~ '[\x01-\x1f\x7f-\x9f]');
DROP TABLE calib.dimension;
