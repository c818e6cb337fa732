#!/bin/sh
# Hosts as a matrix axis (issue 14, microsoft/netperf's environment
# matrix): a role's host is "{env}" over three netns hosts of a lab, each
# case runs in its own namespace (checked with `ip netns identify` and a
# built-in bench over {role.server.address}); host labels are stored and
# select runs (compare label:env=...); an optional host whose cases fail
# is reported but does not fail the run; an unknown host in the axis is a
# plan-time error at file:line:column. A role by count over two hosts;
# restart_first and health.peers (AutoPerf's host care) in the same lab.
# backends: sqlite postgresql
. "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ip > /dev/null || skip "ip (iproute2) is not installed"
command -v python3 > /dev/null || skip "python3 is not installed"
# (PostgreSQL: its Unix socket is reached from the lab's namespaces too)
R=$(db r) && C=$(db care) || fail "cannot make the databases"

lab=t641-$$
# a subnet of its own per process: other scripts build labs at the same time
net=$((($$ % 200) + 20))
cat > lab.yaml <<EOF
lab: $lab
dir: $tmp/lab
subnet: 10.$net.0.0/16
hosts:
  ctl: {controller: true}
  e1: {}
  e2: {}
  e3: {}
links:
  - [ctl, e1]
  - [ctl, e2]
  - [ctl, e3]
EOF
at_exit '"$NETRIG" lab down "$tmp/lab.yaml" > /dev/null 2>&1'
"$NETRIG" lab up lab.yaml > up.out 2>&1 || { cat up.out; fail "lab up"; }

cat > c.yaml <<EOF
campaign: envs
lab: lab.yaml
hosts:
  e1: {transport: netns, labels: {env: lab, nic: veth}}
  e2: {transport: netns, labels: {env: cloud}}
  e3: {transport: netns, optional: true, labels: {env: unreliable}}
defaults:
  timeout: 20s
tests:
  - name: where
    host: "{env}"
    run: [sh, -c, 'echo "{env} \$(ip netns identify \$\$)" >> $tmp/where.log; test {env} != e3 && echo value=1']
    matrix: {env: [e1, e2, e3]}
    parse: {format: keyvalue, metrics: {value: {}}}
  - name: rr
    matrix: {env: [e1, e2]}
    roles:
      - name: server
        host: "{env}"
        run: ["{netrig}", bench, serve, --listen, "{role.server.address}:{port}", --one-off]
        ready: {regex: "^listening on "}
      - name: client
        host: ctl
        main: true
        run: ["{netrig}", bench, tcp_rr, --to, "{role.server.address}:{port}", --duration, 0.3s, --json]
        parse: {format: netrig}
EOF

say "plan: each case on the host its env names"
expect_exit 0 "$NETRIG" plan c.yaml --commands
expect_grep "main@e2 \(main\)" out "the where case of e2 runs on e2"
expect_grep "main@e3 \(optional\) \(main\)" out "e3 is shown optional"

say "run: every case in its own namespace; e3 fails, is optional, the run passes"
expect_exit 0 "$NETRIG" lab exec lab.yaml ctl -- "$NETRIG" run c.yaml --db "$R"
expect_grep "1 failed \(1 on optional hosts, which do not fail the run\)" out "the summary says so"
expect_eq "$(sort where.log | tr '\n' ' ')" "e1 $lab-e1 e2 $lab-e2 e3 $lab-e3 " "each case ran in its namespace"
expect_eq "$(sql "$R" "select status from runs")" passed "the run passed"
expect_eq "$(sql "$R" "select key || ' ' || status from cases where status <> 'passed'")" "where/env=e3 failed" \
	"only the optional case failed"
expect_eq "$(sql "$R" "select hosts from cases where key = 'rr/env=e2'")" '{"server":"e2","client":"ctl"}' \
	"the status sheet names the host of the case"
expect_eq "$(sql "$R" "select count(*) from samples s join cases c on c.id = s.case_id where c.test = 'rr' and s.metric = 'transactions_per_s' and s.value > 0")" 2 \
	"the bench across each env's link gave its rate"
expect_eq "$(sql "$R" "select name || ' ' || labels || ' ' || optional from hosts where name like 'e%' order by name" | tr '\n' ';')" \
	'e1 {"env":"lab","nic":"veth"} 0;e2 {"env":"cloud"} 0;e3 {"env":"unreliable"} 1;' "labels and optional stored"
expect_exit 0 "$NETRIG" status --db "$R"
expect_grep "optional hosts failed" out "the status sheet says why the run passed with a failure"
expect_exit 0 "$NETRIG" report --db "$R" --format md
expect_grep "where/env=e3.*optional host" out "the report marks the optional case"
expect_exit 0 "$NETRIG" report --db "$R" --format json
python3 - out <<'PY' || fail "report JSON hosts"
import json, sys
h = {x["name"]: x for x in json.load(open(sys.argv[1]))["hosts"]}
assert h["e3"]["optional"] is True and h["e1"]["optional"] is False, h
assert h["e1"]["labels"] == {"env": "lab", "nic": "veth"}, h["e1"]
PY

