/*
 * Baseline comparison of one series alone, and the names of outcomes.
 * The rules are those of a comparison of many (analysis_family.c).
 */
#include "analysis/analysis.h"

#include <math.h>

#include "base/err.h"

const char *nr_analysis_outcome_name(enum nr_analysis_outcome o)
{
	switch (o) {
	case NR_OUTCOME_STABLE:
		return "stable";
	case NR_OUTCOME_REGRESSION:
		return "regression";
	case NR_OUTCOME_IMPROVEMENT:
		return "improvement";
	case NR_OUTCOME_NOISY:
		return "noisy";
	case NR_OUTCOME_CHANGED:
		return "changed";
	}
	return "?";
}

const char *nr_analysis_severity_name(enum nr_analysis_severity s)
{
	switch (s) {
	case NR_SEVERITY_NONE:
		return "none";
	case NR_SEVERITY_WARNING:
		return "warning";
	case NR_SEVERITY_CRITICAL:
		return "critical";
	}
	return "?";
}

int nr_analysis_compare(const double *base, size_t nb, const double *cand,
			size_t nc, enum nr_better better,
			const struct nr_analysis_compare_params *params,
			struct nr_analysis_compare_result *ret_result)
{
	static const struct nr_analysis_compare_params defaults = NR_ANALYSIS_COMPARE_PARAMS_INIT;
	struct nr_analysis_compare_result res;
	struct nr_analysis_series s;
	int r;

	if (!params)
		params = &defaults;
	s = (struct nr_analysis_series){ .base = base, .cand = cand, .nb = nb, .nc = nc,
					 .better = better, .threshold = params->threshold,
					 .critical = params->critical };
	r = nr_analysis_compare_family(&s, 1, params, &res);
	if (r < 0)
		return r;
	if (res.invalid)
		return NR_EINVAL;
	*ret_result = res;
	return 0;
}
