#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the tests, on 127.0.0.1 only.
#
#   .ci/postgres.sh [start] [DIR] [PORT]   start it (idempotent); the last line printed is the
#                                          SQLAlchemy URL for CW_TEST_DATABASE_URL
#   .ci/postgres.sh url     [DIR] [PORT]   print that URL (the cluster must be running)
#   .ci/postgres.sh stop    [DIR]          stop it, keep its data
#   .ci/postgres.sh destroy [DIR]          stop it and delete its data
#
# DIR defaults to ./var/pg, PORT to 54329. Installs Debian's `postgresql` package when no
# initdb is found. As root the server runs as the `postgres` system user (PostgreSQL refuses
# to run as root); as anyone else, as that user. fsync is off: the data is disposable.
# Everything but the URL goes to stderr, so `url=$(.ci/postgres.sh | tail -n 1)` works.
set -euo pipefail

mode=start
case "${1:-}" in
start | stop | destroy | url) mode=$1 && shift ;;
-h | --help) sed -n '2,13p' "$0" && exit 0 ;;
esac
dir=${1:-./var/pg}
port=${2:-54329}

# A test-only role and password, good for nothing but this throwaway loopback cluster.
db_name=complaints_test
db_user=complaints_test
db_password=complaints-test-only

say() { echo "postgres.sh: $*" >&2; }
die() {
	say "ERROR: $*"
	exit 1
}

[[ $port =~ ^[0-9]+$ ]] || die "port must be a number, got '$port'"
mkdir -p "$dir"
dir=$(cd "$dir" && pwd -P)
data_link=$dir/data # the data directory, or a symlink to it (see make_data_dir)
url="postgresql+psycopg2://$db_user:$db_password@127.0.0.1:$port/$db_name"

if [[ $EUID -eq 0 ]]; then
	run_as_pg() { (cd / && runuser -u postgres -- "$@"); }
else
	run_as_pg() { "$@"; }
fi

find_bin_dir() {
	local initdb
	initdb=$(command -v initdb 2>/dev/null || true)
	if [[ -z $initdb ]]; then
		initdb=$(find /usr/lib/postgresql -path '*/bin/initdb' 2>/dev/null | sort -V | tail -n 1)
	fi
	[[ -n $initdb ]] && dirname "$(readlink -f "$initdb")"
}

install_postgres() {
	say "no initdb found: installing Debian's postgresql package"
	local sudo=()
	if [[ $EUID -ne 0 ]]; then
		command -v sudo >/dev/null || die "initdb not found; install PostgreSQL (as root: apt-get install postgresql)"
		sudo=(sudo)
	fi
	command -v apt-get >/dev/null || die "initdb not found and no apt-get to install PostgreSQL with"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
		die "apt-get update failed"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 ||
		die "apt-get install postgresql failed"
}

bin=$(find_bin_dir || true)
if [[ -z $bin ]]; then
	[[ $mode == url ]] && die "PostgreSQL is not installed"
	[[ $mode == start ]] || exit 0 # stop, destroy: nothing can be running
	install_postgres
	bin=$(find_bin_dir || true)
	[[ -n $bin ]] || die "PostgreSQL was installed but initdb is still not found"
fi
if [[ $EUID -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
	die "no 'postgres' system user to run the server as (Debian's package creates it)"
fi

data=$(readlink -f "$data_link" 2>/dev/null || true)

is_running() {
	[[ -n $data && -f $data/PG_VERSION ]] && run_as_pg "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1
}

stop_server() {
	if is_running; then
		say "stopping the cluster in $data"
		run_as_pg "$bin/pg_ctl" -D "$data" -m fast -w stop >&2
	fi
}

case $mode in
stop)
	stop_server
	exit 0
	;;
destroy)
	stop_server
	[[ -n $data && -d $data ]] && rm -rf "$data"
	rm -rf "$data_link" "$dir/initdb.log"
	say "cluster removed"
	exit 0
	;;
url)
	is_running || die "no cluster running in $dir"
	echo "$url"
	exit 0
	;;
esac

# The data directory must be writable by the server's user, and so must every directory on the
# way to it be searchable (not so under a 0700 /root): otherwise keep the data under /tmp.
make_data_dir() {
	mkdir -p "$data_link"
	if [[ $EUID -eq 0 ]]; then
		chown postgres:postgres "$data_link"
	fi
	chmod 700 "$data_link"
	if ! run_as_pg test -w "$data_link"; then
		rmdir "$data_link"
		data=$(mktemp -d /tmp/cw-pg-data.XXXXXX)
		[[ $EUID -eq 0 ]] && chown postgres:postgres "$data"
		ln -s "$data" "$data_link"
		say "$dir is not reachable by the postgres user: data kept in $data"
	fi
	data=$(readlink -f "$data_link")
}

init_cluster() {
	local locale=C
	if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then
		locale=C.UTF-8
	fi
	say "creating a cluster in $data"
	run_as_pg "$bin/initdb" -D "$data" -E UTF8 --locale="$locale" \
		--auth-local=peer --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 ||
		die "initdb failed: $(cat "$dir/initdb.log")"
	# The socket goes in the data directory unless that path is too long for a socket name.
	local sockets=$data
	((${#sockets} < 90)) || sockets=/tmp
	run_as_pg tee -a "$data/postgresql.conf" >/dev/null <<-EOF

		# Throwaway test cluster (.ci/postgres.sh): speed over durability.
		listen_addresses = '127.0.0.1'
		port = $port
		unix_socket_directories = '$sockets'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		max_connections = 300
		log_checkpoints = off
		log_line_prefix = '%m [%p] %q%u@%d '
		# Not UTC on purpose: code that leans on the server's zone shows up in the tests.
		timezone = 'Pacific/Auckland'
	EOF
}

if is_running; then
	say "already running in $data"
	echo "$url"
	exit 0
fi

if [[ -z $data || ! -f $data/PG_VERSION ]]; then
	make_data_dir
	init_cluster
fi

sockets=$(sed -n "s/^unix_socket_directories = '\(.*\)'$/\1/p" "$data/postgresql.conf" | tail -n 1)
say "starting PostgreSQL on 127.0.0.1:$port"
run_as_pg "$bin/pg_ctl" -D "$data" -l "$data/server.log" -o "-p $port" -w -t 60 start >&2 ||
	die "the server did not start: $(tail -n 20 "$data/server.log" 2>/dev/null)"

for _ in $(seq 1 120); do
	"$bin/pg_isready" -q -h 127.0.0.1 -p "$port" && break
	sleep 0.5
done
"$bin/pg_isready" -q -h 127.0.0.1 -p "$port" || die "the server does not accept connections"

# The role may create databases (the tests clone one per test) but is no superuser. It may
# signal backends: DROP DATABASE ... WITH (FORCE) of a test's database must also end an
# autovacuum worker that happens to run on it, which PostgreSQL refuses a plain role.
run_as_pg "$bin/psql" -q -X -v ON_ERROR_STOP=1 -h "$sockets" -p "$port" -d postgres >&2 <<-EOF ||
	DO \$\$ BEGIN
	  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$db_user') THEN
	    CREATE ROLE $db_user LOGIN CREATEDB PASSWORD '$db_password';
	  END IF;
	END \$\$;
	GRANT pg_signal_backend TO $db_user;
	SELECT 'CREATE DATABASE $db_name OWNER $db_user'
	WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db_name') \gexec
EOF
	die "could not create the role and database"

say "ready"
echo "$url"
