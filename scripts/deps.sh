#!/bin/sh
# Install what netrig needs from Debian (as root). Does nothing when all is there.
set -eu
PKGS="gcc make pkg-config libsqlite3-dev libfyaml-dev libjansson-dev
libzstd-dev libssl-dev libcurl4-openssl-dev libmicrohttpd-dev libpq-dev
iproute2 iputils-ping iperf3 sockperf python3 python3-yaml man-db sqlite3 openssh-server openssh-client bc
chromium clang libclang-rt-14-dev tshark tcpdump postgresql"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "netrig: missing Debian packages:$missing" >&2
	echo "netrig: run 'make deps' as root, or: apt-get install$missing" >&2
	exit 1
fi
echo "netrig: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Tests start their own sshd inside namespaces; the package must not start
# the system's sshd on port 22: policy-rc.d 101 tells invoke-rc.d "no".
made_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	made_policy=1
fi
# The PostgreSQL tests start a throwaway server of their own
# (scripts/pg-throwaway.sh); the package must not make and start its
# "main" cluster on port 5432. policy-rc.d keeps it from starting;
# create_main_cluster = false (read from postgresql-common's include
# directory while the package installs) keeps it from being made.
cluster_conf=/etc/postgresql-common/createcluster.d/zz-netrig-deps.conf
made_conf=0
case " $missing " in
*" postgresql "*)
	if [ ! -e "$cluster_conf" ]; then
		mkdir -p "$(dirname "$cluster_conf")"
		echo "create_main_cluster = false" > "$cluster_conf"
		made_conf=1
	fi
	;;
esac
trap '[ $made_policy = 1 ] && rm -f /usr/sbin/policy-rc.d; [ $made_conf = 1 ] && rm -f "$cluster_conf"' EXIT
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
