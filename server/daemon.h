/*
 * The scaffolding a standalone Strata daemon (strata-tftpd, strata-dhcpd) needs around its
 * service: an event loop, and SIGTERM/SIGINT turned into a clean stop of that loop through
 * a signalfd, so teardown runs in main, in order, instead of in a signal handler.
 * strata-server has its own (it also reloads on SIGHUP).
 */
#ifndef STRATA_DAEMON_H
#define STRATA_DAEMON_H

#include "loop.h"

/** One daemon's loop and signal descriptor; both owned by it until daemon_close. */
struct daemon {
	const char *prog;     /**< for messages; not owned */
	struct loop *loop;
	int sigfd;
};

/** Create the loop and watch the stop signals.  Each failure is logged under prog.
 *  Returns 0 or -errno; on failure nothing is left to close. */
int daemon_open(struct daemon *d, const char *prog);

/** Run the loop until a stop signal (0) or a loop failure (-errno, logged). */
int daemon_run(struct daemon *d);

/** Stop watching the signals and free the loop. */
void daemon_close(struct daemon *d);

#endif /* STRATA_DAEMON_H */
