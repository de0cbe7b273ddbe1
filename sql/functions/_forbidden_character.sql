CREATE OR REPLACE FUNCTION calib._forbidden_character(p_text text)
RETURNS text
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
/* The first character of p_text that names and data-ID string values may not hold, as
   'U+XXXX', or NULL when there is none. Refused: the control characters (Unicode category
   Cc; PostgreSQL text cannot hold NUL anyway) and the format characters (Cf, as of
   Unicode 15): soft hyphen, bidi marks, embeddings, overrides and isolates, zero-width
   space and joiners, word joiner, invisible operators, byte-order mark, tags... The same
   list is calibcert.types.FORBIDDEN_RANGES (which adds lone surrogates, that PostgreSQL
   cannot receive); tests/test_names_and_values.py compares the two over every code point.
   The table CHECKs of names call it too, so raw writers meet the same rule.
   An E'' literal: the pattern reads the same whatever standard_conforming_strings is. */
DECLARE
    m text[] := regexp_match(p_text, E'([\\x01-\\x1f\\x7f-\\x9f\\u00ad\\u0600-\\u0605\\u061c\\u06dd\\u070f\\u0890-\\u0891\\u08e2\\u180e\\u200b-\\u200f\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u206f\\ufeff\\ufff9-\\ufffb\\U000110bd\\U000110cd\\U00013430-\\U0001343f\\U0001bca0-\\U0001bca3\\U0001d173-\\U0001d17a\\U000e0001\\U000e0020-\\U000e007f])');
BEGIN
    /* PL/pgSQL, not SQL (revision 0016): a SQL function with a SET clause is never
       inlined and was parsed and planned again at every call (20-60 us); PL/pgSQL
       keeps its plan for the session (bench/README.md "PostgreSQL writes").
       The table CHECKs evaluate it for every name written. */
    IF m IS NULL THEN
        RETURN NULL;
    END IF;
    RETURN 'U+' || upper(lpad(to_hex(ascii(m[1])), greatest(4, length(to_hex(ascii(m[1])))), '0'));
END
$$;
