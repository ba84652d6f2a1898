/*
 * counters.h: PAPI counters read around a kernel, in a pass of their own
 * right after its timed samples (doc/harness-design.md: reading counters perturbs
 * timing), on every thread of the worker pool.
 *
 * At start every requested event is probed on the calling thread and keeps
 * a status: "ok" (counted), "unavailable" (PAPI knows the event but cannot
 * count it here; reason holds PAPI's own error string or the component's
 * disabled reason) or "unknown" (no such event name). An event that is not
 * ok is left out of counting and never fails a run.
 *
 * Each pool thread gets its own event sets (one per PAPI component), started
 * and stopped on that thread through bnn_parallel_for, and the per-thread
 * counts are summed: the count covers every worker thread of the pool, which
 * is where the kernels run. Code that makes threads of its own (peer
 * libraries) is counted on the calling thread only (see bnn_counters_scope).
 *
 * Built without PAPI, every event is "unavailable" with that reason.
 * Nothing here calls exit(); no function is thread-safe (the harness calls
 * them from the main thread only).
 */
#ifndef BNN_COUNTERS_H
#define BNN_COUNTERS_H

#include <stddef.h>

#define BNN_COUNTERS_MAX 32

/* The default event list (--events without a value is not accepted). */
#define BNN_COUNTERS_DEFAULT \
	"PAPI_TOT_CYC,PAPI_TOT_INS,PAPI_L1_DCM,PAPI_L2_DCM,PAPI_BR_MSP," \
	"perf::TASK-CLOCK,perf::PAGE-FAULTS,perf::CONTEXT-SWITCHES"

typedef struct {
	char name[128];            /* as requested, e.g. "perf::TASK-CLOCK" */
	char component[64];        /* PAPI component that owns it, or "" */
	char status[16];           /* "ok", "unavailable", "unknown" */
	char reason[320];          /* why it is not ok; "" when ok */
	int active;                /* counted (status "ok") */
	int multiplexed;           /* counted in a multiplexed event set */
	int group;                 /* internal: event set (component) index */
	int slot;                  /* internal: position in that event set */
} bnn_counter_event_t;

typedef struct {
	int enabled;               /* 0 with --events none / --no-counters */
	int papi;                  /* PAPI was initialised */
	char papi_error[256];      /* why PAPI is not there, when it is not */
	size_t nevents;
	bnn_counter_event_t ev[BNN_COUNTERS_MAX];
	int nactive;
	int ngroups;               /* event sets per thread */
	int group_cidx[BNN_COUNTERS_MAX];
	int group_mpx[BNN_COUNTERS_MAX];
	int attached;              /* threads with event sets */
} bnn_counters_t;

/*
 * Probes the events of list (comma separated; NULL means the default list,
 * "none" disables counters) and fills c. Returns 0, also when no event can
 * be counted; -EINVAL with the reason in err only for a malformed list
 * (an empty name, a name over 127 characters, more than BNN_COUNTERS_MAX).
 * The environment variable BNNBENCH_PAPI_MULTIPLEX=1 forces multiplexed
 * event sets, and BNNBENCH_PAPI_DISABLE=COMPONENT[,...] disables PAPI
 * components before PAPI starts (a machine without counters, for tests).
 */
int bnn_counters_init(bnn_counters_t *c, const char *list, char *err, size_t errlen);

/* Only checks the syntax of list (as bnn_counters_init would), starting
 * nothing: for runs that count nothing (--check-only). 0 or -EINVAL. */
int bnn_counters_check_list(const char *list, char *err, size_t errlen);

/*
 * Creates the event sets of every thread of the worker pool (on those
 * threads); call after the pool is started and again after it is restarted.
 * An event that cannot be added on some thread becomes "unavailable" with
 * PAPI's reason. Returns 0, or a negative PAPI-derived code with nothing
 * attached (counting is then off: nactive is 0).
 */
int bnn_counters_attach(bnn_counters_t *c);

/* Whether anything will be counted. */
int bnn_counters_active(const bnn_counters_t *c);

/*
 * Starts counting on every pool thread. Returns 0, or -EIO with the reason
 * (PAPI's) in err; then nothing is left running.
 */
int bnn_counters_begin(bnn_counters_t *c, char *err, size_t errlen);

/*
 * Stops counting on every pool thread and stores in values[i] the sum over
 * the threads of event i (indices of c->ev; events not active get -1).
 * Returns 0, or -EIO with the reason in err.
 */
int bnn_counters_end(bnn_counters_t *c, long long *values, char *err, size_t errlen);

/* Frees the event sets (on their threads) and shuts PAPI down. */
void bnn_counters_shutdown(bnn_counters_t *c);

/*
 * What a count covers, for the database: "calling thread" with one pool
 * thread, "N pool threads (per-thread event sets, summed)" otherwise; a
 * peer (own_threads set) with several threads is "calling thread only
 * (the library's own threads are not counted)".
 */
const char *bnn_counters_scope(int own_threads, char *buf, size_t len);

/*
 * One line: "perf::TASK-CLOCK ok, PAPI_TOT_CYC unavailable: <reason>, ..."
 * ("off (--events none)" when disabled).
 */
void bnn_counters_summary(const bnn_counters_t *c, char *buf, size_t len);

/* PAPI's version ("7.0.0.0") or why it is not there. */
const char *bnn_counters_papi_version(void);

#endif
