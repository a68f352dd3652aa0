-- 0004_recognition: mutual-recognition agreements between municipalities
-- (API.md, Mutual recognition; DOMAIN.md section 6; docs/recognition.md).
-- zesctl migrate runs this file inside one transaction; no BEGIN/COMMIT here.
--
-- The model, in three tables:
--   recognition_agreements          the agreement as it stands now, edited
--                                   in place (version counts the edits);
--   recognition_agreement_versions  every state it ever had, one row per
--                                   version (the history: nothing is deleted);
--   recognition_terms               what it recognises when: one row per
--                                   type and stretch of time.  An edit at
--                                   instant T ends the terms still running
--                                   at T and starts the new ones at T, so
--                                   recognition before T never changes and
--                                   any past access decision can be
--                                   recomputed with its `at`.  The access
--                                   index loads this table.
-- A trigger on recognition_agreements keeps the other two, writes the
-- change_log row (kind 'agreement') and the audit entry (agreement/<id>):
-- whoever writes an agreement, every change is recorded the same way.

-- The exclusion constraint below compares text with = inside a GiST index.
-- btree_gist is a trusted extension in PostgreSQL 13 and later, shipped in
-- Debian's postgresql-15 package: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- An agreement: recognizer honours the municipal exemptions of `types`
-- issued by issuer, from valid_from (local midnight of the first day)
-- until valid_until (exclusive: local midnight after the last day, or the
-- instant of a DELETE; NULL open-ended).  Municipality codes and types are
-- checked against the rules by zesd; here only their shape.
CREATE TABLE recognition_agreements (
	id		uuid PRIMARY KEY,
	issuer		text NOT NULL CHECK (issuer ~ '^GM[0-9]{4}$'),
	recognizer	text NOT NULL CHECK (recognizer ~ '^GM[0-9]{4}$'),
	-- Distinct type codes, sorted (zesd writes them so).
	types		text[] NOT NULL,
	valid_from	timestamptz NOT NULL,
	valid_until	timestamptz,
	note		text CHECK (char_length(note) <= 2000),
	-- With `mutual`, the agreement the other way made in the same request.
	counterpart_id	uuid,
	version		int NOT NULL DEFAULT 1 CHECK (version >= 1),
	created_at	timestamptz NOT NULL DEFAULT now(),
	created_by	text NOT NULL,			-- token name
	updated_at	timestamptz NOT NULL DEFAULT now(),
	updated_by	text NOT NULL,			-- token name of the last change
	ended_at	timestamptz,			-- DELETE: when it was ended
	ended_by	text,
	change_seq	bigint NOT NULL,		-- set by the trigger
	CONSTRAINT recognition_agreements_pair CHECK (issuer <> recognizer),
	CONSTRAINT recognition_agreements_types CHECK (
	    cardinality(types) BETWEEN 1 AND 64
	    AND array_to_string(types, ',') ~ '^[a-z0-9_]{1,39}(,[a-z0-9_]{1,39})*$'),
	CONSTRAINT recognition_agreements_period CHECK (
	    valid_until IS NULL OR valid_from <= valid_until),
	CONSTRAINT recognition_agreements_ended CHECK (
	    (ended_at IS NULL) = (ended_by IS NULL)
	    AND (ended_at IS NULL OR valid_until IS NOT NULL)),
	CONSTRAINT recognition_agreements_counterpart
	    FOREIGN KEY (counterpart_id) REFERENCES recognition_agreements (id)
	    DEFERRABLE INITIALLY DEFERRED
);
CREATE INDEX recognition_agreements_pair_idx ON recognition_agreements
	(issuer, recognizer);
CREATE INDEX recognition_agreements_created ON recognition_agreements
	(created_at DESC, id DESC);

-- Every state an agreement had: version 1 as created, then one row per
-- change, written by the trigger.  Never updated.
CREATE TABLE recognition_agreement_versions (
	agreement_id	uuid NOT NULL REFERENCES recognition_agreements (id),
	version		int NOT NULL,
	op		text NOT NULL CHECK (op IN ('create', 'update', 'end')),
	at		timestamptz NOT NULL,
	actor		text NOT NULL,
	types		text[] NOT NULL,
	valid_from	timestamptz NOT NULL,
	valid_until	timestamptz,
	note		text,
	PRIMARY KEY (agreement_id, version)
);

