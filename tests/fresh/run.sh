#!/bin/sh
# tests/fresh/run.sh - the README's two commands on a really fresh Debian 12.
#
# Builds (or unpacks from its cache) a minbase Debian 12 root made by
# debootstrap, copies the source tree in, and runs inside it, with chroot and
# as root, the README's demo command and then its test command, exactly as
# README.md writes them (the line after each of the `<!-- demo-command -->`
# and `<!-- test-command -->` markers). Nothing of the machine running it
# leaks in: a package the build or the tests need and deps/install.sh does
# not name is missing in there, whatever this machine has installed.
#
# What is copied: the files git tracks, as they are in the working tree
# (`git ls-files`). Untracked files (build folders, caches, a generated file
# left behind) never go in, so they cannot make the check pass; a tracked
# file's uncommitted change does, so a developer checks what they are about
# to commit. On CI's clean clone that is HEAD.
#
# The root gets what every real machine has and a debootstrapped root lacks:
# /etc/hosts (127.0.0.1 localhost, ::1 localhost ip6-localhost),
# /etc/resolv.conf from this machine, and /proc, /sys, /dev, /dev/pts and a
# fresh /dev/shm mounted. /tmp is the root's own folder, on disk, as on a
# default Debian install. The apt sources are this machine's Debian mirror
# (bookworm, bookworm-updates and, when this machine has one, security).
#
# The minbase root is made once and kept as a tarball, untouched, in
# ${XDG_CACHE_HOME:-$HOME/.cache}/throng-fresh (or $THRONG_FRESH_CACHE),
# remade when older than 30 days; every run starts from a fresh copy of it
# and deletes that copy at the end, whatever happens. The packages apt
# downloads in there (/var/cache/apt/archives) are kept beside it, in
# apt-archives/, and offered to the next run's apt, so that a run does not
# download again the same .deb files: apt still installs every package
# the commands ask for, from scratch, and takes a kept file only when it
# has the hash of the fresh package lists. That folder is emptied when the
# tarball is remade.
#
# Needs root (it re-runs itself with sudo otherwise), debootstrap
# (`deps/install.sh fresh`) and the network to the mirror. Each command is
# bounded by $THRONG_FRESH_TIMEOUT seconds (default 1800). The exit status
# is that of the first command that failed; each step's time is printed.
# Environment: THRONG_FRESH_MIRROR (default: this machine's apt mirror),
# THRONG_FRESH_KEEP=1 (leave the root, unmounted, for a look inside),
# CFLAGS (passed on to the commands, as CI passes -Werror).
set -eu

SOURCE=$(cd "$(dirname "$0")/../.." && pwd)
SUITE=bookworm

if [ "$(id -u)" -ne 0 ]; then
    # The cache stays the invoking user's; sudo may reset HOME.
    CACHE=${THRONG_FRESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/throng-fresh}
    exec sudo THRONG_FRESH_CACHE="$CACHE" THRONG_FRESH_MIRROR="${THRONG_FRESH_MIRROR:-}" \
        THRONG_FRESH_TIMEOUT="${THRONG_FRESH_TIMEOUT:-}" THRONG_FRESH_KEEP="${THRONG_FRESH_KEEP:-}" \
        CFLAGS="${CFLAGS:-}" sh "$0" "$@"
fi
CACHE=${THRONG_FRESH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/throng-fresh}
LIMIT=${THRONG_FRESH_TIMEOUT:-1800}
ARCH=$(dpkg --print-architecture)
TARBALL=$CACHE/$SUITE-minbase-$ARCH.tar.gz
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

say() { echo "fresh: $*"; }

# step NAME: starts timing a step; step_done prints how long it took.
step() {
    STEP=$1
    STEP_START=$(date +%s)
    say "$STEP"
}
step_done() {
    say "$STEP took $(($(date +%s) - STEP_START))s"
}

# readme_command MARKER: the command on the line after MARKER's ```sh line.
readme_command() {
    sed -n "/<!-- $1 -->/,/^\`\`\`\$/p" "$SOURCE/README.md" | sed -n '3p'
}

# apt_uri SUITE: the first URI this machine's apt takes SUITE from, in
# one-line (sources.list) or deb822 (*.sources) form.
apt_uri() {
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v s="$1" '$1 == "deb" { sub(/\[[^]]*\] */, ""); if ($3 == s) { print $2; exit } }' "$f"
    done
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v s="$1" 'BEGIN { RS = ""; FS = "\n" }
            { uri = ""; hit = 0; deb = 0
              for (i = 1; i <= NF; i++) {
                  if ($i ~ /^URIs:/) { split($i, u, " "); uri = u[2] }
                  if ($i ~ /^Types:/ && $i ~ / deb( |$)/) deb = 1
                  if ($i ~ /^Suites:/) { n = split($i, w, " "); for (j = 2; j <= n; j++) if (w[j] == s) hit = 1 }
              }
              if (deb && hit && uri != "") { print uri; exit } }' "$f"
    done
}

