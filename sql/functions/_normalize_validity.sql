CREATE OR REPLACE FUNCTION calib._normalize_validity()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
/* BEFORE INSERT/UPDATE trigger on calib.certification, fired only (WHEN clause) for a
   validity with a +-infinity bound: rewrites it as a missing bound, so that raw writers
   get the same representation as the functions. Bounds other than [) are left to the
   certification_validity_bounds CHECK, which rejects them. */
BEGIN
    NEW.validity := tstzrange(
        CASE WHEN lower(NEW.validity) = '-infinity' THEN NULL ELSE lower(NEW.validity) END,
        CASE WHEN upper(NEW.validity) = 'infinity' THEN NULL ELSE upper(NEW.validity) END,
        CASE WHEN lower_inc(NEW.validity) OR lower(NEW.validity) = '-infinity' THEN '[' ELSE '(' END
        || CASE WHEN upper_inc(NEW.validity) AND upper(NEW.validity) <> 'infinity' THEN ']' ELSE ')' END);
    RETURN NEW;
END
$$;
