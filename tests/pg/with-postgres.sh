#!/bin/sh
# Runs a command (the test suite) next to a throwaway PostgreSQL cluster, if one starts.
#
#   tests/pg/with-postgres.sh COMMAND [ARGS...]
#
# The cluster lives in a new temporary folder, listens only on a unix socket in that folder
# (no TCP port, so nothing to collide with and nobody else to trust), and is stopped and
# removed afterwards whatever the command's result. The command finds it through
# FIELDBRIEF_TEST_DATABASE_URL. When no cluster can be started the command runs anyway and
# the PostgreSQL tests skip, saying why (FIELDBRIEF_TEST_NO_POSTGRES). The exit status is
# always the command's.

set -u

say() { echo "with-postgres: $*" >&2; }

if [ -n "${FIELDBRIEF_TEST_DATABASE_URL:-}" ]; then
    say "using the PostgreSQL already given in FIELDBRIEF_TEST_DATABASE_URL"
    exec "$@"
fi

# Debian keeps initdb and pg_ctl out of PATH, in one folder per major version: take the newest.
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bin/initdb" ] || bin=$(dirname "$(command -v initdb 2>/dev/null || echo /none/initdb)")

# initdb refuses to run as root: then the cluster belongs to Debian's postgres user.
if [ "$(id -u)" = 0 ]; then
    PATH=$PATH:/usr/sbin:/sbin  # runuser lives there; a CI shell may leave it out
    owner=postgres
    as_owner() { runuser -u "$owner" -- "$@"; }
else
    owner=$(id -un)
    as_owner() { "$@"; }
fi

dir=
cleanup() {
    [ -n "$dir" ] || return 0
    as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

start() {
    [ -x "$bin/initdb" ] || { why="PostgreSQL is not installed (Debian: apt-get install postgresql)"; return 1; }
    id "$owner" >/dev/null 2>&1 || { why="there is no user '$owner' to run it as"; return 1; }
    # As root, /tmp: a private $TMPDIR may be closed to the postgres user.
    [ "$owner" = postgres ] && base=/tmp || base=${TMPDIR:-/tmp}
    dir=$(mktemp -d "$base/fieldbrief-pg.XXXXXX") || { why="no temporary folder"; return 1; }
    chown "$owner" "$dir" || { why="cannot hand $dir to $owner"; return 1; }
    as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust --no-locale -E UTF8 --no-sync \
        >"$dir/initdb.log" 2>&1 || { why="initdb failed: $(tail -n 1 "$dir/initdb.log")"; return 1; }
    # Durability is pointless for a cluster that is deleted in a few minutes.
    as_owner tee -a "$dir/data/postgresql.conf" >/dev/null <<CONF
listen_addresses = ''
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null 2>&1 ||
        { why="it did not start: $(tail -n 1 "$dir/server.log" 2>/dev/null)"; return 1; }
}

if start; then
    export FIELDBRIEF_TEST_DATABASE_URL="postgresql+psycopg://postgres@/postgres?host=$dir"
    say "$("$bin/pg_ctl" --version | sed 's/^pg_ctl (\(.*\)) \([0-9.]*\).*/\1 \2/') runs in $dir for this run"
else
    say "no PostgreSQL for this run, $why; its tests will be skipped"
    export FIELDBRIEF_TEST_NO_POSTGRES="$why"  # for the skip reason
fi

"$@"
status=$?
exit "$status"
