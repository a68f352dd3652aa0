#!/usr/bin/env bash
# Build zesd and run it in the foreground on http://127.0.0.1:8080 against a
# private PostgreSQL cluster (build/pgdata, port 54329), with one demo token
# per role kept in build/demo-tokens.env.  Ctrl-C (or SIGTERM) stops zesd and
# then the cluster.  Running it again reuses the build, the cluster and the
# tokens (new ones are made when the old ones are gone or revoked).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=$ROOT/build
PGDATA_DIR=$BUILD/pgdata
PGPORT=54329
LISTEN=127.0.0.1:8080
TOKENS=$BUILD/demo-tokens.env
CONF=$BUILD/zesd.conf
ROLES=(desk assessor enforcement admin auditor)

say() { echo "run.sh: $*" >&2; }

# Install what is missing (scripts/packages.sh).
. "$ROOT/scripts/packages.sh"
install_missing "$BUILD/log" "${ZES_BUILD_PKGS[@]}"

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DZES_SANITIZE=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)"

# The cluster goes down whenever this script ends, however it ends.
cleanup() {
	trap - EXIT INT TERM
	"$ROOT/scripts/pg.sh" stop "$PGDATA_DIR" || true
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

"$ROOT/scripts/pg.sh" start "$PGDATA_DIR" "$PGPORT"
DBURL=$("$ROOT/scripts/pg.sh" url "$PGDATA_DIR" "$PGPORT")
export ZES_SCHEMA_DIR=$ROOT/schema
ctl() { "$BUILD/zesctl" --database-url "$DBURL" "$@"; }
ctl migrate

# Demo data: the committed sample of the RDW register (a few thousand
# vehicles covering every basis, with the real fixtures TT601D and VTV69T),
# loaded again on every run (an import replaces the records of its plates),
# and two demo exemptions with fixed ids, so a second run adds nothing.
DEMO=$ROOT/tests/data/rdw-demo
ctl import-rdw --vehicles "$DEMO/vehicles.csv" --fuels "$DEMO/fuels.csv" \
	--bodies "$DEMO/bodies.csv" --body-codes "$DEMO/body-codes.csv" \
	--specials "$DEMO/specials.csv" | tail -n 1
# A van of class 4 with nothing else in its favour: refused on its own, so
# the demo exemption (statutorily recognised in every zone) is what admits it.
DEMO_PLATE=$(psql -X -q -tA "$DBURL" -c "SELECT plate FROM vehicles WHERE category = 'N1'
	AND fuel_classes = '{4}' AND mass_kg <= 3500 AND body_type <> 'SH'
	AND special_codes = '{}' AND first_admission > date '1990-01-01'
	ORDER BY plate LIMIT 1")
if [ -n "$DEMO_PLATE" ]; then
	psql -X -q "$DBURL" -v ON_ERROR_STOP=1 -c "
	INSERT INTO exemptions (id, plate, country, scope, type, issuer, valid_from, valid_until, granted_at)
	VALUES ('00000000-0000-4000-8000-000000000001', '$DEMO_PLATE', 'NL', 'municipal',
		'business_hardship', 'GM0599', '2026-01-01T00:00:00+01', '2027-01-01T00:00:00+01',
		'2026-01-02T10:00:00+01'),
	       ('00000000-0000-4000-8000-000000000002', 'AB123C', 'DE', 'municipal',
		'day_exemption', 'GM0503', '2026-12-01T00:00:00+01', '2026-12-02T06:00:00+01',
		'2026-11-20T10:00:00+01')
	ON CONFLICT (id) DO NOTHING" >/dev/null
fi

# Tokens: reuse those of build/demo-tokens.env while `token list` still shows
# each of them unrevoked; otherwise revoke what is left and make a new set.
token_live() {	# name: 0 when `token list` shows it with REVOKED_AT "-"
	printf '%s\n' "$LIST" | awk -v n="$1" '
		NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "NAME") c = i; if ($i == "REVOKED_AT") r = i }; next }
		c && r && $c == n && $r == "-" { found = 1 }
		END { exit !found }'
}
reuse=0
if [ -f "$TOKENS" ]; then
	# shellcheck disable=SC1090
	. "$TOKENS"
	LIST=$(ctl token list)
	reuse=1
	for r in "${ROLES[@]}"; do
		n=ZES_DEMO_${r^^}_NAME
		if [ -z "${!n:-}" ] || ! token_live "${!n}"; then
			reuse=0
		fi
	done
	if [ "$reuse" = 0 ]; then
		say "the demo tokens in $TOKENS are gone or revoked: making new ones"
		for r in "${ROLES[@]}"; do
			n=ZES_DEMO_${r^^}_NAME
			[ -n "${!n:-}" ] && token_live "${!n}" && ctl token revoke "${!n}" >/dev/null
		done
	fi
