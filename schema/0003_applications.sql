-- 0003_applications: applications for exemptions, their decisions, and the
-- Idempotency-Key records of POST /v1/applications (docs/applications.md).
-- zesctl migrate runs this file inside one transaction; no BEGIN/COMMIT here.

-- One row per application, written by POST /v1/applications in the
-- transaction that decides it, and changed only by an assessor's decision or
-- a withdrawal (each in one transaction with its audit entry).  `body` is
-- the normalised application as zes_app_parse() made it (plate upper case,
-- plateDisplay, defaults filled in); the columns beside it repeat what the
-- lists filter on.  `decision` is the decision as answered (outcome,
-- reasons, ruleSet, decidedAt, decidedBy): the rules' at submission, an
-- assessor's once one decided; a withdrawn application keeps the rules'
-- in_review decision.  decided_at is when it was granted or rejected (the
-- submission instant for the rules' instant decisions), so the time to a
-- decision is decided_at - submitted_at.  Instants are whole seconds, as
-- they are answered.
CREATE TABLE applications (
	id		uuid PRIMARY KEY,
	status		text NOT NULL
			CHECK (status IN ('in_review', 'granted', 'rejected', 'withdrawn')),
	scope		text NOT NULL
			CHECK (scope IN ('national', 'municipal')),
	type		text NOT NULL
			CHECK (type ~ '^[a-z0-9_]{1,39}$'),
	municipality	text
			CHECK (municipality ~ '^GM[0-9]{4}$'),
	-- The issuer of the exemption a grant makes: the municipality, or
	-- 'national' (exemptions.issuer); a foreign key below compares them.
	issuer		text NOT NULL
			GENERATED ALWAYS AS (coalesce(municipality, 'national')) STORED,
	plate		text COLLATE "C" NOT NULL
			CHECK (plate ~ '^[A-Z0-9]{1,12}$'),
	country		text NOT NULL
			CHECK (country ~ '^[A-Z]{2}$'),
	kvk		text COLLATE "C"
			CHECK (kvk ~ '^[0-9]{8}$'),	-- applicant.kvk, for the search
	body		jsonb NOT NULL,
	fee_cents	bigint NOT NULL DEFAULT 0
			CHECK (fee_cents >= 0),
	submitted_at	timestamptz NOT NULL
			CHECK (submitted_at = date_trunc('second', submitted_at)),
	submitted_by	uuid NOT NULL REFERENCES tokens (id),
	decision	jsonb NOT NULL,
	decided_at	timestamptz,
	decided_by	uuid REFERENCES tokens (id),	-- NULL: the rules decided
	withdrawn_at	timestamptz,
	withdrawn_by	uuid REFERENCES tokens (id),
	exemption_id	uuid UNIQUE,
	CONSTRAINT applications_scope_municipality
		CHECK ((scope = 'national') = (municipality IS NULL)),
	-- The body is the application the columns describe.
	CONSTRAINT applications_body
		CHECK (jsonb_typeof(body) = 'object'
		    AND body->>'scope' = scope
		    AND body->>'type' = type
		    AND body->>'plate' = plate),
	-- The decision is the one answered, and its outcome is the status
	-- (a withdrawn application keeps the rules' in_review decision).
	CONSTRAINT applications_decision
		CHECK (jsonb_typeof(decision) = 'object'
		    AND decision->>'outcome' = CASE status
			WHEN 'withdrawn' THEN 'in_review' ELSE status END
		    AND jsonb_typeof(decision->'reasons') = 'array'
		    AND (status <> 'rejected'
			OR jsonb_array_length(decision->'reasons') > 0)),
	-- Granted exactly when an exemption was made.
	CONSTRAINT applications_exemption
		CHECK ((status = 'granted') = (exemption_id IS NOT NULL)),
	CONSTRAINT applications_decided
		CHECK ((status IN ('granted', 'rejected')) = (decided_at IS NOT NULL)
		    AND decided_at >= submitted_at
		    AND (decided_by IS NULL OR decided_at IS NOT NULL)),
	CONSTRAINT applications_withdrawn
		CHECK ((status = 'withdrawn') = (withdrawn_at IS NOT NULL)
		    AND (status = 'withdrawn') = (withdrawn_by IS NOT NULL)
		    AND withdrawn_at >= submitted_at),
	-- What an exemption's foreign key below refers to.
	CONSTRAINT applications_grant_key
		UNIQUE (id, plate, country, scope, type, issuer)
);
-- The lists: newest first, with or without a filter (docs/applications.md),
-- the statistics' window, and the searches by plate and KvK number.
CREATE INDEX applications_submitted ON applications (submitted_at DESC, id DESC);
CREATE INDEX applications_municipality ON applications
	(municipality, submitted_at DESC, id DESC);
CREATE INDEX applications_status ON applications
	(status, submitted_at DESC, id DESC);
CREATE INDEX applications_plate ON applications (plate, country);
CREATE INDEX applications_kvk ON applications (kvk) WHERE kvk IS NOT NULL;

-- An exemption made by an application is made for that application's
-- plate, country, scope, type and issuer, and by one application only; and
-- the application it names names it back.  Deferred to COMMIT, so the
-- transaction may write the two rows in either order.  Exemptions written
-- otherwise (application_id NULL) are not affected.
ALTER TABLE exemptions
	ADD CONSTRAINT exemptions_application_unique UNIQUE (application_id),
	ADD CONSTRAINT exemptions_id_application UNIQUE (id, application_id),
	ADD CONSTRAINT exemptions_application
		FOREIGN KEY (application_id, plate, country, scope, type, issuer)
		REFERENCES applications (id, plate, country, scope, type, issuer)
		DEFERRABLE INITIALLY DEFERRED;
ALTER TABLE applications
	ADD CONSTRAINT applications_exemption_back
		FOREIGN KEY (exemption_id, id)
		REFERENCES exemptions (id, application_id)
		DEFERRABLE INITIALLY DEFERRED;

-- Idempotency-Key records (API.md, Applications): per caller token and key,
-- the SHA-256 of the request (method, path and the body's canonical form)
-- and the first 201 answer, to answer again when the same key comes with
-- the same request.  Only a committed 201 is recorded, in the transaction
-- that made the application, so a failed first attempt leaves nothing and
-- its retry runs afresh.  A record is kept for zes_idempotency_retention()
-- after it was made; an older one counts as absent and is deleted.
CREATE TABLE idempotency_keys (
	token_id	uuid NOT NULL REFERENCES tokens (id),
	key		text COLLATE "C" NOT NULL
			CHECK (key ~ '^[!-~]{1,255}$'),	-- visible ASCII
	request_hash	bytea NOT NULL
			CHECK (octet_length(request_hash) = 32),
	status		int NOT NULL
			CHECK (status = 201),
	application_id	uuid NOT NULL REFERENCES applications (id),
	location	text NOT NULL,
	body		text NOT NULL,			-- the answer, byte for byte
	created_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (token_id, key),
	CONSTRAINT idempotency_keys_location
		CHECK (location = '/v1/applications/' || application_id::text)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- How long an Idempotency-Key record answers: 24 hours, the usual window of
-- a client's retries (docs/applications.md).
CREATE FUNCTION zes_idempotency_retention() RETURNS interval
LANGUAGE sql IMMUTABLE AS $$
	SELECT interval '24 hours'
$$;

-- The first statement of a submission's transaction: serialise the
-- submissions of one Idempotency-Key of one caller (when given) and of one
-- plate, with transaction-level advisory locks held until COMMIT or
-- ROLLBACK, always in that order (so two submissions never deadlock).  The
-- statements that follow start after the locks were granted, so under READ
-- COMMITTED (what zesd uses) they see what the previous holder committed:
-- the quota and duplicate checks cannot be overrun, and a concurrent retry
-- with the same key finds the first attempt's record.
-- The lock keys use the two-int form, whose key space does not overlap the
-- one-bigint form of zes_audit_append(); the classes are the ASCII bytes
-- "zes1" (0x7a657331, Idempotency-Keys) and "zes2" (0x7a657332, plates).
-- It also deletes the caller's expired record of this key, and up to 16 of
-- the oldest expired records of anyone, skipping those another transaction
-- holds, so the table stays about one retention period long.
CREATE FUNCTION zes_application_lock(token_id uuid, idem_key text,
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
	DELETE FROM idempotency_keys
	WHERE ctid = ANY (ARRAY(
	    SELECT k.ctid FROM idempotency_keys k
	    WHERE k.created_at <= now() - zes_idempotency_retention()
	    ORDER BY k.created_at
	    LIMIT 16
	    FOR UPDATE SKIP LOCKED));
END
$$;