say "host labels select runs: a run that used a host labelled env=cloud"
first=$(sql "$R" "select uuid_str(id) from runs")
expect_exit 0 "$NETRIG" lab exec lab.yaml ctl -- "$NETRIG" -q run c.yaml --db "$R" --test where --set env=e1
expect_exit 0 "$NETRIG" compare --db "$R" label:env=cloud latest --format json
expect_grep "\"baseline\": \[" out "compare took a label of a host as a selector"
grep -q "$first" out || fail "label:env=cloud did not select the run that used e2"
expect_exit 2 "$NETRIG" compare --db "$R" label:env=unreliable label:env=cloud
[ "$(grep -c . err)" -ge 1 ] || fail "no message"
# the second run used only e1: env=cloud must not select it
second=$(sql "$R" "select uuid_str(id) from runs where id <> uuid_blob('$first')")
expect_exit 0 "$NETRIG" compare --db "$R" "$second" label:env=cloud --format json
python3 - out "$first" <<'PY' || fail "label:env=cloud selected a run that never used e2"
import json, sys
assert json.load(open(sys.argv[1]))["candidate"] == sys.argv[2]
PY

say "an unknown host in the axis: plan-time error at the template's place"
sed 's/matrix: {env: \[e1, e2, e3\]}/matrix: {env: [e1, e9]}/' c.yaml > bad.yaml
expect_exit 2 "$NETRIG" plan bad.yaml
expect_grep "^bad.yaml:11:11: host '\{env\}' of role 'main' is 'e9' in case where/env=e9: no such host" err "where and why"
expect_exit 2 "$NETRIG" run bad.yaml --db bad.db
[ -e bad.db ] && [ "$(sql bad.db 'select count(*) from runs')" != 0 ] && fail "a bad plan left a run"
say "count: 3 instances spread over two netns hosts, each output kept and parsed under NAME#N"
cat > count.yaml <<EOF
campaign: count
lab: lab.yaml
hosts:
  e1: {transport: netns}
  e2: {transport: netns}
tests:
  - name: pubsub
    matrix: {subs: [3]}
    roles:
      - name: pub
        host: ctl
        run: ["{netrig}", bench, serve, --listen, "{host.ctl.address}:{port}"]
        ready: {regex: "^listening on "}
      - name: sub
        count: "{subs}"
        hosts: [e1, e2]
        main: true
        run: [sh, -c, 'echo "{instance} \$(ip netns identify \$\$) {port}" >> $tmp/subs.log; exec "{netrig}" bench tcp_rr --to {host.ctl.address}:{role.pub.port} --duration 0.3s --json']
        parse: {format: netrig}
EOF
command -v ping > /dev/null || skip "ping (iputils-ping) is not installed: health.peers runs it (the rest passed)"
say "restart_first restarts each host with a restart command first; health.peers pings each case's peers from its hosts"
cat > care.yaml <<EOF
campaign: care
lab: lab.yaml
restart_first: true
health: {peers: true, when: case, retries: 0, timeout: 1s}
hosts:
  e1: {transport: netns, restart: [sh, -c, 'echo e1 >> $tmp/restarted.log'], restart_timeout: 5s}
  e2: {transport: netns, restart: [sh, -c, 'echo e2 >> $tmp/restarted.log'], restart_timeout: 5s}
  e3: {transport: netns}
tests:
  - name: linked
    roles:
      - {name: a, host: e1, run: [sleep, 0.2]}
      - {name: b, host: ctl, main: true, run: [true]}
  - name: unlinked
    roles:
      - {name: a, host: e1, run: [sleep, 0.2]}
      - {name: b, host: e2, main: true, run: [true]}
EOF
expect_exit 1 "$NETRIG" lab exec lab.yaml ctl -- "$NETRIG" run care.yaml --db "$C"
expect_eq "$(sort restarted.log | tr '\n' ' ')" "e1 e2 " "each host with a restart command was restarted, once"
expect_eq "$(sql "$C" "select count(*) from events where kind = 'restart' and message like '%back after the restart'")" 2 \
	"the restarts waited for the hosts' checks"
expect_eq "$(sql "$C" "select status || ' ' || ping_count from cases where key = 'linked'")" "passed 4" \
	"linked: two namespace checks and a ping each way, counted"
expect_eq "$(sql "$C" "select status from cases where key = 'unlinked'")" failed "unlinked: its hosts share no link"
sql "$C" "select error from cases where key = 'unlinked'" > unl.err
expect_grep "host e1 cannot reach host e2" unl.err "the error names both hosts"
expect_exit 0 "$NETRIG" status --db "$C"
expect_grep "unlinked +failed" out "the status sheet shows it"

done_ok
