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
CREATE OR REPLACE TRIGGER certification_versions_insert
    AFTER INSERT ON calib.certification REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER certification_versions_update
    AFTER UPDATE ON calib.certification REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER certification_versions_delete
    AFTER DELETE ON calib.certification REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._record_versions();
CREATE OR REPLACE TRIGGER certification_versions_truncate
    AFTER TRUNCATE ON calib.certification
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
