-- 0001_foundation: API tokens, the change log the daemon's index follows, and
-- the hash-chained audit trail.  zesctl migrate runs this file inside one
-- transaction, so it has no BEGIN/COMMIT of its own.  PostgreSQL 15, no
-- extensions (gen_random_uuid() and sha256() are builtin).

-- Bearer tokens made by `zesctl token create`.  Only the SHA-256 of the token
-- text is kept (include/zes/token.h); an assessor acts for exactly one
-- municipality, every other role for none (API.md, "Authentication and roles").
CREATE TABLE tokens (
	id		uuid PRIMARY KEY DEFAULT gen_random_uuid(),
	name		text NOT NULL UNIQUE
			CHECK (length(name) BETWEEN 1 AND 100),
	role		text NOT NULL
			CHECK (role IN ('desk', 'assessor', 'enforcement', 'admin', 'auditor')),
	municipality	text
			CHECK (municipality ~ '^GM[0-9]{4}$'),
	hash		bytea NOT NULL UNIQUE
			CHECK (octet_length(hash) = 32),
	created_at	timestamptz NOT NULL DEFAULT now(),
	revoked_at	timestamptz,
	last_used_at	timestamptz,
	CONSTRAINT tokens_assessor_municipality
		CHECK ((role = 'assessor') = (municipality IS NOT NULL))
);

-- One row per state change, written in the transaction that makes the change.
-- The daemon LISTENs on zes_change (the payload is the seq) and also polls
-- this table by seq, so a lost notification only delays an update.
CREATE TABLE change_log (
	seq		bigserial PRIMARY KEY,
	at		timestamptz NOT NULL DEFAULT now(),
	kind		text NOT NULL,
	object_id	text NOT NULL,
	op		text NOT NULL
);
CREATE INDEX change_log_kind_seq ON change_log (kind, seq);

-- Notify for every change_log row, however it was inserted.  NOTIFY is
-- transactional: listeners hear of the row only once it has committed.
CREATE FUNCTION zes_change_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('zes_change', NEW.seq::text);
	RETURN NULL;
END
$$;

CREATE TRIGGER change_log_notify
	AFTER INSERT ON change_log
	FOR EACH ROW EXECUTE FUNCTION zes_change_notify();

