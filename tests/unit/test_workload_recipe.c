/* The built-in workloads' recipe: every bench option sets something, and the usage lists each. */
#include <string.h>

#include "base/buf.h"
#include "workload/workload.h"
#include "test.h"

/* A value of the option's kind that is not its default. */
static const char *sample_value(const struct nr_wl_option *o)
{
	static const struct { const char *arg, *value; } samples[] = {
		{ "DUR", "3s" }, { "N", "7" }, { "K", "3" }, { "R", "5M" }, { "US", "50" },
		{ "auto|off|N", "4096" }, { "NAME", "bbr" }, { "LIST", "1,2" },
	};
	size_t i;

	if (nr_wl_option_is_switch(o))
		return "true";
	for (i = 0; i < sizeof(samples) / sizeof(samples[0]); i++)
		if (!strcmp(samples[i].arg, o->arg))
			return samples[i].value;
	return NULL;
}

static void defaults(struct nr_wl_params *p)
{
	memset(p, 0, sizeof(*p));
	nr_wl_params_default(p, NR_WL_TCP_STREAM);
}

NR_TEST(workload_recipe_every_option_sets_params)
{
	uint32_t ids = 0;
	size_t i;

	CHECK(nr_wl_n_options >= 15);
	for (i = 0; i < nr_wl_n_options; i++) {
		const struct nr_wl_option *o = &nr_wl_options[i];
		const char *v = sample_value(o);
		struct nr_wl_params base, p;
		struct nr_diag d = { 0 };
		uint32_t seen = 0;

		if (!v)
			nr_test_fail(__FILE__, __LINE__, "no sample value for %s %s", o->flag, o->arg);
		CHECK(!(ids & (1u << o->id))); /* each id once */
		ids |= 1u << o->id;
		CHECK(nr_wl_option_find(o->name) == o);
		defaults(&base);
		defaults(&p);
		CHECK_OK(nr_wl_option_set(o, v, &p, &seen, &d));
		if (!memcmp(&base, &p, sizeof(p)))
			nr_test_fail(__FILE__, __LINE__, "%s %s changed nothing", o->flag, v);
		CHECK(seen & (1u << o->id));
		if (nr_wl_option_is_switch(o)) {
			/* and "--no-" puts it back */
			CHECK_OK(nr_wl_option_set(o, "false", &p, &seen, &d));
			CHECK(!memcmp(&base, &p, sizeof(p)));
			CHECK_EQ(nr_wl_option_set(o, "maybe", &p, &seen, &d), NR_EINVAL);
		} else {
			CHECK_EQ(nr_wl_option_set(o, "x-not-a-value-x-long-enough-for-any", &p, &seen, &d),
				 NR_EINVAL);
			CHECK_CONTAINS(nr_diag_msg(&d), "x-not-a-value");
		}
	}
}

NR_TEST(workload_recipe_request_sets_response_unless_given)
{
	const struct nr_wl_option *req = nr_wl_option_find("request"), *resp = nr_wl_option_find("response");
	struct nr_wl_params p;
	struct nr_diag d = { 0 };
	uint32_t seen = 0;

	defaults(&p);
	CHECK_OK(nr_wl_option_set(req, "100", &p, &seen, &d));
	CHECK_EQ(p.response, 100);
	CHECK_OK(nr_wl_option_set(resp, "5", &p, &seen, &d));
	CHECK_OK(nr_wl_option_set(req, "200", &p, &seen, &d));
	CHECK_EQ(p.request, 200);
	CHECK_EQ(p.response, 5);
	CHECK_EQ(nr_wl_option_set(nr_wl_option_find("duration"), "-1s", &p, &seen, &d), NR_EINVAL);
	CHECK_STR(nr_diag_msg(&d), "bad --duration '-1s'");
}

NR_TEST(workload_recipe_usage_lists_every_option)
{
	struct nr_buf u = NR_BUF_INIT;
	const char *line;
	size_t i;

	nr_wl_options_usage(&u);
	for (i = 0; i < nr_wl_n_options; i++) {
		const struct nr_wl_option *o = &nr_wl_options[i];
		char want[64];

		snprintf(want, sizeof(want), "\n  %s ", o->flag);
		if (i == 0)
			CHECK(!strncmp(u.buf, want + 1, strlen(want + 1)));
		else
			CHECK_CONTAINS(u.buf, want);
	}
	/* every line's help starts at one column, or two blanks after a longer option */
	for (line = u.buf; *line; line = strchr(line, '\n') + 1) {
		size_t len = (size_t)(strchr(line, '\n') - line), help;

		CHECK(len > 23 && len < 80);
		if (!strncmp(line, "  --", 4)) {
			help = 4 + strcspn(line + 4, " ");
			while (help < len && strncmp(line + help, "  ", 2))
				help++;
			help += strspn(line + help, " ");
			CHECK(help >= 23);
			CHECK(help == 23 || strncmp(line + help - 3, "   ", 3) != 0);
		} else {
			CHECK(strspn(line, " ") == 23);
		}
	}
	nr_buf_release(&u);
}
