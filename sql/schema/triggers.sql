/* Raw writers may spell an unbounded side as +-infinity; store it as a missing bound.
   The WHEN clause keeps the common path (no infinity) free of any trigger call. */
CREATE TRIGGER certification_normalize_validity
    BEFORE INSERT OR UPDATE OF validity ON calib.certification
    FOR EACH ROW
    WHEN (lower(NEW.validity) = '-infinity' OR upper(NEW.validity) = 'infinity')
    EXECUTE FUNCTION calib._normalize_validity();