-- Record a change (the trigger above notifies) and return its seq.
CREATE FUNCTION zes_change(kind text, object_id text, op text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	v_seq	bigint;
BEGIN
	INSERT INTO change_log (kind, object_id, op)
	VALUES (zes_change.kind, zes_change.object_id, zes_change.op)
	RETURNING change_log.seq INTO v_seq;
	RETURN v_seq;
END
$$;

-- The audit trail: append-only, hash-chained.  hash = SHA-256(prev_hash ||
-- canonical entry) with the canonical form of include/zes/auditchain.h;
-- prev_hash of seq 1 is 32 zero bytes.  Rows are written only by
-- zes_audit_append() below.
CREATE TABLE audit_entries (
	seq		bigint PRIMARY KEY CHECK (seq > 0),
	at		timestamptz NOT NULL,
	actor		text NOT NULL,
	action		text NOT NULL,
	object		text NOT NULL,
	detail		jsonb NOT NULL,
	prev_hash	bytea NOT NULL CHECK (octet_length(prev_hash) = 32),
	hash		bytea NOT NULL CHECK (octet_length(hash) = 32)
);

-- One field of the canonical form: "<octet length>:<bytes>\n", in UTF-8
-- whatever the database encoding.
CREATE FUNCTION zes_audit_field(t text) RETURNS bytea
LANGUAGE sql STABLE STRICT AS $$
	SELECT convert_to(octet_length(convert_to(t, 'UTF8'))::text || ':', 'UTF8')
	    || convert_to(t, 'UTF8') || '\x0a'::bytea
$$;

-- The canonical bytes of an entry, exactly as zes_auditchain_hash() in
-- daemon/core/auditchain.c builds them: seq in decimal, at in UTC with
-- microseconds, detail as the text PostgreSQL gives for the jsonb value.
-- A verifier may run sha256(prev_hash || zes_audit_canonical(...)) per row.
CREATE FUNCTION zes_audit_canonical(seq bigint, at timestamptz, actor text,
    action text, object text, detail jsonb) RETURNS bytea
LANGUAGE sql STABLE STRICT AS $$
	SELECT zes_audit_field(seq::text)
	    || zes_audit_field(to_char(at AT TIME ZONE 'UTC',
		'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))
	    || zes_audit_field(actor)
	    || zes_audit_field(action)
	    || zes_audit_field(object)
	    || zes_audit_field(detail::text)
$$;

-- Append an entry and return its seq.  Call it in the transaction that makes
-- the change it records, so both commit or neither does.
--
-- Appends are serialised by a transaction-level advisory lock, held until
-- commit or rollback, so a rolled-back append leaves no gap and two appends
-- never link to the same predecessor.  The lock key 8819582298769155177 is
-- 0x7a65735f61756469, the ASCII bytes "zes_audi"; no other lock may use it.
-- The head of the chain is read by a statement that starts after the lock is
-- granted, so under READ COMMITTED (the default, and what zesd and zesctl
-- use) it sees the entry of the transaction that held the lock before us.
-- Under REPEATABLE READ or SERIALIZABLE the snapshot may be older: the seq
-- computed then collides with the existing row and the primary key refuses
-- it, so the chain can fail to grow but never fork.
CREATE FUNCTION zes_audit_append(actor text, action text, object text,
    detail jsonb) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	v_seq	bigint;
	v_prev	bytea;
	v_at	timestamptz;
BEGIN
	PERFORM pg_advisory_xact_lock(8819582298769155177);

	SELECT e.seq, e.hash INTO v_seq, v_prev
	FROM audit_entries e
	ORDER BY e.seq DESC
	LIMIT 1;
	IF NOT FOUND THEN
		v_seq := 0;
		v_prev := decode(repeat('00', 32), 'hex');
	END IF;
	v_seq := v_seq + 1;
	-- The wall clock, not now(): entries of one long transaction stay in
	-- the order of their seq.
	v_at := clock_timestamp();

	INSERT INTO audit_entries (seq, at, actor, action, object, detail,
	    prev_hash, hash)
	VALUES (v_seq, v_at, zes_audit_append.actor, zes_audit_append.action,
	    zes_audit_append.object, zes_audit_append.detail, v_prev,
	    sha256(v_prev || zes_audit_canonical(v_seq, v_at,
		zes_audit_append.actor, zes_audit_append.action,
		zes_audit_append.object, zes_audit_append.detail)));
	RETURN v_seq;
END
$$;

-- The owner of a table cannot be denied UPDATE or DELETE on it, so a trigger
-- refuses them (and TRUNCATE).  The session setting zes.allow_audit_rewrite =
-- 'on' lifts the refusal: it exists only so that tests can tamper with a row
-- and prove that verification finds the break.  Nothing in zesd or zesctl
-- sets it.  Whoever controls the database can still rewrite the whole chain;
-- the hashes make a rewrite of part of it visible, nothing more.
CREATE FUNCTION zes_audit_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF coalesce(current_setting('zes.allow_audit_rewrite', true), '') <> 'on' THEN
		RAISE EXCEPTION 'audit_entries is append-only: % refused', TG_OP
		    USING HINT = 'rows are added by zes_audit_append() only';
	END IF;
	IF TG_OP = 'DELETE' THEN
		RETURN OLD;
	END IF;
	RETURN NEW;
END
$$;

CREATE TRIGGER audit_entries_append_only
	BEFORE UPDATE OR DELETE ON audit_entries
	FOR EACH ROW EXECUTE FUNCTION zes_audit_guard();

CREATE TRIGGER audit_entries_no_truncate
	BEFORE TRUNCATE ON audit_entries
	FOR EACH STATEMENT EXECUTE FUNCTION zes_audit_guard();
