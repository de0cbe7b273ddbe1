-- calibcert SQL API: certifying, as an unprivileged service role.
--
-- Run by hand:  psql -d <a fresh calibcert database> -f tests/sql/certify.sql
-- (needs the role: CREATE ROLE calib_test_writer LOGIN IN ROLE calib_admin;)
-- Each statement ends with its expected outcome:
--   -- ok                 succeeds          -- ok: <row>   one row, printed unaligned
--   -- rows: <n>          returns n rows    -- error <SQLSTATE> [<constraint>]
-- tests/test_sql_level.py runs this file and checks every annotation.

\connect - calib_test_writer
SET TimeZone = 'UTC'; -- ok

-- A dataset type, two RUNs with detectors 1 and 2 each, and a CALIBRATION collection.
-- Dataset ids are given so that the statements below can name them:
--   ...11 = run1 detector 1, ...12 = run1 detector 2, ...21 / ...22 the same in run2.
SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector']); -- ok: t
SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector']); -- ok: f
SELECT calib.register_dataset_type('bias', ARRAY['instrument']); -- error KC010
SELECT calib.register_dataset_type('raw', ARRAY['instrument', 'exposure'], false); -- ok: t
SELECT calib.register_collection('run1', 'RUN'); -- ok: t
SELECT calib.register_collection('run2', 'RUN'); -- ok: t
SELECT calib.register_collection('calib', 'CALIBRATION'); -- ok: t
SELECT calib.register_collection('calib', 'calibration'); -- ok: f
SELECT calib.register_collection('calib', 'TAGGED'); -- error KC010
SELECT calib.register_collection('', 'RUN'); -- error KC014
SELECT calib.register_collection('x', 'BAG'); -- error KC015
SELECT count(*) FROM calib.insert_datasets('bias', 'run1',
    ARRAY['{"instrument": "Cam", "detector": 1}', '{"instrument": "Cam", "detector": 2}']::jsonb[],
    ARRAY['00000000-0000-4000-8000-000000000011',
          '00000000-0000-4000-8000-000000000012']::uuid[]); -- ok: 2
SELECT count(*) FROM calib.insert_datasets('bias', 'run2',
    ARRAY['{"instrument": "Cam", "detector": 1.0}', '{"detector": 2, "instrument": "Cam"}']::jsonb[],
    ARRAY['00000000-0000-4000-8000-000000000021',
          '00000000-0000-4000-8000-000000000022']::uuid[]); -- ok: 2
SELECT count(*) FROM calib.insert_datasets('raw', 'run1',
    ARRAY['{"instrument": "Cam", "exposure": 5}']::jsonb[],
    ARRAY['00000000-0000-4000-8000-000000000031']::uuid[]); -- ok: 1
-- The same data ID twice in one RUN, a wrong data ID, an unknown RUN.
SELECT * FROM calib.insert_datasets('bias', 'run1',
    ARRAY['{"instrument": "Cam", "detector": 1}']::jsonb[]); -- error KC010
SELECT * FROM calib.insert_datasets('bias', 'run1',
    ARRAY['{"instrument": "Cam"}']::jsonb[]); -- error KC008
SELECT * FROM calib.insert_datasets('bias', 'run1',
    ARRAY['{"instrument": "Cam", "detector": true}']::jsonb[]); -- error KC008
SELECT * FROM calib.insert_datasets('bias', 'nope',
    ARRAY['{"instrument": "Cam", "detector": 9}']::jsonb[]); -- error KC002
-- 1.0 was stored as the integer 1.
SELECT data_id FROM calib.get_datasets(ARRAY['00000000-0000-4000-8000-000000000021']::uuid[]); -- ok: {"detector": 1, "instrument": "Cam"}

-- Certify ...11 from 2020 on. "infinity" and a missing bound mean the same: unbounded.
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000011']::uuid[],
    '[2020-01-01,infinity)'); -- ok: 1
