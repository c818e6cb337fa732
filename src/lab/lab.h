/*
 * Labs: a topology of network namespaces joined by veth pairs, built on
 * this machine so that multi-host campaigns run anywhere (docs/lab.md).
 *
 * A lab file names hosts and links; `up` creates one namespace per host
 * ("<lab>-<host>"), one veth pair per link with addresses from the lab's
 * subnet (link i gets the i-th /24; side a is .1, side b is .2), and,
 * for hosts with `sshd: true`, an sshd inside the namespace with keys
 * generated in the lab's directory. No namespace gets a default route.
 * Everything `up` starts is recorded in a state file in the lab's
 * directory so that `down` ends exactly that, even after a crashed `up`.
 */
#ifndef NR_LAB_H
#define NR_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "base/str.h"
#include "yaml/yaml.h"

#define NR_LAB_NAME_MAX 20   /* a lab's name */
#define NR_LAB_HOST_MAX 20   /* a host's name */
#define NR_LAB_NETNS_MAX 41  /* "<lab>-<host>" */
#define NR_LAB_DIR_MAX 64    /* the state directory; short, so sockets made under it fit sun_path */
#define NR_LAB_IFNAME_MAX 15 /* IFNAMSIZ - 1 */
#define NR_LAB_SSHD "/usr/sbin/sshd"

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
	int prefix;      /* 24 */
	size_t link;     /* index into lab->links */
	size_t peer;     /* index into lab->hosts of the other end */
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
	int line, column; /* of the host's key in the lab file */
};

struct nr_lab_link {
	size_t a, b;      /* indexes into lab->hosts */
	size_t a_if, b_if; /* indexes into each host's ifaces */
	int mtu;          /* 0: the kernel's default */
	char *network;    /* `network:` the campaign's name for the link's net, or NULL */
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
 * The address of host `to` on a link it shares with host `from`, the first
 * in the file; with `network`, on a link of that `network:` only, and then
 * `from` may be NULL (any link of to's on that network). NULL when there
 * is none: no fallback, unlike nr_lab_address_from.
 */
const char *nr_lab_link_address(const struct nr_lab *lab, const char *from, const char *to,
				const char *network);

/*
 * The ssh "-o" options (NAME=VALUE) that reach host h through the lab's
 * sshd without ~/.ssh: IdentityFile, IdentitiesOnly, UserKnownHostsFile,
 * StrictHostKeyChecking=accept-new, KexAlgorithms=curve25519-sha256,
 * BatchMode; appended to out. Nothing for a host without sshd. With
 * h->address, h->ssh.port and h->ssh.user, that is a `transport: ssh` host.
 */
void nr_lab_ssh_options(const struct nr_lab_host *h, struct nr_strvec *out);

/* Whether this process can build labs: root, `ip`, and sshd when needed. */
int nr_lab_check_tools(const struct nr_lab *lab, struct nr_diag *d);

/*
 * Whether everything of the lab exists as up would make it: every
 * namespace, interface (up, with its address), the keys and ssh_config,
 * and every sshd still running (checked by pid and command line).
 */
bool nr_lab_is_up(const struct nr_lab *lab);

enum nr_lab_up_result {
	NR_LAB_CREATED,      /* nothing of it existed */
	NR_LAB_ALREADY_UP,   /* it was up: nothing changed */
	NR_LAB_REBUILT,      /* a partial lab (a crashed up) was cleaned, then built */
};

/*
 * Build the lab. Idempotent: a lab that is up is left as it is. A partial
 * lab is taken down first. When building fails, what was built is taken
 * down again before returning the error.
 */
int nr_lab_up(const struct nr_lab *lab, enum nr_lab_up_result *ret, struct nr_diag *d);

/* What down found and removed, for the user. */
struct nr_lab_down_report {
	size_t namespaces;  /* deleted */
	size_t processes;   /* ended (sshd and their sessions, and others left in the namespaces) */
	bool run_sshd;      /* /run/sshd removed (up had made it) */
	bool dir;           /* the lab's directory removed */
};

/*
 * Take the lab down: end the sshd processes up recorded (each pid checked
 * to still be that sshd through /proc/PID/cmdline; SIGTERM, then SIGKILL),
 * with their sessions and any process left in the lab's namespaces, delete
 * the namespaces (which deletes the veths), remove /run/sshd if up made it
 * and no other sshd runs, and remove the lab's directory. Safe to repeat
 * and after a crashed up.
 */
int nr_lab_down(const struct nr_lab *lab, struct nr_lab_down_report *ret, struct nr_diag *d);

/* What exists of a lab now. */
struct nr_lab_iface_status {
	bool exists;
	bool up;           /* the UP flag and a carrier (LOWER_UP) */
	bool has_address;  /* the expected address is configured */
	int mtu;
};

struct nr_lab_host_status {
	bool netns;        /* the namespace exists */
	struct nr_lab_iface_status *ifaces; /* one per host->ifaces */
	pid_t sshd_pid;    /* from the state file, 0: none recorded */
	bool sshd_running; /* that pid is still our sshd */
	bool sshd_listening;
	size_t processes;  /* processes in the namespace (sshd included) */
};

struct nr_lab_status {
	bool dir;          /* the lab's directory exists */
	bool state;        /* the state file exists */
	bool up;           /* nr_lab_is_up() */
	struct nr_lab_host_status *hosts; /* one per lab->hosts */
	size_t n_hosts;
};

int nr_lab_status(const struct nr_lab *lab, struct nr_lab_status *ret, struct nr_diag *d);
void nr_lab_status_release(struct nr_lab_status *st);

/*
 * Enter host's namespace (and a private mount namespace with its own
 * /sys, as `ip netns exec` does) and execute argv there, looked up in
 * PATH. Returns only on failure, with a message in d.
 */
int nr_lab_exec(const struct nr_lab *lab, const char *host, char *const *argv,
		struct nr_diag *d);

#endif
