-- CREATE OR REPLACE: a revision can run this whole file again (migrations/sources/).
/* Revision 0017: the references of calib.certification_version to calib.change
   (created_change, removed_change), kept by triggers with the guarantees of the foreign
   keys they replace, checked once per statement instead of once per row and column
   (bench/README.md "PostgreSQL writes (revision 0017)"):
   - calib._version_change_check: the changes new or updated versions name exist, and are
     locked FOR KEY SHARE until the writer ends;
   - calib._change_refs_check: a change a version names is not deleted, re-keyed or
     truncated away (23503), and a REPEATABLE READ / SERIALIZABLE delete that could miss a
     version committed after its snapshot is a serialization failure (40001).
   The smaller version tables (collection, chain, tag, dataset), a few rows per call, keep
   their declared foreign keys. */
CREATE OR REPLACE TRIGGER certification_version_change_insert
    AFTER INSERT ON calib.certification_version REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._version_change_check();
CREATE OR REPLACE TRIGGER certification_version_change_update
    AFTER UPDATE ON calib.certification_version REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._version_change_check();
CREATE OR REPLACE TRIGGER change_refs_before_delete
    BEFORE DELETE ON calib.change
    FOR EACH STATEMENT EXECUTE FUNCTION calib._change_refs_check();
CREATE OR REPLACE TRIGGER change_refs_delete
    AFTER DELETE ON calib.change REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._change_refs_check();
CREATE OR REPLACE TRIGGER change_refs_rekey
    BEFORE UPDATE OF change_id ON calib.change
    FOR EACH ROW WHEN (OLD.change_id IS DISTINCT FROM NEW.change_id)
    EXECUTE FUNCTION calib._change_refs_check();
CREATE OR REPLACE TRIGGER change_refs_truncate
    AFTER TRUNCATE ON calib.change
    FOR EACH STATEMENT EXECUTE FUNCTION calib._change_refs_check();
