/*
 * test_counters.c: TAP tests of machine/counters.c on the machine it runs
 * on. Every requested event is probed and gets a status and, when it is not
 * counted, PAPI's reason; a made-up name is "unknown" and the others are
 * still counted; a malformed list is refused. On the counting side, page
 * faults are a count known in advance: touching N fresh pages costs N
 * faults, so the count is checked exactly (within a few faults of the
 * runtime's own), on one thread and summed over two pool threads.
 *
 * On a machine without hardware counters (this project's VM), the hardware
 * events must come out "unavailable" with a reason and the run must go on
 * with the software ones; on a machine with them, they must count.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "config.h"
#include "counters.h"
#include "parallel.h"
#include "tap.h"

/*
 * Under AddressSanitizer (./configure --enable-sanitizers) touching a page
 * also touches its shadow (one shadow page per 8 pages, plus ASan's own
 * bookkeeping): the fault counts then run over by up to this many.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SHADOW_FAULTS (PAGES / 4)
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SHADOW_FAULTS (PAGES / 4)
#endif
#endif
#ifndef SHADOW_FAULTS
#define SHADOW_FAULTS 0
#endif

#define PAGES 256

static long page;

static int find(const bnn_counters_t *c, const char *name)
{
	for (size_t i = 0; i < c->nevents; i++)
		if (!strcmp(c->ev[i].name, name))
			return (int)i;
	return -1;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Touches PAGES fresh pages of the region of thread tid: PAGES faults. */
static char *region;
static void touch(void *ctx, int64_t b, int64_t e, int tid)
{
	(void)ctx, (void)e;
	(void)tid;
	char *base = region + (size_t)b * PAGES * (size_t)page;
	for (size_t i = 0; i < PAGES; i++)
		base[i * (size_t)page] = 1;
}

/* A fresh mapping for nt threads, with no huge pages (one fault per page). */
static int fresh_region(int nt)
{
	static size_t old;
	size_t len = (size_t)nt * PAGES * (size_t)page;
	if (region)
		munmap(region, old);
	old = len;
	region = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED) {
		region = NULL;
		return -1;
	}
#ifdef MADV_NOHUGEPAGE
	madvise(region, len, MADV_NOHUGEPAGE);
#endif
	return 0;
}

