#!/bin/sh
# A machine without one of the libraries netrig opens on first use
# (src/base/lazy.h: libpq, libcurl, libmicrohttpd, libcrypto): each is
# hidden in a mount namespace of its own (unshare -m, an empty file bound
# over it), and what needs it fails as any other failure there does, with
# a message naming the library and the Debian package to install, never
# an abort: a PostgreSQL database exits 2 as one that cannot be reached;
# a run into SQLite does not notice libpq's absence; a notification is
# noted and the run goes on; push keeps the run local (exit 3); serve and
# token create exit 2.
. "$(dirname "$0")/lib.sh"

for p in unshare ldconfig mount; do
	command -v $p > /dev/null || skip "$p is not installed"
done

# lib_file SONAME: the file the loader opens for SONAME
lib_file() {
	_f=$(ldconfig -p | awk -v n="$1" '$1 == n { print $NF; exit }')
	[ -n "$_f" ] || fail "ldconfig -p has no $1"
	readlink -f "$_f"
}
pq=$(lib_file libpq.so.5)
curl=$(lib_file libcurl.so.4)
mhd=$(lib_file libmicrohttpd.so.12)
crypto=$(lib_file libcrypto.so.3)
: > empty

# without FILE CMD...: CMD with an empty file in FILE's place (the namespace's mounts are private)
without() {
	unshare -m sh -c 'mount --bind "$0" "$1" || exit 125; shift; exec "$@"' "$tmp/empty" "$@"
}
without "$pq" test ! -s "$pq" 2> /dev/null ||
	skip "cannot hide a library (unshare -m and a bind mount need root or CAP_SYS_ADMIN)"
test -s "$pq" || fail "libpq is hidden outside the namespace too"

cat > c.yaml <<'EOF'
campaign: libs
tests:
  - name: one
    run: [sh, -c, 'echo "rate=1"']
    parse:
      format: keyvalue
      metrics:
        rate: {unit: Mbit/s, better: higher}
notify: {url: "http://127.0.0.1:9/hook", on: [finish]}
EOF
# port 1 of loopback: nothing listens, libpq is never asked to get there
PG=postgres://netrig:secret@127.0.0.1:1/netrig

say "libpq hidden: a PostgreSQL database exits 2 as one that cannot be reached, naming libpq5"
expect_exit 2 "$NETRIG" run c.yaml --db "$PG"
expect_no_grep "cannot load libpq" err "libpq present"
expect_exit 2 without "$pq" "$NETRIG" run c.yaml --db "$PG"
expect_grep "^netrig run: postgres://netrig:\*\*\*@127\.0\.0\.1:1/netrig: netrig needs libpq\.so\.5 for PostgreSQL databases and cannot load it \(.*\): install Debian's package libpq5$" err "run's message"
expect_no_grep "secret" err "the password"
expect_exit 2 without "$pq" "$NETRIG" --db "$PG" db migrate
expect_grep "netrig db migrate: .*libpq\.so\.5.*install Debian's package libpq5$" err "db migrate's message"
expect_exit 2 without "$pq" "$NETRIG" --db "$PG" status
expect_grep "install Debian's package libpq5$" err "status's message"

say "libpq hidden: a run into SQLite passes"
expect_exit 0 without "$pq" "$NETRIG" -q run c.yaml --db s.db
expect_grep "passed, 1 cases: 1 passed" out "the run into SQLite"

say "libcurl hidden: the notification is noted with libcurl4, the run passes"
expect_exit 0 without "$curl" "$NETRIG" run c.yaml --db n.db
expect_grep "notify: webhook http://127\.0\.0\.1:9/hook: netrig needs libcurl\.so\.4 .*install Debian's package libcurl4$" err "the notification's note"
expect_eq "$(sql n.db "SELECT count(*) FROM events WHERE kind = 'notify' AND message LIKE '%package libcurl4'")" 1 "the notify event stored"

say "libcurl hidden: push keeps the run local (exit 3), naming libcurl4"
NETRIG_TOKEN=nrt_0123456789abcdef_0123
export NETRIG_TOKEN
expect_exit 3 without "$curl" "$NETRIG" --db s.db push --server http://127.0.0.1:9
expect_grep "^netrig push: run [0-9a-f-]+ kept local, not pushed: netrig needs libcurl\.so\.4 .*install Debian's package libcurl4 \(netrig push --all-unpushed" err "push's message"
expect_exit 3 without "$curl" "$NETRIG" --db s.db push --all-unpushed --server http://127.0.0.1:9
expect_grep "install Debian's package libcurl4" err "push --all-unpushed's message"
expect_exit 0 without "$curl" "$NETRIG" -q run c.yaml --db s.db --push http://127.0.0.1:9
expect_grep "kept local, not pushed: .*package libcurl4" err "run --push's message"

say "libmicrohttpd hidden: serve exits 2, naming libmicrohttpd12"
expect_exit 2 without "$mhd" timeout 20 "$NETRIG" --db s.db serve --listen 127.0.0.1:0
expect_grep "^netrig serve: netrig needs libmicrohttpd\.so\.12 for the server \(netrig serve\) and cannot load it \(.*\): install Debian's package libmicrohttpd12$" err "serve's message"

say "libcrypto hidden: serve and token create exit 2, naming libssl3"
expect_exit 2 without "$crypto" timeout 20 "$NETRIG" --db s.db serve --listen 127.0.0.1:0
expect_grep "^netrig serve: netrig needs libcrypto\.so\.3 for tokens and webhook signatures .*install Debian's package libssl3$" err "serve's message"
echo "listen: 127.0.0.1:0" > server.yaml
expect_exit 2 without "$crypto" timeout 20 "$NETRIG" --db s.db serve --config server.yaml
expect_grep "install Debian's package libssl3$" err "serve --config's message"
expect_exit 0 "$NETRIG" --db s.db user add alice
expect_exit 2 without "$crypto" "$NETRIG" --db s.db token create --user alice --scope push
expect_grep "^netrig token: netrig needs libcrypto\.so\.3 .*install Debian's package libssl3$" err "token create's message"
expect_eq "$(sql s.db "SELECT count(*) FROM tokens")" 0 "no token made"

done_ok
