CREATE OR REPLACE FUNCTION calib._uuids(p_doc jsonb, p_what text)
RETURNS uuid[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* A JSON array document of dataset ids (UUID strings; null for NULL) as uuid[], for the
   document forms of the functions taking uuid[]. NULL (or JSON null) stays NULL.
   Errors: KC016 naming the argument p_what: not an array (document_not_array), an element
   that is neither a string nor null or a string that is not a UUID (document_element, with
   its 1-based position). */
DECLARE
    v_bad record;
BEGIN
    IF calib._document_array(p_doc, p_what) IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT u.n, u.e INTO v_bad FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n)
    WHERE jsonb_typeof(u.e) NOT IN ('string', 'null') ORDER BY u.n LIMIT 1;
    IF NOT FOUND THEN
        BEGIN
            RETURN ARRAY(SELECT (u.e #>> '{}')::uuid
                         FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n)
                         ORDER BY u.n);
        EXCEPTION WHEN invalid_text_representation THEN
            /* Some string is not a UUID: find the first (the fast way above raised). */
            FOR v_bad IN SELECT u.n, u.e FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n)
                         ORDER BY u.n LOOP
                BEGIN
                    PERFORM (v_bad.e #>> '{}')::uuid;
                EXCEPTION WHEN invalid_text_representation THEN
                    EXIT;
                END;
            END LOOP;
        END;
    END IF;
    IF calib._raise('KC016',
        format('%s (element %s) must be %s, not %s', p_what, v_bad.n, 'a dataset id (a UUID string)', v_bad.e),
        jsonb_build_object('kind', 'document_element', 'what', p_what, 'position', v_bad.n,
                           'expected', 'a dataset id (a UUID string)', 'value', v_bad.e)) IS NULL THEN END IF;
    RETURN NULL;
END
$$;
