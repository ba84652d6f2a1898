/* PAPI counters around a kernel, on every pool thread: see counters.h. */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "counters.h"
#include "parallel.h"
#ifdef HAVE_PAPI
#include <papi.h>
#endif

#define MAX_THREADS 256   /* the pool's own limit (kernels/parallel.c) */
#define MAX_GROUPS 8      /* PAPI components one run may count from */

/* Copies src into a fixed buffer of len > 0 bytes, cut if too long. */
static void copy(char *dst, size_t len, const char *src)
{
	size_t n = src ? strnlen(src, len - 1) : 0;
	if (n)
		memcpy(dst, src, n);
	dst[n] = 0;
}

/* Splits list at commas into c->ev names; -EINVAL on a malformed list. */
static int parse_list(bnn_counters_t *c, const char *list, char *err, size_t errlen)
{
	const char *p = list;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		if (n == 0) {
			snprintf(err, errlen, "--events '%s': empty event name", list);
			return -EINVAL;
		}
		if (n >= sizeof(c->ev[0].name)) {
			snprintf(err, errlen, "--events: event name '%.40s...' is over %zu characters",
				 p, sizeof(c->ev[0].name) - 1);
			return -EINVAL;
		}
		if (c->nevents == BNN_COUNTERS_MAX) {
			snprintf(err, errlen, "--events: at most %d events", BNN_COUNTERS_MAX);
			return -EINVAL;
		}
		bnn_counter_event_t *e = &c->ev[c->nevents++];
		memset(e, 0, sizeof(*e));
		memcpy(e->name, p, n);
		e->name[n] = 0;
		e->group = -1;
		e->slot = -1;
		for (size_t i = 0; i + 1 < c->nevents; i++)
			if (!strcmp(c->ev[i].name, e->name)) {
				snprintf(err, errlen, "--events: '%s' given twice", e->name);
				return -EINVAL;
			}
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

#ifdef HAVE_PAPI

static int papi_started;
static char papi_version[64];
/* Per pool thread: its event sets and what it read. */
static int thread_es[MAX_THREADS][MAX_GROUPS];
static long long thread_val[MAX_THREADS][MAX_GROUPS][BNN_COUNTERS_MAX];
static int thread_rc[MAX_THREADS];
static int thread_ran[MAX_THREADS];
static char thread_what[MAX_THREADS][64];

/* PAPI's thread id: the pthread handle, unique among live threads. */
static unsigned long thread_id(void)
{
	return (unsigned long)pthread_self();
}

/* Marks e not counted, with "what: PAPI's message for rc" as the reason
 * (fmt takes the call's name, then the message). */
static void set_unavailable(bnn_counter_event_t *e, const char *fmt, const char *what, int rc)
{
	copy(e->status, sizeof(e->status), "unavailable");
	snprintf(e->reason, sizeof(e->reason), fmt, what, PAPI_strerror(rc));
	e->active = 0;
}

/* " (component X disabled: why)" when e's component is disabled, else "". */
static void component_note(int cidx, char *buf, size_t len)
{
	const PAPI_component_info_t *ci = cidx >= 0 ? PAPI_get_component_info(cidx) : NULL;
	buf[0] = 0;
	if (ci && ci->disabled)
		snprintf(buf, len, " (component %.30s disabled: %.90s)", ci->name,
			 ci->disabled_reason[0] ? ci->disabled_reason : "no reason given");
}

/* A hint for events a hypervisor hides: PAPI's message alone reads as a typo. */
static const char *vm_note(void)
{
	static char buf[192];
	const PAPI_hw_info_t *hw = PAPI_get_hardware_info();
	buf[0] = 0;
	if (hw && hw->virtualized)
		snprintf(buf, sizeof(buf), " (this is a %s virtual machine)",
			 hw->virtual_vendor_string[0] ? hw->virtual_vendor_string : "");
	return buf;
}

/*
 * Makes an event set for group g holding its active events in slot order;
 * mpx: multiplexed. On failure returns the PAPI code, *bad is the event
 * (index in c->ev) at fault or -1 for the set itself, and *what names the
 * call. The set is destroyed on failure.
 */
static int make_set(bnn_counters_t *c, int g, int mpx, int *es, int *bad, const char **what)
{
	int rc;
	*es = PAPI_NULL;
	*bad = -1;
	if ((rc = PAPI_create_eventset(es)) != PAPI_OK) {
		*what = "PAPI_create_eventset";
		return rc;
	}
	if (mpx) {
		if ((rc = PAPI_assign_eventset_component(*es, c->group_cidx[g])) != PAPI_OK) {
			*what = "PAPI_assign_eventset_component";
			goto fail;
		}
		if ((rc = PAPI_set_multiplex(*es)) != PAPI_OK) {
			*what = "PAPI_set_multiplex";
			goto fail;
		}
	}
	for (int slot = 0;; slot++) {
		int i, found = 0;
		for (i = 0; i < (int)c->nevents; i++)
			if (c->ev[i].active && c->ev[i].group == g && c->ev[i].slot == slot) {
				found = 1;
				break;
			}
		if (!found)
			break;
		int code;
		if ((rc = PAPI_event_name_to_code(c->ev[i].name, &code)) != PAPI_OK ||
		    (rc = PAPI_add_event(*es, code)) != PAPI_OK) {
			*what = "PAPI_add_event";
			*bad = i;
			goto fail;
		}
	}
	return PAPI_OK;
fail:
	PAPI_cleanup_eventset(*es);
	PAPI_destroy_eventset(es);
	*es = PAPI_NULL;
	return rc;
}

/* Starts and stops a set once, to find events that add but cannot count. */
static int try_set(int es, const char **what)
{
	long long v[BNN_COUNTERS_MAX];
	int rc = PAPI_start(es);
	if (rc != PAPI_OK) {
		*what = "PAPI_start";
		return rc;
	}
	if ((rc = PAPI_stop(es, v)) != PAPI_OK)
		*what = "PAPI_stop";
	return rc;
}

/* Empties and destroys an event set; PAPI_NULL is left alone. */
static void free_set(int *es)
{
	if (*es == PAPI_NULL)
		return;
	PAPI_cleanup_eventset(*es);
	PAPI_destroy_eventset(es);
	*es = PAPI_NULL;
}

/* Renumbers the slots of group g over its active events, in list order. */
static void renumber(bnn_counters_t *c, int g)
{
	int slot = 0;
	for (size_t i = 0; i < c->nevents; i++)
		if (c->ev[i].group == g)
			c->ev[i].slot = c->ev[i].active ? slot++ : -1;
}

/*
 * Builds group g on this thread until it starts and stops, dropping each
 * event PAPI refuses (with the reason). A counter conflict turns the group
 * to multiplexing; if PAPI refuses that too, the event stays out.
 */
static void settle_group(bnn_counters_t *c, int g, int force_mpx)
{
	int mpx = force_mpx, refused = 0;
	c->group_mpx[g] = 0;
	for (;;) {
		int es, bad;
		const char *what = "";
		renumber(c, g);
		int any = 0;
		for (size_t i = 0; i < c->nevents; i++)
			any |= c->ev[i].active && c->ev[i].group == g;
		if (!any)
			return;
		int rc = make_set(c, g, mpx, &es, &bad, &what);
		if (rc == PAPI_OK && (rc = try_set(es, &what)) == PAPI_OK) {
			free_set(&es);
			c->group_mpx[g] = mpx;
			return;
		}
		free_set(&es);
		if (mpx && bad < 0) {
			/* Multiplexing refused for the whole set: count without it
			 * and say so on every event of the group. */
			for (size_t i = 0; i < c->nevents; i++)
				if (c->ev[i].active && c->ev[i].group == g)
					snprintf(c->ev[i].reason, sizeof(c->ev[i].reason),
						 "multiplexing refused (%s: %s): counted without it",
						 what, PAPI_strerror(rc));
			mpx = 0;
			refused = 1;
			continue;
		}
		if (rc == PAPI_ECNFLCT && !mpx && !refused) {
			mpx = 1;
			continue;
		}
		if (bad < 0) {
			/* start or stop failed: blame the last event added */
			for (size_t i = 0; i < c->nevents; i++)
				if (c->ev[i].active && c->ev[i].group == g)
					bad = (int)i;
		}
		set_unavailable(&c->ev[bad], "%s with the other events: %s", what, rc);
	}
}

/* Runs on each pool thread: creates its event sets. */
static void attach_thread(void *ctx, int64_t b, int64_t e, int tid)
{
	bnn_counters_t *c = ctx;
	(void)b, (void)e;
	thread_rc[tid] = PAPI_register_thread();
	if (thread_rc[tid] != PAPI_OK) {
		copy(thread_what[tid], sizeof(thread_what[tid]), "PAPI_register_thread");
		return;
	}
	for (int g = 0; g < c->ngroups; g++) {
		int bad;
		const char *what = "";
		thread_rc[tid] = make_set(c, g, c->group_mpx[g], &thread_es[tid][g], &bad, &what);
		if (thread_rc[tid] != PAPI_OK) {
			snprintf(thread_what[tid], sizeof(thread_what[tid]), "%s", what);
			return;
		}
	}
}

/* Runs on each pool thread: frees its event sets. */
static void detach_thread(void *ctx, int64_t b, int64_t e, int tid)
{
	(void)ctx, (void)b, (void)e;
	for (int g = 0; g < MAX_GROUPS; g++)
		free_set(&thread_es[tid][g]);
	/* The calling thread stays registered until PAPI_shutdown. */
	if (tid != 0)
		PAPI_unregister_thread();
}

/* Runs on each pool thread: starts its event sets (counters reset to 0);
 * on failure stops the ones it started. */
static void start_thread(void *ctx, int64_t b, int64_t e, int tid)
{
	bnn_counters_t *c = ctx;
	(void)b, (void)e;
	thread_rc[tid] = PAPI_OK;
	for (int g = 0; g < c->ngroups; g++)
		if ((thread_rc[tid] = PAPI_start(thread_es[tid][g])) != PAPI_OK) {
			copy(thread_what[tid], sizeof(thread_what[tid]), "PAPI_start");
			for (int h = 0; h < g; h++)
				PAPI_stop(thread_es[tid][h], thread_val[tid][h]);
			return;
		}
}

/* Runs on each pool thread: stops its event sets into thread_val. */
static void stop_thread(void *ctx, int64_t b, int64_t e, int tid)
{
	bnn_counters_t *c = ctx;
	(void)b, (void)e;
	thread_rc[tid] = PAPI_OK;
	for (int g = 0; g < c->ngroups; g++) {
		int rc = PAPI_stop(thread_es[tid][g], thread_val[tid][g]);
		if (rc != PAPI_OK && thread_rc[tid] == PAPI_OK) {
			thread_rc[tid] = rc;
			copy(thread_what[tid], sizeof(thread_what[tid]), "PAPI_stop");
		}
	}
}

/* Counts the threads that ran, then calls the task. */
static bnn_task_fn every_fn;
static void mark_and_run(void *ctx, int64_t b, int64_t e, int tid)
{
	thread_ran[tid]++;
	every_fn(ctx, b, e, tid);
}

/*
 * Runs fn once on every pool thread: n = threads items of grain 1 give one
 * item to each (kernels/parallel.c deals grains evenly); checked, since an
 * event set must be started and stopped on the thread it counts. The first
 * failure's reason goes into err.
 */
static int on_every_thread(bnn_counters_t *c, bnn_task_fn fn, char *err, size_t errlen)
{
	int nt = bnn_parallel_threads();
	for (int t = 0; t < nt; t++) {
		thread_rc[t] = PAPI_OK;
		thread_ran[t] = 0;
	}
	every_fn = fn;
	bnn_parallel_for(nt, 1, mark_and_run, c);
	for (int t = 0; t < nt; t++)
		if (thread_ran[t] != 1) {
			if (err)
				snprintf(err, errlen, "pool thread %d ran the counter task %d times, "
					 "not once", t, thread_ran[t]);
			return PAPI_EBUG;
		}
	for (int t = 0; t < nt; t++)
		if (thread_rc[t] != PAPI_OK) {
			if (err)
				snprintf(err, errlen, "pool thread %d: %s: %s", t, thread_what[t],
					 PAPI_strerror(thread_rc[t]));
			return thread_rc[t];
		}
	return 0;
}

/* The version of the PAPI headers built against; the loaded library must
 * match it, or PAPI_library_init refuses (see bnn_counters_init). */
const char *bnn_counters_papi_version(void)
{
	if (!papi_version[0]) {
		int v = PAPI_VERSION;
		snprintf(papi_version, sizeof(papi_version), "%d.%d.%d.%d%s",
			 PAPI_VERSION_MAJOR(v), PAPI_VERSION_MINOR(v), PAPI_VERSION_REVISION(v),
			 PAPI_VERSION_INCREMENT(v), papi_started ? "" : " (headers; not started)");
	}
	return papi_version;
}

/* Disables the components named in BNNBENCH_PAPI_DISABLE (before init). */
static void disable_components(void)
{
	const char *env = getenv("BNNBENCH_PAPI_DISABLE");
	char buf[256], *save = NULL;
	if (!env || !*env)
		return;
	copy(buf, sizeof(buf), env);
	for (char *name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save))
		(void)PAPI_disable_component_by_name(name);
}

