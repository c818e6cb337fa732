/*
 * The options of a verdict, shared by the commands that judge a
 * comparison (cmd_compare.c, cmd_ab.c): --threshold (t), --critical (c),
 * --alpha (a), --fail-on (F), --format (f), with one set of messages.
 */
#ifndef NR_CMD_VERDICT_H
#define NR_CMD_VERDICT_H

#include <stdbool.h>

#include "compare/compare.h"
#include "report/report.h"

/*
 * Apply option `opt` ('t', 'c', 'a', 'F' or 'f') with its argument.
 * Returns 0, or -1 after printing "netrig CMD: ..." for a bad value.
 */
int nr_cmd_verdict_option(const char *cmd, int opt, const char *arg, struct nr_compare_opts *o,
			  enum nr_analysis_severity *fail_on, enum nr_report_format *fmt,
			  bool *critical_given);

#endif
