/* A daemon's loop and stop signals (see daemon.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>
#include "daemon.h"

/* Say who asked us to stop, from its command line in /proc. */
static void log_sender(const struct daemon *d, const struct signalfd_siginfo *si)
{
	char path[64], cmd[160] = "?";
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%u/cmdline", si->ssi_pid);
	f = fopen(path, "r");
	if (f) {
		n = fread(cmd, 1, sizeof(cmd) - 1, f);
		cmd[n] = '\0';
		for (size_t i = 0; i + 1 < n; i++)
			cmd[i] = cmd[i] ? cmd[i] : ' ';
		fclose(f);
	}
	fprintf(stderr, "%s: signal %u from pid %u (%s)\n", d->prog, si->ssi_signo, si->ssi_pid,
		cmd);
}

/* Signals arrive as a readable signalfd: SIGHUP reloads, the others stop the loop and
 * main tears down. */
static void on_signal(struct loop *loop, int fd, void *ctx)
{
	struct daemon *d = ctx;
	struct signalfd_siginfo si;

	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo == SIGHUP && d->reload) {
			d->reload(d->reload_ctx);
			continue;
		}
		log_sender(d, &si);
		loop_stop(loop);
	}
}

/* Block the daemon's signals (and SIGPIPE) and return a signalfd for them, or -errno. */
static int watch_signals(int with_hup)
{
	sigset_t set;
	int fd;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (with_hup)
		sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -errno;
	sigdelset(&set, SIGPIPE);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int daemon_open(struct daemon *d, const char *prog, daemon_reload_fn *reload, void *ctx)
{
	int rc;

	d->prog = prog;
	d->reload = reload;
	d->reload_ctx = ctx;
	rc = loop_new(&d->loop);
	if (rc < 0) {
		fprintf(stderr, "%s: cannot create the event loop: %s\n", prog, strerror(-rc));
		goto err_loop;
	}
	d->sigfd = watch_signals(reload != NULL);
	if (d->sigfd < 0) {
		rc = d->sigfd;
		fprintf(stderr, "%s: cannot set up signals: %s\n", prog, strerror(-rc));
		goto err_signals;
	}
	rc = loop_add_reader(d->loop, d->sigfd, on_signal, d);
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
