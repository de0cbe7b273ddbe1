-- CREATE OR REPLACE: a revision can run this whole file again (migrations/sources/).
/* History (revision 0014): every versioned table's changes go into its version table
   (calib._record_versions), for every writer; statement-level with transition tables (one
   trigger per event, as PostgreSQL wants them). At COMMIT, the change row gets its epoch
   (calib._stamp_epoch, deferred constraint trigger). README "History and time travel". */
/* PostgreSQL has no CREATE OR REPLACE for constraint triggers: created once. */
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_trigger
                   WHERE tgrelid = 'calib.change'::regclass AND tgname = 'change_epoch') THEN
        CREATE CONSTRAINT TRIGGER change_epoch
            AFTER INSERT ON calib.change
            DEFERRABLE INITIALLY DEFERRED
            FOR EACH ROW EXECUTE FUNCTION calib._stamp_epoch();
    END IF;
END
$$;
/* Certifications (see calib.certification_version): a current row carries its creating
   change. On INSERT the column defaults fill it, row by row without a function call once
   this transaction has its change (calib._change() runs for the first row only); an UPDATE
   by the functions sets both columns to DEFAULT. calib._certification_statement checks,
   once per statement, that the remembered change is this transaction's own (a caller who
   sets calib._change by hand gets a new one) and names the operation; calib._stamp_row
   stamps a row that arrives with anything else (raw SQL naming its own values, an UPDATE
   that left them alone). With triggers off (session_replication_role = replica, a
   superuser's restore) the defaults still give the transaction's change, operation 'sql'
   unless an earlier statement named one. Only the old rows of an UPDATE or DELETE are copied, into the
   closed versions. The columns themselves: schema/certification_history.sql. */
ALTER TABLE calib.certification
    ALTER COLUMN created_change SET DEFAULT coalesce(
        nullif(pg_catalog.current_setting('calib._change', true), '')::bigint, calib._change()),
    ALTER COLUMN created_change SET NOT NULL,
    ALTER COLUMN created_operation SET DEFAULT
        coalesce(pg_catalog.current_setting('calib._row_operation', true), 'sql'),
    ALTER COLUMN created_operation SET NOT NULL;
CREATE OR REPLACE TRIGGER certification_versions_statement
    BEFORE INSERT OR UPDATE ON calib.certification
    FOR EACH STATEMENT EXECUTE FUNCTION calib._certification_statement();
CREATE OR REPLACE TRIGGER certification_versions_row
    BEFORE INSERT OR UPDATE ON calib.certification
    FOR EACH ROW
    WHEN (NEW.created_change IS DISTINCT FROM
              nullif(pg_catalog.current_setting('calib._change', true), '')::bigint
          OR NEW.created_operation IS DISTINCT FROM
              pg_catalog.current_setting('calib._row_operation', true))
    EXECUTE FUNCTION calib._stamp_row();
CREATE OR REPLACE TRIGGER certification_versions_update
    AFTER UPDATE ON calib.certification REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER certification_versions_delete
    AFTER DELETE ON calib.certification REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER certification_versions_truncate
    BEFORE TRUNCATE ON calib.certification
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_versions_insert
    AFTER INSERT ON calib.collection REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_versions_update
    AFTER UPDATE ON calib.collection REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_versions_delete
    AFTER DELETE ON calib.collection REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_versions_truncate
    AFTER TRUNCATE ON calib.collection
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_chain_versions_insert
    AFTER INSERT ON calib.collection_chain REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_chain_versions_update
    AFTER UPDATE ON calib.collection_chain REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_chain_versions_delete
    AFTER DELETE ON calib.collection_chain REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER collection_chain_versions_truncate
    AFTER TRUNCATE ON calib.collection_chain
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER tag_versions_insert
    AFTER INSERT ON calib.tag REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER tag_versions_update
    AFTER UPDATE ON calib.tag REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER tag_versions_delete
    AFTER DELETE ON calib.tag REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER tag_versions_truncate
    AFTER TRUNCATE ON calib.tag
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER dataset_versions_insert
    AFTER INSERT ON calib.dataset REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER dataset_versions_update
    AFTER UPDATE ON calib.dataset REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER dataset_versions_delete
    AFTER DELETE ON calib.dataset REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER dataset_versions_truncate
    AFTER TRUNCATE ON calib.dataset
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