int bnn_counters_init(bnn_counters_t *c, const char *list, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	for (int t = 0; t < MAX_THREADS; t++)
		for (int g = 0; g < MAX_GROUPS; g++)
			thread_es[t][g] = PAPI_NULL;
	if (list && !strcmp(list, "none"))
		return 0;
	int rc = parse_list(c, list ? list : BNN_COUNTERS_DEFAULT, err, errlen);
	if (rc != 0) {
		c->nevents = 0;
		return rc;
	}
	c->enabled = 1;

	if (!papi_started) {
		disable_components();
		int v = PAPI_library_init(PAPI_VER_CURRENT);
		if (v != PAPI_VER_CURRENT) {
			snprintf(c->papi_error, sizeof(c->papi_error), "PAPI_library_init: %s",
				 v > 0 ? "the PAPI library is not the version bnnbench was built with"
				       : PAPI_strerror(v));
		} else if ((v = PAPI_thread_init(thread_id)) != PAPI_OK) {
			snprintf(c->papi_error, sizeof(c->papi_error), "PAPI_thread_init: %s",
				 PAPI_strerror(v));
			PAPI_shutdown();
		} else {
			papi_started = 1;
			papi_version[0] = 0;
		}
	}
	if (!papi_started) {
		for (size_t i = 0; i < c->nevents; i++) {
			copy(c->ev[i].status, sizeof(c->ev[i].status), "unavailable");
			copy(c->ev[i].reason, sizeof(c->ev[i].reason), c->papi_error);
		}
		return 0;
	}
	c->papi = 1;
	int force_mpx = getenv("BNNBENCH_PAPI_MULTIPLEX") &&
			!strcmp(getenv("BNNBENCH_PAPI_MULTIPLEX"), "1");
	if (force_mpx)
		(void)PAPI_multiplex_init();

	/* Each event alone first: a name PAPI does not know, or an event it
	 * cannot count here, is told apart from a conflict between events. */
	for (size_t i = 0; i < c->nevents; i++) {
		bnn_counter_event_t *e = &c->ev[i];
		int code, es = PAPI_NULL;
		if ((rc = PAPI_event_name_to_code(e->name, &code)) != PAPI_OK) {
			copy(e->status, sizeof(e->status), "unknown");
			snprintf(e->reason, sizeof(e->reason),
				 "no such event here (PAPI_event_name_to_code: %s); papi_avail and "
				 "papi_native_avail list the names", PAPI_strerror(rc));
			continue;
		}
		int cidx = PAPI_get_event_component(code);
		const PAPI_component_info_t *ci = cidx >= 0 ? PAPI_get_component_info(cidx) : NULL;
		if (ci)
			copy(e->component, sizeof(e->component), ci->name);
		char note[160];
		component_note(cidx, note, sizeof(note));
		const char *what = "PAPI_create_eventset";
		if ((rc = PAPI_create_eventset(&es)) == PAPI_OK) {
			what = "PAPI_add_event";
			if ((rc = PAPI_add_event(es, code)) == PAPI_OK)
				rc = try_set(es, &what);
		}
		free_set(&es);
		if (rc != PAPI_OK) {
			copy(e->status, sizeof(e->status), "unavailable");
			snprintf(e->reason, sizeof(e->reason), "%s: %s%s%s", what, PAPI_strerror(rc),
				 note, note[0] ? "" : vm_note());
			continue;
		}
		/* One event set per component: PAPI cannot mix them in one. */
		int g;
		for (g = 0; g < c->ngroups; g++)
			if (c->group_cidx[g] == cidx)
				break;
		if (g == c->ngroups) {
			if (g == MAX_GROUPS) {
				copy(e->status, sizeof(e->status), "unavailable");
				snprintf(e->reason, sizeof(e->reason),
					 "events from more than %d PAPI components", MAX_GROUPS);
				continue;
			}
			c->group_cidx[c->ngroups++] = cidx;
		}
		copy(e->status, sizeof(e->status), "ok");
		e->active = 1;
		e->group = g;
	}
	/* Then together, per component. */
	for (int g = 0; g < c->ngroups; g++)
		settle_group(c, g, force_mpx);
	c->nactive = 0;
	for (size_t i = 0; i < c->nevents; i++) {
		bnn_counter_event_t *e = &c->ev[i];
		if (e->active) {
			e->multiplexed = c->group_mpx[e->group];
			c->nactive++;
		}
	}
	return 0;
}

