/*
 * Which address of a host a role on another host uses: a host has its
 * control address (what ssh uses, often a management network) and named
 * data addresses; traffic between two hosts goes over a network they
 * share, not over the controller's link to one of them.
 */
#include <string.h>

#include "base/mem.h"
#include "campaign/campaign.h"
#include "lab/lab_model.h"

/*
 * The lab host a campaign host is: its namesake, or for a host on this
 * machine (local) the lab's controller host, where netrig runs. NULL
 * when it is not in the lab.
 */
static const char *lab_name(const struct nr_campaign *c, const struct nr_host *h)
{
	size_t i;

	if (nr_lab_host(c->lab, h->name))
		return h->name;
	if (h->transport != NR_TRANSPORT_LOCAL)
		return NULL;
	for (i = 0; i < c->lab->n_hosts; i++)
		if (c->lab->hosts[i].controller)
			return c->lab->hosts[i].name;
	return NULL;
}

static bool is_loopback(const char *address)
{
	return !strncmp(address, "127.", 4) || !strcmp(address, "::1") ||
	       !strcmp(address, "localhost");
}

int nr_campaign_peer_address(const struct nr_campaign *c, const struct nr_test *t,
			     const struct nr_host *from, const struct nr_host *to,
			     const char *network, const char **ret, struct nr_diag *d)
{
	const char *from_name, *a;
	size_t i;

	if (!from)
		from = nr_campaign_host(c, "local"); /* the controller */
	from_name = from ? from->name : "local";

	if (!network && t)
		network = t->network;
	if (network) {
		if ((a = nr_kv_get(&to->addresses, network)) != NULL) {
			*ret = a;
			return 0;
		}
		return nr_diag_set(d, NR_ECONFIG,
				   "host %s has no address on network '%s' (a role on host %s refers to it): "
				   "give it one under 'addresses:'%s",
				   to->name, network, from_name,
				   c->lab ? " or name the network on a link of the lab" : "");
	}
	if (from == to) {
		*ret = to->address;
		return 0;
	}
	if (c->lab && from) {
		const char *lf = lab_name(c, from), *lt = lab_name(c, to);

		if (lf && lt && strcmp(lf, lt) != 0) {
			if ((a = nr_lab_link_address(c->lab, lf, lt, NULL)) != NULL) {
				*ret = a;
				return 0;
			}
			return nr_diag_set(d, NR_ECONFIG,
					   "a role on host %s cannot reach host %s: they share no link in lab %s "
					   "(link them, or name a network both have)",
					   from_name, to->name, c->lab->name);
		}
		if (lf && lt) {
			*ret = to->address;
			return 0;
		}
	}
	/* real hosts: a network both name */
	for (i = 0; from && i < to->addresses.keys.n; i++)
		if (nr_kv_get(&from->addresses, to->addresses.keys.v[i])) {
			*ret = to->addresses.vals.v[i];
			return 0;
		}
	if (from && from->transport != NR_TRANSPORT_LOCAL && to->transport == NR_TRANSPORT_LOCAL &&
	    is_loopback(to->address))
		return nr_diag_set(d, NR_ECONFIG,
				   "a role on host %s cannot reach host %s: its address %s is this machine's "
				   "loopback (give %s an address under 'addresses:' and name its network)",
				   from_name, to->name, to->address, to->name);
	*ret = to->address;
	return 0;
}
