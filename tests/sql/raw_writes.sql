-- calibcert tables under raw SQL by the owner (a superuser / DBA), bypassing the functions.
-- The rules still hold: they are table constraints, not only function checks.
--   certification_no_overlap       EXCLUDE: one calibration key never valid twice at once
--   certification_validity_bounds  CHECK: [begin, end), non-empty, finite or unbounded
--   certification_normalize_validity  trigger: +-infinity stored as a missing bound
--
-- Run by hand, as the database owner:  psql -d <a fresh calibcert database> -f tests/sql/raw_writes.sql
-- Expected outcomes: -- ok | -- ok: <row> | -- rows: <n> | -- error <SQLSTATE> [<constraint>]

SET TimeZone = 'UTC'; -- ok
SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector']); -- ok: t
SELECT calib.register_collection('run1', 'RUN'); -- ok: t
SELECT calib.register_collection('run2', 'RUN'); -- ok: t
SELECT calib.register_collection('calib', 'CALIBRATION'); -- ok: t
SELECT count(*) FROM calib.insert_datasets('bias', 'run1',
    ARRAY['{"instrument": "Cam", "detector": 1}']::jsonb[],
    ARRAY['00000000-0000-4000-8000-000000000011']::uuid[]); -- ok: 1
SELECT count(*) FROM calib.insert_datasets('bias', 'run2',
    ARRAY['{"instrument": "Cam", "detector": 1}']::jsonb[],
    ARRAY['00000000-0000-4000-8000-000000000021']::uuid[]); -- ok: 1

-- A view to write raw rows by names instead of ids.
CREATE TEMPORARY VIEW target AS
SELECT c.collection_id, d.dataset_type_id, d.data_id_key, d.dataset_id
FROM calib.collection AS c, calib.dataset AS d WHERE c.name = 'calib'; -- ok

INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
SELECT collection_id, dataset_type_id, data_id_key, dataset_id, '[2020-01-01,infinity)'
FROM target WHERE dataset_id = '00000000-0000-4000-8000-000000000011'
RETURNING validity, upper_inf(validity); -- ok: ["2020-01-01 00:00:00+00",)|t
-- Overlapping it by one microsecond: the exclusion constraint refuses.
INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
SELECT collection_id, dataset_type_id, data_id_key, dataset_id, '[-infinity,2020-01-01 00:00:00.000001+00)'
FROM target WHERE dataset_id = '00000000-0000-4000-8000-000000000021'; -- error 23P01 certification_no_overlap
-- Adjacent is fine, and -infinity is stored as unbounded.
INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
SELECT collection_id, dataset_type_id, data_id_key, dataset_id, '[-infinity,2020-01-01)'
FROM target WHERE dataset_id = '00000000-0000-4000-8000-000000000021'
RETURNING validity, lower_inf(validity); -- ok: (,"2020-01-01 00:00:00+00")|t
-- An UPDATE that makes two rows overlap is refused the same way.
UPDATE calib.certification SET validity = '[-infinity,2020-06-01)'
WHERE dataset_id = '00000000-0000-4000-8000-000000000021'; -- error 23P01 certification_no_overlap

-- Bounds other than [) and empty ranges never get in.
INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
SELECT collection_id, dataset_type_id, data_id_key, dataset_id, '(2010-01-01,2011-01-01]'
FROM target WHERE dataset_id = '00000000-0000-4000-8000-000000000021'; -- error 23514 certification_validity_bounds
INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
SELECT collection_id, dataset_type_id, data_id_key, dataset_id, '[2010-01-01,2011-01-01]'
FROM target WHERE dataset_id = '00000000-0000-4000-8000-000000000021'; -- error 23514 certification_validity_bounds
INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
SELECT collection_id, dataset_type_id, data_id_key, dataset_id, 'empty'
FROM target WHERE dataset_id = '00000000-0000-4000-8000-000000000021'; -- error 23514 certification_validity_bounds
INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
SELECT collection_id, dataset_type_id, data_id_key, dataset_id, '[2010-01-01,2010-01-01)'
FROM target WHERE dataset_id = '00000000-0000-4000-8000-000000000021'; -- error 23514 certification_validity_bounds
INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
SELECT collection_id, dataset_type_id, data_id_key, dataset_id, '[infinity,infinity]'
FROM target WHERE dataset_id = '00000000-0000-4000-8000-000000000021'; -- error 23514 certification_validity_bounds
-- Not in a RUN, and not with a data ID other than its dataset's.
INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
SELECT c.collection_id, t.dataset_type_id, t.data_id_key, t.dataset_id, '[2010-01-01,2011-01-01)'
FROM target AS t, calib.collection AS c
WHERE c.name = 'run1' AND t.dataset_id = '00000000-0000-4000-8000-000000000021'; -- error 23503 certification_collection_fkey
INSERT INTO calib.certification (collection_id, collection_type, dataset_type_id, data_id_key, dataset_id, validity)
SELECT c.collection_id, 'RUN', t.dataset_type_id, t.data_id_key, t.dataset_id, '[2010-01-01,2011-01-01)'
FROM target AS t, calib.collection AS c
WHERE c.name = 'run1' AND t.dataset_id = '00000000-0000-4000-8000-000000000021'; -- error 23514 certification_collection_type_check
INSERT INTO calib.certification (collection_id, dataset_type_id, data_id_key, dataset_id, validity)
SELECT collection_id, dataset_type_id, data_id_key + 1000, dataset_id, '[2010-01-01,2011-01-01)'
FROM target WHERE dataset_id = '00000000-0000-4000-8000-000000000021'; -- error 23503 certification_dataset_fkey

