CREATE OR REPLACE FUNCTION calib._data_ids(p_doc jsonb, p_what text)
RETURNS jsonb[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* A JSON array document of data IDs as jsonb[], for the document forms of the functions
   taking jsonb[]: each element as it is (JSON null: NULL), so that a data ID the typed form
   refuses is refused by it with the same error. NULL (or JSON null) stays NULL.
   Errors: KC016 (document_not_array) naming the argument p_what. */
BEGIN
    IF calib._document_array(p_doc, p_what) IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN ARRAY(SELECT CASE WHEN jsonb_typeof(u.e) = 'null' THEN NULL ELSE u.e END
                 FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n) ORDER BY u.n);
END
$$;
