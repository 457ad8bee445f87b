/*
 * The event loop of loop.h on Linux epoll.
 *
 * Read handlers live in a table indexed by fd, as in ae.c: after each handler the next
 * event's fd is looked up again, so a handler that removes another fd's registration
 * (or its own) simply makes that event find an empty slot.  Timers live in a binary
 * min-heap ordered by deadline; each timer knows its heap slot, so disarming and
 * re-arming (done on every ACK of every transfer) cost O(log n) and never allocate.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "loop.h"

/** Events fetched per epoll_wait; more simply wait for the next round. */
#define LOOP_MAX_EVENTS 64

/** Handler of one fd; fn == NULL marks a free slot. */
struct reader {
	loop_read_fn *fn;
	void *ctx;
};

struct loop {
	int epfd;                  /**< the epoll instance */
	struct reader *readers;    /**< indexed by fd, nreaders slots, owned */
	size_t nreaders;
	struct loop_timer **heap;  /**< min-heap on deadline, borrowed timers, array owned */
	size_t nheap;              /**< timers armed */
	size_t heap_cap;           /**< slots allocated */
	bool stop;                 /**< set by loop_stop */
};

uint64_t loop_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int loop_new(struct loop **out)
{
	struct loop *loop = calloc(1, sizeof(*loop));
	int rc;

	if (!loop)
		return -ENOMEM;
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		rc = -errno;
		goto err_epoll;
	}
	*out = loop;
	return 0;

err_epoll:
	free(loop);
	return rc;
}

void loop_free(struct loop *loop)
{
	size_t i;

	if (!loop)
		return;
	for (i = 0; i < loop->nheap; i++)
		loop->heap[i]->slot = 0;
	close(loop->epfd);
	free(loop->heap);
	free(loop->readers);
	free(loop);
}

/* Make room for fd in the reader table; new slots are free. */
static int readers_reserve(struct loop *loop, int fd)
{
	size_t want = (size_t)fd + 1, n = loop->nreaders ? loop->nreaders : 16;
	struct reader *r;

	if (want <= loop->nreaders)
		return 0;
	while (n < want)
		n *= 2;
	r = realloc(loop->readers, n * sizeof(*r));
	if (!r)
		return -ENOMEM;
	memset(r + loop->nreaders, 0, (n - loop->nreaders) * sizeof(*r));
	loop->readers = r;
	loop->nreaders = n;
	return 0;
}

int loop_add_reader(struct loop *loop, int fd, loop_read_fn *fn, void *ctx)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	int rc;

	if (fd < 0 || !fn)
		return -EBADF;
	rc = readers_reserve(loop, fd);
	if (rc < 0)
		return rc;
	if (loop->readers[fd].fn)
		return -EEXIST;
	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	loop->readers[fd].fn = fn;
	loop->readers[fd].ctx = ctx;
	return 0;
}

void loop_del_reader(struct loop *loop, int fd)
{
	if (fd < 0 || (size_t)fd >= loop->nreaders || !loop->readers[fd].fn)
		return;
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL);
	loop->readers[fd].fn = NULL;
	loop->readers[fd].ctx = NULL;
}

/* --- timer heap ---------------------------------------------------------------------- */

static void heap_place(struct loop *loop, size_t i, struct loop_timer *t)
{
	loop->heap[i] = t;
	t->slot = i + 1;
}

