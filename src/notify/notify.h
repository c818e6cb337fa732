/*
 * Notifications: a JSON POST {"text": ...} to a webhook (Slack-compatible
 * endpoints take it as it is), and/or a command. Bounded in time; a
 * failure is reported to the caller, who logs it and goes on.
 */
#ifndef NR_NOTIFY_H
#define NR_NOTIFY_H

#include <stdint.h>

#include "base/err.h"

/* POST {"text": text, "event": event, "run": run_id} to url within timeout_us. */
int nr_notify_webhook(const char *url, const char *event, const char *text,
		      const char *run_id, int64_t timeout_us, struct nr_diag *d);

/* Run argv with NETRIG_EVENT, NETRIG_TEXT and NETRIG_RUN set; exit 0 is success. */
int nr_notify_command(char *const *argv, const char *event, const char *text,
		      const char *run_id, int64_t timeout_us, struct nr_diag *d);

#endif