SELECT validity FROM calib.certifications('calib'); -- ok: ["2020-01-01 00:00:00+00",)
-- Another dataset of the same calibration key may not overlap it...
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000021']::uuid[],
    '[2021-01-01,2022-01-01)'); -- error KC001
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000021']::uuid[],
    '(,2020-01-01 00:00:00.000001+00)'); -- error KC001
-- ...but may end exactly where it begins ([a,b) and [b,c) do not overlap).
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000021']::uuid[],
    '[-infinity,2020-01-01)'); -- ok: 1
SELECT lower_inf(validity) FROM calib.certifications('calib')
    WHERE dataset_id = '00000000-0000-4000-8000-000000000021'; -- ok: t
-- Two datasets of one key in the same call conflict with each other; nothing is stored.
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000012',
                                    '00000000-0000-4000-8000-000000000022']::uuid[],
    '[2020-01-01,2021-01-01)'); -- error KC001
SELECT count(*) FROM calib.certifications('calib'); -- ok: 2
-- Different keys in one call are fine.
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000012']::uuid[],
    '[2020-01-01,2021-01-01)'); -- ok: 1

-- A whole transaction fails as a unit once one statement fails.
BEGIN; -- ok
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000022']::uuid[],
    '[2021-01-01,2022-01-01)'); -- ok: 1
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000022']::uuid[],
    '[2021-06-01,2022-01-01)'); -- error KC001
SELECT 1; -- error 25P02
ROLLBACK; -- ok
SELECT count(*) FROM calib.certifications('calib'); -- ok: 3

-- close_open: a new certification from 2023 first ends ...11's open range at 2023.
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000021']::uuid[],
    '[2023-01-01,)', true); -- ok: 1
SELECT validity FROM calib.certifications('calib')
    WHERE dataset_id = '00000000-0000-4000-8000-000000000011'; -- ok: ["2020-01-01 00:00:00+00","2023-01-01 00:00:00+00")
-- It never closes a range that begins at or after the new begin: that is a conflict.
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000011']::uuid[],
    '[2023-01-01,)', true); -- error KC001
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000011']::uuid[],
    '[2022-01-01,)', true); -- error KC001

-- Timespans must be [begin, end) and non-empty.
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000022']::uuid[],
    '(2030-01-01,2031-01-01]'); -- error KC009
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000022']::uuid[],
    '[2030-01-01,2031-01-01]'); -- error KC009
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000022']::uuid[],
    '[2030-01-01,2030-01-01)'); -- error KC009
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000022']::uuid[],
    'empty'); -- error KC009
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000022']::uuid[],
    '[infinity,)'); -- error KC009
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000022']::uuid[],
    tstzrange('2031-01-01', '2030-01-01')); -- error 22000
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000022']::uuid[],
    NULL); -- error KC015

-- Wrong collection, wrong type, unknown or non-calibration dataset.
SELECT calib.certify('nope', ARRAY['00000000-0000-4000-8000-000000000022']::uuid[],
    '[2030-01-01,)'); -- error KC002
SELECT calib.certify('run1', ARRAY['00000000-0000-4000-8000-000000000022']::uuid[],
    '[2030-01-01,)'); -- error KC003
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000099']::uuid[],
    '[2030-01-01,)'); -- error KC007
SELECT calib.certify('calib', ARRAY['00000000-0000-4000-8000-000000000031']::uuid[],
    '[2030-01-01,)'); -- error KC006
SELECT calib.certify('calib', ARRAY[NULL]::uuid[], '[2030-01-01,)'); -- error KC015
SELECT count(*) FROM calib.certifications('calib'); -- ok: 4

-- decertify: [2021,2022) out of ...11's [2020,2023) splits it in two.
SELECT calib.decertify('calib', 'bias', '[2021-01-01,2022-01-01)'::tstzrange,
    ARRAY['{"instrument": "Cam", "detector": 1}']::jsonb[]); -- ok: 1
