-- 0006_data_protection: keyed plate hashes for the audit trail, and the
-- retention purge run by `zesctl purge` (docs/operations.md, "Retention";
-- docs/audit.md, "Plates in the audit trail").  zesctl migrate runs this
-- file inside one transaction; no BEGIN/COMMIT here.
--
-- From here on no audit entry holds a plate in clear: the entries about an
-- application or an exemption carry detail.plateHash, the keyed hash below
-- of its country and plate.  Entries written before this migration never
-- held one (their details name types, municipalities, outcomes and ids), and
-- could not be changed if they did: the hash chain covers them.

-- The key of the plate hashes: one row, 32 random bytes made here, never
-- changed (a new key would make every hash written before unfindable).
-- ipad and opad are the key padded to SHA-256's 64-byte block and XORed
-- with 0x36 and 0x5c, as HMAC (RFC 2104) uses it, kept so that a hash costs
-- two sha256() calls and no loop.  gen_random_uuid() draws from the
-- server's strong random source; two of them give 244 random bits (each
-- uuid fixes 6 of its 128 bits).  Only the owner of the schema (zesd's and
-- zesctl's role) may read it: an auditor's export of audit_entries, or a
-- role granted SELECT on it, sees hashes it cannot reverse.
CREATE TABLE zes_plate_key (
	one		boolean PRIMARY KEY DEFAULT true CHECK (one),
	key		bytea NOT NULL CHECK (octet_length(key) = 32),
	ipad		bytea NOT NULL CHECK (octet_length(ipad) = 64),
	opad		bytea NOT NULL CHECK (octet_length(opad) = 64),
	created_at	timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON zes_plate_key FROM PUBLIC;

-- key zero-padded to 64 bytes, every byte XORed with pad.
CREATE FUNCTION zes_hmac_pad(key bytea, pad int) RETURNS bytea
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
	v	bytea;
	i	int;
BEGIN
	IF octet_length(key) > 64 THEN
		RAISE EXCEPTION 'an HMAC key longer than the block is hashed first';
	END IF;
	v := key || decode(repeat('00', 64 - octet_length(key)), 'hex');
	FOR i IN 0 .. 63 LOOP
		v := set_byte(v, i, get_byte(v, i) # pad);
	END LOOP;
	RETURN v;
END
$$;

INSERT INTO zes_plate_key (key, ipad, opad)
SELECT k.key, zes_hmac_pad(k.key, 54), zes_hmac_pad(k.key, 92)
FROM (SELECT uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())
    AS key) k;

-- The key never changes and never goes: a trigger refuses it even to the
-- owner (who could drop the trigger; the point is that nothing in zesd,
-- zesctl or a slip of the hand does).
CREATE FUNCTION zes_plate_key_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'zes_plate_key never changes: % refused', TG_OP
	    USING HINT = 'a new key would make the plate hashes already in the audit trail unfindable';
END
$$;

CREATE TRIGGER zes_plate_key_keep
	BEFORE INSERT OR UPDATE OR DELETE ON zes_plate_key
	FOR EACH ROW EXECUTE FUNCTION zes_plate_key_keep();
CREATE TRIGGER zes_plate_key_no_truncate
	BEFORE TRUNCATE ON zes_plate_key
	FOR EACH STATEMENT EXECUTE FUNCTION zes_plate_key_keep();

-- The keyed hash of a plate as the audit trail holds it:
-- "hmac-sha256:" and the lower-case hex of HMAC-SHA-256(key, country "/"
-- plate), the plate normalised (upper case, no separators: zes_plate_parse,
-- and as every table stores it) and the country its two letters, e.g.
-- HMAC-SHA-256(key, "NL/V123FB").  Any HMAC-SHA-256 implementation given
-- zes_plate_key.key computes the same (tests/integration/test_purge.py
-- checks it against OpenSSL's).
CREATE FUNCTION zes_plate_hash(country text, plate text) RETURNS text
LANGUAGE sql STABLE STRICT AS $$
	SELECT 'hmac-sha256:' || encode(sha256(k.opad || sha256(k.ipad ||
	    convert_to(zes_plate_hash.country || '/' || zes_plate_hash.plate,
	    'UTF8'))), 'hex')
	FROM zes_plate_key k
$$;
REVOKE ALL ON FUNCTION zes_plate_hash(text, text) FROM PUBLIC;

-- POST /v1/audit-entries/_search {"plate"} finds the entries of a plate by
-- its hash; few entries carry one besides applications and exemptions.
CREATE INDEX audit_entries_plate_hash ON audit_entries ((detail->>'plateHash'))
	WHERE detail ? 'plateHash';

-- The retention purge, in the caller's transaction (zesctl purge: one
-- transaction, then the audit linker).  The cut-off is now() minus
-- retention_months.  Removed, when not dry_run:
--   - exemptions that ended before the cut-off (valid_until, or revoked_at
--     when revoked earlier), and, when an application made one, only
--     together with that application (below): live and future exemptions
--     end after now(), so never before the cut-off;
--   - applications rejected (decided_at) or withdrawn (withdrawn_at)
--     before the cut-off, and granted ones whose exemption goes now (their
--     decision came before the exemption ended: decided_at is checked
--     too); never one in review;
--   - the Idempotency-Key records of those applications;
--   - change_log rows older than the cut-off: the feed of the access index,
--     which only ever reads the rows after the last one it applied (or
--     starts over from the tables); the audit trail is the record.
-- For each exemption removed a change_log row (kind 'exemption', op
-- 'purge') tells running zesd that it is gone (docs/operations.md).
-- One audit entry (action 'purge', object 'retention/purge') records the
-- cut-off and the counts, no plate.  Returns the counts; with dry_run it
-- only counts, writes nothing and takes no row lock.  Two purges never
-- overlap: the transaction advisory lock 0x7a65735f70757267 ("zes_purg")
-- holds the second until the first commits.
CREATE FUNCTION zes_purge(retention_months int, dry_run boolean,
    actor text DEFAULT 'zesctl')
RETURNS TABLE (cutoff text, exemptions bigint, applications bigint,
    idempotency_keys bigint, change_log bigint, audit_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
	v_cut	timestamptz;
	v_ex	uuid[];
	v_app	uuid[];
	v_idem	bigint;
	v_log	bigint;
	v_audit	bigint;
BEGIN
	-- 13 at least: the day-exemption quota counts a plate's exemptions of
	-- a calendar year while that year still takes applications, so none
	-- of them may go before the year has ended (docs/decisions.md).
	IF retention_months IS NULL OR retention_months < 13 THEN
		RAISE EXCEPTION 'retention_months must be 13 or more'
		    USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM pg_advisory_xact_lock(8819582299020816999);
	v_cut := date_trunc('second', now() - make_interval(months => retention_months));

	-- The rows chosen are locked until COMMIT: a revocation or decision
	-- running meanwhile either came first (and is seen here) or waits and
	-- then finds the row gone, never answers for a row this deletes.
	SELECT coalesce(array_agg(s.id), '{}') INTO v_ex
	FROM (SELECT x.id FROM exemptions x
	    LEFT JOIN applications a ON a.id = x.application_id
	    WHERE least(x.valid_until, coalesce(x.revoked_at, x.valid_until)) < v_cut
		AND (x.application_id IS NULL
		    OR (a.status = 'granted' AND a.decided_at < v_cut))
	    FOR UPDATE OF x) s;
	SELECT coalesce(array_agg(s.id), '{}') INTO v_app
	FROM (SELECT a.id FROM applications a
	    WHERE (a.status = 'rejected' AND a.decided_at < v_cut)
		OR (a.status = 'withdrawn' AND a.withdrawn_at < v_cut)
		OR (a.status = 'granted' AND a.exemption_id = ANY (v_ex))
	    FOR UPDATE OF a) s;
	SELECT count(*) INTO v_idem
	FROM idempotency_keys k
	WHERE k.application_id = ANY (v_app);
	SELECT count(*) INTO v_log
	FROM change_log c
	WHERE c.at < v_cut;

	IF NOT dry_run THEN
		DELETE FROM idempotency_keys k WHERE k.application_id = ANY (v_app);
		-- The two foreign keys between applications and exemptions
		-- are deferred: checked at commit, when both rows are gone.
		DELETE FROM exemptions x WHERE x.id = ANY (v_ex);
		DELETE FROM applications a WHERE a.id = ANY (v_app);
		DELETE FROM change_log c WHERE c.at < v_cut;
		INSERT INTO change_log (kind, object_id, op)
		SELECT 'exemption', u.id::text, 'purge'
		FROM unnest(v_ex) u (id);
		v_audit := zes_audit_append(coalesce(actor, 'zesctl'), 'purge',
		    'retention/purge', jsonb_build_object(
			'cutoff', to_char(v_cut AT TIME ZONE 'UTC',
			    'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
			'retentionMonths', retention_months,
			'exemptions', cardinality(v_ex),
			'applications', cardinality(v_app),
			'idempotencyKeys', v_idem,
			'changeLog', v_log));
	END IF;
	RETURN QUERY SELECT to_char(v_cut AT TIME ZONE 'UTC',
	    'YYYY-MM-DD"T"HH24:MI:SS"Z"'), cardinality(v_ex)::bigint,
	    cardinality(v_app)::bigint, v_idem, v_log, v_audit;
END
$$;