int bnn_counters_attach(bnn_counters_t *c)
{
	char err[256];
	if (!c->papi || c->nactive == 0)
		return 0;
	if (c->attached)
		(void)on_every_thread(c, detach_thread, NULL, 0);
	c->attached = 0;
	int rc = on_every_thread(c, attach_thread, err, sizeof(err));
	if (rc != 0) {
		(void)on_every_thread(c, detach_thread, NULL, 0);
		for (size_t i = 0; i < c->nevents; i++)
			if (c->ev[i].active) {
				c->ev[i].active = 0;
				copy(c->ev[i].status, sizeof(c->ev[i].status), "unavailable");
				copy(c->ev[i].reason, sizeof(c->ev[i].reason), err);
			}
		c->nactive = 0;
		return -EIO;
	}
	c->attached = bnn_parallel_threads();
	return 0;
}

int bnn_counters_active(const bnn_counters_t *c)
{
	return c->papi && c->nactive > 0 && c->attached == bnn_parallel_threads();
}

int bnn_counters_begin(bnn_counters_t *c, char *err, size_t errlen)
{
	if (!bnn_counters_active(c)) {
		snprintf(err, errlen, "no counters attached to the pool");
		return -EIO;
	}
	if (on_every_thread(c, start_thread, err, errlen) != 0) {
		/* Stop whatever started; a set that is not running just refuses. */
		(void)on_every_thread(c, stop_thread, NULL, 0);
		return -EIO;
	}
	return 0;
}

