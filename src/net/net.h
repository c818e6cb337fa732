/*
 * Reachability: ICMP echo (an unprivileged ICMP datagram socket, else a raw
 * one as root) and TCP connect, each bounded in time and one packet or one
 * connection at a time.
 */
#ifndef NR_NET_H
#define NR_NET_H

#include <stdint.h>

#include "base/err.h"

/*
 * One ICMP echo to `address` (numeric IPv4/IPv6 or a name), waiting at most
 * timeout_us. 0 on a reply; NR_ETIMEOUT; NR_EUNSUPPORTED when this process
 * may not send ICMP at all (then try nr_net_tcp_connect).
 */
int nr_net_ping(const char *address, int64_t timeout_us, struct nr_diag *d);

/* Open and close one TCP connection to address:port within timeout_us. */
int nr_net_tcp_connect(const char *address, int port, int64_t timeout_us, struct nr_diag *d);

#endif
