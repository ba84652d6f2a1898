/*
 * bnn_cupti.h: GPU kernel times and hardware metrics through CUPTI (CUDA 13),
 * read in passes of their own right after a GPU kernel's timed samples, as
 * the PAPI counters are for CPU kernels (doc/harness-design.md: reading counters
 * perturbs timing).
 *
 * Two CUPTI interfaces, never the legacy Event and Metric APIs (gone in
 * CUDA 13):
 *  - the Activity API with CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL records:
 *    every device kernel launched between bnn_cupti_trace_begin and
 *    bnn_cupti_trace_end, with its start and end on the GPU's clock,
 *    aggregated by (demangled) kernel name into a bnn_gpu_kagg_t;
 *  - the Range Profiler (cupti_range_profiler.h, with the host side of
 *    cupti_profiler_host.h for metric names and evaluation): the requested
 *    metrics over one user range around one repetition of the operation,
 *    replayed by us (user replay) as many times as the metrics need passes.
 *
 * At start every requested metric gets a status, as PAPI events do: "ok"
 * (measured), "unavailable" (no device, no CUPTI in this build, or CUPTI
 * refused: the reason is CUPTI's own string, e.g. for
 * CUPTI_ERROR_INSUFFICIENT_PRIVILEGES when the driver restricts profiling
 * to administrators) or "unknown" (the chip offers no metric of that
 * name). None of these fails a run.
 *
 * Without a device no CUPTI function is called at all: CUPTI 13 without a
 * driver answers CUPTI_ERROR_UNKNOWN or crashes (cuptiDeviceGetChipName),
 * so the reason is the CUDA runtime's (bnn_cuda_available). The environment
 * variable BNNBENCH_CUPTI_CHIP=NAME (e.g. GH100) makes the host side read
 * that chip's metric tables anyway, which needs no device: `bnnbench info`
 * then lists the chip's metrics and a run classifies the requested names as
 * known or unknown (still unavailable: there is no device to measure).
 *
 * Nothing here calls exit(); no function is thread-safe (the harness calls
 * them from its main thread), except that CUPTI's buffer callbacks, which
 * may come from a CUPTI thread, take a lock.
 */
#ifndef BNN_CUPTI_H
#define BNN_CUPTI_H

#include <stddef.h>
#include <stdint.h>

#define BNN_CUPTI_METRICS_MAX 16
#define BNN_CUPTI_NAME_MAX 128

/* The default metrics (GH100 and GA100 names, checked against CUPTI 13's
 * host tables for both chips): the tensor pipe's activity for integer and
 * binary MMA (IMMA/BMMA, and IGMMA/BGMMA on sm_90), DRAM bytes read and
 * written, and achieved occupancy (active warps over the peak per SM). */
#define BNN_CUPTI_METRICS_DEFAULT \
	"sm__pipe_tensor_op_imma_cycles_active.avg.pct_of_peak_sustained_active," \
	"dram__bytes_read.sum,dram__bytes_write.sum," \
	"sm__warps_active.avg.pct_of_peak_sustained_active"

/* The run_counter event name of the Activity API's kernel records. */
#define BNN_CUPTI_ACTIVITY_EVENT "CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL"

/* ---- kernel records, aggregated by name (pure C, no CUPTI) ---- */

typedef struct {
	char *name;                /* owned */
	long long launches;
	double total_ns, min_ns, max_ns;
} bnn_gpu_kstat_t;

typedef struct {
	bnn_gpu_kstat_t *k;        /* in order of first launch */
	size_t n, cap;
	long long skipped;         /* records without a valid start and end */
} bnn_gpu_kagg_t;

/*
 * Adds one kernel record: launches + 1 and end - start to its name's entry
 * (a new entry for a new name, the name copied). A record with end < start
 * or a zero timestamp (CUPTI could not time it) only counts as skipped.
 * Returns 0, or -ENOMEM (-EINVAL for a NULL name), leaving a as it was.
 */
int bnn_gpu_kagg_add(bnn_gpu_kagg_t *a, const char *name, uint64_t start_ns, uint64_t end_ns);

/* Sum of total_ns over every name: the pure kernel time of the pass. */
double bnn_gpu_kagg_total_ns(const bnn_gpu_kagg_t *a);

/* Frees the entries and their names; a is left empty and reusable. */
void bnn_gpu_kagg_free(bnn_gpu_kagg_t *a);

/* ---- the metric list (pure C) ---- */

/*
 * Splits list (comma separated; NULL is BNN_CUPTI_METRICS_DEFAULT, "none"
 * is the empty list) into names[0..*n). A name is 1 to 127 characters of
 * letters, digits, '_' and '.', not twice in the list, at most max names.
 * Returns 0, or -EINVAL with a message naming the metric at fault (its
 * position and text) in err.
 */
