/*
 * A small single-threaded event loop for strata-server, in the spirit of redis' ae.c:
 * read handlers on file descriptors, one-shot timers with millisecond deadlines, and a
 * poll timeout taken from the earliest timer.
 *
 * Why this shape: every server part (TFTP, HTTP, proxyDHCP) is a set of sockets and
 * per-connection retransmit or idle timers; one thread and one loop keep them free of
 * locks.  The backend (epoll today, loop_epoll.c) sits behind this header, so another one
 * (poll, kqueue) is a new file with the same functions, chosen at link time.
 *
 * Rules for handlers:
 *  - a read handler may be called when nothing is readable (after its fd number was
 *    closed and reused within one poll round), so descriptors must be non-blocking and
 *    handlers must treat EAGAIN as "nothing to do";
 *  - handlers may add or remove any fd or timer, including their own;
 *  - nothing here is thread-safe.
 */
#ifndef STRATA_LOOP_H
#define STRATA_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct loop;
struct loop_timer;

/** Called when fd is readable (or has an error or hangup to report through read). */
typedef void loop_read_fn(struct loop *loop, int fd, void *ctx);

/** Called once when a timer's deadline has passed; the timer is disarmed by then. */
typedef void loop_timer_fn(struct loop *loop, struct loop_timer *timer);

/**
 * A one-shot timer.  Why embedded rather than allocated by the loop: its owner (a
 * transfer) already has storage, so arming never allocates per event and the owner finds
 * itself from the timer with container_of-style arithmetic or the ctx pointer.  The owner
 * keeps the memory; it must disarm the timer before freeing it.
 */
struct loop_timer {
	uint64_t deadline;  /**< loop_now() value when it fires; valid only while armed */
	loop_timer_fn *fn;  /**< set by loop_timer_init */
	void *ctx;          /**< for fn; the loop never touches it */
	size_t slot;        /**< position in the loop's heap plus one; 0 when disarmed */
};

/** Create a loop.  *out is owned by the caller and released with loop_free. */
int loop_new(struct loop **out);

/**
 * Release the loop.  Registered fds are not closed (their owners close them), and armed
 * timers are forgotten, not fired.
 */
void loop_free(struct loop *loop);

/** Milliseconds on a monotonic clock, the time base of every deadline. */
uint64_t loop_now(void);

/**
 * Call fn(loop, fd, ctx) whenever fd is readable.  The caller keeps owning fd and must
 * call loop_del_reader before closing it.  One handler per fd; -EEXIST if fd has one.
 */
int loop_add_reader(struct loop *loop, int fd, loop_read_fn *fn, void *ctx);

/** Stop watching fd.  Harmless when fd is not registered. */
void loop_del_reader(struct loop *loop, int fd);

/** Prepare a timer for use: disarmed, with its callback. */
void loop_timer_init(struct loop_timer *timer, loop_timer_fn *fn, void *ctx);

/**
 * (Re)arm a timer to fire delay_ms from now.  Re-arming an armed timer moves its
 * deadline.  Fails only with -ENOMEM, when the loop cannot grow its timer heap.
 */
int loop_timer_arm(struct loop *loop, struct loop_timer *timer, uint64_t delay_ms);

/** Disarm a timer; harmless when it is not armed. */
void loop_timer_disarm(struct loop *loop, struct loop_timer *timer);

/** Whether a timer is waiting to fire. */
bool loop_timer_armed(const struct loop_timer *timer);

/**
 * Wait for events (at most until the earliest deadline, or max_wait_ms if that is sooner;
 * -1 for no bound) and run their handlers, then every timer that is due.  Returns 0, or a
 * negative errno if the backend failed.
 */
int loop_run_once(struct loop *loop, int max_wait_ms);

/** Run until loop_stop is called from a handler.  Returns 0 or a backend failure. */
int loop_run(struct loop *loop);

/** Make loop_run return after the current round of handlers. */
void loop_stop(struct loop *loop);

#endif /* STRATA_LOOP_H */