static void test_lists(void)
{
	bnn_counters_t c;
	char err[256];
	tap_ok(bnn_counters_init(&c, "", err, sizeof(err)) == -EINVAL && strstr(err, "empty"),
	       "an empty --events list is refused: %s", err);
	tap_ok(bnn_counters_init(&c, "perf::TASK-CLOCK,,PAPI_TOT_CYC", err, sizeof(err)) == -EINVAL,
	       "an empty name inside the list is refused: %s", err);
	tap_ok(bnn_counters_init(&c, "perf::TASK-CLOCK,perf::TASK-CLOCK", err, sizeof(err)) ==
		       -EINVAL && strstr(err, "twice"),
	       "an event given twice is refused: %s", err);
	char many[2048] = "";
	for (int i = 0; i <= BNN_COUNTERS_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sE%d", i ? "," : "", i);
	tap_ok(bnn_counters_init(&c, many, err, sizeof(err)) == -EINVAL && strstr(err, "at most"),
	       "more than %d events are refused: %s", BNN_COUNTERS_MAX, err);
	tap_ok(bnn_counters_init(&c, "none", err, sizeof(err)) == 0 && !c.enabled && !c.nevents &&
	       !bnn_counters_active(&c),
	       "--events none: counters off");
	char line[256];
	bnn_counters_summary(&c, line, sizeof(line));
	tap_ok(strstr(line, "off") != NULL, "and the summary says so: %s", line);
}

int main(void)
{
	bnn_counters_t c;
	char err[256], line[8192];
	long long v[BNN_COUNTERS_MAX];
	page = sysconf(_SC_PAGESIZE);

	tap_plan(22);
	test_lists();

	/* The default list, as a run probes it. */
	int rc = bnn_counters_init(&c, NULL, err, sizeof(err));
	tap_ok(rc == 0 && c.enabled && c.nevents == 8, "the default list probes 8 events");
	int all_told = 1;
	for (size_t i = 0; i < c.nevents; i++) {
		const bnn_counter_event_t *e = &c.ev[i];
		int told;
		if (!strcmp(e->status, "ok"))
			told = e->active;  /* a reason here is a note (multiplexing) */
		else
			told = !e->active && e->reason[0] &&
			       (!strcmp(e->status, "unavailable") || !strcmp(e->status, "unknown"));
		all_told &= told;
		printf("# %-24s %-12s %s\n", e->name, e->status, e->reason);
	}
	tap_ok(all_told, "each event is ok (counted) or not counted with a reason");
	bnn_counters_summary(&c, line, sizeof(line));
	printf("# summary: %s\n", line);

	int cyc = find(&c, "PAPI_TOT_CYC"), tc = find(&c, "perf::TASK-CLOCK");
	int pf = find(&c, "perf::PAGE-FAULTS");
#ifdef HAVE_PAPI
	if (!c.ev[cyc].active) {
		/* No hardware counters (a VM): PAPI's reason, and the run goes on. */
		tap_ok(strstr(c.ev[cyc].reason, "PAPI_") && strstr(line, "PAPI_TOT_CYC") &&
		       strstr(line, "unavailable: "),
		       "no hardware counters here: PAPI_TOT_CYC unavailable with PAPI's reason (%s)",
		       c.ev[cyc].reason);
	} else {
		tap_ok(c.ev[cyc].reason[0] == 0 || c.ev[cyc].multiplexed,
		       "hardware counters here: PAPI_TOT_CYC is counted");
	}
#else
	tap_ok(strstr(c.ev[cyc].reason, "without PAPI") != NULL,
	       "built without PAPI: every event says so (%s)", c.ev[cyc].reason);
#endif
	if (!c.ev[tc].active || !c.ev[pf].active) {
		/* perf_event_paranoid 3 (Debian's default for users) forbids even
		 * software events: nothing can be counted here, say why. */
		printf("# perf::TASK-CLOCK: %s; perf::PAGE-FAULTS: %s\n", c.ev[tc].reason,
		       c.ev[pf].reason);
		for (int i = 0; i < 13; i++)
			printf("ok %d - # SKIP software events cannot be counted here: %s\n", ++tap_n,
			       c.ev[tc].reason);
		bnn_counters_shutdown(&c);
		return tap_exit();
	}
	tap_ok(strstr(line, "perf::TASK-CLOCK") && strstr(line, " ok"),
	       "the software events are counted and the summary says ok");

	/* One thread: the calling thread only. */
	char scope[128];
	bnn_parallel_init(1, NULL, NULL);
	tap_ok(bnn_counters_attach(&c) == 0 && bnn_counters_active(&c),
	       "event sets attached to a pool of one");
	tap_ok(!strcmp(bnn_counters_scope(0, scope, sizeof(scope)), "calling thread"),
	       "scope with one thread: %s", scope);
	fresh_region(1);
	uint64_t t0 = now_ns();
	rc = bnn_counters_begin(&c, err, sizeof(err));
	bnn_parallel_for(1, 1, touch, NULL);
	rc |= bnn_counters_end(&c, v, err, sizeof(err));
	uint64_t wall = now_ns() - t0;
	tap_ok(rc == 0, "count around touching %d pages (%s)", PAGES, rc ? err : "ok");
	tap_ok(v[pf] >= PAGES && v[pf] <= PAGES + 16 + SHADOW_FAULTS,
	       "one thread: %lld page faults for %d fresh pages", v[pf], PAGES);
	tap_ok(v[tc] > 0 && (double)v[tc] <= (double)wall * 1.02 + 1e5,
	       "task clock %lld ns, within the %llu ns of wall time around it", v[tc],
	       (unsigned long long)wall);
	tap_ok(v[cyc] == -1 || c.ev[cyc].active, "an event not counted reads -1 (%lld)", v[cyc]);
	/* Nothing is counted outside begin/end. */
	fresh_region(1);
	bnn_parallel_for(1, 1, touch, NULL);
	rc = bnn_counters_begin(&c, err, sizeof(err));
	rc |= bnn_counters_end(&c, v, err, sizeof(err));
	tap_ok(rc == 0 && v[pf] <= 16, "faults before begin are not counted (%lld)", v[pf]);

	/* Two pool threads: the worker's faults are counted too and summed. */
	bnn_parallel_init(2, NULL, NULL);
	tap_ok(bnn_counters_attach(&c) == 0 && bnn_counters_active(&c),
	       "event sets attached to a pool of two");
	tap_ok(strstr(bnn_counters_scope(0, scope, sizeof(scope)), "2 pool threads") &&
	       strstr(bnn_counters_scope(1, scope, sizeof(scope)), "calling thread only"),
	       "scope with two threads says so, and peers' own threads are not claimed");
	fresh_region(2);
	rc = bnn_counters_begin(&c, err, sizeof(err));
	bnn_parallel_for(2, 1, touch, NULL);
	rc |= bnn_counters_end(&c, v, err, sizeof(err));
	tap_ok(rc == 0 && v[pf] >= 2 * PAGES && v[pf] <= 2 * PAGES + 32 + 2 * SHADOW_FAULTS,
	       "two threads: %lld page faults for 2 x %d fresh pages (the worker is counted)",
	       v[pf], PAGES);
	bnn_counters_shutdown(&c);
	bnn_parallel_shutdown();

	/* A made-up name beside real ones: told apart, the others counted. */
	rc = bnn_counters_init(&c, "perf::PAGE-FAULTS,BNN_NO_SUCH_EVENT,perf::TASK-CLOCK", err,
			       sizeof(err));
	int bogus = find(&c, "BNN_NO_SUCH_EVENT");
	tap_ok(rc == 0 && bogus == 1 && !strcmp(c.ev[bogus].status, "unknown") &&
	       strstr(c.ev[bogus].reason, "no such event") && !c.ev[bogus].active,
	       "a made-up event is 'unknown': %s", c.ev[bogus].reason);
	bnn_parallel_init(1, NULL, NULL);
	fresh_region(1);
	rc = bnn_counters_attach(&c);
	rc |= bnn_counters_begin(&c, err, sizeof(err));
	bnn_parallel_for(1, 1, touch, NULL);
	rc |= bnn_counters_end(&c, v, err, sizeof(err));
	tap_ok(rc == 0 && c.nactive == 2 && v[0] >= PAGES && v[0] <= PAGES + 16 + SHADOW_FAULTS &&
	       v[2] > 0 && v[1] == -1,
	       "and the events beside it are still counted (%lld faults, %lld ns)", v[0], v[2]);
	bnn_counters_shutdown(&c);
	bnn_parallel_shutdown();
	return tap_exit();
}