int bnn_counters_end(bnn_counters_t *c, long long *values, char *err, size_t errlen)
{
	int nt = bnn_parallel_threads();
	for (size_t i = 0; i < c->nevents; i++)
		values[i] = -1;
	if (on_every_thread(c, stop_thread, err, errlen) != 0)
		return -EIO;
	for (size_t i = 0; i < c->nevents; i++) {
		const bnn_counter_event_t *e = &c->ev[i];
		if (!e->active)
			continue;
		long long sum = 0;
		for (int t = 0; t < nt; t++)
			sum += thread_val[t][e->group][e->slot];
		values[i] = sum;
	}
	return 0;
}

void bnn_counters_shutdown(bnn_counters_t *c)
{
	if (c->attached)
		(void)on_every_thread(c, detach_thread, NULL, 0);
	c->attached = 0;
	c->nactive = 0;
	if (papi_started) {
		PAPI_shutdown();
		papi_started = 0;
		papi_version[0] = 0;
	}
	c->papi = 0;
}

#else /* !HAVE_PAPI */

int bnn_counters_init(bnn_counters_t *c, const char *list, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if (list && !strcmp(list, "none"))
		return 0;
	int rc = parse_list(c, list ? list : BNN_COUNTERS_DEFAULT, err, errlen);
	if (rc != 0) {
		c->nevents = 0;
		return rc;
	}
	c->enabled = 1;
	copy(c->papi_error, sizeof(c->papi_error), "bnnbench was built without PAPI");
	for (size_t i = 0; i < c->nevents; i++) {
		copy(c->ev[i].status, sizeof(c->ev[i].status), "unavailable");
		copy(c->ev[i].reason, sizeof(c->ev[i].reason), c->papi_error);
	}
	return 0;
}

