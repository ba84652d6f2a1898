/*
 * quiet.h: how quiet the machine was while a run timed its kernels.
 *
 * On a shared machine what spoils timings is other work: other processes'
 * CPU time, time the hypervisor steals, I/O waits, and a changing clock.
 * bnn_quiet_begin reads the counters of /proc (load averages, the cpu line
 * of /proc/stat, this process's own CPU time) and bnn_quiet_end reads them
 * again, works out the shares over the interval and compares them with the
 * limits below, as pyperf's system check does. Linux only; where /proc
 * cannot be read the figures are NaN and the verdict is unknown.
 */
#ifndef BNN_QUIET_H
#define BNN_QUIET_H

#include <stddef.h>

/* Limits: above any of them a run is not quiet. */
#define BNN_QUIET_MAX_OTHER_CPUS 0.25  /* other processes' CPU time / wall time */
#define BNN_QUIET_MAX_STEAL 0.02       /* stolen share of all CPU time */
#define BNN_QUIET_MAX_IOWAIT 0.05      /* I/O-wait share of all CPU time */
#define BNN_QUIET_MAX_PROBE_DRIFT 0.10 /* |end probe / start probe - 1| */

typedef struct {
	double t0;                      /* monotonic seconds at the start */
	double self0;                   /* this process's CPU seconds then */
	unsigned long long cpu0[10];    /* /proc/stat's cpu line then */
	int have_cpu0;
	double load1_start;
} bnn_quiet_t;

typedef struct {
	double wall_s;
	double load1_start, load1_end;  /* 1-minute load averages */
	double steal, iowait;           /* shares of all CPU time over the run */
	double other_cpus;              /* other processes' CPU seconds / wall s */
	double mhz_min, mhz_max;        /* scaling_cur_freq over the CPUs, or NaN */
	double probe_start, probe_end;  /* a peak probed at both ends, or NaN */
	int ncpu;
	int quiet;                      /* 1 quiet, 0 not, -1 unknown */
	char reasons[512];              /* why not quiet, "; "-separated */
} bnn_quiet_report_t;

/* Reads the counters at the start of the interval. Never fails: what
 * cannot be read is left unknown. */
void bnn_quiet_begin(bnn_quiet_t *q);

/*
 * Reads them again and fills r. probe_start and probe_end (a peak of one
 * kind probed at the start and at the end, NaN when not probed) enter the
 * verdict as the drift of the machine's speed. Never fails.
 */
void bnn_quiet_end(const bnn_quiet_t *q, double probe_start, double probe_end,
		   bnn_quiet_report_t *r);

/* r as JSON text (malloc'd, the caller frees it), or NULL out of memory. */
char *bnn_quiet_json(const bnn_quiet_report_t *r);

#endif