fi
if [ "$reuse" = 0 ]; then
	suffix=$(date +%Y%m%d%H%M%S)-$(printf %04x $((RANDOM % 65536)))
	tmp=$(mktemp "$BUILD/demo-tokens.XXXXXX")	# mode 600
	{
		echo "# Demo tokens made by scripts/run.sh; secrets: keep this file mode 600."
		for r in "${ROLES[@]}"; do
			name=demo-$r-$suffix
			args=(--role "$r" --name "$name")
			[ "$r" = assessor ] && args+=(--municipality GM0599)
			tok=$(ctl token create "${args[@]}")
			echo "ZES_DEMO_${r^^}_NAME=$name"
			echo "ZES_DEMO_${r^^}_TOKEN=$tok"
		done
	} >"$tmp"
	chmod 600 "$tmp"
	mv -f "$tmp" "$TOKENS"
	# shellcheck disable=SC1090
	. "$TOKENS"
fi
chmod 600 "$TOKENS"

umask 077
cat >"$CONF" <<EOF
# Written by scripts/run.sh; rewritten on every run.
listen = $LISTEN
database_url = $DBURL
log_format = text
log_level = info
EOF
[ -d "$ROOT/rules" ] && echo "rules_dir = $ROOT/rules" >>"$CONF"

URL=http://$LISTEN
cat <<EOF

zesd is starting on $URL (config $CONF, tokens in $TOKENS).
Try, in another shell (demo tokens; they are also in $TOKENS):

  curl -i $URL/healthz
  curl -i $URL/readyz
  curl -s $URL/metrics
  curl -s $URL/v1/openapi.json
  curl -s -H "Authorization: Bearer $ZES_DEMO_AUDITOR_TOKEN" $URL/v1/audit-entries
  curl -s -H "Authorization: Bearer $ZES_DEMO_AUDITOR_TOKEN" $URL/v1/audit-verification
  curl -s -H "Authorization: Bearer $ZES_DEMO_DESK_TOKEN" $URL/v1/audit-entries   # 403: desk may not
  curl -s -H "Authorization: Bearer $ZES_DEMO_DESK_TOKEN" $URL/v1/municipalities
  curl -s -H "Authorization: Bearer $ZES_DEMO_DESK_TOKEN" -H 'Content-Type: application/json' \
       -d '{"plate":"vtv-69-t"}' $URL/v1/vehicles/_search
  curl -s -H "Authorization: Bearer $ZES_DEMO_ENFORCEMENT_TOKEN" -H 'Content-Type: application/json' \
       -d '{"checks":[{"plate":"VTV69T","municipality":"GM0599"},{"plate":"TT601D","municipality":"GM0518"},
            {"plate":"${DEMO_PLATE:-VTV69T}","municipality":"GM0518","at":"2026-06-01T12:00:00+02:00"},
            {"plate":"AB123C","country":"DE","municipality":"GM0503","at":"2026-12-01T09:00:00+01:00"}]}' \
       $URL/v1/access-checks

Tokens per role:
  desk         $ZES_DEMO_DESK_TOKEN
  assessor     $ZES_DEMO_ASSESSOR_TOKEN (GM0599)
  enforcement  $ZES_DEMO_ENFORCEMENT_TOKEN
  admin        $ZES_DEMO_ADMIN_TOKEN
  auditor      $ZES_DEMO_AUDITOR_TOKEN

Ctrl-C stops zesd and the database.

EOF

# zesd runs as a child so that the traps still run: Ctrl-C or SIGTERM to this
# script is passed on to zesd as SIGTERM (its graceful stop), then the
# cluster stops.
"$BUILD/zesd" --config "$CONF" &
ZPID=$!
trap 'kill -TERM "$ZPID" 2>/dev/null || true' INT TERM
while :; do
	rc=0
	wait "$ZPID" || rc=$?
	# A trapped signal interrupts wait (status > 128) while zesd still runs.
	if [ "$rc" -gt 128 ] && kill -0 "$ZPID" 2>/dev/null; then
		continue
	fi
	break
done
exit "$rc"