DEMO=$(readme_command demo-command)
TEST=$(readme_command test-command)
[ -n "$DEMO" ] || { echo "fresh: no demo command found in README.md" >&2; exit 1; }
[ -n "$TEST" ] || { echo "fresh: no test command found in README.md" >&2; exit 1; }
command -v debootstrap >/dev/null || {
    echo "fresh: debootstrap is missing: deps/install.sh fresh installs it" >&2
    exit 1
}
MIRROR=${THRONG_FRESH_MIRROR:-$(apt_uri "$SUITE" | head -1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY=$(apt_uri "$SUITE-security" | head -1)

ROOT=""
START=$(date +%s)

# mounts_under DIR: the mount points at or below DIR, deepest first.
mounts_under() {
    awk -v r="$1" '$2 == r || index($2, r "/") == 1 { print $2 }' /proc/self/mounts | sort -r
}

# cleanup: ends the processes left inside the root (those this script
# started there, found by their root directory), unmounts everything under
# it and deletes it. rm stays on the root's own file system, so a mount that
# would not go away is never emptied.
cleanup() {
    status=$?
    [ -n "$ROOT" ] && [ -d "$ROOT" ] || exit "$status"
    for p in /proc/[0-9]*; do
        [ "$(readlink "$p/root" 2>/dev/null)" = "$ROOT" ] && kill -9 "${p#/proc/}" 2>/dev/null
    done
    for m in $(mounts_under "$ROOT"); do
        umount "$m" 2>/dev/null || umount -l "$m" || true
    done
    if [ -n "$(mounts_under "$ROOT")" ]; then
        echo "fresh: still mounted under $ROOT, left in place:" >&2
        mounts_under "$ROOT" >&2
        status=1
    elif [ "${THRONG_FRESH_KEEP:-}" = 1 ]; then
        say "the root is kept in $ROOT"
    else
        rm -rf --one-file-system "$ROOT"
    fi
    say "all steps took $(($(date +%s) - START))s"
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/throng-fresh.XXXXXX")
chmod 755 "$ROOT"

if [ -f "$TARBALL" ] && [ -z "$(find "$TARBALL" -mtime +30)" ]; then
    step "unpack the minbase root from $TARBALL"
    tar -xzpf "$TARBALL" -C "$ROOT" --numeric-owner
    step_done
else
    step "debootstrap --variant=minbase $SUITE from $MIRROR"
    timeout "$LIMIT" debootstrap --variant=minbase "$SUITE" "$ROOT" "$MIRROR" >"$ROOT.log" 2>&1 || {
        tail -n 30 "$ROOT.log" >&2
        rm -f "$ROOT.log"
        exit 1
    }
    rm -f "$ROOT.log"
    step_done
    step "cache the untouched root as $TARBALL"
    mkdir -p "$CACHE"
    tar -czpf "$TARBALL.tmp" -C "$ROOT" --numeric-owner --one-file-system .
    mv "$TARBALL.tmp" "$TARBALL"
    rm -rf "$CACHE/apt-archives"
    if [ -n "${SUDO_UID:-}" ]; then chown -R "$SUDO_UID:${SUDO_GID:-$SUDO_UID}" "$CACHE"; fi
    step_done
fi

step "set up the root: hosts, resolv.conf, apt sources, mounts"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
rm -f "$ROOT/etc/resolv.conf"
cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
{
    printf 'Types: deb\nURIs: %s\nSuites: %s %s-updates\nComponents: main\n' "$MIRROR" "$SUITE" "$SUITE"
    printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    if [ -n "$SECURITY" ]; then
        printf '\nTypes: deb\nURIs: %s\nSuites: %s-security\nComponents: main\n' "$SECURITY" "$SUITE"
        printf 'Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n'
    fi
} >"$ROOT/etc/apt/sources.list.d/debian.sources"
rm -f "$ROOT/etc/apt/sources.list"
# This machine's apt proxy, if it has one: the mirror may be reachable only
# through it.
grep -rlis '^[^#]*proxy' /etc/apt/apt.conf.d/ 2>/dev/null | while read -r f; do
    cp "$f" "$ROOT/etc/apt/apt.conf.d/"
done
mount -t proc proc "$ROOT/proc"
mount -t sysfs sysfs "$ROOT/sys" 2>/dev/null || mount --bind /sys "$ROOT/sys"
mount --bind /dev "$ROOT/dev"
mount --bind /dev/pts "$ROOT/dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$ROOT/dev/shm"
mkdir -p "$CACHE/apt-archives/partial" "$ROOT/var/cache/apt/archives"
mount --bind "$CACHE/apt-archives" "$ROOT/var/cache/apt/archives"
say "$(find "$CACHE/apt-archives" -maxdepth 1 -name '*.deb' | wc -l) packages kept from earlier runs"
step_done

step "copy the tracked files of $SOURCE"
mkdir -p "$ROOT/root/throng"
# A tracked file deleted in the working tree is left out, as a commit would.
# shellcheck disable=SC2016
(cd "$SOURCE" && git ls-files -z | xargs -0 sh -c 'for f; do [ -e "$f" ] || [ -L "$f" ] && printf "%s\0" "$f"; done' sh |
    tar --null -T - -cf -) | tar -xf - -C "$ROOT/root/throng"
say "$(cd "$ROOT/root/throng" && find . -type f | wc -l) files"
step_done

# in_root NAME COMMAND: runs COMMAND with sh inside the root, in the copied
# tree, as root with a login's plain environment, bounded; stops at the
# first failure with its status.
in_root() {
    step "$1: $2"
    st=0
    timeout -k 30 "$LIMIT" chroot "$ROOT" /usr/bin/env -i HOME=/root USER=root LOGNAME=root \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin TERM=dumb \
        ${CFLAGS:+CFLAGS="$CFLAGS"} ${http_proxy:+http_proxy="$http_proxy"} \
        ${https_proxy:+https_proxy="$https_proxy"} ${no_proxy:+no_proxy="$no_proxy"} \
        /bin/sh -c "cd /root/throng && $2" </dev/null || st=$?
    step_done
    if [ "$st" -ne 0 ]; then
        [ "$st" -eq 124 ] && echo "fresh: $1 did not end within ${LIMIT}s" >&2
        echo "fresh: $1 failed with status $st" >&2
        exit "$st"
    fi
}

in_root "demo command" "$DEMO"
in_root "test command" "$TEST"
say "both README commands pass on a fresh $SUITE minbase root"
