-- CREATE OR REPLACE: a revision can run this whole file again (migrations/sources/).
/* Raw writers may spell an unbounded side as +-infinity; store it as a missing bound.
   The WHEN clause keeps the common path (no infinity) free of any trigger call. */
CREATE OR REPLACE TRIGGER certification_normalize_validity
    BEFORE INSERT OR UPDATE OF validity ON calib.certification
    FOR EACH ROW
    WHEN (lower(NEW.validity) = '-infinity' OR upper(NEW.validity) = 'infinity')
    EXECUTE FUNCTION calib._normalize_validity();

/* calib.search_path follows collection and collection_chain for every writer (the trigger
   function is calib._search_path_trigger). A new collection gets its own row. After each
   statement that changes chains (set_chain, remove_collection and copy_collection, the
   cascades of a removed chain, raw SQL), the changed parents and every chain above them are
   recomputed (calib._refresh_search_paths, which takes the chain lock). Statement-level
   with transition tables: one refresh per statement, however many rows it changed.
   PostgreSQL allows transition tables only on single-event triggers, hence one per event. */
CREATE OR REPLACE TRIGGER collection_search_path_insert
    AFTER INSERT ON calib.collection
    FOR EACH ROW WHEN (NEW.type <> 'CHAINED')
    EXECUTE FUNCTION calib._search_path_trigger();
CREATE OR REPLACE TRIGGER collection_chain_search_path_insert
    AFTER INSERT ON calib.collection_chain
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._search_path_trigger();
CREATE OR REPLACE TRIGGER collection_chain_search_path_update
    AFTER UPDATE ON calib.collection_chain
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._search_path_trigger();
CREATE OR REPLACE TRIGGER collection_chain_search_path_delete
    AFTER DELETE ON calib.collection_chain
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._search_path_trigger();
CREATE OR REPLACE TRIGGER collection_chain_search_path_truncate
    AFTER TRUNCATE ON calib.collection_chain
    FOR EACH STATEMENT EXECUTE FUNCTION calib._search_path_trigger();
/* No function changes a collection's type, but raw SQL may (while no foreign key objects):
   the collection's rows as a member go first, then its path and the paths above it are
   recomputed. The WHEN clauses keep every other update of collection free of trigger calls. */
CREATE OR REPLACE TRIGGER collection_type_search_path_before
    BEFORE UPDATE OF type ON calib.collection
    FOR EACH ROW WHEN (OLD.type IS DISTINCT FROM NEW.type)
    EXECUTE FUNCTION calib._search_path_trigger();
CREATE OR REPLACE TRIGGER collection_type_search_path
    AFTER UPDATE OF type ON calib.collection
    FOR EACH ROW WHEN (OLD.type IS DISTINCT FROM NEW.type)
    EXECUTE FUNCTION calib._search_path_trigger();
/* One value type per dimension (calib.dimension) for every writer of calib.data_id: new
   dimensions are fixed from the new rows, then a value of the other type is refused (KC008;
   calib._data_id_types_trigger). Statement-level: one pass per statement. */
CREATE OR REPLACE TRIGGER data_id_types_insert
    AFTER INSERT ON calib.data_id
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._data_id_types_trigger();
CREATE OR REPLACE TRIGGER data_id_types_update
    AFTER UPDATE ON calib.data_id
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._data_id_types_trigger();