int bnn_counters_attach(bnn_counters_t *c)
{
	(void)c;
	return 0;
}

int bnn_counters_active(const bnn_counters_t *c)
{
	(void)c;
	return 0;
}

int bnn_counters_begin(bnn_counters_t *c, char *err, size_t errlen)
{
	(void)c;
	snprintf(err, errlen, "built without PAPI");
	return -EIO;
}

int bnn_counters_end(bnn_counters_t *c, long long *values, char *err, size_t errlen)
{
	for (size_t i = 0; i < c->nevents; i++)
		values[i] = -1;
	snprintf(err, errlen, "built without PAPI");
	return -EIO;
}

void bnn_counters_shutdown(bnn_counters_t *c)
{
	(void)c;
}

const char *bnn_counters_papi_version(void)
{
	return "not built in";
}

#endif

int bnn_counters_check_list(const char *list, char *err, size_t errlen)
{
	static bnn_counters_t scratch;   /* static: it is large */
	memset(&scratch, 0, sizeof(scratch));
	if (!list || !strcmp(list, "none"))
		return 0;
	return parse_list(&scratch, list, err, errlen);
}

const char *bnn_counters_scope(int own_threads, char *buf, size_t len)
{
	int nt = bnn_parallel_threads();
	if (nt == 1)
		snprintf(buf, len, "calling thread");
	else if (own_threads)
		snprintf(buf, len, "calling thread only (the library's own threads are not counted)");
	else
		snprintf(buf, len, "%d pool threads (per-thread event sets, summed)", nt);
	return buf;
}

