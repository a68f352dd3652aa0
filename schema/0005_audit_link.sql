-- 0005_audit_link: audit entries are appended without waiting for each
-- other, and linked into the hash chain afterwards (docs/audit.md); and a
-- submission's locks and read in one statement, without a scan of the
-- Idempotency-Key records (at the end).  zesctl migrate runs this file
-- inside one transaction; no BEGIN/COMMIT here.
--
-- Until now zes_audit_append() took one advisory lock held until COMMIT, so
-- every writing transaction of the whole system committed after the one
-- before it.  From here on a writer only inserts its entry, with an
-- internal id from a sequence and its chain fields (seq, prev_hash, hash)
-- NULL: "pending".  The linker, zes_audit_link(), one at a time under that
-- same lock in short transactions of its own, gives the committed pending
-- entries, in id order, the next seq, the previous entry's hash and their
-- own hash.  It sees only committed rows, so seq has no gaps, and an entry
-- never changes once linked.  zesd runs the linker every audit_link_ms;
-- `zesctl audit link` runs it too.  The chain, its canonical form and its
-- verification do not change, and the entries linked before this migration
-- keep their seq, prev_hash and hash.

-- The guard below replaces the append-only trigger; without it meanwhile,
-- the entries already there get their id (= their seq).
DROP TRIGGER audit_entries_append_only ON audit_entries;

ALTER TABLE audit_entries ADD COLUMN id bigint;
UPDATE audit_entries SET id = seq;
CREATE SEQUENCE audit_entries_id_seq AS bigint OWNED BY audit_entries.id;
SELECT setval('audit_entries_id_seq', coalesce(max(seq), 0) + 1, false)
FROM audit_entries;

ALTER TABLE audit_entries
	DROP CONSTRAINT audit_entries_pkey,
	ALTER COLUMN id SET DEFAULT nextval('audit_entries_id_seq'),
	ALTER COLUMN id SET NOT NULL,
	ADD CONSTRAINT audit_entries_pkey PRIMARY KEY (id),
	ALTER COLUMN seq DROP NOT NULL,
	ALTER COLUMN prev_hash DROP NOT NULL,
	ALTER COLUMN hash DROP NOT NULL,
	-- Pending (all three NULL) or linked (none NULL).
	ADD CONSTRAINT audit_entries_linked
		CHECK ((seq IS NULL) = (prev_hash IS NULL)
		    AND (seq IS NULL) = (hash IS NULL));
-- seq stays unique among the linked entries; the pending ones are not in
-- this index, so a writer's insert does not touch it.  Queries by seq > N
-- use it (a strict comparison implies seq IS NOT NULL).
CREATE UNIQUE INDEX audit_entries_seq ON audit_entries (seq)
	WHERE seq IS NOT NULL;
-- What the linker looks for: small, since entries leave it once linked.
CREATE INDEX audit_entries_pending ON audit_entries (id)
	WHERE seq IS NULL;

