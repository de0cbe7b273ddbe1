-- calibcert SQL API: lookups, as a read-only service role on a READ ONLY transaction
-- (what a hot standby allows).
--
-- Run by hand:  psql -d <a fresh calibcert database> -f tests/sql/lookups.sql
-- (needs: CREATE ROLE calib_test_writer LOGIN IN ROLE calib_admin;
--         CREATE ROLE calib_test_reader LOGIN IN ROLE calib_reader;)
-- Expected outcomes: -- ok | -- ok: <row> | -- rows: <n> | -- error <SQLSTATE>

\connect - calib_test_writer
SET TimeZone = 'UTC'; -- ok
SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector']); -- ok: t
SELECT calib.register_collection('run1', 'RUN'); -- ok: t
SELECT calib.register_collection('run2', 'RUN'); -- ok: t
SELECT calib.register_collection('calib', 'CALIBRATION'); -- ok: t
SELECT calib.register_collection('tagged', 'TAGGED'); -- ok: t
SELECT calib.register_collection('chain', 'CHAINED'); -- ok: t
SELECT count(*) FROM calib.insert_datasets('bias', 'run1',
    ARRAY['{"instrument": "Cam", "detector": 1}', '{"instrument": "Cam", "detector": 2}']::jsonb[],
    ARRAY['00000000-0000-4000-8000-000000000011',
          '00000000-0000-4000-8000-000000000012']::uuid[]); -- ok: 2
SELECT count(*) FROM calib.insert_datasets('bias', 'run2',
    ARRAY['{"instrument": "Cam", "detector": 1}', '{"instrument": "Cam", "detector": 2}']::jsonb[],
    ARRAY['00000000-0000-4000-8000-000000000021',
          '00000000-0000-4000-8000-000000000022']::uuid[]); -- ok: 2
-- Detector 1: ...11 during 2020, ...21 from 2021 on. Detector 2: only tagged (...22).
SELECT calib.certify_series('calib',
    ARRAY['00000000-0000-4000-8000-000000000011', '00000000-0000-4000-8000-000000000021']::uuid[],
    ARRAY['2020-01-01', '2021-01-01']::timestamptz[]); -- ok: 2
SELECT calib.tag('tagged', ARRAY['00000000-0000-4000-8000-000000000022']::uuid[]); -- ok: 1
SELECT calib.tag('tagged', ARRAY['00000000-0000-4000-8000-000000000012']::uuid[]); -- error KC010
-- Search order: the calibrations first, then the tagged collection, then run1.
SELECT calib.set_chain('chain', ARRAY['calib', 'tagged', 'run1']); -- ok
SELECT calib.get_chain('chain'); -- ok: {calib,tagged,run1}

\connect - calib_test_reader
SET TimeZone = 'UTC'; -- ok
BEGIN; -- ok
SET TRANSACTION READ ONLY; -- ok
SHOW transaction_read_only; -- ok: on
-- An instant picks the certification that contains it; [a,b) includes a, excludes b.
SELECT dataset_id FROM calib.find('calib', 'bias', '{"instrument": "Cam", "detector": 1}',
    '2020-01-01 00:00:00+00'::timestamptz); -- ok: 00000000-0000-4000-8000-000000000011
SELECT dataset_id FROM calib.find('calib', 'bias', '{"instrument": "Cam", "detector": 1}',
    '2020-12-31 23:59:59.999999+00'::timestamptz); -- ok: 00000000-0000-4000-8000-000000000011
SELECT dataset_id FROM calib.find('calib', 'bias', '{"instrument": "Cam", "detector": 1}',
    '2021-01-01 00:00:00+00'::timestamptz); -- ok: 00000000-0000-4000-8000-000000000021
SELECT dataset_id FROM calib.find('calib', 'bias', '{"instrument": "Cam", "detector": 1}',
    '2019-12-31'::timestamptz); -- rows: 0
-- Key order and 1.0 do not matter in a data ID.
SELECT dataset_id, run FROM calib.find('calib', 'bias', '{"detector": 1.0, "instrument": "Cam"}',
    '2030-01-01'::timestamptz); -- ok: 00000000-0000-4000-8000-000000000021|run2
