CREATE OR REPLACE FUNCTION calib.epoch_at(p_instant timestamptz)
RETURNS bigint
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* The last epoch committed at or before p_instant (0 if none was).
   Errors: KC015 NULL instant.
   Locks: none; read-only, runs on a hot standby.

   Commit times (clock_timestamp() at the epoch's stamping) increase with epochs as long as
   the server clock does not step back; the epoch is the largest one stamped at or before
   the instant. */
BEGIN
    IF p_instant IS NULL THEN
        IF calib._raise('KC015', 'instant must not be NULL',
            jsonb_build_object('kind', 'argument_null', 'what', 'instant')) IS NULL THEN END IF;
    END IF;
    RETURN coalesce((SELECT max(c.epoch) FROM calib.change AS c
                     WHERE c.committed_at <= p_instant), 0);
END
$$;

CREATE OR REPLACE FUNCTION calib.epoch_at(p_instant text)
RETURNS bigint
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
/* epoch_at with the instant as text (drivers binding text), read strictly
   (calib._parse_instant: a time without a UTC offset is KC009). */
BEGIN
    RETURN calib.epoch_at(calib._parse_instant(p_instant, 'instant'));
END
$$;
