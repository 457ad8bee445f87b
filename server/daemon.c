/* A daemon's loop and stop signals (see daemon.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "daemon.h"

/* SIGTERM/SIGINT arrive as a readable signalfd: stop the loop, main tears down. */
static void on_signal(struct loop *loop, int fd, void *ctx)
{
	struct signalfd_siginfo si;

	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si))
		loop_stop(loop);
}

/* Block the stop signals and return a signalfd for them, or -errno. */
static int stop_signals(void)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int daemon_open(struct daemon *d, const char *prog)
{
	int rc;

	d->prog = prog;
	rc = loop_new(&d->loop);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot create the event loop: %s\n", prog, strerror(-rc));
		goto err_loop;
	}
	d->sigfd = stop_signals();
	if (d->sigfd < 0) {
		rc = d->sigfd;
		fprintf(stderr, "%s: cannot set up signals: %s\n", prog, strerror(-rc));
		goto err_signals;
	}
	rc = loop_add_reader(d->loop, d->sigfd, on_signal, NULL);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot watch signals: %s\n", prog, strerror(-rc));
		goto err_watch;
	}
	return 0;

err_watch:
	close(d->sigfd);
err_signals:
	loop_free(d->loop);
err_loop:
	return rc;
}

int daemon_run(struct daemon *d)
{
	int rc = loop_run(d->loop);

	if (rc < 0)
		fprintf(stderr, "%s: event loop failed: %s\n", d->prog, strerror(-rc));
	return rc;
}

void daemon_close(struct daemon *d)
{
	loop_del_reader(d->loop, d->sigfd);
	close(d->sigfd);
	loop_free(d->loop);
}
