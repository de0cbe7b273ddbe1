CREATE OR REPLACE FUNCTION calib._names(p_doc jsonb, p_what text)
RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
/* A JSON array document of names (strings; null for NULL) as text[], for the document forms
   of set_chain (children) and register_dataset_type (dimensions). The names themselves are
   checked by the typed form. NULL (or JSON null) stays NULL.
   Errors: KC016 naming the argument p_what: not an array (document_not_array), an element
   that is neither a string nor null (document_element, with its 1-based position). */
DECLARE
    v_bad record;
BEGIN
    IF calib._document_array(p_doc, p_what) IS NULL THEN
        RETURN NULL;
    END IF;
    SELECT u.n, u.e INTO v_bad FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n)
    WHERE jsonb_typeof(u.e) NOT IN ('string', 'null') ORDER BY u.n LIMIT 1;
    IF FOUND THEN
        IF calib._raise('KC016',
            format('%s (element %s) must be %s, not %s', p_what, v_bad.n, 'a name (a string)', v_bad.e),
            jsonb_build_object('kind', 'document_element', 'what', p_what, 'position', v_bad.n,
                               'expected', 'a name (a string)', 'value', v_bad.e)) IS NULL THEN END IF;
    END IF;
    RETURN ARRAY(SELECT u.e #>> '{}' FROM jsonb_array_elements(p_doc) WITH ORDINALITY AS u(e, n)
                 ORDER BY u.n);
END
$$;
