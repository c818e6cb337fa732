#!/bin/sh
# Events (issue 11, item 15): each step of a health check is stored when
# it happens (not all at the end of the checks), a failed check is filed
# as 'health' and the restart's steps as 'restart' even when a restart
# followed; and status says how many events there are and which it shows,
# the same in text and JSON.
. "$(dirname "$0")/lib.sh"
export NETRIG_SSH="$top/tests/helpers/fake-ssh"

cat > h.yaml <<EOF
campaign: events
health: {ping: false, ssh: true, retries: 2, interval: 300ms}
hosts:
  b: {transport: ssh, address: 10.255.255.1,
      restart: [sh, -c, 'sleep 0.5; rm -f $tmp/host-down'], restart_timeout: 5s}
tests:
  - {name: t, host: b, run: [echo, ok]}
EOF
touch host-down
say "a host down, then restarted: every step an event, in order, stamped when it happened"
FAKE_SSH_DOWN="$tmp/host-down" expect_exit 0 "$NETRIG" -q --db e.db run h.yaml
expect_eq "$(sql e.db "select group_concat(kind, ' ') from (select kind from events order by time, id)")" \
	"health health health restart restart" "kinds in order"
expect_eq "$(sql e.db "select count(*) from events where kind = 'health' and message like 'ssh check b:%'")" 3 \
	"the failed checks are health events"
expect_eq "$(sql e.db "select count(*) from events where kind = 'restart' and message like 'restart b:%'")" 2 \
	"the restart's steps are restart events"
expect_eq "$(sql e.db "select count(distinct time) from events")" 5 "five different times"
spread=$(sql e.db "select (max(time) - min(time)) / 1000 from events")
[ "$spread" -ge 900 ] || fail "the events span ${spread} ms, not the 0.6 s of retries and the 0.5 s restart"
expect_eq "$(sql e.db "select count(*) from events e join cases c on c.id = e.case_id
	where e.time < c.started_at or e.time > c.finished_at")" 0 "each inside its case's time"

say "status lists them with their times; text and JSON agree"
expect_exit 0 "$NETRIG" --db e.db status
expect_grep '^events \(5\):$' out "status: the count"
expect_eq "$(grep -cE '^  [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z  (health|restart) b: ' out)" 5 "five event lines with times"
expect_exit 0 "$NETRIG" --db e.db status --json
expect_eq "$(grep -c '"kind": ' out)" 5 "five events in JSON"

cat > many.yaml <<'EOF'
campaign: many
notify: {command: [sh, -c, 'exit 7'], on: [failure]}
tests:
  - name: f
    run: [sh, -c, 'exit 1']
    matrix: {n: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]}
EOF
say "more events than the text shows: it says so, and JSON has them all"
expect_exit 1 "$NETRIG" -q --db m.db run many.yaml
expect_eq "$(sql m.db "select count(*) from events where kind = 'notify'")" 12 "12 notify events"
expect_exit 0 "$NETRIG" --db m.db status
expect_grep '^events: 12, the last 10 shown' out "status: the count and how many are shown"
expect_eq "$(grep -cE '^  [0-9]{4}-.*  notify: ' out)" 10 "ten event lines"
expect_exit 0 "$NETRIG" --db m.db status --json
expect_eq "$(grep -c '"kind": "notify"' out)" 12 "all 12 in JSON"
done_ok