-- Other tables: names, types, chains.
INSERT INTO calib.collection (name, type) VALUES ('', 'RUN'); -- error 23514 collection_name_check
INSERT INTO calib.collection (name, type) VALUES (E'bad\tname', 'RUN'); -- error 23514 collection_name_check
INSERT INTO calib.collection (name, type) VALUES ('bag', 'BAG'); -- error 23514 collection_type_check
INSERT INTO calib.collection (name, type) VALUES ('calib', 'RUN'); -- error 23505 collection_name_key
INSERT INTO calib.collection_chain (parent_id, position, child_id)
SELECT p.collection_id, 1, c.collection_id FROM calib.collection AS p, calib.collection AS c
WHERE p.name = 'calib' AND c.name = 'run1'; -- error 23503 collection_chain_parent_fkey
-- A RUN that holds datasets cannot be deleted under them.
DELETE FROM calib.collection WHERE name = 'run1'; -- error 23503 dataset_run_fkey
-- Nothing of the refused writes is there.
SELECT count(*) FROM calib.certification; -- ok: 2

-- Chains written raw: calib.search_path (what lookups search, flattened) follows them, kept
-- by the triggers on collection_chain, so lookups see the new chains at once.
SELECT calib.register_collection('chain', 'CHAINED'); -- ok: t
SELECT calib.register_collection('inner', 'CHAINED'); -- ok: t
INSERT INTO calib.collection_chain (parent_id, position, child_id)
SELECT p.collection_id, v.position, c.collection_id
FROM (VALUES ('chain', 1, 'inner'), ('chain', 2, 'run2'), ('inner', 1, 'calib'),
             ('inner', 2, 'run2')) AS v(parent, position, child)
JOIN calib.collection AS p ON p.name = v.parent
JOIN calib.collection AS c ON c.name = v.child; -- ok
CREATE TEMPORARY VIEW flat AS
SELECT c.name AS collection, string_agg(m.name, ',' ORDER BY sp.rank) AS members
FROM calib.search_path AS sp
JOIN calib.collection AS c ON c.collection_id = sp.collection_id
JOIN calib.collection AS m ON m.collection_id = sp.member_id
GROUP BY c.name; -- ok
SELECT members FROM flat WHERE collection = 'chain'; -- ok: calib,run2
SELECT dataset_id FROM calib.find('chain', 'bias', '{"instrument": "Cam", "detector": 1}',
                                  '2020-06-01'::timestamptz); -- ok: 00000000-0000-4000-8000-000000000011
DELETE FROM calib.collection_chain
WHERE child_id = (SELECT collection_id FROM calib.collection WHERE name = 'inner'); -- ok
SELECT members FROM flat WHERE collection = 'chain'; -- ok: run2
SELECT dataset_id FROM calib.find('chain', 'bias', '{"instrument": "Cam", "detector": 1}',
                                  '2020-06-01'::timestamptz); -- ok: 00000000-0000-4000-8000-000000000021
-- A cycle is refused, as set_chain refuses it.
INSERT INTO calib.collection_chain (parent_id, position, child_id)
SELECT p.collection_id, 3, c.collection_id FROM calib.collection AS p, calib.collection AS c
WHERE p.name = 'inner' AND c.name = 'inner'; -- error KC004
-- Removing a chain takes its links and its path with it.
DELETE FROM calib.collection WHERE name = 'inner'; -- ok
SELECT count(*) FROM flat WHERE collection = 'inner'; -- ok: 0
SELECT members FROM flat WHERE collection = 'chain'; -- ok: run2
