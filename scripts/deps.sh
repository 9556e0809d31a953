#!/usr/bin/env bash
# Installs what building and testing guestrun needs on a Debian machine, and
# nothing that is already there. Safe to run repeatedly.
set -euo pipefail

# Debian packages and why: musl-tools (musl-gcc guests), busybox-static and
# bash-static (static guests), qemu-user (benchmark reference), strace and gdb
# (debugging), make and gcc (the build), util-linux (unshare for pid namespaces).
pkgs=(make gcc libc6-dev musl-tools busybox-static bash-static qemu-user strace gdb util-linux)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done

if ((${#missing[@]})); then
	sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		sudo=(sudo)
	fi
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Package lists may be absent on a fresh machine; refresh them once.
	if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
		"${sudo[@]}" apt-get update -qq >/dev/null
		"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	fi
fi

if [ -z "${GUESTRUN_DEPS_NO_GO:-}" ]; then
	cd "$(dirname "$0")/.."
	go mod download
fi
