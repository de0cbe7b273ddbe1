-- Undo revision 0001 on PostgreSQL: every calibcert object except alembic's version table
-- (alembic still needs it to record the downgrade). Roles and btree_gist are left: they
-- are cluster / database wide and may serve others.
DROP TABLE calib.certification, calib.tag, calib.dataset, calib.data_id, calib.dataset_type,
    calib.collection_chain, calib.collection CASCADE;
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT p.oid::regprocedure AS f FROM pg_catalog.pg_proc AS p
             WHERE p.pronamespace = 'calib'::regnamespace LOOP
        EXECUTE format('DROP FUNCTION %s CASCADE', r.f);
    END LOOP;
END
$$;
