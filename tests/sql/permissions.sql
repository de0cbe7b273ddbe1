-- calibcert SQL API: what a service role may and may not do.
-- Every change goes through the calib.* functions (SECURITY DEFINER): the roles have
-- EXECUTE on the public functions and SELECT on the tables, nothing else.
--
-- Run by hand:  psql -d <a fresh calibcert database> -f tests/sql/permissions.sql
-- (needs: CREATE ROLE calib_test_writer LOGIN IN ROLE calib_admin;
--         CREATE ROLE calib_test_reader LOGIN IN ROLE calib_reader;)
-- Expected outcomes: -- ok | -- ok: <row> | -- rows: <n> | -- error <SQLSTATE>

\connect - calib_test_writer
SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector']); -- ok: t
SELECT calib.register_collection('run1', 'RUN'); -- ok: t
SELECT calib.register_collection('calib', 'CALIBRATION'); -- ok: t
SELECT count(*) FROM calib.insert_datasets('bias', 'run1',
    ARRAY['{"instrument": "Cam", "detector": 1}']::jsonb[],
    ARRAY['00000000-0000-4000-8000-000000000011']::uuid[]); -- ok: 1
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000011']::uuid[],
    '[2020-01-01,)'); -- ok: 1

-- The writer reads tables directly...
SELECT count(*) FROM calib.certification; -- ok: 1
SELECT name, type FROM calib.collection ORDER BY name; -- rows: 2
-- ...but cannot write them: not even to "fix" a row by hand.
INSERT INTO calib.collection (name, type) VALUES ('sneaky', 'RUN'); -- error 42501
UPDATE calib.certification SET validity = '[2019-01-01,)'; -- error 42501
DELETE FROM calib.certification; -- error 42501
DELETE FROM calib.dataset; -- error 42501
TRUNCATE calib.tag; -- error 42501
UPDATE calib.data_id SET value = '{}'; -- error 42501
ALTER TABLE calib.certification DROP CONSTRAINT certification_no_overlap; -- error 42501
CREATE TABLE calib.mine (x int); -- error 42501
-- Private helpers (names starting with _) are not callable either.
SELECT calib._raise('KC001', 'forged'); -- error 42501
SELECT calib._lock_collections(ARRAY[1]); -- error 42501
SELECT calib._lock_chains(); -- error 42501
SELECT calib._timespan('[2020-01-01,)'); -- error 42501
-- A search_path of the caller's cannot redirect the functions (theirs is pinned).
SET search_path = public, calib; -- ok
SELECT certify('calib', ARRAY['00000000-0000-4000-8000-000000000011']::uuid[],
    '[2010-01-01,2011-01-01)'); -- ok: 1
RESET search_path; -- ok
SELECT calib.decertify('calib', 'bias', '[2010-01-01 00:00+00,2011-01-01 00:00+00)'); -- ok: 1

\connect - calib_test_reader
SELECT count(*) FROM calib.certification; -- ok: 1
SELECT count(*) FROM calib.certifications('calib'); -- ok: 1
SELECT calib.get_chain('calib'); -- error KC003
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000011']::uuid[],
    '[2010-01-01,2011-01-01)'); -- error 42501
SELECT calib.certify_series('calib', ARRAY['00000000-0000-4000-8000-000000000011']::uuid[],
    ARRAY['2010-01-01']::timestamptz[]); -- error 42501
SELECT calib.decertify('calib', 'bias', '(,)'); -- error 42501
SELECT calib.close_open_range('calib', 'bias', '2030-01-01'); -- error 42501
SELECT calib.register_collection('x', 'RUN'); -- error 42501
SELECT calib.register_dataset_type('x', ARRAY['a']); -- error 42501
SELECT * FROM calib.insert_datasets('bias', 'run1', ARRAY['{"instrument": "Cam", "detector": 2}']::jsonb[]); -- error 42501
SELECT calib.copy_collection('calib', 'copy'); -- error 42501
SELECT calib.remove_collection('calib'); -- error 42501
INSERT INTO calib.collection (name, type) VALUES ('sneaky', 'RUN'); -- error 42501
SELECT count(*) FROM calib.certification; -- ok: 1
