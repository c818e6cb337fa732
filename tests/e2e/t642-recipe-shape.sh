#!/bin/sh
# The shape issue 14 asks for, held: the built-in workload recipe is one
# table (src/workload/workload_recipe.c) whose every option `netrig bench`
# takes and a campaign's `workload:` writes, and whose ready line the
# server prints and the campaign waits for (and the packet tools' lines
# the pipeline waits for are constants too); and loading a campaign links
# only the lab model, not the lab's operations (the namespace builder).
. "$(dirname "$0")/lib.sh"
command -v nm > /dev/null || skip "nm (binutils) is not installed"
src=$top/src
obj=$top/build/src
[ -f "$src/workload/workload_recipe.c" ] || skip "no sources beside the binary"

say "every option of the recipe is one netrig bench takes, with its value or as a switch"
# a row: { NR_WL_OPT_ID, "name", "--flag", "ARG" or NULL (a switch), "help" ...
opts=$(sed -n 's/^	{ NR_WL_OPT_[A-Z_]*, "\([a-z_]*\)", "\(--[a-z-]*\)", \(NULL\|"[^"]*"\),.*$/\1 \2 \3/p' \
	"$src/workload/workload_recipe.c")
[ "$(echo "$opts" | wc -l)" -ge 15 ] || fail "could not read the recipe's options: $opts"
[ "$(echo "$opts" | wc -l)" = "$(grep -c '^	NR_WL_OPT_[A-Z_]*,$' "$src/workload/workload.h")" ] ||
	fail "the recipe's rows and workload.h's enum nr_wl_opt differ: $opts"
"$NETRIG" bench --help > help || fail "bench --help failed"
echo "$opts" | while read -r name flag arg; do
	[ "$flag" = "--$(echo "$name" | tr _ -)" ] || fail "option $name is $flag on the command line"
	if [ "$arg" = NULL ]; then
		grep -q "^  $flag / --no-${flag#--}  " help || fail "bench --help has no '$flag / --no-${flag#--}': $(cat help)"
	else
		grep -q "^  $flag $(echo "$arg" | tr -d '"')  " help ||
			fail "bench --help has no '$flag $arg': $(cat help)"
	fi
	if [ "$arg" = NULL ]; then
		set -- "$flag"
	else
		case $name in
		congestion) set -- "$flag" cubic ;;
		cpu | server_cpu) set -- "$flag" 0 ;;
		duration | omit | interval) set -- "$flag" 0.1s ;;
		*) set -- "$flag" 1 ;;
		esac
	fi
	"$NETRIG" bench tcp_rr --to 127.0.0.1:1 --duration 0.1s --omit 0 "$@" > out 2> err
	grep -q "unrecognized option\|option '.*' requires\|doesn't allow" err && fail "bench does not take $*: $(cat err)"
	# and a campaign writes the same flag for it
	printf 'campaign: r\ntests:\n  - name: t\n    workload: tcp_rr\n    options: {%s: %s}\n' \
		"$name" "$( [ "$arg" = NULL ] && echo true || echo "${2:-1}")" > r.yaml
	expect_exit 0 "$NETRIG" plan r.yaml --commands
	grep -q -- " $flag" out || fail "the campaign's client for option $name has no $flag: $(cat out)"
done || exit 1

say "the ready line: bench serve prints what the campaign's server role waits for"
"$NETRIG" bench serve --listen 127.0.0.1:0 --one-off --lifetime 3s > serve.out 2>&1 &
spid=$!
at_exit "kill $spid 2> /dev/null"
wait_until 10 grep -q . serve.out || fail "bench serve printed nothing"
prefix=$(sed -n 's/^#define NR_WL_READY_PREFIX "\(.*\)"$/\1/p' "$src/workload/workload.h")
[ -n "$prefix" ] || fail "no NR_WL_READY_PREFIX in workload.h"
head -1 serve.out | grep -q "^$prefix" || fail "bench serve's first line '$(head -1 serve.out)' does not start with '$prefix'"
printf 'campaign: r\ntests:\n  - name: t\n    workload: udp_rr\n' > w.yaml
expect_exit 0 "$NETRIG" plan w.yaml --commands
kill $spid 2> /dev/null

say "no built-in role waits for a line written by hand beside the printf it matches"
# the bench server's (workload.h) and the packet tools' (pkt.h) ready lines are
# constants both the printing command and the campaign loader use
hand=$(grep -nE 'ready\.regex = nr_xstrdup\(.*"\^[A-Za-z]' "$src"/campaign/*.c)
[ -z "$hand" ] || fail "a ready regex written by hand: $hand"
for m in NR_PKT_READY_FWD NR_PKT_READY_PCAP; do
	grep -q "$m" "$src/cmd/cmd_pkt.c" || fail "pkt does not print $m"
	grep -q "\"^\" $m" "$src/campaign/campaign_pipeline.c" || fail "the pipeline does not wait for $m"
done

say "loading a campaign does not link the lab's operations"
[ -f "$obj/campaign/campaign_load.o" ] || skip "no objects in build/ (make first)"
for o in "$obj"/campaign/*.o "$obj/lab/lab_load.o"; do
	bad=$(nm -u "$o" | grep -E ' nr_+lab_(up|down|exec|status|is_up|check_tools)|nr__lab_' | tr -s ' \n' ' ')
	[ -z "$bad" ] || fail "$(basename "$o") uses lab operations: $bad"
done
grep -l '#include "lab/lab.h"' "$src"/campaign/*.c && fail "campaign/ includes the operations' header"
done_ok