-- A timespan overlapping two certifications of the key is ambiguous.
SELECT dataset_id FROM calib.find('calib', 'bias', '{"instrument": "Cam", "detector": 1}',
    '[2020-06-01,2021-06-01)'::tstzrange); -- error KC011
-- The error aborted the transaction; start a new read-only one.
ROLLBACK; -- ok
BEGIN READ ONLY; -- ok
SELECT dataset_id FROM calib.find('calib', 'bias', '{"instrument": "Cam", "detector": 1}',
    '[2020-06-01,2020-07-01)'::tstzrange); -- ok: 00000000-0000-4000-8000-000000000011
SELECT dataset_id FROM calib.find('calib', 'bias', '{"instrument": "Cam", "detector": 1}',
    '[2020-06-01,2020-07-01]'::tstzrange); -- error KC009
ROLLBACK; -- ok
BEGIN READ ONLY; -- ok
-- Through the chain: the first member with any match decides.
SELECT dataset_id FROM calib.find('chain', 'bias', '{"instrument": "Cam", "detector": 1}',
    '2020-06-01'::timestamptz); -- ok: 00000000-0000-4000-8000-000000000011
SELECT dataset_id FROM calib.find('chain', 'bias', '{"instrument": "Cam", "detector": 2}',
    '2020-06-01'::timestamptz); -- ok: 00000000-0000-4000-8000-000000000022
SELECT dataset_id FROM calib.find('chain', 'bias', '{"instrument": "Cam", "detector": 1}',
    '2019-06-01'::timestamptz); -- ok: 00000000-0000-4000-8000-000000000011
-- A NULL time skips CALIBRATION members.
SELECT dataset_id, run FROM calib.find('chain', 'bias', '{"instrument": "Cam", "detector": 1}',
    NULL::timestamptz); -- ok: 00000000-0000-4000-8000-000000000011|run1
-- find_many: one row per query, in input order, NULL where nothing matched.
SELECT string_agg(coalesce(dataset_id::text, '-'), ' ' ORDER BY ord) FROM calib.find_many('calib', 'bias',
    ARRAY['{"instrument": "Cam", "detector": 1}', '{"instrument": "Cam", "detector": 2}',
          '{"instrument": "Cam", "detector": 1}']::jsonb[],
    ARRAY['2020-06-01', '2020-06-01', '2022-06-01']::timestamptz[]); -- ok: 00000000-0000-4000-8000-000000000011 - 00000000-0000-4000-8000-000000000021
SELECT collection, dataset_id, validity FROM calib.certifications('chain')
    ORDER BY lower(validity); -- rows: 2
SELECT count(*) FROM calib.certifications('chain', 'bias'); -- ok: 2
SELECT string_agg(dataset_id::text, ' ') FROM calib.query_datasets('chain', 'bias'); -- ok: 00000000-0000-4000-8000-000000000011 00000000-0000-4000-8000-000000000022
SELECT name, type FROM calib.list_collections('CHAINED'); -- ok: chain|CHAINED
SELECT name, dimensions, is_calibration FROM calib.list_dataset_types(); -- ok: bias|{instrument,detector}|t
COMMIT; -- ok

-- Bad arguments (each outside a transaction, which its error would abort).
SELECT count(*) FROM calib.find_many('calib', 'bias',
    ARRAY['{"instrument": "Cam", "detector": 1}']::jsonb[],
    ARRAY['[2020-06-01,2020-07-01)', NULL]::tstzrange[]); -- error KC015
SELECT count(*) FROM calib.certifications('nope'); -- error KC002
SELECT count(*) FROM calib.certifications('calib', 'nope'); -- error KC005

-- The reader may not change anything, through functions or tables.
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000012']::uuid[],
    '[2030-01-01,)'); -- error 42501
SELECT calib.register_collection('mine', 'RUN'); -- error 42501
DELETE FROM calib.certification; -- error 42501
SELECT count(*) FROM calib.certification; -- ok: 2

-- A writer in a READ ONLY transaction cannot certify either.
\connect - calib_test_writer
BEGIN READ ONLY; -- ok
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000012']::uuid[],
    '[2030-01-01,)'); -- error 25006
ROLLBACK; -- ok
