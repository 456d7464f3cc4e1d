#!/usr/bin/env bash
# Installs the real backends that the integration tests in internal/e2e run on
# loopback: Prometheus and Pushgateway from Debian, Jaeger v2 and
# VictoriaLogs built from the Go module proxy into a cache directory outside
# the repo.
#
# Idempotent: a backend that is already present at its pinned version is only
# reported as cached, so a second run takes about a second. Versions are
# pinned in versions.env next to this script; the Go harness reads the same
# file, so both agree on which binary to run.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
. "$here/versions.env"

cache="${AMKIT_E2E_CACHE:-$HOME/.cache/amkit-e2e}"
mkdir -p "$cache"

log() { printf 'e2e-deps: %s\n' "$*"; }
die() { printf 'e2e-deps: error: %s\n' "$*" >&2; exit 1; }

# Two `make test` runs at once would otherwise both build into the cache.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache/.lock"
	flock 9
fi

# --- Prometheus and Pushgateway (Debian packages) ---------------------------

# apt_install installs Debian packages without letting their maintainer
# scripts start services: in a container there is no systemd, and the tests
# start their own processes on free ports anyway.
apt_install() {
	local sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		command -v sudo >/dev/null 2>&1 || die "need root or sudo to apt-get install $*"
		sudo="sudo"
	fi
	local policy=/usr/sbin/policy-rc.d own_policy=""
	if [ ! -e "$policy" ]; then
		# Exit 101 tells invoke-rc.d "action forbidden", so no service starts.
		printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
		$sudo chmod 0755 "$policy"
		own_policy=1
	fi
	# apt and dpkg are chatty; keep their output for when something fails.
	local rc=0 aptlog="$cache/apt.log"
	{
		$sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
			$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				--no-install-recommends "$@"
	} >"$aptlog" 2>&1 || rc=$?
	if [ -n "$own_policy" ]; then $sudo rm -f "$policy"; fi
	if [ "$rc" -ne 0 ]; then
		tail -n 20 "$aptlog" >&2
		die "apt-get install $* failed (exit $rc), full output in $aptlog"
	fi
	stop_system_services prometheus prometheus-pushgateway
}

# stop_system_services stops and disables the packaged services if something
# started them after all (systemd hosts ignore policy-rc.d), so no stray
# prometheus holds the default ports or scrapes in the background. Only the
# service manager's own units or pidfiles are touched, never processes by name.
stop_system_services() {
	local sudo="" svc
	[ "$(id -u)" -eq 0 ] || sudo="sudo"
	for svc in "$@"; do
		if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
			$sudo systemctl disable --now "$svc" >/dev/null 2>&1 || true
		elif [ -x "/etc/init.d/$svc" ] && [ -f "/run/$svc/$svc.pid" ]; then
			$sudo "/etc/init.d/$svc" stop >/dev/null 2>&1 || true
		fi
	done
}

# upstream_version prints the "version X.Y.Z" part of a Prometheus-style
# --version banner (both binaries print it on stderr).
upstream_version() {
	"$1" --version 2>&1 | sed -n 's/.*version \([0-9][0-9.]*\).*/\1/p' | head -n1
}

missing=()
command -v prometheus >/dev/null 2>&1 || missing+=(prometheus)
command -v prometheus-pushgateway >/dev/null 2>&1 || missing+=(prometheus-pushgateway)
# Graphviz's dot renders am-dbg's diagrams in cmd/am-dbg/internal/diagram's test.
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
# Headless Chromium runs am-dbg's web inspector in its browser tests
# (internal/e2e/browser).
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# tmux drives am-dbg's terminal UI in its end-to-end test.
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
if [ "${#missing[@]}" -gt 0 ]; then
	log "installing ${missing[*]} from Debian (first run, ~1 min)..."
	apt_install "${missing[@]}"
fi
for pair in "prometheus:$PROMETHEUS_VERSION" "prometheus-pushgateway:$PUSHGATEWAY_VERSION"; do
	bin="${pair%%:*}" want="${pair#*:}"
	command -v "$bin" >/dev/null 2>&1 || die "$bin is still missing after apt-get install"
	got="$(upstream_version "$bin")"
	if [ "$got" = "$want" ]; then
		log "$bin $want: installed"
	else
		# Debian decides what bookworm ships; a point release is worth a note,
		# not a failed test run.
		log "warning: $bin is $got, versions.env pins $want"
	fi
done

# --- Jaeger and VictoriaLogs (built from wrapper modules) -------------------

# build_tool NAME VERSION WRAPPER MODULE PACKAGE ESTIMATE: builds PACKAGE from
# the wrapper module in tools/WRAPPER into $cache/NAME-VERSION unless it is
# already there. The version in the file name is what makes a bump rebuild.
build_tool() {
	local name="$1" version="$2" dir="$here/tools/$3" module="$4" pkg="$5" estimate="$6"
	local out="$cache/$name-$version"
	if [ -x "$out" ]; then
		log "$name $version: cached"
		return
	fi
	[ -f "$dir/go.mod" ] || die "wrapper module $dir/go.mod is missing"
	local required
	required="$(cd "$dir" && GOWORK=off GOFLAGS=-mod=readonly go list -m -f '{{.Version}}' "$module")" ||
		die "reading the $module version from $dir/go.mod"
	[ "$required" = "$version" ] ||
		die "$dir/go.mod requires $module $required but versions.env pins $version; run: (cd $dir && go get -tool $pkg@$version && go mod tidy)"
	log "building $name $version (first run, $estimate)..."
	local start=$SECONDS tmp="$out.tmp.$$"
	# CGO off: a static binary that does not depend on the host's C toolchain.
	# -mod=readonly: build exactly what the committed go.sum pins.
	if ! (cd "$dir" && GOWORK=off CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
		go build -trimpath -o "$tmp" "$pkg"); then
		rm -f "$tmp"
		die "building $pkg $version failed"
	fi
	mv -f "$tmp" "$out"
	log "$name $version: built in $((SECONDS - start))s -> $out"
	# Drop builds of other versions; only the pinned one is ever run.
	find "$cache" -maxdepth 1 -type f -name "$name-v*" ! -name "$name-$version" -delete
}

build_tool jaeger "$JAEGER_VERSION" jaeger github.com/jaegertracing/jaeger \
	github.com/jaegertracing/jaeger/cmd/jaeger "~5 min"
build_tool victorialogs "$VICTORIALOGS_VERSION" victorialogs github.com/VictoriaMetrics/VictoriaLogs \
	github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs "~1 min"
build_tool otelcol "$OTELCOL_VERSION" otelcol go.opentelemetry.io/collector/otelcol \
	github.com/amkit-dev/amkit/internal/e2e/tools/otelcol "~1 min after Jaeger"

log "backends ready in $cache"
