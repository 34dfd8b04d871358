#!/usr/bin/env bash
# scripts/deps.sh [SUITE ...]: install the system packages ftpsniff's tests
# need. This is the one place that knows them and the one place that runs
# apt-get; the test command (scripts/test.sh) runs it before any test, and
# the heavy suites call it again for their own part (a no-op once installed).
#
#   SUITE     packages                                     used by
#   lab       vsftpd lftp curl tcpdump nftables iptables conntrack lab/ (real FTP through
#             openssl procps iproute2 python3-pyftpdlib     NAT, and live capture)
#   tshark    tshark (with editcap)                         pcapgen and pcapng checks
#   browser   chromium fonts-dejavu-core                    the HTML report in Chromium
#   bench     tcpreplay tcpdump                             bench/live.sh
#   terminal  tmux                                          the table report on real
#                                                           terminals of 80/120/200 columns
#   metrics   prometheus                                    metrics/lab: a real Prometheus
#                                                           scrapes a live ftpsniff
#
# Without SUITE: all of them. One apt-get at a time: runs of this script
# queue on a lock of their own, and apt-get waits for the dpkg lock
# (DPkg::Lock::Timeout) and is retried while another apt process holds the
# package lists or the archive cache (apt-get update does not wait for
# those by itself), for at most APT_WAIT seconds (default 600).
#
# Prints one line: what it installed, or that nothing was missing.
# Exit status: 0 everything is there; 1 installing failed (the reason is
# printed); 77 something is missing and cannot be installed here (not root,
# or no apt-get): the line says what, and which suites cannot run.
set -euo pipefail

APT_WAIT=${APT_WAIT:-600}

declare -A PKGS=(
	[lab]="vsftpd lftp curl tcpdump nftables iptables conntrack openssl procps iproute2 python3-pyftpdlib"
	[tshark]="tshark"
	[browser]="chromium fonts-dejavu-core"
	[bench]="tcpreplay tcpdump"
	[terminal]="tmux"
	[metrics]="prometheus"
)
ORDER=(lab tshark browser bench terminal metrics)

suites=("$@")
[ ${#suites[@]} -gt 0 ] || suites=("${ORDER[@]}")
for s in "${suites[@]}"; do
	[ -n "${PKGS[$s]:-}" ] || { echo "deps: unknown suite '$s' (known: ${ORDER[*]})" >&2; exit 2; }
done

installed() { # PKG: installed and configured, as dpkg sees it
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing() { # SUITE...: the packages of these suites not installed
	local s p
	local -A seen=()
	for s in "$@"; do
		for p in ${PKGS[$s]}; do
			[ -z "${seen[$p]:-}" ] || continue
			seen[$p]=1
			installed "$p" || printf '%s ' "$p"
		done
	done
}

suites_of() { # PKG...: the suites that need any of them
	local s p out=()
	for s in "${suites[@]}"; do
		for p in "$@"; do
			case " ${PKGS[$s]} " in *" $p "*) out+=("$s"); break ;; esac
		done
	done
	echo "${out[*]}"
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
	echo "deps: no apt-get/dpkg here: install by hand what the suites need (${suites[*]}), or they are skipped"
	exit 77
fi

need=$(missing "${suites[@]}")
if [ -z "$need" ]; then
	echo "deps: nothing missing for ${suites[*]}"
	exit 0
fi
# shellcheck disable=SC2086
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing ${need% } and not root to install them: these suites will be skipped: $(suites_of $need)"
	exit 77
fi

# One run of this script at a time (the lab and the browser test may call it
# together); the second waits, then finds nothing missing.
exec 9>/run/lock/ftpsniff-deps.lock
if ! flock -w "$APT_WAIT" 9; then
	echo "deps: another scripts/deps.sh held its lock for ${APT_WAIT}s" >&2
	exit 1
fi
need=$(missing "${suites[@]}")
if [ -z "$need" ]; then
	echo "deps: nothing missing for ${suites[*]} (installed by a concurrent run)"
	exit 0
fi

deadline=$((SECONDS + APT_WAIT))
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# apt_locked CMD...: run an apt-get command; while it fails because another
# process holds an apt or dpkg lock, wait and run it again, until APT_WAIT.
apt_locked() {
	local waited=0
	while :; do
		if DEBIAN_FRONTEND=noninteractive "$@" -o DPkg::Lock::Timeout=$((deadline - SECONDS > 0 ? deadline - SECONDS : 1)) >"$log" 2>&1; then
			[ $waited = 0 ] || echo "deps: waited for the apt lock (${waited}s)" >&2
			return 0
		fi
		if grep -qE 'Could not get lock|Unable to lock|Unable to acquire the dpkg frontend lock' "$log" && [ $SECONDS -lt $deadline ]; then
			[ $waited != 0 ] || echo "deps: another apt process holds its lock; waiting (at most ${APT_WAIT}s): $(grep -m1 -E 'lock' "$log")" >&2
			sleep 2
			waited=$((waited + 2))
			continue
		fi
		echo "deps: $* failed:" >&2
		tail -15 "$log" >&2
		return 1
	done
}

# Package scripts must not start services (vsftpd) in the root namespace.
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
	trap 'rm -f "$log"; [ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
fi

start=$SECONDS
# shellcheck disable=SC2086
{ apt_locked apt-get update -qq &&
	apt_locked apt-get install -y -qq --no-install-recommends $need; } ||
	{ echo "deps: could not install ${need% } (needed by: $(suites_of $need))"; exit 1; }
still=$(missing "${suites[@]}")
[ -z "$still" ] || { echo "deps: still missing after apt-get install: ${still% }"; exit 1; }
echo "deps: installed ${need% } in $((SECONDS - start))s"
