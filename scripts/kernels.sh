#!/usr/bin/env bash
# kernels.sh: Debian's distribution kernels and a static busybox for the
# QEMU kernel matrix (scripts/test-kernels.sh), from Debian's own archive.
#
#   scripts/kernels.sh tools          install qemu-system-x86, qemu-system-arm, cpio (apt-get)
#   scripts/kernels.sh fetch ROW...   download and unpack each row's kernel; print
#                                     "ROW ARCH VERSION VMLINUZ" per row
#   scripts/kernels.sh busybox ARCH   download and unpack busybox-static; print its path
#
# A row is SUITE-ARCH: bullseye-amd64 (5.10), bookworm-amd64 (6.1),
# trixie-amd64 (6.12), bookworm-arm64, trixie-arm64.
#
# The host's apt sources stay untouched: each suite gets a private apt state
# (sources, lists, cache) under $GOPULSE_KERNELS_CACHE (default
# /var/cache/gopulse/kernels), signed by the archive keys the host already
# trusts. Packages are fetched with `apt-get download` (never installed);
# the files used from them are kept by package version, so a second run
# downloads nothing but the package indexes (refreshed at most once a day).
set -euo pipefail

CACHE=${GOPULSE_KERNELS_CACHE:-/var/cache/gopulse/kernels}
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

log() { echo "kernels: $*" >&2; }
die() { echo "kernels: $*" >&2; exit 1; }

# mirror prints the Debian mirror the host's own apt sources use.
mirror() {
	local uri
	uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)
	if [ -z "$uri" ]; then
		uri=$(grep -hs '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{for(i=2;i<=NF;i++) if ($i ~ /^[a-z]+:\/\//) {print $i; exit}}' | grep -v security | head -n1 || true)
	fi
	[ -n "$uri" ] || die "no Debian mirror found in the host's apt sources"
	echo "$uri"
}

tools() {
	local need=()
	command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
	command -v qemu-system-aarch64 >/dev/null || need+=(qemu-system-arm)
	command -v cpio >/dev/null || need+=(cpio)
	[ ${#need[@]} -eq 0 ] && return 0
	log "installing ${need[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
	apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${need[@]}" >&2
}

# apt_opts SUITE: options for apt-get/apt-cache with SUITE's private state
# (package cache kept: the host's apt may disable it, and parsing the
# indexes again costs each apt-cache call tens of seconds).
apt_opts() {
	local d=$CACHE/apt/$1
	echo -o Dir::Etc::SourceList="$d/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null \
		-o Dir::State="$d/state" -o Dir::State::Lists="$d/lists" -o Dir::State::status="$d/status" \
		-o Dir::Cache="$d/cache" -o APT::Architecture=amd64 \
		-o APT::Architectures::=amd64 -o APT::Architectures::=arm64 \
		-o Acquire::Languages=none -o APT::Get::List-Cleanup=false -o APT::Sandbox::User=root \
		-o Dir::Cache::pkgcache=pkgcache.bin -o Dir::Cache::srcpkgcache=srcpkgcache.bin \
		-o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false \
		-o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false \
		-o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false
}

suite_update() {
	local suite=$1 d=$CACHE/apt/$1
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/state"
	touch "$d/status"
	echo "deb [arch=amd64,arm64 signed-by=$KEYRING] $(mirror) $suite main" >"$d/sources.list"
	# Refresh the indexes at most once a day (kernels get point releases).
	if [ -n "$(find "$d/lists" -maxdepth 1 -name '*Packages*' -mtime -1 2>/dev/null | head -n1)" ]; then
		return 0
	fi
	log "apt-get update ($suite)"
	# shellcheck disable=SC2046
	apt-get $(apt_opts "$suite") update -qq >&2 || die "apt-get update for $suite failed"
}

# pkg_field SUITE PKG:ARCH FIELD: a field of the candidate version.
pkg_field() {
	# shellcheck disable=SC2046
	apt-cache $(apt_opts "$1") show --no-all-versions "$2" 2>/dev/null | awk -v f="$3:" '$1 == f {sub(/^[^:]*: */, ""); print; exit}'
}

# unpack SUITE PKG:ARCH DIR SRC=DEST...: unpacks the candidate version of
# PKG and keeps each SRC (a path or glob in the package) as DEST in
# CACHE/DIR/PKG_VERSION_ARCH, downloading the .deb only when that directory
# is missing (the .deb itself is not kept); prints the directory.
unpack() {
	local suite=$1 pkg=$2 sub=$3 ver name dir deb f
	shift 3
	ver=$(pkg_field "$suite" "$pkg" Version)
	[ -n "$ver" ] || die "$pkg not found in $suite"
	name=${pkg%%:*}_${ver//:/%3a}_${pkg##*:}
	dir=$CACHE/$sub/$name
	if [ ! -e "$dir/.complete" ]; then
		log "apt-get download $pkg=$ver ($suite)"
		rm -rf "$dir.tmp" && mkdir -p "$dir.tmp/x"
		# shellcheck disable=SC2046
		(cd "$dir.tmp" && apt-get $(apt_opts "$suite") download -qq "$pkg=$ver" >&2) || die "download $pkg=$ver failed"
		deb=$(ls "$dir.tmp"/*.deb)
		dpkg-deb -x "$deb" "$dir.tmp/x"
		for f in "$@"; do
			# shellcheck disable=SC2086
			cp $dir.tmp/x/${f%%=*} "$dir.tmp/${f##*=}" || die "$pkg has no ${f%%=*}"
		done
		rm -rf "$dir.tmp/x" "$deb" "$dir"
		touch "$dir.tmp/.complete"
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# kernel ROW: prints "ROW ARCH VERSION VMLINUZ".
kernel() {
	local row=$1 suite arch meta image dir
	suite=${row%-*}
	arch=${row##*-}
	case "$suite" in bullseye | bookworm | trixie) ;; *) die "unknown suite in row $row" ;; esac
	case "$arch" in amd64 | arm64) ;; *) die "unknown arch in row $row" ;; esac
	suite_update "$suite"
	# linux-image-ARCH is a meta-package: its Depends names the real image.
	meta=linux-image-$arch
	image=$(pkg_field "$suite" "$meta:$arch" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep '^linux-image-' | head -n1)
	[ -n "$image" ] || die "no kernel image behind $meta in $suite"
	dir=$(unpack "$suite" "$image:$arch" boot 'boot/vmlinuz-*=vmlinuz' 'boot/config-*=config')
	echo "$row $arch $(sed -n 's/^# Linux\/[a-z0-9_]* \([^ ]*\) Kernel Configuration/\1/p' "$dir/config") $dir/vmlinuz"
}

# busybox ARCH: a static busybox from bookworm (trixie's is in usr/bin).
busybox() {
	local arch=$1 dir
	suite_update bookworm
	dir=$(unpack bookworm "busybox-static:$arch" busybox bin/busybox=busybox)
	echo "$dir/busybox"
}

cmd=${1:-}
shift || true
case "$cmd" in
tools) tools ;;
fetch)
	[ $# -gt 0 ] || die "usage: kernels.sh fetch ROW..."
	for r in "$@"; do kernel "$r"; done
	;;
busybox)
	[ $# -eq 1 ] || die "usage: kernels.sh busybox ARCH"
	busybox "$1"
	;;
*) die "usage: kernels.sh tools | fetch ROW... | busybox ARCH" ;;
esac
