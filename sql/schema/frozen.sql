-- CREATE OR REPLACE: a revision can run this whole file again (migrations/sources/).
/* The FROZEN rule for every writer, in one file (the trigger function is
   calib._frozen_guard): a FROZEN collection's row, certifications, tags, datasets (of a
   RUN) and chain children cannot be inserted, updated or deleted, by any role, the table
   owner's raw SQL included, nor the tables truncated while a collection is FROZEN.
   Statement-level with transition tables on the row tables (one check per statement,
   however many rows), so the bulk paths pay once per statement. A DBA who must repair a
   frozen collection unfreezes it (calib.set_collection_state), or, as the owner, disables
   these triggers for that one transaction: that is visible in the server log, and
   intended to be exceptional. */
CREATE OR REPLACE TRIGGER collection_frozen_guard
    BEFORE UPDATE OR DELETE ON calib.collection
    FOR EACH ROW WHEN (OLD.state = 'FROZEN')
    EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER certification_frozen_insert
    AFTER INSERT ON calib.certification REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER certification_frozen_update
    AFTER UPDATE ON calib.certification REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER certification_frozen_delete
    AFTER DELETE ON calib.certification REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER tag_frozen_insert
    AFTER INSERT ON calib.tag REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER tag_frozen_update
    AFTER UPDATE ON calib.tag REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER tag_frozen_delete
    AFTER DELETE ON calib.tag REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER dataset_frozen_insert
    AFTER INSERT ON calib.dataset REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER dataset_frozen_update
    AFTER UPDATE ON calib.dataset REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER dataset_frozen_delete
    AFTER DELETE ON calib.dataset REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER collection_chain_frozen_insert
    AFTER INSERT ON calib.collection_chain REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER collection_chain_frozen_update
    AFTER UPDATE ON calib.collection_chain REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER collection_chain_frozen_delete
    AFTER DELETE ON calib.collection_chain REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER certification_frozen_truncate
    BEFORE TRUNCATE ON calib.certification
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER tag_frozen_truncate
    BEFORE TRUNCATE ON calib.tag
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER dataset_frozen_truncate
    BEFORE TRUNCATE ON calib.dataset
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER collection_chain_frozen_truncate
    BEFORE TRUNCATE ON calib.collection_chain
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
CREATE OR REPLACE TRIGGER collection_frozen_truncate
    BEFORE TRUNCATE ON calib.collection
    FOR EACH STATEMENT EXECUTE FUNCTION calib._frozen_guard();
