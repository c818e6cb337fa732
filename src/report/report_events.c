/*
 * A run's events (health checks, restarts, notifications, the breaker)
 * and its controller, for the status sheet: text for people, JSON pieces
 * for machines.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "base/clock.h"
#include "base/str.h"
#include "report/report.h"
#include "report/report_int.h"

void nr_report_events(const struct nr_event_rec *ev, size_t n, size_t max, struct nr_buf *out)
{
	char when[40];
	size_t i, first = max && n > max ? n - max : 0;

	if (!n)
		return;
	if (first)
		nr_buf_addf(out, "events: %zu, the last %zu shown (all: netrig status --json):\n", n,
			    n - first);
	else
		nr_buf_addf(out, "events (%zu):\n", n);
	for (i = first; i < n; i++) {
		/* kind, host and message may come from a role or a host: escaped */
		nr_buf_addf(out, "  %s  ", nr_fmt_time(when, sizeof(when), ev[i].time_us));
		nr_str_escape(out, ev[i].kind, strlen(ev[i].kind), NULL, 0);
		if (ev[i].host) {
			nr_buf_addch(out, ' ');
			nr_str_escape(out, ev[i].host, strlen(ev[i].host), NULL, 0);
		}
		nr_buf_adds(out, ": ");
		nr_str_escape(out, ev[i].message ? ev[i].message : "",
			      ev[i].message ? strlen(ev[i].message) : 0, NULL, 0);
		nr_buf_addch(out, '\n');
	}
}

json_t *nr__report_events_json(const struct nr_event_rec *ev, size_t n)
{
	json_t *arr = json_array();
	char when[40];
	size_t i;

	for (i = 0; i < n; i++) {
		json_t *o = json_object();

		json_object_set_new(o, "time", json_string(nr_fmt_time(when, sizeof(when), ev[i].time_us)));
		json_object_set_new(o, "kind", nr__report_jstr(ev[i].kind));
		json_object_set_new(o, "host", nr__report_jstr(ev[i].host));
		json_object_set_new(o, "case", ev[i].case_id[0] ? json_string(ev[i].case_id) : json_null());
		json_object_set_new(o, "message", nr__report_jstr(ev[i].message));
		json_array_append_new(arr, o);
	}
	return arr;
}

json_t *nr__report_controller_json(const struct nr_run_rec *run)
{
	static const char *const states[] = {
		[NR_CONTROLLER_UNKNOWN] = NULL, [NR_CONTROLLER_ALIVE] = "alive",
		[NR_CONTROLLER_GONE] = "gone", [NR_CONTROLLER_ELSEWHERE] = "elsewhere",
	};
	const char *state = states[run->controller_state];
	json_t *o = json_object();
	char when[40];

	json_object_set_new(o, "host", nr__report_jstr(run->controller));
	json_object_set_new(o, "pid", run->pid ? json_integer(run->pid) : json_null());
	json_object_set_new(o, "state", state ? json_string(state) : json_null());
	json_object_set_new(o, "heartbeat", run->heartbeat_us
						    ? json_string(nr_fmt_time(when, sizeof(when),
									      run->heartbeat_us))
						    : json_null());
	return o;
}
