/*
 * The lab model: what a lab file says (hosts, links, the addresses a link
 * gives each side, how a campaign reaches a host's sshd), read and
 * validated, with nothing built. A campaign that names a lab needs only
 * this face; the operations that build and enter labs (up, down, status,
 * exec) are lab.h's, so loading a campaign does not link the namespace
 * builder. See lab.h for what `up` makes of a model.
 */
#ifndef NR_LAB_MODEL_H
#define NR_LAB_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/str.h"
#include "yaml/yaml.h"

#define NR_LAB_NAME_MAX 20   /* a lab's name */
#define NR_LAB_HOST_MAX 20   /* a host's name */
#define NR_LAB_NETNS_MAX 41  /* "<lab>-<host>" */
#define NR_LAB_DIR_MAX 64    /* the state directory; short, so sockets made under it fit sun_path */
#define NR_LAB_IFNAME_MAX 15 /* IFNAMSIZ - 1 */

/* How the campaign reaches a host's sshd; every path is absolute, owned by the lab. */
struct nr_lab_sshd {
	int port;           /* 22, inside the host's namespace */
	char *user;         /* "root" */
	char *host_key_dir; /* <dir>/ssh/<host>: host_ed25519_key(.pub), sshd_config, sshd.log */
	char *config;       /* the sshd_config */
	char *log;          /* sshd's log (-E) */
	char *identity;     /* the client's private key (shared by the lab's hosts) */
	char *known_hosts;  /* the host keys of every sshd host, written by up */
};

/* One end of a link, as seen from its host. */
struct nr_lab_iface {
	char *name;      /* "eth0", "eth1", ... in the order of the host's links */
	char *address;   /* dotted IPv4, without the prefix */
	/* "02:00:" and the address's four bytes in hex: set by up, so a
	 * campaign knows it beforehand ({iface.HOST.PEER.mac}) */
	char *mac;
	int prefix;      /* 24 */
	size_t link;     /* index into lab->links */
	size_t peer;     /* index into lab->hosts of the other end */
};

/*
 * A route a `forward: true` neighbour gives a host: to the /24 of another
 * of the forwarder's links, through the forwarder's address on the link
 * the two share.
 */
struct nr_lab_route {
	char *dest;       /* "10.77.1.0/24" */
	char *via;        /* the forwarder's address on the shared link */
	size_t iface;     /* index into the host's ifaces: the shared link's end */
};

struct nr_lab_host {
	char *name;
	char *netns;     /* "<lab>-<host>" */
	/*
	 * The address other hosts use: on the link to the controller host when
	 * there is one and it is linked to this host, else on its first link;
	 * NULL for a host without links.
	 */
	char *address;
	bool sshd;       /* start an sshd in the namespace; then `ssh` is filled in */
	bool forward;    /* net.ipv4.ip_forward=1 in the namespace */
	bool controller; /* where a campaign's controller runs (at most one host) */
	struct nr_lab_sshd ssh;
	struct nr_lab_iface *ifaces;
	size_t n_ifaces, cap_ifaces;
	struct nr_lab_route *routes; /* from forwarding neighbours, in the order of the file */
	size_t n_routes, cap_routes;
	int line, column; /* of the host's key in the lab file */
};

/*
 * netem settings of a link, applied on both of its interfaces (so each
 * direction gets them) as the root qdisc: `tc qdisc add dev IF root netem ...`.
 */
struct nr_lab_netem {
	bool set;
	int64_t delay_us, jitter_us;  /* jitter only with a delay */
	double loss, duplicate, corrupt, reorder; /* percent, 0 to 100; reorder needs a delay */
	uint64_t rate_bps;            /* 0: no rate limit */
	uint64_t limit;               /* packets netem holds; 0: its default (1000) */
};

struct nr_lab_link {
	size_t a, b;      /* indexes into lab->hosts */
	size_t a_if, b_if; /* indexes into each host's ifaces */
	int mtu;          /* 0: the kernel's default */
	struct nr_lab_netem netem;
	int line, column;
};

struct nr_lab {
	char *name;
	char *path;        /* the lab file */
	char *dir;         /* state directory, default /tmp/netrig-lab-<name> */
	char *ssh_config;  /* <dir>/ssh_config: Host entries for the sshd hosts */
	char *state;       /* <dir>/state: pids and what up created (key=value) */
	uint32_t subnet;   /* host byte order, aligned to its prefix */
	int prefix;        /* 8..24 */
	struct nr_lab_host *hosts;
	size_t n_hosts, cap_hosts;
	struct nr_lab_link *links;
	size_t n_links, cap_links;
};

/*
 * Read a lab file. NR_ECONFIG (or NR_EPARSE) with "file:line:column: ..."
 * naming the key in d for any mistake; *ret is written only on success.
 */
int nr_lab_load(const char *path, struct nr_lab **ret, struct nr_diag *d);
/* The same from text; `file` is the name used in messages. */
int nr_lab_load_text(const char *file, const char *text, struct nr_lab **ret,
		     struct nr_diag *d);
/*
 * The same from a mapping already parsed (e.g. a campaign's `lab:`
 * section, whose keys are those of a lab file); `file` names it in messages.
 */
int nr_lab_load_node(const char *file, const struct nr_ynode *map, struct nr_lab **ret,
		     struct nr_diag *d);
void nr_lab_free(struct nr_lab *lab);

/* A host by name, or NULL. */
const struct nr_lab_host *nr_lab_host(const struct nr_lab *lab, const char *name);
/*
 * The address of host `to` as host `from` reaches it: on a link between
 * them when there is one, else to's `address` (which may be NULL).
 */
const char *nr_lab_address_from(const struct nr_lab *lab, const char *from, const char *to);

/*
 * The ssh "-o" options (NAME=VALUE) that reach host h through the lab's
 * sshd without ~/.ssh: IdentityFile, IdentitiesOnly, UserKnownHostsFile,
 * StrictHostKeyChecking=accept-new, KexAlgorithms=curve25519-sha256,
 * BatchMode; appended to out. Nothing for a host without sshd. With
 * h->address, h->ssh.port and h->ssh.user, that is a `transport: ssh` host.
 */
void nr_lab_ssh_options(const struct nr_lab_host *h, struct nr_strvec *out);

/*
 * tc's words after "netem" for n ("delay", "1000us", "loss", "0.1%", ...),
 * appended to out; nothing when n is not set.
 */
void nr_lab_netem_args(const struct nr_lab_netem *n, struct nr_strvec *out);

#endif
