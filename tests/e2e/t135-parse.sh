#!/bin/sh
# Parsers end to end: regex on stderr with units converted to base units,
# an optional metric that is absent, keyvalue on both streams, json
# pointers; results CSV with median/min/max/mean; and the templates
# {host.NAME.address}, {test}, {case}, {run}.
. "$(dirname "$0")/lib.sh"
command -v python3 > /dev/null || skip "python3 is not installed"

cat > c.yaml <<'EOF'
campaign: parse
hosts:
  lab: {transport: local, address: 127.0.0.2}
tests:
  - name: rx
    repeat: 3
    run: [sh, -c, 'echo "took {repeat}5 ms, rate 1{repeat}.5 Gbit/s" >&2; echo "{host.lab.address} {host.local.address} {test} {case} {run}"']
    parse:
      format: regex
      stream: stderr
      metrics:
        took: {regex: "took ([0-9.]+) ms", unit: ms, better: lower}
        rate: {regex: "rate ([0-9.]+) Gbit/s", unit: Gbit/s, better: higher}
        maybe: {regex: "nothere ([0-9]+)", optional: true}
  - name: both
    run: [sh, -c, 'echo a=1; echo b=2 >&2']
    parse:
      format: keyvalue
      stream: both
      metrics:
        a: {}
        b: {}
  - name: js
    matrix: {v: ["1.5", "-2e3"]}
    run: [sh, -c, 'echo "{{\"r\": [{{\"x\": {v}}}], \"ok\": true}}"']
    parse:
      format: json
      metrics:
        x: {pointer: /r/0/x, unit: KiB}
EOF
expect_exit 0 "$NETRIG" -q run c.yaml
run=$(sql netrig.db "select uuid_str(id) from runs")

say "regex on stderr: three samples per metric in base units; the optional one is absent"
expect_eq "$(sql netrig.db "select group_concat(value, ' ') from (select s.value from samples s where s.metric = 'took' order by s.repeat)")" \
	"5000.0 15000.0 25000.0" "took in us"
expect_eq "$(sql netrig.db "select group_concat(value, ' ') from (select s.value from samples s where s.metric = 'rate' order by s.repeat)")" \
	"10500000000.0 11500000000.0 12500000000.0" "rate in bit/s"
expect_eq "$(sql netrig.db "select count(*) from samples where metric = 'maybe'")" 0 "no sample of the absent optional metric"
expect_eq "$(sql netrig.db "select orig_value || ' ' || orig_unit from samples where metric = 'rate' and repeat = 0")" \
	"10.5 Gbit/s" "the original value and unit are kept"

say "keyvalue on both streams; json pointers with a unit"
expect_eq "$(sql netrig.db "select group_concat(metric || '=' || value, ' ') from (select * from samples where metric in ('a', 'b') order by metric)")" \
	"a=1.0 b=2.0" "keyvalue on both streams"
expect_eq "$(sql netrig.db "select group_concat(value, ' ') from (select s.value from samples s join cases c on c.id = s.case_id where s.metric = 'x' order by c.ordinal)")" \
	"1536.0 -2048000.0" "json values in bytes"

say "results CSV: median, min, max, mean per case and metric"
expect_exit 0 "$NETRIG" results --format csv
python3 - out <<'PY' || fail "results CSV"
import csv, sys
rows = {(r["case"], r["metric"]): r for r in csv.DictReader(open(sys.argv[1], newline=""))}
r = rows[("rx", "took")]
assert (r["unit"], r["better"], r["n"], float(r["median"]), float(r["min"]), float(r["max"]), float(r["mean"])) == \
    ("us", "lower", "3", 15000, 5000, 25000, 15000), r
assert rows[("rx", "rate")]["better"] == "higher"
assert ("rx", "maybe") not in rows
assert float(rows[("js/v=-2e3", "x")]["median"]) == -2048000, rows.keys()
PY

say "templates: host addresses, test, case and run"
expect_exit 0 "$NETRIG" log rx --raw --stream stdout
expect_eq "$(sort -u out)" "127.0.0.2 127.0.0.1 rx rx $run" "expanded templates"
done_ok
