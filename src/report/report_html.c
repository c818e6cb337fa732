/* The HTML report: being written (see the helper's branch `html`). */
#include "report/report.h"

void nr_report_html(const struct nr_report_run *r, struct nr_buf *out)
{
	nr_buf_addf(out, "<!doctype html><title>netrig %s</title><p>HTML reports are not in this build yet.</p>\n",
		    r->run->campaign);
}
