-- One value type per dimension name, everywhere (revision 0010; the twin of
-- sql/schema/dimension.sql): fixed by the first data ID stored with the dimension (the
-- backend fixes the types of a call's new dimensions before it checks its data IDs, in input
-- order), so 1 and "1" can never be two keys. For every other writer of the file the
-- triggers below do the same: a data ID with a value of the other type than its dimension's
-- is refused (RAISE(ABORT, 'data_id_value_type')), and the dimensions of a new data ID that
-- have no type yet get the type of its values. A change of dimension bumps catalog_version:
-- the backend caches the types with its lookup plans.
CREATE TABLE dimension (
    name       TEXT NOT NULL,
    value_type TEXT NOT NULL,
    CONSTRAINT dimension_pkey PRIMARY KEY (name),
    CONSTRAINT dimension_value_type_check CHECK (value_type IN ('integer', 'string'))
) WITHOUT ROWID;
CREATE TRIGGER dimension_insert_bump AFTER INSERT ON dimension
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER dimension_update_bump AFTER UPDATE ON dimension
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER dimension_delete_bump AFTER DELETE ON dimension
BEGIN UPDATE catalog_version SET version = version + 1 WHERE id = 1; END;

-- json_each's type of a value: 'integer', 'text' (a string), or another (the backend refuses
-- those; here they are left alone).
CREATE TRIGGER data_id_types_guard_insert BEFORE INSERT ON data_id
BEGIN
    SELECT RAISE(ABORT, 'data_id_value_type')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.value) AS j
                  JOIN dimension AS d ON d.name = j.key
                  WHERE (j.type = 'text' AND d.value_type = 'integer')
                     OR (j.type = 'integer' AND d.value_type = 'string'));
END;
CREATE TRIGGER data_id_types_guard_update BEFORE UPDATE OF value ON data_id
BEGIN
    SELECT RAISE(ABORT, 'data_id_value_type')
    WHERE EXISTS (SELECT 1 FROM json_each(NEW.value) AS j
                  JOIN dimension AS d ON d.name = j.key
                  WHERE (j.type = 'text' AND d.value_type = 'integer')
                     OR (j.type = 'integer' AND d.value_type = 'string'));
END;
CREATE TRIGGER data_id_types_fix_insert AFTER INSERT ON data_id
WHEN EXISTS (SELECT 1 FROM json_each(NEW.value) AS j
             WHERE j.type IN ('text', 'integer')
               AND NOT EXISTS (SELECT 1 FROM dimension AS d WHERE d.name = j.key))
BEGIN
    INSERT OR IGNORE INTO dimension (name, value_type)
    SELECT j.key, CASE j.type WHEN 'text' THEN 'string' ELSE 'integer' END
    FROM json_each(NEW.value) AS j WHERE j.type IN ('text', 'integer');
END;
CREATE TRIGGER data_id_types_fix_update AFTER UPDATE OF value ON data_id
WHEN EXISTS (SELECT 1 FROM json_each(NEW.value) AS j
             WHERE j.type IN ('text', 'integer')
               AND NOT EXISTS (SELECT 1 FROM dimension AS d WHERE d.name = j.key))
BEGIN
    INSERT OR IGNORE INTO dimension (name, value_type)
    SELECT j.key, CASE j.type WHEN 'text' THEN 'string' ELSE 'integer' END
    FROM json_each(NEW.value) AS j WHERE j.type IN ('text', 'integer');
END;
