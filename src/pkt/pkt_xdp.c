/*
 * The forwarder on AF_XDP: not built yet.
 */
#include "pkt/pkt_int.h"

int nr__pkt_fwd_xdp(const struct nr_pkt_fwd_opts *o, struct nr_pkt_fwd_result *ret,
		    struct nr_diag *d)
{
	(void)o;
	(void)ret;
	return nr_diagf(d, NR_EUNSUPPORTED, "AF_XDP is not built in");
}
