-- 0002_register: the vehicle register (the RDW's open data, loaded by
-- `zesctl import-rdw`, docs/register.md) and the exemptions held by plates.
-- zesctl migrate runs this file inside one transaction; no BEGIN/COMMIT here.

-- One row per Dutch plate: struct zes_vehicle of include/zes/admit.h, field
-- by field and with the same meaning.  Text fields are '' when the register
-- says nothing (as the struct's ""); numbers and dates are NULL when unknown
-- (the struct's -1 and ZES_DAY_NONE).  The bounds are the struct's arrays.
-- Plates are compared byte by byte (COLLATE "C"): they are ASCII letters and
-- digits, and a locale's collation only makes the key slower to search.
-- The check is bounds only: the import validates every value (plates with
-- zes_plate_parse, classes, codes: core/rdwcsv.c) before it gets here, and
-- a regular expression per column would add seconds to a load of millions
-- of rows.
-- Only zesctl import-rdw writes here, in one transaction per import: it
-- replaces the record of every plate it loads, and a record it changes (or
-- adds) gets change_seq = the seq of that import's change_log row (kind
-- 'vehicles'), so the daemon's index reloads exactly those rows with WHERE
-- change_seq = $seq.  A record the import finds equal is not rewritten and
-- keeps the change_seq and updated_at of the import that last changed it.
CREATE TABLE vehicles (
	plate		text COLLATE "C" PRIMARY KEY,	-- normalised: A-Z 0-9
	-- europese_voertuigcategorie, upper case; never empty: the import
	-- rejects a row without one after the Bedrijfsauto fallback of
	-- DOMAIN.md section 1.
	category	text NOT NULL,
	vehicle_type	text NOT NULL DEFAULT '',	-- voertuigsoort
	body_description text NOT NULL DEFAULT '',	-- inrichting, lower case
	body_type	text NOT NULL DEFAULT '',	-- carrosserietype (BB, BC, SB, SF, SH...)
	body_code	int,				-- carrosseriecode as an integer
	special_codes	int[] NOT NULL DEFAULT '{}',	-- bijzonderheid_code, ascending, distinct
	-- The fuel rows in brandstof_volgnummer order: their
	-- brandstof_omschrijving, and in the same position their emission
	-- class ('Z', '0'..'6', or '' when unknown).
	fuel_names	text[] NOT NULL DEFAULT '{}',
	fuel_classes	text[] NOT NULL DEFAULT '{}',
	first_admission	date,				-- datum_eerste_toelating (DET)
	mass_kg		int,				-- toegestane_maximum_massa_voertuig
	change_seq	bigint NOT NULL,
	updated_at	timestamptz NOT NULL DEFAULT now(),
	-- The sizes of struct zes_vehicle, in one constraint: each CHECK
	-- costs its own call per row, a second per million rows written.
	CONSTRAINT vehicles_bounds CHECK (
	    octet_length(plate) BETWEEN 1 AND 12
	    AND octet_length(category) BETWEEN 1 AND 3
	    AND octet_length(vehicle_type) <= 31
	    AND octet_length(body_description) <= 47
	    AND octet_length(body_type) <= 3
	    AND body_code >= 0
	    AND mass_kg >= 0
	    AND cardinality(special_codes) <= 8
	    AND cardinality(fuel_names) <= 4
	    AND cardinality(fuel_classes) = cardinality(fuel_names))
);
CREATE INDEX vehicles_change_seq ON vehicles (change_seq);

-- Exemptions (ontheffingen) held by a plate of any country, national or
-- municipal (DOMAIN.md sections 5 and 6): granted for the half-open period
-- [valid_from, valid_until), and revoked by setting revoked_at.  Rows are
-- never deleted.  application_id gets its foreign key with the
-- applications table.
CREATE TABLE exemptions (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	plate		text COLLATE "C" NOT NULL
			CHECK (plate ~ '^[A-Z0-9]{1,12}$'),
	country		text NOT NULL DEFAULT 'NL'
			CHECK (country ~ '^[A-Z]{2}$'),
	scope		text NOT NULL
			CHECK (scope IN ('national', 'municipal')),
	type		text NOT NULL
			CHECK (type ~ '^[a-z0-9_]{1,39}$'),
	issuer		text NOT NULL,
	valid_from	timestamptz NOT NULL,
	valid_until	timestamptz NOT NULL,
	granted_at	timestamptz NOT NULL DEFAULT now(),
	revoked_at	timestamptz,
	revoke_reason	text,
	application_id	uuid,
	-- The change_log seq of the last insert or update of this row, set by
	-- the trigger below (whatever the statement says).
	change_seq	bigint NOT NULL,
	CONSTRAINT exemptions_issuer_scope
		CHECK ((scope = 'national' AND issuer = 'national')
		    OR (scope = 'municipal' AND issuer ~ '^GM[0-9]{4}$')),
	CONSTRAINT exemptions_period
		CHECK (valid_from < valid_until),
	CONSTRAINT exemptions_revoke_reason
		CHECK (revoke_reason IS NULL OR revoked_at IS NOT NULL)
);
CREATE INDEX exemptions_plate ON exemptions (plate);
CREATE INDEX exemptions_change_seq ON exemptions (change_seq);
CREATE INDEX exemptions_issuer_type ON exemptions (issuer, type);

-- Every insert or update of an exemption writes a change_log row (kind
-- 'exemption', object_id the id, op 'insert', 'update' or 'revoke') in the
-- same transaction, and records its seq in change_seq, so the index finds
-- the changed rows by seq.  A BEFORE trigger, so the row carries the seq
-- it is written with; a statement that then fails takes the change_log row
-- with it.
CREATE FUNCTION zes_exemption_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_op	text;
BEGIN
	IF TG_OP = 'INSERT' THEN
		v_op := 'insert';
	ELSIF OLD.revoked_at IS NULL AND NEW.revoked_at IS NOT NULL THEN
		v_op := 'revoke';
	ELSE
		v_op := 'update';
	END IF;
	NEW.change_seq := zes_change('exemption', NEW.id::text, v_op);
	RETURN NEW;
END
$$;

CREATE TRIGGER exemptions_change
	BEFORE INSERT OR UPDATE ON exemptions
	FOR EACH ROW EXECUTE FUNCTION zes_exemption_change();