-- Append an entry and return its id (not its seq: it has none yet).  Call
-- it in the transaction that makes the change it records, so both commit
-- or neither does.  Takes no lock: concurrent writers do not wait for each
-- other.  `at` is the wall clock (clock_timestamp()), so the entries of one
-- transaction keep their order; entries of different transactions are
-- linked in the order of their ids, which is about the order they were
-- written, not necessarily that of `at` or of their commits.
CREATE OR REPLACE FUNCTION zes_audit_append(actor text, action text,
    object text, detail jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	v_id	bigint;
BEGIN
	INSERT INTO audit_entries (at, actor, action, object, detail)
	VALUES (clock_timestamp(), zes_audit_append.actor,
	    zes_audit_append.action, zes_audit_append.object,
	    zes_audit_append.detail)
	RETURNING audit_entries.id INTO v_id;
	RETURN v_id;
END
$$;

-- Link up to max_entries pending entries that have committed, oldest id
-- first, and return how many were linked (the caller commits; call again
-- while it returns max_entries).  Linkers are serialised by the
-- transaction-level advisory lock 8819582298769155177 (0x7a65735f61756469,
-- "zes_audi", which zes_audit_append() took before 0005; nothing else may
-- use it): with wait false a linker that finds the lock taken returns 0 at
-- once (the holder links), with wait true it waits for it.  The statements
-- after the lock start after it was granted, so under READ COMMITTED (what
-- zesd and zesctl use) they see the chain the previous linker committed.
-- Under REPEATABLE READ the snapshot may be older: the seq computed then
-- collides with an existing one and the unique index refuses it, so the
-- chain can fail to grow but never fork.
CREATE FUNCTION zes_audit_link(max_entries int DEFAULT 1000,
    wait boolean DEFAULT true) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
	v_seq	bigint;
	v_prev	bytea;
	v_ids	bigint[] := '{}';
	v_seqs	bigint[] := '{}';
	v_prevs	bytea[] := '{}';
	v_hashs	bytea[] := '{}';
	v_n	int;
	e	record;
BEGIN
	-- The common case of a poll: nothing to do, no lock taken.
	IF NOT EXISTS (SELECT FROM audit_entries p WHERE p.seq IS NULL) THEN
		RETURN 0;
	END IF;
	IF wait THEN
		PERFORM pg_advisory_xact_lock(8819582298769155177);
	ELSIF NOT pg_try_advisory_xact_lock(8819582298769155177) THEN
		RETURN 0;
	END IF;

	SELECT h.seq, h.hash INTO v_seq, v_prev
	FROM audit_entries h
	WHERE h.seq IS NOT NULL
	ORDER BY h.seq DESC
	LIMIT 1;
	IF NOT FOUND THEN
		v_seq := 0;
		v_prev := decode(repeat('00', 32), 'hex');
	END IF;

	FOR e IN
		SELECT p.id, p.at, p.actor, p.action, p.object, p.detail
		FROM audit_entries p
		WHERE p.seq IS NULL
		ORDER BY p.id
		LIMIT max_entries
	LOOP
		v_seq := v_seq + 1;
		v_ids := v_ids || e.id;
		v_seqs := v_seqs || v_seq;
		v_prevs := v_prevs || v_prev;
		v_prev := sha256(v_prev || zes_audit_canonical(v_seq, e.at,
		    e.actor, e.action, e.object, e.detail));
		v_hashs := v_hashs || v_prev;
	END LOOP;
	-- One statement for the batch.
	UPDATE audit_entries a
	SET seq = u.seq, prev_hash = u.prev_hash, hash = u.hash
	FROM unnest(v_ids, v_seqs, v_prevs, v_hashs) u (id, seq, prev_hash, hash)
	WHERE a.id = u.id AND a.seq IS NULL;
	GET DIAGNOSTICS v_n = ROW_COUNT;
	IF v_n <> cardinality(v_ids) THEN
		RAISE EXCEPTION 'audit entries were linked by someone else';
	END IF;
	RETURN v_n;
END
$$;

-- audit_entries is append-only, but for the linker: a new entry comes
-- pending (no seq, prev_hash or hash: only the linker gives them), and the
-- one update allowed is a pending entry's chain fields from NULL to values,
-- every other column unchanged.  No DELETE, no TRUNCATE, no other UPDATE.
-- The owner of a table cannot be denied these, hence triggers.  Their WHEN
-- conditions let the allowed insert and update through without calling
-- the function (writers and the linker pay no PL/pgSQL call per row); the
-- function refuses what reaches it, checking again.  A migration that adds
-- a column to audit_entries adds it to the update trigger's list.  The
-- session setting zes.allow_audit_rewrite = 'on' still lifts every refusal,
-- only so that tests can tamper with a row and prove that verification
-- finds the break; nothing in zesd or zesctl sets it.
CREATE OR REPLACE FUNCTION zes_audit_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF coalesce(current_setting('zes.allow_audit_rewrite', true), '') = 'on' THEN
		IF TG_OP = 'DELETE' THEN
			RETURN OLD;
		END IF;
		RETURN NEW;
	END IF;
	IF TG_OP = 'INSERT' THEN
		IF NEW.seq IS NULL AND NEW.prev_hash IS NULL AND NEW.hash IS NULL THEN
			RETURN NEW;
		END IF;
		RAISE EXCEPTION 'audit_entries: a new entry comes without seq, prev_hash and hash'
		    USING HINT = 'zes_audit_link() links entries into the chain';
	END IF;
	IF TG_OP = 'UPDATE' THEN
		IF OLD.seq IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
		    AND NEW.seq IS NOT NULL AND NEW.prev_hash IS NOT NULL
		    AND NEW.hash IS NOT NULL
		    AND (NEW.id, NEW.at, NEW.actor, NEW.action, NEW.object,
			NEW.detail) IS NOT DISTINCT FROM (OLD.id, OLD.at, OLD.actor,
			OLD.action, OLD.object, OLD.detail) THEN
			RETURN NEW;
		END IF;
	END IF;
	RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP
	    USING HINT = 'rows are added by zes_audit_append() and linked by zes_audit_link() only';
END
$$;

CREATE TRIGGER audit_entries_pending_only
	BEFORE INSERT ON audit_entries
	FOR EACH ROW
	WHEN (NEW.seq IS NOT NULL OR NEW.prev_hash IS NOT NULL
	    OR NEW.hash IS NOT NULL)
	EXECUTE FUNCTION zes_audit_guard();

CREATE TRIGGER audit_entries_append_only
	BEFORE UPDATE ON audit_entries
	FOR EACH ROW
	WHEN (OLD.seq IS NOT NULL OR OLD.prev_hash IS NOT NULL
	    OR OLD.hash IS NOT NULL
	    OR NEW.seq IS NULL OR NEW.prev_hash IS NULL OR NEW.hash IS NULL
	    OR (NEW.id, NEW.at, NEW.actor, NEW.action, NEW.object, NEW.detail)
		IS DISTINCT FROM
		(OLD.id, OLD.at, OLD.actor, OLD.action, OLD.object, OLD.detail))
	EXECUTE FUNCTION zes_audit_guard();

CREATE TRIGGER audit_entries_no_delete
	BEFORE DELETE ON audit_entries
	FOR EACH ROW EXECUTE FUNCTION zes_audit_guard();

-- The first statement of a submission's transaction (0003), with its
-- clean-up of expired Idempotency-Key records made cheap.  0003 deleted up to
-- 16 of the oldest expired records of anyone in every submission, with a
-- statement whose plan PL/pgSQL keeps for the whole session: planned while
-- the table was small (a new database, a new connection), it scanned the
-- whole table from then on, in every submission, whatever its size.  Now
-- one submission in 32 (random()) deletes up to 64 of them: twice as many
-- as submissions add, so the table still stays about one retention period
-- long; and the statement is planned afresh each time (EXECUTE), for the
-- table as it is.  The locks and the caller's own expired record are as in
-- 0003 (docs/applications.md).
CREATE OR REPLACE FUNCTION zes_application_lock(token_id uuid, idem_key text,
    country text, plate text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
	IF idem_key IS NOT NULL THEN
		PERFORM pg_advisory_xact_lock(2053468977,
		    hashtext(token_id::text || '/' || idem_key));
		DELETE FROM idempotency_keys k
		WHERE k.token_id = zes_application_lock.token_id
		    AND k.key = idem_key
		    AND k.created_at <= now() - zes_idempotency_retention();
	END IF;
	PERFORM pg_advisory_xact_lock(2053468978,
	    hashtext(zes_application_lock.country || '/' ||
	    zes_application_lock.plate));
	IF random() < 1.0 / 32 THEN
		EXECUTE 'DELETE FROM idempotency_keys
		    WHERE ctid = ANY (ARRAY(
			SELECT k.ctid FROM idempotency_keys k
			WHERE k.created_at <= now() - zes_idempotency_retention()
			ORDER BY k.created_at
			LIMIT 64
			FOR UPDATE SKIP LOCKED))';
	END IF;
END
$$;

-- What a submission reads before the engine decides, and what a dry run
-- (POST /v1/evaluations) reads: the register row of the plate (Dutch plates
-- only) as a JSON array in the column order of daemon/index/builder.c, every
-- exemption of the plate and country as [id hex, type, issuer, from, until,
-- granted, revoked] (epoch seconds), the caller's live Idempotency-Key
-- record ([request hash hex, status, location, body]; NULL without a key or
-- record), and two fresh ids for the application and its exemption.
CREATE FUNCTION zes_application_read(plate text, country text, token_id uuid,
    idem_key text)
RETURNS TABLE (vehicle text, exemptions text, idem text, application_id text,
    exemption_id text)
LANGUAGE plpgsql AS $$
BEGIN
	RETURN QUERY SELECT
	    (SELECT json_build_array(v.plate, v.category, v.vehicle_type,
		lower(v.body_description), v.body_type, coalesce(v.body_code, -1),
		v.special_codes, v.fuel_names, v.fuel_classes,
		v.first_admission - date '1970-01-01', coalesce(v.mass_kg, -1))
	    FROM vehicles v
	    WHERE v.plate = zes_application_read.plate
		AND zes_application_read.country = 'NL')::text,
	    (SELECT coalesce(json_agg(json_build_array(
		encode(uuid_send(x.id), 'hex'), x.type, x.issuer,
		floor(extract(epoch FROM x.valid_from))::bigint,
		floor(extract(epoch FROM x.valid_until))::bigint,
		floor(extract(epoch FROM x.granted_at))::bigint,
		floor(extract(epoch FROM x.revoked_at))::bigint)), '[]')
	    FROM exemptions x
	    WHERE x.plate = zes_application_read.plate
		AND x.country = zes_application_read.country)::text,
	    (SELECT json_build_array(encode(k.request_hash, 'hex'), k.status,
		k.location, k.body)
	    FROM idempotency_keys k
	    WHERE k.token_id = zes_application_read.token_id
		AND k.key = zes_application_read.idem_key
		AND k.created_at > now() - zes_idempotency_retention())::text,
	    gen_random_uuid()::text, gen_random_uuid()::text;
END
$$;

-- A submission's first statement: the locks of zes_application_lock(), then
-- zes_application_read(), in one round trip.  The read is a statement of
-- its own after the locks were granted, so under READ COMMITTED it sees
-- what the previous holder of a lock committed (docs/applications.md).
CREATE FUNCTION zes_application_begin(token_id uuid, idem_key text,
    country text, plate text)
RETURNS TABLE (vehicle text, exemptions text, idem text, application_id text,
    exemption_id text)
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM zes_application_lock(zes_application_begin.token_id,
	    zes_application_begin.idem_key, zes_application_begin.country,
	    zes_application_begin.plate);
	RETURN QUERY SELECT * FROM zes_application_read(
	    zes_application_begin.plate, zes_application_begin.country,
	    zes_application_begin.token_id, zes_application_begin.idem_key);
END
$$;