SELECT string_agg(validity::text, ' ' ORDER BY lower(validity)) FROM calib.certifications('calib')
    WHERE dataset_id = '00000000-0000-4000-8000-000000000011'; -- ok: ["2020-01-01 00:00:00+00","2021-01-01 00:00:00+00") ["2022-01-01 00:00:00+00","2023-01-01 00:00:00+00")
-- Nothing matching is a no-op; a data ID that was never stored matches nothing.
SELECT calib.decertify('calib', 'bias', '[2021-01-01 00:00+00,2022-01-01 00:00+00)'); -- ok: 0
-- Every argument untyped reaches the all-text form, which reads times itself: a time
-- without a UTC offset is refused (typed, as above, PostgreSQL reads it in TimeZone).
SELECT calib.decertify('calib', 'bias', '[2021-01-01,2022-01-01)'); -- error KC009
SELECT calib.decertify('calib', 'bias', '(,)',
    ARRAY['{"instrument": "Cam", "detector": 7}']::jsonb[]); -- ok: 0
SELECT calib.decertify('calib', 'bias', '(,)',
    ARRAY['{"instrument": "Cam"}']::jsonb[]); -- error KC008
SELECT calib.decertify('calib', 'nope', '(,)'); -- error KC005
SELECT calib.decertify('calib', 'raw', '(,)'); -- error KC006
SELECT calib.decertify('calib', 'bias', '(2020-01-01 00:00+00,2021-01-01 00:00+00]'); -- error KC009

-- close_open_range: ...21 is open from 2023, so an end at or before 2023 is refused.
SELECT calib.close_open_range('calib', 'bias', '2023-01-01T00:00Z'); -- error KC009
SELECT calib.close_open_range('calib', 'bias', 'infinity'); -- error KC009
SELECT calib.close_open_range('calib', 'bias', '2025-01-01'); -- error KC009
SELECT calib.close_open_range('calib', 'bias', '2025-01-01T00:00Z'); -- ok: 1
SELECT calib.close_open_range('calib', 'bias', '2026-01-01'::timestamptz); -- ok: 0
SELECT count(*) FROM calib.certifications('calib') WHERE upper_inf(validity); -- ok: 0

-- certify_series: each end is the next begin of the same key, the last one open.
SELECT calib.certify_series('calib',
    ARRAY['00000000-0000-4000-8000-000000000012', '00000000-0000-4000-8000-000000000022']::uuid[],
    ARRAY['2030-01-01', '2031-01-01']::timestamptz[]); -- ok: 2
SELECT string_agg(validity::text, ' ' ORDER BY lower(validity)) FROM calib.certifications('calib')
    WHERE lower(validity) >= '2030-01-01'; -- ok: ["2030-01-01 00:00:00+00","2031-01-01 00:00:00+00") ["2031-01-01 00:00:00+00",)
SELECT calib.certify_series('calib',
    ARRAY['00000000-0000-4000-8000-000000000012', '00000000-0000-4000-8000-000000000022']::uuid[],
    ARRAY['2040-01-01', '2040-01-01']::timestamptz[]); -- error KC001
SELECT calib.certify_series('calib', ARRAY['00000000-0000-4000-8000-000000000012']::uuid[],
    ARRAY[]::timestamptz[]); -- error KC015
SELECT calib.certify_series('calib', ARRAY['00000000-0000-4000-8000-000000000012']::uuid[],
    ARRAY['infinity']::timestamptz[]); -- error KC009
-- With close_open the series may start while the last one is still open.
SELECT calib.certify_series('calib', ARRAY['00000000-0000-4000-8000-000000000012']::uuid[],
    ARRAY['2032-01-01']::timestamptz[], true); -- ok: 1
SELECT count(*) FROM calib.certifications('calib') WHERE upper_inf(validity); -- ok: 1
