#!/usr/bin/env bash
# Checks what the container images are made of, without a Docker daemon:
#
#   1. the Dockerfiles' Go version matches go.mod's, and their build lines are the ones below;
#   2. both binaries build exactly as the Dockerfiles build them, are static (distroless/static
#      has no libc), and start: --help, and every flag deploy/compose.yaml passes them;
#   3. deploy/nats/*.conf are valid for the nats-server version in go.mod.
#
# Run from anywhere: deploy/check-images.sh. Needs Go; uses `file` and `ldd` when present.
# Runs every check, prints FAIL for each one that fails, and exits 1 if any did.
set -euo pipefail

cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

failures=0
fail() { echo "FAIL  $*"; failures=$((failures + 1)); }
ok() { echo "ok    $*"; }

echo "== Go version"
mod_go=$(awk '$1 == "go" {print $2; exit}' go.mod)
mod_minor=$(echo "$mod_go" | cut -d. -f1,2)
echo "go.mod: go $mod_go; $(go version)"
for df in deploy/Dockerfile deploy/worker.Dockerfile; do
	img_go=$(sed -n 's/^ARG GO_VERSION=//p' "$df")
	[ -n "$img_go" ] || fail "$df: no ARG GO_VERSION"
	case "$img_go" in
		"$mod_minor" | "$mod_minor".*) ok "$df builds with golang:$img_go-bookworm (go.mod: $mod_go)" ;;
		*) fail "$df builds with Go $img_go, go.mod says $mod_go" ;;
	esac
done

# The build the Dockerfiles run; each must contain this line for its package.
ldflags="-s -w"
build() { # build OUT PKG
	CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -ldflags "$ldflags" -o "$1" "$2"
}

check_binary() { # check_binary DOCKERFILE PKG NAME
	local df=$1 pkg=$2 name=$3 bin=$tmp/$3
	echo "== $name ($pkg, $df)"
	grep -q 'CGO_ENABLED=0' "$df" || fail "$df does not set CGO_ENABLED=0"
	grep -qF "go build -trimpath -ldflags \"$ldflags\" -o /out/$name $pkg" "$df" ||
		fail "$df does not build $pkg with -trimpath -ldflags \"$ldflags\" into /out/$name"
	grep -qF "COPY --from=build /out/$name /$name" "$df" || fail "$df does not install /$name"
	build "$bin" "$pkg"
	ok "built $(du -h "$bin" | cut -f1) $name"

	# go version -m reads the build settings recorded in the binary; always available.
	local info
	info=$(go version -m "$bin")
	# (-trimpath keeps -ldflags out of the recorded settings; `file` says whether it is stripped.)
	if grep -q 'CGO_ENABLED=0' <<<"$info" && grep -q -- '-trimpath=true' <<<"$info"; then
		ok "go version -m: CGO_ENABLED=0, -trimpath=true"
	else
		fail "$name: go version -m does not say CGO_ENABLED=0 and -trimpath=true"
	fi

	if command -v file >/dev/null; then
		local f
		f=$(file -b "$bin")
		echo "      file: $f"
		grep -q 'statically linked' <<<"$f" || fail "$name: file does not say statically linked"
		grep -q ', stripped' <<<"$f" || fail "$name: not stripped (-s -w)"
	else
		echo "      file: not installed, skipped"
	fi
	if command -v ldd >/dev/null; then
		local l
		l=$(ldd "$bin" 2>&1 || true)
		echo "      ldd: $(echo $l)"
		grep -Eq 'not a dynamic executable|statically linked' <<<"$l" || fail "$name: ldd lists shared libraries"
	else
		echo "      ldd: not installed, skipped"
	fi
}

# has_flag HELP FLAG: whether a --help output documents FLAG (cobra: "--x", flag: "-x").
has_flag() { grep -Eq -- "(^|[[:space:]])--?$2([[:space:]=]|$)" <<<"$1"; }

check_binary deploy/Dockerfile ./cmd/baton baton
if "$tmp/baton" --help >/dev/null; then ok "baton --help"; else fail "baton --help"; fi
# The commands and flags deploy/compose.yaml runs the baton image with.
for cmd in "server:replicas http" "worker:examples engine-type http replicas" "deploy:api"; do
	sub=${cmd%%:*}
	help=$("$tmp/baton" "$sub" --help) || fail "baton $sub --help"
	flags=""
	for fl in ${cmd#*:}; do
		if has_flag "$help" "$fl"; then flags+=" --$fl"; else fail "baton $sub has no --$fl"; fi
	done
	ok "baton $sub --help:$flags"
done

check_binary deploy/worker.Dockerfile ./examples/order/worker worker
if help=$("$tmp/worker" --help 2>&1); then ok "worker --help"; else fail "worker --help exited non-zero"; fi
# The flags the worker is documented with; --http is what deploy/compose.yaml passes for probes.
flags=""
for fl in nats redis prefix types concurrency lease ack-wait http; do
	if has_flag "$help" "$fl"; then flags+=" --$fl"; else fail "worker has no --$fl (deploy/compose.yaml passes --types and --http)"; fi
done
ok "worker flags:$flags"

echo "== NATS configs (nats-server from go.mod)"
nats_version=$(go list -m -f '{{.Version}}' github.com/nats-io/nats-server/v2)
GOFLAGS=-mod=readonly go build -o "$tmp/nats-server" github.com/nats-io/nats-server/v2
for conf in deploy/nats/*.conf; do
	if out=$("$tmp/nats-server" -c "$conf" -t 2>&1); then
		ok "$conf valid for nats-server $nats_version"
	else
		fail "$conf: $out"
	fi
done

if [ "$failures" -gt 0 ]; then
	echo "$failures check(s) failed"
	exit 1
fi
echo "all checks passed"