void bnn_counters_summary(const bnn_counters_t *c, char *buf, size_t len)
{
	size_t n = 0;
	int done[BNN_COUNTERS_MAX] = { 0 }, clauses = 0;
	buf[0] = 0;
	if (!c->enabled) {
		snprintf(buf, len, "off (--events none)");
		return;
	}
	if (c->nevents == 0)
		snprintf(buf, len, "none asked for");
	/* The counted events first, then one clause per (status, reason), so
	 * that five hardware events a hypervisor hides take one clause. */
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c->nevents && n < len; i++) {
			const bnn_counter_event_t *e = &c->ev[i];
			if (done[i] || e->active != !pass)
				continue;
			for (size_t j = i; j < c->nevents && n < len; j++) {
				const bnn_counter_event_t *f = &c->ev[j];
				if (done[j] || f->active != e->active ||
				    f->multiplexed != e->multiplexed ||
				    strcmp(f->status, e->status) || strcmp(f->reason, e->reason))
					continue;
				n += (size_t)snprintf(buf + n, len - n, "%s%s",
						      j == i ? (clauses ? "; " : "") : ", ", f->name);
				done[j] = 1;
			}
			clauses++;
			if (n < len)
				n += (size_t)snprintf(buf + n, len - n, " %s%s%s%s", e->status,
						      e->multiplexed ? " (multiplexed)" : "",
						      e->reason[0] ? ": " : "", e->reason);
		}
}