int bnn_cupti_parse_metrics(const char *list, char (*names)[BNN_CUPTI_NAME_MAX], size_t max,
			    size_t *n, char *err, size_t errlen);

/* ---- the session ---- */

typedef struct {
	char name[BNN_CUPTI_NAME_MAX];
	char status[16];           /* "ok", "unavailable", "unknown" */
	char reason[320];          /* why not ok; "" when ok */
	int active;                /* status ok: measured */
} bnn_cupti_metric_t;

typedef struct {
	int built;                 /* built with CUPTI */
	int device;                /* a CUDA device is there */
	char chip[64];             /* CUPTI's chip name (device 0 or BNNBENCH_CUPTI_CHIP) */
	int chip_tables;           /* the host side could read the chip's metric tables */
	char chip_reason[320];     /* why not, when not */
	int trace;                 /* the Activity API's kernel records can be read */
	char trace_reason[320];    /* why not, when not */
	int metrics_enabled;       /* 0 with --gpu-metrics none */
	size_t nmetrics;
	bnn_cupti_metric_t m[BNN_CUPTI_METRICS_MAX];
	int nactive;
	size_t passes;             /* replays the active metrics need */
	void *priv;                /* CUPTI objects (cupti.c) */
} bnn_cupti_t;

/*
 * Parses metrics as bnn_cupti_parse_metrics and, when use_device, probes
 * device 0: the Activity API (enabled and disabled once), the chip, its
 * metric tables (with the device's counter availability), each metric's
 * name, the config of the known ones, and the Range Profiler on the device's
 * primary context (which is where a permission error shows). Fills c.
 * Returns 0 also when nothing can be measured; -EINVAL with the reason in
 * err only for a malformed list. Without use_device only the list is
 * checked and every metric is unavailable ("not started").
 */
int bnn_cupti_init(bnn_cupti_t *c, const char *metrics, int use_device, char *err,
		   size_t errlen);

/* Whether kernel records (trace) and metrics (metrics) can be read. */
int bnn_cupti_can_trace(const bnn_cupti_t *c);
int bnn_cupti_can_measure(const bnn_cupti_t *c);

/*
 * Starts recording the device's kernels (Activity API). Returns 0, or -EIO
 * (or -ENODEV when c cannot trace) with the reason in err; then nothing is
 * left enabled.
 */
int bnn_cupti_trace_begin(bnn_cupti_t *c, char *err, size_t errlen);

/*
 * Waits for the device, stops recording, flushes CUPTI's buffers and moves
 * the records since bnn_cupti_trace_begin, by name, into out (which must be
 * empty; the caller frees it). Dropped records make it fail. Returns 0, or
 * -EIO / -ENOMEM with the reason in err (out is then empty).
 */
int bnn_cupti_trace_end(bnn_cupti_t *c, bnn_gpu_kagg_t *out, char *err, size_t errlen);

/*
 * Measures the active metrics over one range around one call of run(arg)
 * (one repetition of the operation, which must return with the device
 * synchronized), calling run once per pass the metrics need. values[i] is
 * metric c->m[i] over that range (NaN for the inactive ones). Returns 0, a
 * negative code from run, or -EIO with CUPTI's reason in err.
 */
int bnn_cupti_measure(bnn_cupti_t *c, int (*run)(void *arg), void *arg, double *values,
		      char *err, size_t errlen);

/*
 * Calls fn for every base metric name the chip's tables offer, with its
 * type ("counter", "ratio", "throughput"). Returns the number of names, or
 * -ENODEV with the reason in err when the tables could not be read. Call it
 * once per session: CUPTI 13 hands a second cuptiProfilerHostGetBaseMetrics
 * of the same host object every name twice (seen on its GH100 tables).
 */
long bnn_cupti_chip_metrics(const bnn_cupti_t *c,
			    void (*fn)(void *ctx, const char *type, const char *name), void *ctx,
			    char *err, size_t errlen);

/* One line: "dram__bytes_read.sum ok, x unknown: ...; kernel records ok". */
void bnn_cupti_summary(const bnn_cupti_t *c, char *buf, size_t len);

/* Frees everything CUPTI holds for c (host object, images) and disables
 * what is enabled; c may be zeroed or never initialised. */
void bnn_cupti_shutdown(bnn_cupti_t *c);

/* CUPTI's version ("CUPTI 13.0 (API 130001)") or why it is not there. */
const char *bnn_cupti_version(void);

#endif
