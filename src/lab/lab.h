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
 *
 * This face is the operations (up, down, status, exec); the model they
 * work on (the structs, loading, addresses) is lab_model.h's.
 */
#ifndef NR_LAB_H
#define NR_LAB_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/err.h"
#include "lab/lab_model.h"

#define NR_LAB_SSHD "/usr/sbin/sshd"

/* Whether this process can build labs: root, `ip`, sshd and `tc` (netem) when needed. */
int nr_lab_check_tools(const struct nr_lab *lab, struct nr_diag *d);

/*
 * Whether everything of the lab exists as up would make it: every
 * namespace, interface (up, with its address and its netem), every route
 * of a forwarding neighbour, the keys and ssh_config, and every sshd
 * still running (checked by pid and command line).
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
	bool has_mac;      /* its MAC is the lab's (nr_lab_iface.mac) */
	bool netem;        /* a netem qdisc is its root (checked for links with netem only) */
	int mtu;
};

struct nr_lab_host_status {
	bool netns;        /* the namespace exists */
	struct nr_lab_iface_status *ifaces; /* one per host->ifaces */
	size_t routes;     /* of host->routes, how many are in place */
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
