/*
 * The scaffolding a Strata daemon (strata-server, strata-tftpd, strata-dhcpd) needs around
 * its services: an event loop, and its signals turned into loop events through a signalfd,
 * so teardown runs in main, in order, instead of in a signal handler.  SIGTERM and SIGINT
 * stop the loop (the sender is logged: an administrator's kill is fine, anything else is a
 * bug to find); SIGHUP, for a daemon that gives a reload hook, calls it on the loop's
 * thread; SIGPIPE is blocked, so a peer closing a socket is an error return, not a death.
 */
#ifndef STRATA_DAEMON_H
#define STRATA_DAEMON_H

#include "loop.h"

/** Called on the loop's thread when SIGHUP arrives. */
typedef void daemon_reload_fn(void *ctx);

/** One daemon's loop and signal descriptor; both owned by it until daemon_close. */
struct daemon {
	const char *prog;     /**< for messages; not owned */
	struct loop *loop;
	int sigfd;
	daemon_reload_fn *reload;  /**< NULL: SIGHUP keeps its default action */
	void *reload_ctx;          /**< borrowed, passed to reload */
};

/**
 * Create the loop and watch the signals; reload (may be NULL) is called with ctx on
 * SIGHUP.  Each failure is logged under prog.  Returns 0 or -errno; on failure nothing is
 * left to close.
 */
int daemon_open(struct daemon *d, const char *prog, daemon_reload_fn *reload, void *ctx);

/** Run the loop until a stop signal (0) or a loop failure (-errno, logged). */
int daemon_run(struct daemon *d);

/** Stop watching the signals and free the loop. */
void daemon_close(struct daemon *d);

#endif /* STRATA_DAEMON_H */
