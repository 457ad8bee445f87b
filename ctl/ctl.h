/*
 * strata-ctl: a command line over strata-server's HTTP API (README "strata-ctl").
 *
 * Why a separate program rather than curl: scripts want exit codes that say what went
 * wrong (a refused token, an unknown machine, a refused order) and admins want tables,
 * confirmations and live progress; both want the token kept out of argv, where any user
 * of the host could read it in ps.
 *
 * Every command is a function of this shape, given the parsed options; it returns one of
 * the exit codes below, having printed what went wrong to stderr.
 */
#ifndef STRATA_CTL_H
#define STRATA_CTL_H

#include <signal.h>
#include <stdint.h>

/** Exit codes, listed by --help: what a script may test. */
enum ctl_exit {
	CTL_OK = 0,
	CTL_EOTHER = 1,      /**< anything not below (a 5xx, a malformed answer) */
	CTL_EUSAGE = 2,      /**< bad arguments, or an order not confirmed */
	CTL_EAUTH = 3,       /**< 401 or 403: the token, or the server's API, refused us */
	CTL_ENOTFOUND = 4,   /**< 404: no such machine (or generation) */
	CTL_EREFUSED = 5,    /**< 400 or 409: the server refused the order as given */
	CTL_EUNREACH = 6,    /**< no connection, a timeout, or TLS failed */
	CTL_EPARTIAL = 7,    /**< a bulk order that some machines refused */
	CTL_EWATCHFAIL = 8,  /**< watch --until-idle saw a machine fail */
	CTL_EINTR = 130,     /**< interrupted (SIGINT) */
};

/** Option bits: which options a command takes (main.c checks each command's mask). */
enum ctl_optbit {
	OPT_JSON = 1 << 0, OPT_YES = 1 << 1, OPT_ALL = 1 << 2, OPT_AS = 1 << 3,
	OPT_FORCE = 1 << 4, OPT_PREPARED = 1 << 5, OPT_MAC = 1 << 6, OPT_GENERATION = 1 << 7,
	OPT_DRY_RUN = 1 << 8, OPT_UNTIL_IDLE = 1 << 9, OPT_INTERVAL = 1 << 10,
	OPT_ROOM = 1 << 11, OPT_PATTERN = 1 << 12, OPT_PROFILE = 1 << 13, OPT_START = 1 << 14,
	OPT_SITE = 1 << 15, OPT_AT = 1 << 16, OPT_WAKE = 1 << 17,
};

/** The parsed command line.  Strings point into argv or the environment (not owned). */
struct ctl {
	const char *server;      /**< base URL, --server or STRATA_URL */
	const char *token_file;  /**< --token or STRATA_TOKEN_FILE */
	const char *cacert;      /**< --cacert: a CA bundle for https */
	long timeout;            /**< --timeout: seconds per request */
	unsigned int opts;       /**< enum ctl_optbit given */
	const char *as;          /**< --as PROFILE */
	const char *mac;         /**< --mac MAC */
	uint64_t generation;     /**< --generation N */
	double interval;         /**< --interval: watch's poll period in seconds */
	const char *at;          /**< --at TIME: when a scheduled order runs (cmd_schedule.c) */
	const char *room;        /**< --room R: a room of the inventory (wake, register,
				      deploy) */
	const char *pattern;     /**< --pattern P: register's names, like lab300-## */
	const char *profile;     /**< --profile X: register's profile */
	uint64_t start;          /**< --start N: register's first number; 0: the server's */
	const char *site;        /**< --site S: register's site */
	char **args;             /**< operands after the command */
	int nargs;
	int in_tty, out_tty;     /**< stdin and stdout are terminals */
};

/** Set by SIGINT: long loops and transfers end early and return CTL_EINTR. */
extern volatile sig_atomic_t ctl_interrupted;

/** A command: run with the options, returns an exit code. */
typedef int (*ctl_cmd_fn)(struct ctl *c);

int cmd_machines(struct ctl *c);
int cmd_show(struct ctl *c);
int cmd_generations(struct ctl *c);
int cmd_deploy(struct ctl *c);
int cmd_capture(struct ctl *c);
int cmd_replace(struct ctl *c);
int cmd_restore(struct ctl *c);
int cmd_accept_key(struct ctl *c);
int cmd_cancel(struct ctl *c);
int cmd_gc(struct ctl *c);
int cmd_watch(struct ctl *c);
int cmd_wake(struct ctl *c);
int cmd_schedule(struct ctl *c);
int cmd_schedule_cancel(struct ctl *c);
int cmd_unknown(struct ctl *c);
int cmd_register(struct ctl *c);
int cmd_library(struct ctl *c);

/**
 * Ask "QUESTION [y/N]" on a terminal; off one, refuse unless --yes was given.  CTL_OK to
 * go ahead, CTL_EUSAGE (having said why: "add --yes") otherwise, CTL_EINTR on SIGINT.
 */
int ctl_confirm(const struct ctl *c, const char *question);

#endif /* STRATA_CTL_H */
