/* Only for installs with psql (not part of any migration): record the head revision in
   alembic's version table, exactly as `calibcert db upgrade` leaves it, so a database
   installed either way is recognised by connect() and can be upgraded by alembic later. */
CREATE TABLE calib.alembic_version (
    version_num varchar(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO calib.alembic_version (version_num) VALUES ('0019');
-- Created after schema/grants.sql and schema/security.sql ran: grant what alembic's table
-- gets there, so that the service roles can read the revision (calibcert.connect checks
-- it) on either install, and hand it to calib_owner like every other table. The reader
-- role is this database's (schema/roles.sql); certifier and admin are its members.
DO $$
BEGIN
    EXECUTE pg_catalog.format('GRANT SELECT ON calib.alembic_version TO %I',
                              (SELECT i.role_prefix FROM calib.installation AS i) || '_reader');
END
$$;
ALTER TABLE calib.alembic_version OWNER TO calib_owner;
