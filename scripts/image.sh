#!/usr/bin/env bash
# Builds gopulse's OCI image (linux/amd64 and linux/arm64) without a
# container daemon: static binaries, the CA bundle from Debian's
# ca-certificates package, tools/image (go-containerregistry) for the
# layout. Reproducible: times come from the commit (SOURCE_DATE_EPOCH).
# Output: out/image/oci (OCI layout, tag = internal/version/VERSION) and
# out/image/gopulse-VERSION-oci.tar.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=$(cat internal/version/VERSION)
REVISION=${REVISION:-$(git rev-parse HEAD)}
EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct)}
OUT=${OUT:-out/image}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# CA certificates: the package's PEM files (what update-ca-certificates
# concatenates into /etc/ssl/certs/ca-certificates.crt). The package apt
# would install now, downloaded once into ${GOPULSE_CACHE:-/var/cache/gopulse}/image
# (every build used to download it again: a network round trip, and a
# failure when the mirror or the apt lists were busy).
cache=${GOPULSE_CACHE:-/var/cache/gopulse}/image
want=$(apt-cache policy ca-certificates 2>/dev/null | awk '/Candidate:/ {print $2}')
deb=""
if [ -n "$want" ] && [ "$want" != "(none)" ]; then
	deb=$(ls "$cache/ca-certificates_${want//:/%3a}_all.deb" /var/cache/apt/archives/ca-certificates_"${want//:/%3a}"_all.deb 2>/dev/null | head -1 || true)
fi
if [ -z "$deb" ]; then
	(cd "$work" && apt-get download ca-certificates >/dev/null 2>&1) || { apt-get update -qq >/dev/null && (cd "$work" && apt-get download ca-certificates >/dev/null); }
	deb=$(ls "$work"/ca-certificates_*_all.deb)
	if mkdir -p "$cache" 2>/dev/null && cp "$deb" "$cache/.tmp.$$" 2>/dev/null; then
		mv "$cache/.tmp.$$" "$cache/$(basename "$deb")"
	fi
fi
ca_version=$(dpkg-deb -f "$deb" Version)
dpkg-deb -x "$deb" "$work/ca"

args=()
for arch in amd64 arm64; do
	CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -buildvcs=false \
		-ldflags "-s -w -X github.com/gopulse/gopulse/internal/version.revision=$REVISION" \
		-o "$work/$arch/gopulse" ./cmd/gopulse
	args+=(--binary "linux/$arch=$work/$arch/gopulse")
done
mkdir -p "$OUT"
go run ./tools/image --version "$VERSION" --revision "$REVISION" --epoch "$EPOCH" \
	--ca-dir "$work/ca/usr/share/ca-certificates/mozilla" --ca-version "$ca_version" --out "$OUT" "${args[@]}"