-- What is recognised when: issuer's exemptions of `type` are valid in
-- recognizer during [valid_from, valid_until) (NULL: open-ended).  An
-- empty stretch (valid_from = valid_until) is a term cut before it
-- started: it recognises nothing and stays for the record.  No two terms
-- of the same issuer, recognizer and type share an instant, whichever
-- agreements they belong to: that is the 409 of API.md, enforced here.
CREATE TABLE recognition_terms (
	id		bigserial PRIMARY KEY,
	agreement_id	uuid NOT NULL REFERENCES recognition_agreements (id),
	version		int NOT NULL,		-- the agreement version that made it
	issuer		text NOT NULL,
	recognizer	text NOT NULL,
	type		text NOT NULL,
	valid_from	timestamptz NOT NULL,
	valid_until	timestamptz,
	CONSTRAINT recognition_terms_period CHECK (
	    valid_until IS NULL OR valid_from <= valid_until),
	CONSTRAINT recognition_terms_no_overlap EXCLUDE USING gist (
	    issuer WITH =, recognizer WITH =, type WITH =,
	    tstzrange(valid_from, valid_until, '[)') WITH &&)
);
CREATE INDEX recognition_terms_agreement ON recognition_terms (agreement_id);

-- The instant a change made now takes effect: now() rounded up to the whole
-- second.  Access checks name whole seconds (their `at`), so a check in the
-- second of the change, answered from the old state, is recomputed the same
-- way later: an edit never changes the answer for an earlier instant.
CREATE FUNCTION zes_agreement_now() RETURNS timestamptz
LANGUAGE sql STABLE AS $$
	SELECT to_timestamp(ceil(extract(epoch FROM now())))
$$;

-- The audit detail of an agreement's state.
CREATE FUNCTION zes_agreement_detail(a recognition_agreements) RETURNS jsonb
LANGUAGE sql STABLE AS $$
	SELECT jsonb_build_object('issuer', a.issuer, 'recognizer', a.recognizer,
	    'types', to_jsonb(a.types), 'validFrom', a.valid_from,
	    'validUntil', a.valid_until, 'note', a.note,
	    'counterpartId', a.counterpart_id, 'version', a.version)
$$;

-- Start the terms of NEW's types from `from`, refusing an overlap with a
-- message that names the other agreement (SQLSTATE 23P01 like the
-- constraint, which still decides under concurrency).
CREATE FUNCTION zes_agreement_terms_start(a recognition_agreements,
    v_from timestamptz) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	v_type	text;
	v_other	uuid;
BEGIN
	IF a.valid_until IS NOT NULL AND a.valid_until <= v_from THEN
		RETURN;		-- nothing left to recognise
	END IF;
	FOREACH v_type IN ARRAY a.types LOOP
		SELECT t.agreement_id INTO v_other
		FROM recognition_terms t
		WHERE t.issuer = a.issuer AND t.recognizer = a.recognizer
		    AND t.type = v_type AND t.agreement_id <> a.id
		    AND tstzrange(t.valid_from, t.valid_until, '[)') &&
			tstzrange(v_from, a.valid_until, '[)')
		LIMIT 1;
		IF FOUND THEN
			RAISE EXCEPTION 'agreement % already recognises % exemptions of % in % during this period',
			    v_other, v_type, a.issuer, a.recognizer
			    USING ERRCODE = 'exclusion_violation';
		END IF;
		INSERT INTO recognition_terms (agreement_id, version, issuer,
		    recognizer, type, valid_from, valid_until)
		VALUES (a.id, a.version, a.issuer, a.recognizer, v_type, v_from,
		    a.valid_until);
	END LOOP;
END
$$;

-- Before a write: who may change what, the version, change_log.
CREATE FUNCTION zes_agreement_before() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_op	text;
BEGIN
	IF TG_OP = 'INSERT' THEN
		v_op := 'insert';
		NEW.version := 1;
		NEW.updated_at := NEW.created_at;
		NEW.updated_by := NEW.created_by;
	ELSE
		IF NEW.id <> OLD.id OR NEW.issuer <> OLD.issuer
		    OR NEW.recognizer <> OLD.recognizer
		    OR NEW.valid_from <> OLD.valid_from
		    OR NEW.created_at <> OLD.created_at
		    OR NEW.created_by <> OLD.created_by
		    OR NEW.counterpart_id IS DISTINCT FROM OLD.counterpart_id THEN
			RAISE EXCEPTION 'an agreement''s parties, start and creation are fixed'
			    USING ERRCODE = 'check_violation';
		END IF;
		IF OLD.ended_at IS NOT NULL THEN
			RAISE EXCEPTION 'agreement % has ended and cannot change', OLD.id
			    USING ERRCODE = 'check_violation';
		END IF;
		v_op := CASE WHEN NEW.ended_at IS NOT NULL THEN 'end' ELSE 'update' END;
		NEW.version := OLD.version + 1;
		NEW.updated_at := now();
	END IF;
	NEW.change_seq := zes_change('agreement', NEW.id::text, v_op);
	RETURN NEW;
