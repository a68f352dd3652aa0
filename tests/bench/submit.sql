-- pgbench script of the submission benchmark (tests/bench/submit.sh): the
-- floor of a durable submission, one single-row insert transaction.
--
--   pgbench -n -c 2 -j 2 -M extended -T 10 -f submit.sql -D token=UUID zesd
--
-- bench_applications is CREATE TABLE ... (LIKE applications INCLUDING ALL):
-- the same columns, defaults, generated issuer, CHECK constraints, primary
-- key, unique keys and indexes (not the foreign keys).  The row is shaped
-- like one that POST /v1/applications writes for a granted day exemption:
-- the same column values and jsonb documents of the same size, a distinct
-- foreign plate per transaction.  :token is an existing token's id (the
-- desk token of the run), as submitted_by.
\set n random(1, 9999999999)
BEGIN;
INSERT INTO bench_applications (id, status, scope, type, municipality, plate, country, kvk,
	body, fee_cents, submitted_at, submitted_by, decision, decided_at, exemption_id)
VALUES (gen_random_uuid(), 'granted', 'municipal', 'day_exemption', 'GM0599', ('P' || (:n)::text), 'DE',
	'12345678',
	jsonb_build_object('scope', 'municipal', 'type', 'day_exemption', 'municipality', 'GM0599',
		'plate', ('P' || (:n)::text), 'plateDisplay', ('P' || (:n)::text), 'country', 'DE',
		'applicant', '{"kvk": "12345678", "name": "Spedition Beispiel GmbH", "email": "dispo@example.de"}'::jsonb,
		'period', jsonb_build_object('from', to_char(current_date + 1, 'YYYY-MM-DD')),
		'evidence', '{}'::jsonb),
	3000, date_trunc('second', now()), :token,
	jsonb_build_object('outcome', 'granted', 'reasons', '[]'::jsonb,
		'ruleSet', '{"municipality": "GM0599", "version": "2026-01-01", "sha256": "8c6f2a0e4d1b7f3a9e5c2d8b1a6f4e0c3b7d9a2e5f8c1b4d7a0e3f6c9b2d5a8e1"}'::jsonb,
		'decidedAt', date_trunc('second', now() AT TIME ZONE 'UTC'),
		'decidedBy', 'rules'),
	date_trunc('second', now()), gen_random_uuid());
COMMIT;
