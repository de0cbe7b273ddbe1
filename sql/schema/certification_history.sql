/* History (revision 0014): a current certification carries the change that created it
   (created_change, created_operation; see calib.certification_version), and the view
   calib.certification_history is every version of every certification. The columns'
   defaults and the triggers that keep them honest come last (schema/history_triggers.sql:
   they call functions).

   An upgraded database's existing certifications were created by the upgrade's change
   (epoch 1, made just before this file): a constant default fills them without rewriting
   the table or firing its triggers (a FROZEN collection's rows could not be updated). A
   fresh install has no such change and an empty table. */
DO $$
DECLARE
    v_change bigint := (SELECT c.change_id FROM calib.change AS c WHERE c.epoch = 1);
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_attribute
                   WHERE attrelid = 'calib.certification'::regclass
                     AND attname = 'created_change' AND NOT attisdropped) THEN
        EXECUTE pg_catalog.format(
            'ALTER TABLE calib.certification ADD COLUMN created_change bigint DEFAULT %L,'
            ' ADD COLUMN created_operation text DEFAULT %L',
            v_change, CASE WHEN v_change IS NOT NULL THEN 'upgrade' END);
    END IF;
END
$$;
/* Every version of every certification: the current rows (open) and the closed ones, with
   the columns of calib.certification_version. What as-of reads and history read. */
CREATE OR REPLACE VIEW calib.certification_history AS
SELECT c.certification_id, c.collection_id, c.dataset_type_id, c.data_id_key, c.dataset_id,
       c.validity, c.created_change, NULL::bigint AS removed_change, c.created_operation,
       NULL::text AS removed_operation
FROM calib.certification AS c
UNION ALL
SELECT v.certification_id, v.collection_id, v.dataset_type_id, v.data_id_key, v.dataset_id,
       v.validity, v.created_change, v.removed_change, v.created_operation, v.removed_operation
FROM calib.certification_version AS v;
