#!/bin/sh
# Lint the OpenAPI document with the NLGov API Design Rules (ADR) Spectral ruleset.
#
#   scripts/lint-openapi.sh TOOLS_DIR [DOC]
#
# TOOLS_DIR  where Spectral is (or gets) installed: TOOLS_DIR/node_modules/.bin/spectral.
#            Installed with npm, at the pinned version below, when missing or different.
# DOC        the document to lint; default <repo>/docs/openapi.json.
#
# The ruleset is ${ZES_ADR_RULESET:-<repo>/../shared/adr/linter.yaml}.  Any error or
# warning fails the run (exit 1); bad usage exits 2.
set -eu

SPECTRAL_VERSION=6.16.3

prog=$(basename -- "$0")
usage() {
	echo "usage: $prog TOOLS_DIR [DOC]" >&2
	exit 2
}
die() {
	echo "$prog: $*" >&2
	exit 1
}

case $# in
1 | 2) ;;
*) usage ;;
esac
[ -n "$1" ] || usage

repo=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd -P)
doc=${2:-$repo/docs/openapi.json}
ruleset=${ZES_ADR_RULESET:-$repo/../shared/adr/linter.yaml}

[ -f "$ruleset" ] || die "ADR ruleset not found: $ruleset (set ZES_ADR_RULESET to the NLGov linter.yaml)"
[ -f "$doc" ] || die "OpenAPI document not found: $doc"

mkdir -p -- "$1" || die "cannot create tools directory: $1"
tools=$(CDPATH='' cd -- "$1" && pwd -P)
spectral=$tools/node_modules/.bin/spectral

# npm and Spectral want a writable home and cache; in CI (root, possibly without
# HOME, or with a read-only one) keep everything inside TOOLS_DIR.
if [ -z "${HOME:-}" ] || [ ! -d "$HOME" ] || [ ! -w "$HOME" ]; then
	HOME=$tools/home
	mkdir -p -- "$HOME"
fi
export HOME
npm_config_cache=${npm_config_cache:-$tools/npm-cache}
npm_config_update_notifier=false
SCARF_ANALYTICS=false	# no install-time telemetry from Spectral's dependencies
export npm_config_cache npm_config_update_notifier SCARF_ANALYTICS

installed=
if [ -x "$spectral" ]; then
	installed=$("$spectral" --version 2>/dev/null || true)
fi
if [ "$installed" != "$SPECTRAL_VERSION" ]; then
	command -v npm >/dev/null 2>&1 || die "npm not found: it is needed to install @stoplight/spectral-cli@$SPECTRAL_VERSION"
	echo "$prog: installing @stoplight/spectral-cli@$SPECTRAL_VERSION into $tools" >&2
	npm install --prefix "$tools" --no-audit --no-fund \
	    "@stoplight/spectral-cli@$SPECTRAL_VERSION" >&2 ||
		die "npm install of @stoplight/spectral-cli@$SPECTRAL_VERSION failed"
	[ -x "$spectral" ] || die "spectral missing after install: $spectral"
fi

# Spectral exits 1 when it reports anything at or above --fail-severity.
exec "$spectral" lint --fail-severity=warn -r "$ruleset" "$doc"
