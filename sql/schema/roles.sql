/* Roles are cluster-wide, so they are created only if missing (several databases of one
   cluster may carry calibcert). calib_reader may look up; calib_writer may also change. */
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'calib_reader') THEN
        CREATE ROLE calib_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'calib_writer') THEN
        CREATE ROLE calib_writer NOLOGIN;
    END IF;
END
$$;
