-- calibcert SQL API: chains, copies and removal, as an unprivileged service role.
--
-- Run by hand:  psql -d <a fresh calibcert database> -f tests/sql/chains.sql
-- (needs: CREATE ROLE calib_test_writer LOGIN IN ROLE calib_admin;)
-- Expected outcomes: -- ok | -- ok: <row> | -- rows: <n> | -- error <SQLSTATE>

\connect - calib_test_writer
SET TimeZone = 'UTC'; -- ok
SELECT calib.register_dataset_type('bias', ARRAY['instrument', 'detector']); -- ok: t
SELECT calib.register_collection('run1', 'RUN'); -- ok: t
SELECT calib.register_collection('calib/a', 'CALIBRATION'); -- ok: t
SELECT calib.register_collection('calib/b', 'CALIBRATION'); -- ok: t
SELECT calib.register_collection('outer', 'CHAINED'); -- ok: t
SELECT calib.register_collection('inner', 'CHAINED'); -- ok: t
SELECT count(*) FROM calib.insert_datasets('bias', 'run1',
    ARRAY['{"instrument": "Cam", "detector": 1}']::jsonb[],
    ARRAY['00000000-0000-4000-8000-000000000011']::uuid[]); -- ok: 1
SELECT calib.certify('calib/b', ARRAY['00000000-0000-4000-8000-000000000011']::uuid[],
    '[2020-01-01,)'); -- ok: 1

-- outer = [inner, run1], inner = [calib/a, calib/b]; a repeated child is kept once.
SELECT calib.set_chain('inner', ARRAY['calib/a', 'calib/b', 'calib/a']); -- ok
SELECT calib.get_chain('inner'); -- ok: {calib/a,calib/b}
SELECT calib.set_chain('outer', ARRAY['inner', 'run1']); -- ok
SELECT dataset_id FROM calib.find('outer', 'bias', '{"instrument": "Cam", "detector": 1}',
    '2021-01-01'::timestamptz); -- ok: 00000000-0000-4000-8000-000000000011
SELECT collection FROM calib.certifications('outer'); -- ok: calib/b
-- Before 2020 no calibration matches, so the search goes on to run1.
SELECT run FROM calib.find('outer', 'bias', '{"instrument": "Cam", "detector": 1}',
    '2019-01-01'::timestamptz); -- ok: run1

-- Cycles are refused, directly or through another chain.
SELECT calib.set_chain('inner', ARRAY['inner']); -- error KC004
SELECT calib.set_chain('inner', ARRAY['calib/a', 'outer']); -- error KC004
SELECT calib.get_chain('inner'); -- ok: {calib/a,calib/b}
SELECT calib.set_chain('inner', ARRAY['nope']); -- error KC002
SELECT calib.set_chain('calib/a', ARRAY['run1']); -- error KC003
SELECT calib.set_chain('inner', NULL); -- error KC015
SELECT calib.get_chain('run1'); -- error KC003

-- Copies: certifications with their timespans, chain children.
SELECT calib.copy_collection('calib/b', 'calib/b-copy'); -- ok
SELECT validity FROM calib.certifications('calib/b-copy'); -- ok: ["2020-01-01 00:00:00+00",)
SELECT calib.copy_collection('inner', 'inner-copy'); -- ok
SELECT calib.get_chain('inner-copy'); -- ok: {calib/a,calib/b}
SELECT calib.copy_collection('calib/b', 'calib/a'); -- error KC010
SELECT calib.copy_collection('run1', 'run1-copy'); -- error KC003
SELECT calib.copy_collection('nope', 'nope-copy'); -- error KC002

-- Removal: not while a chain holds it; a RUN only when empty; datasets stay.
SELECT calib.remove_collection('calib/b'); -- error KC013
SELECT calib.remove_collection('run1'); -- error KC013
SELECT calib.set_chain('inner', ARRAY['calib/a']); -- ok
SELECT calib.remove_collection('inner-copy'); -- ok
SELECT calib.remove_collection('calib/b'); -- ok
SELECT calib.remove_collection('calib/b'); -- error KC002
SELECT count(*) FROM calib.certifications('calib/b-copy'); -- ok: 1
SELECT count(*) FROM calib.get_datasets(ARRAY['00000000-0000-4000-8000-000000000011']::uuid[]); -- ok: 1
SELECT string_agg(name, ' ' ORDER BY name) FROM calib.list_collections(); -- ok: calib/a calib/b-copy inner outer run1