/* Move the timer at i towards the root while it is due before its parent. */
static void heap_up(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];

	while (i > 0 && loop->heap[(i - 1) / 2]->deadline > t->deadline) {
		heap_place(loop, i, loop->heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_place(loop, i, t);
}

/* Move the timer at i towards the leaves while a child is due before it. */
static void heap_down(struct loop *loop, size_t i)
{
	struct loop_timer *t = loop->heap[i];
	size_t c;

	while ((c = 2 * i + 1) < loop->nheap) {
		if (c + 1 < loop->nheap && loop->heap[c + 1]->deadline < loop->heap[c]->deadline)
			c++;
		if (loop->heap[c]->deadline >= t->deadline)
			break;
		heap_place(loop, i, loop->heap[c]);
		i = c;
	}
	heap_place(loop, i, t);
}

static int heap_push(struct loop *loop, struct loop_timer *t)
{
	if (loop->nheap == loop->heap_cap) {
		size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 16;
		struct loop_timer **h = realloc(loop->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		loop->heap = h;
		loop->heap_cap = cap;
	}
	heap_place(loop, loop->nheap++, t);
	heap_up(loop, loop->nheap - 1);
	return 0;
}

static void heap_remove(struct loop *loop, struct loop_timer *t)
{
	size_t i = t->slot - 1;
	struct loop_timer *last = loop->heap[--loop->nheap];

	t->slot = 0;
	if (last == t)
		return;
	heap_place(loop, i, last);
	heap_down(loop, i);
	heap_up(loop, last->slot - 1);
}

void loop_timer_init(struct loop_timer *timer, loop_timer_fn *fn, void *ctx)
{
	timer->deadline = 0;
	timer->fn = fn;
	timer->ctx = ctx;
	timer->slot = 0;
}

bool loop_timer_armed(const struct loop_timer *timer)
{
	return timer->slot != 0;
}

int loop_timer_arm(struct loop *loop, struct loop_timer *timer, uint64_t delay_ms)
{
	timer->deadline = loop_now() + delay_ms;
	if (!timer->slot)
		return heap_push(loop, timer);
	heap_down(loop, timer->slot - 1);
	heap_up(loop, timer->slot - 1);
	return 0;
}

void loop_timer_disarm(struct loop *loop, struct loop_timer *timer)
{
	if (timer->slot)
		heap_remove(loop, timer);
}

/* --- running ------------------------------------------------------------------------- */

/* Poll timeout: until the earliest deadline, bounded by max_wait_ms (-1: no bound). */
static int poll_timeout(const struct loop *loop, int max_wait_ms)
{
	uint64_t now, wait;

	if (loop->nheap == 0)
		return max_wait_ms;
	now = loop_now();
	wait = loop->heap[0]->deadline > now ? loop->heap[0]->deadline - now : 0;
	if (wait > INT_MAX)
		wait = INT_MAX;
	if (max_wait_ms >= 0 && (uint64_t)max_wait_ms < wait)
		return max_wait_ms;
	return (int)wait;
}

/*
 * Fire the timers due now.  Why a budget: a callback that re-arms with delay 0 would
 * otherwise keep this loop spinning without ever polling again.
 */
static void run_timers(struct loop *loop)
{
	uint64_t now = loop_now();
	size_t budget = loop->nheap;
	struct loop_timer *t;

	while (budget-- > 0 && loop->nheap > 0 && loop->heap[0]->deadline <= now) {
		t = loop->heap[0];
		heap_remove(loop, t);
		t->fn(loop, t);
	}
}

int loop_run_once(struct loop *loop, int max_wait_ms)
{
	struct epoll_event ev[LOOP_MAX_EVENTS];
	int n, i, fd;

	n = epoll_wait(loop->epfd, ev, LOOP_MAX_EVENTS, poll_timeout(loop, max_wait_ms));
	if (n < 0 && errno != EINTR)
		return -errno;
	for (i = 0; i < n; i++) {
		fd = ev[i].data.fd;
		if ((size_t)fd < loop->nreaders && loop->readers[fd].fn)
			loop->readers[fd].fn(loop, fd, loop->readers[fd].ctx);
	}
	run_timers(loop);
	return 0;
}

int loop_run(struct loop *loop)
{
	int rc = 0;

	loop->stop = false;
	while (!loop->stop && rc == 0)
		rc = loop_run_once(loop, -1);
	return rc;
}

void loop_stop(struct loop *loop)
{
	loop->stop = true;
}
