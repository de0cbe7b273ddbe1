-- Only for installs from this script (not part of any migration): record the head revision
-- in alembic's version table, as `calibcert db upgrade` leaves it.
CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO alembic_version (version_num) VALUES ('0019');