END
$$;

-- After a write: the version row, the terms, the audit entry.
CREATE FUNCTION zes_agreement_after() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
	v_op	text;
BEGIN
	IF TG_OP = 'INSERT' THEN
		v_op := 'create';
		-- validFrom may be today (API.md): recognition starts when the
		-- agreement is made, never earlier, so the decisions already
		-- given today stay as they were.
		PERFORM zes_agreement_terms_start(NEW,
		    greatest(NEW.valid_from, zes_agreement_now()));
	ELSE
		v_op := CASE WHEN NEW.ended_at IS NOT NULL THEN 'end' ELSE 'update' END;
		IF NEW.types IS DISTINCT FROM OLD.types
		    OR NEW.valid_until IS DISTINCT FROM OLD.valid_until THEN
			-- The terms still running at the change end then;
			-- those not started yet become empty.  Then the new
			-- state from the change (or from its start, when
			-- that is later).
			UPDATE recognition_terms
			SET valid_until = greatest(valid_from, zes_agreement_now())
			WHERE agreement_id = NEW.id
			    AND (valid_until IS NULL
				OR valid_until > zes_agreement_now());
			PERFORM zes_agreement_terms_start(NEW,
			    greatest(NEW.valid_from, zes_agreement_now()));
		END IF;
	END IF;
	INSERT INTO recognition_agreement_versions (agreement_id, version, op,
	    at, actor, types, valid_from, valid_until, note)
	VALUES (NEW.id, NEW.version, v_op, NEW.updated_at,
	    coalesce(NEW.ended_by, NEW.updated_by), NEW.types, NEW.valid_from,
	    NEW.valid_until, NEW.note);
	PERFORM zes_audit_append(coalesce(NEW.ended_by, NEW.updated_by),
	    'agreement.' || v_op, 'agreement/' || NEW.id::text,
	    zes_agreement_detail(NEW));
	RETURN NULL;
END
$$;

CREATE TRIGGER recognition_agreements_before
	BEFORE INSERT OR UPDATE ON recognition_agreements
	FOR EACH ROW EXECUTE FUNCTION zes_agreement_before();

CREATE TRIGGER recognition_agreements_after
	AFTER INSERT OR UPDATE ON recognition_agreements
	FOR EACH ROW EXECUTE FUNCTION zes_agreement_after();

-- Nothing is deleted: agreements end, their history stays.
CREATE FUNCTION zes_agreement_keep() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION '% keeps its history: % refused (end an agreement instead)',
	    TG_TABLE_NAME, TG_OP;
END
$$;

CREATE TRIGGER recognition_agreements_keep
	BEFORE DELETE ON recognition_agreements
	FOR EACH ROW EXECUTE FUNCTION zes_agreement_keep();
CREATE TRIGGER recognition_agreement_versions_keep
	BEFORE UPDATE OR DELETE ON recognition_agreement_versions
	FOR EACH ROW EXECUTE FUNCTION zes_agreement_keep();
CREATE TRIGGER recognition_terms_keep
	BEFORE DELETE ON recognition_terms
	FOR EACH ROW EXECUTE FUNCTION zes_agreement_keep();
CREATE TRIGGER recognition_agreements_no_truncate
	BEFORE TRUNCATE ON recognition_agreements
	FOR EACH STATEMENT EXECUTE FUNCTION zes_agreement_keep();
CREATE TRIGGER recognition_agreement_versions_no_truncate
	BEFORE TRUNCATE ON recognition_agreement_versions
	FOR EACH STATEMENT EXECUTE FUNCTION zes_agreement_keep();
CREATE TRIGGER recognition_terms_no_truncate
	BEFORE TRUNCATE ON recognition_terms
	FOR EACH STATEMENT EXECUTE FUNCTION zes_agreement_keep();
