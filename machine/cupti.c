/*
 * GPU kernel records and metrics through CUPTI: see bnn_cupti.h.
 *
 * Compile-only on the machine it was written on (no GPU, no driver): the
 * parts without CUPTI (aggregation, the metric list) and the host side of
 * the profiler (a chip's metric tables, which need no device) are tested
 * there; the Activity API and the Range Profiler have never run.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "bnn_cupti.h"

#ifdef BNN_HAVE_CUPTI
#include <cuda.h>
#include <cuda_runtime_api.h>
#include <cupti.h>
#include <cupti_target.h>
#include <cupti_profiler_target.h>
#include <cupti_range_profiler.h>
/* cupti_profiler_host.h includes C++'s <string> (unused by its C API):
 * machine/cupti_shim/string stands in for it in this C build. */
#include <cupti_profiler_host.h>
#include "cuda/bnn_cuda.h"
#endif

/* ---- aggregation ---- */

int bnn_gpu_kagg_add(bnn_gpu_kagg_t *a, const char *name, uint64_t start_ns, uint64_t end_ns)
{
	if (!name)
		return -EINVAL;
	if (start_ns == 0 || end_ns == 0 || end_ns < start_ns) {
		a->skipped++;
		return 0;
	}
	double t = (double)(end_ns - start_ns);
	size_t i;
	for (i = 0; i < a->n; i++)
		if (!strcmp(a->k[i].name, name))
			break;
	if (i == a->n) {
		if (a->n == a->cap) {
			size_t cap = a->cap ? 2 * a->cap : 8;
			bnn_gpu_kstat_t *k = realloc(a->k, cap * sizeof(*k));
			if (!k)
				return -ENOMEM;
			a->k = k;
			a->cap = cap;
		}
		char *copy = strdup(name);
		if (!copy)
			return -ENOMEM;
		a->k[a->n++] = (bnn_gpu_kstat_t){ .name = copy, .min_ns = t, .max_ns = t };
	}
	bnn_gpu_kstat_t *k = &a->k[i];
	k->launches++;
	k->total_ns += t;
	if (t < k->min_ns)
		k->min_ns = t;
	if (t > k->max_ns)
		k->max_ns = t;
	return 0;
}

double bnn_gpu_kagg_total_ns(const bnn_gpu_kagg_t *a)
{
	double s = 0;
	for (size_t i = 0; i < a->n; i++)
		s += a->k[i].total_ns;
	return s;
}

void bnn_gpu_kagg_free(bnn_gpu_kagg_t *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->k[i].name);
	free(a->k);
	memset(a, 0, sizeof(*a));
}

/* ---- the metric list ---- */

int bnn_cupti_parse_metrics(const char *list, char (*names)[BNN_CUPTI_NAME_MAX], size_t max,
			    size_t *n, char *err, size_t errlen)
{
	*n = 0;
	if (!list)
		list = BNN_CUPTI_METRICS_DEFAULT;
	if (!strcmp(list, "none"))
		return 0;
	const char *p = list;
	for (size_t idx = 1;; idx++) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0) {
			snprintf(err, errlen, "--gpu-metrics: metric %zu is empty (in '%s')", idx, list);
			return -EINVAL;
		}
		if (len >= BNN_CUPTI_NAME_MAX) {
			snprintf(err, errlen, "--gpu-metrics: metric %zu '%.40s...' is longer than "
				 "%d characters", idx, p, BNN_CUPTI_NAME_MAX - 1);
			return -EINVAL;
		}
		char name[BNN_CUPTI_NAME_MAX];
		memcpy(name, p, len);
		name[len] = 0;
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '.') {
				snprintf(err, errlen, "--gpu-metrics: metric %zu '%s' is not a metric "
					 "name (letters, digits, '_' and '.', e.g. "
					 "dram__bytes_read.sum)", idx, name);
				return -EINVAL;
			}
		if (!strcmp(name, "none")) {
			snprintf(err, errlen, "--gpu-metrics: metric %zu: 'none' must be the whole "
				 "list", idx);
			return -EINVAL;
		}
		for (size_t j = 0; j < *n; j++)
			if (!strcmp(names[j], name)) {
				snprintf(err, errlen, "--gpu-metrics: metric %zu '%s' is already metric "
					 "%zu", idx, name, j + 1);
				return -EINVAL;
			}
		if (*n == max) {
			snprintf(err, errlen, "--gpu-metrics: metric %zu '%s': at most %zu metrics",
				 idx, name, max);
			return -EINVAL;
		}
		memcpy(names[(*n)++], name, len + 1);
		if (!e)
			return 0;
		p = e + 1;
	}
}

/* Every metric of c not yet given a status gets status and reason. */
static void mark_rest(bnn_cupti_t *c, const char *status, const char *reason)
{
	for (size_t i = 0; i < c->nmetrics; i++)
		if (!c->m[i].status[0]) {
			snprintf(c->m[i].status, sizeof(c->m[i].status), "%s", status);
			snprintf(c->m[i].reason, sizeof(c->m[i].reason), "%s", reason);
		}
}

int bnn_cupti_can_trace(const bnn_cupti_t *c)
{
	return c && c->trace;
}

int bnn_cupti_can_measure(const bnn_cupti_t *c)
{
	return c && c->metrics_enabled && c->nactive > 0;
}

void bnn_cupti_summary(const bnn_cupti_t *c, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	/* Metrics of one status and reason are listed together, as PAPI's are. */
	int done[BNN_CUPTI_METRICS_MAX] = { 0 };
	for (size_t i = 0; i < c->nmetrics && n < len; i++) {
		if (done[i])
			continue;
		for (size_t j = i; j < c->nmetrics && n < len; j++) {
			if (done[j] || strcmp(c->m[j].status, c->m[i].status) ||
			    strcmp(c->m[j].reason, c->m[i].reason))
				continue;
			done[j] = 1;
			n += (size_t)snprintf(buf + n, len - n, "%s%s", j == i ? "" : ", ",
					      c->m[j].name);
		}
		if (n < len)
			n += (size_t)snprintf(buf + n, len - n, " %s%s%s; ", c->m[i].status,
					      c->m[i].reason[0] ? ": " : "", c->m[i].reason);
	}
	if (!c->metrics_enabled && n < len)
		n += (size_t)snprintf(buf + n, len - n, "metrics off (--gpu-metrics none); ");
	if (n < len)
		snprintf(buf + n, len - n, "kernel records %s%s%s", c->trace ? "ok" : "unavailable",
			 c->trace ? "" : ": ", c->trace ? "" : c->trace_reason);
}

#ifndef BNN_HAVE_CUPTI

/* Built without CUPTI: every part says so. */
int bnn_cupti_init(bnn_cupti_t *c, const char *metrics, int use_device, char *err,
		   size_t errlen)
{
	char names[BNN_CUPTI_METRICS_MAX][BNN_CUPTI_NAME_MAX];
	size_t n;
	int rc = bnn_cupti_parse_metrics(metrics, names, BNN_CUPTI_METRICS_MAX, &n, err, errlen);
	memset(c, 0, sizeof(*c));
	if (rc)
		return rc;
	(void)use_device;
#ifdef BNN_HAVE_CUDA
	const char *why = "built without CUPTI (configure found no cupti.h and libcupti, "
			  "or --without-cupti)";
#else
	const char *why = "built without CUDA (no CUPTI)";
#endif
	c->metrics_enabled = n > 0;
	c->nmetrics = n;
	for (size_t i = 0; i < n; i++)
		snprintf(c->m[i].name, sizeof(c->m[i].name), "%.*s", BNN_CUPTI_NAME_MAX - 1, names[i]);
	snprintf(c->trace_reason, sizeof(c->trace_reason), "%s", why);
	snprintf(c->chip_reason, sizeof(c->chip_reason), "%s", why);
	mark_rest(c, "unavailable", why);
	return 0;
}

int bnn_cupti_trace_begin(bnn_cupti_t *c, char *err, size_t errlen)
{
	snprintf(err, errlen, "%s", c->trace_reason);
	return -ENODEV;
}

int bnn_cupti_trace_end(bnn_cupti_t *c, bnn_gpu_kagg_t *out, char *err, size_t errlen)
{
	(void)out;
	snprintf(err, errlen, "%s", c->trace_reason);
	return -ENODEV;
}

int bnn_cupti_measure(bnn_cupti_t *c, int (*run)(void *arg), void *arg, double *values,
		      char *err, size_t errlen)
{
	(void)run, (void)arg;
	for (size_t i = 0; i < c->nmetrics; i++)
		values[i] = NAN;
	snprintf(err, errlen, "%s", c->chip_reason);
	return -ENODEV;
}

long bnn_cupti_chip_metrics(const bnn_cupti_t *c,
			    void (*fn)(void *ctx, const char *type, const char *name), void *ctx,
			    char *err, size_t errlen)
{
	(void)fn, (void)ctx;
	snprintf(err, errlen, "%s", c->chip_reason);
	return -ENODEV;
}

void bnn_cupti_shutdown(bnn_cupti_t *c)
{
	(void)c;
}

const char *bnn_cupti_version(void)
{
#ifdef BNN_HAVE_CUDA
	return "not built in (no CUPTI found, or --without-cupti)";
#else
	return "not built in (built without CUDA)";
#endif
}

#else /* BNN_HAVE_CUPTI */

/* What CUPTI holds for one session. */
typedef struct {
	CUpti_Profiler_Host_Object *host;   /* the chip's metric tables and config */
	uint8_t *avail;                     /* the device's counter availability image */
	uint8_t *config;                    /* the config image of the active metrics */
	size_t config_size;
	CUcontext ctx;                      /* device 0's primary context */
	int profiler;                       /* cuptiProfilerInitialize succeeded */
	const char *active[BNN_CUPTI_METRICS_MAX];
	size_t nactive;
} cupti_priv_t;

/* "FUNC: CUPTI_ERROR_X (CUPTI's message)", plus what to do about the
 * privilege error, into buf. */
static const char *cupti_reason(const char *func, CUptiResult r, char *buf, size_t len)
{
	const char *name = "?", *msg = NULL;
	if (cuptiGetResultString(r, &name) != CUPTI_SUCCESS)
		name = "unknown CUPTI result";
	if (cuptiGetErrorMessage(r, &msg) != CUPTI_SUCCESS || (msg && !strcmp(msg, name)))
		msg = NULL;
	int n = snprintf(buf, len, "%s: %s%s%s%s", func, name, msg ? " (" : "", msg ? msg : "",
			 msg ? ")" : "");
	if (n > 0 && (size_t)n < len &&
	    (r == CUPTI_ERROR_INSUFFICIENT_PRIVILEGES ||
	     r == CUPTI_ERROR_VIRTUALIZED_DEVICE_INSUFFICIENT_PRIVILEGES))
		snprintf(buf + n, len - (size_t)n, "; the driver lets only administrators read GPU "
			 "performance counters (NVreg_RestrictProfilingToAdminUsers=1): run as "
			 "root or load nvidia with NVreg_RestrictProfilingToAdminUsers=0");
	return buf;
}

/* ---- Activity API: buffers and the records they bring ---- */

#define TRACE_BUFFER (1u << 20)

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static bnn_gpu_kagg_t trace_agg;   /* records of the pass, under trace_lock */
static int trace_on, trace_oom;
static size_t trace_dropped;
static int trace_registered;

/* The C++ runtime's demangler (libstdc++, linked with CUDA_LIBS): CUPTI
 * reports the mangled name; the demangled one is what a user recognises. */
extern char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

static void record_kernel(const char *name, uint64_t start, uint64_t end)
{
	int st = -1;
	char *dm = name ? __cxa_demangle(name, NULL, NULL, &st) : NULL;
	if (bnn_gpu_kagg_add(&trace_agg, dm && st == 0 ? dm : name ? name : "(unnamed)", start,
			     end) != 0)
		trace_oom = 1;
	free(dm);
}

static void CUPTIAPI buffer_requested(uint8_t **buffer, size_t *size, size_t *max_records)
{
	/* CUPTI wants 8-byte alignment; the size is a multiple of it. */
	*buffer = aligned_alloc(8, TRACE_BUFFER);
	*size = *buffer ? TRACE_BUFFER : 0;
	*max_records = 0;
}

static void CUPTIAPI buffer_completed(CUcontext ctx, uint32_t stream, uint8_t *buffer,
				      size_t size, size_t valid)
{
	CUpti_Activity *rec = NULL;
	size_t dropped = 0;
	(void)size;
	pthread_mutex_lock(&trace_lock);
	while (valid && cuptiActivityGetNextRecord(buffer, valid, &rec) == CUPTI_SUCCESS) {
		if (!trace_on || (rec->kind != CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL &&
				  rec->kind != CUPTI_ACTIVITY_KIND_KERNEL))
			continue;
		const CUpti_ActivityKernel10 *k = (const CUpti_ActivityKernel10 *)rec;
		record_kernel(k->name, k->start, k->end);
	}
	if (cuptiActivityGetNumDroppedRecords(ctx, stream, &dropped) == CUPTI_SUCCESS)
		trace_dropped += dropped;
	pthread_mutex_unlock(&trace_lock);
	free(buffer);
}

/* ---- the session ---- */

typedef CUresult (*ctx_get_current_fn)(CUcontext *);

/* Device 0's primary context, made current (cudaFree(0) creates it), read
 * through the runtime's driver entry point so that the program does not
 * link libcuda (absent on machines without a driver). */
static int primary_context(CUcontext *ctx, char *why, size_t len)
{
	void *fn = NULL;
	enum cudaDriverEntryPointQueryResult q;
	cudaError_t e = cudaSetDevice(0);
	if (e == cudaSuccess)
		e = cudaFree(0);
	if (e == cudaSuccess)
		e = cudaGetDriverEntryPointByVersion("cuCtxGetCurrent", &fn, 12000,
						     cudaEnableDefault, &q);
	if (e != cudaSuccess || !fn || q != cudaDriverEntryPointSuccess) {
		snprintf(why, len, "no CUDA context: %s", e != cudaSuccess ? cudaGetErrorString(e) :
			 "the driver has no cuCtxGetCurrent");
		cudaGetLastError();   /* else the first kernel's launch check would report it */
		return -1;
	}
	*ctx = NULL;
	if (((ctx_get_current_fn)fn)(ctx) != CUDA_SUCCESS || !*ctx) {
		snprintf(why, len, "no CUDA context: cuCtxGetCurrent failed");
		return -1;
	}
	return 0;
}

/* The Activity API once: register the buffers, enable and disable. */
static void probe_trace(bnn_cupti_t *c)
{
	CUptiResult r = CUPTI_SUCCESS;
	const char *f = "cuptiActivityRegisterCallbacks";
	if (!trace_registered) {
		r = cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed);
		trace_registered = r == CUPTI_SUCCESS;
	}
	if (r == CUPTI_SUCCESS) {
		f = "cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL)";
		r = cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
		if (r == CUPTI_SUCCESS)
			cuptiActivityDisable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
	}
	c->trace = r == CUPTI_SUCCESS;
	if (!c->trace)
		cupti_reason(f, r, c->trace_reason, sizeof(c->trace_reason));
}

/* The host object of chip (with the device's availability image, or NULL). */
static CUptiResult host_init(const char *chip, const uint8_t *avail,
			     CUpti_Profiler_Host_Object **host)
{
	CUpti_Profiler_Host_Initialize_Params p = { .structSize = CUpti_Profiler_Host_Initialize_Params_STRUCT_SIZE };
	p.profilerType = CUPTI_PROFILER_TYPE_RANGE_PROFILER;
	p.pChipName = chip;
	p.pCounterAvailabilityImage = avail;
	CUptiResult r = cuptiProfilerHostInitialize(&p);
	*host = r == CUPTI_SUCCESS ? p.pHostObject : NULL;
	return r;
}

/* The device's chip name, profiler and counter availability. */
static int probe_device(bnn_cupti_t *c, cupti_priv_t *pv, char *why, size_t len)
{
	CUpti_Device_GetChipName_Params cn = { .structSize = CUpti_Device_GetChipName_Params_STRUCT_SIZE };
	CUpti_Profiler_Initialize_Params pi = { .structSize = CUpti_Profiler_Initialize_Params_STRUCT_SIZE };
	CUpti_Profiler_GetCounterAvailability_Params ca = {
		.structSize = CUpti_Profiler_GetCounterAvailability_Params_STRUCT_SIZE };
	CUptiResult r;
	/* The profiler first, then the chip, as NVIDIA's range profiling
	 * sample orders them. */
	if ((r = cuptiProfilerInitialize(&pi)) != CUPTI_SUCCESS) {
		cupti_reason("cuptiProfilerInitialize", r, why, len);
		return -1;
	}
	pv->profiler = 1;
	cn.deviceIndex = 0;
	if ((r = cuptiDeviceGetChipName(&cn)) != CUPTI_SUCCESS) {
		cupti_reason("cuptiDeviceGetChipName", r, why, len);
		return -1;
	}
	snprintf(c->chip, sizeof(c->chip), "%s", cn.pChipName);
	if (primary_context(&pv->ctx, why, len) != 0)
		return -1;
	ca.ctx = pv->ctx;
	if ((r = cuptiProfilerGetCounterAvailability(&ca)) != CUPTI_SUCCESS) {
		cupti_reason("cuptiProfilerGetCounterAvailability", r, why, len);
		return -1;
	}
	pv->avail = malloc(ca.counterAvailabilityImageSize ? ca.counterAvailabilityImageSize : 1);
	if (!pv->avail) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	ca.pCounterAvailabilityImage = pv->avail;
	if ((r = cuptiProfilerGetCounterAvailability(&ca)) != CUPTI_SUCCESS) {
		cupti_reason("cuptiProfilerGetCounterAvailability", r, why, len);
		return -1;
	}
	return 0;
}

/* Each metric known to the chip's tables or "unknown"; the known ones are
 * added to the host object's config one at a time, so that one refused
 * metric does not take the others down. Returns how many were added. */
static size_t classify(bnn_cupti_t *c, cupti_priv_t *pv, int measurable)
{
	size_t added = 0;
	for (size_t i = 0; i < c->nmetrics; i++) {
		bnn_cupti_metric_t *m = &c->m[i];
		CUpti_Profiler_Host_GetMetricProperties_Params mp = {
			.structSize = CUpti_Profiler_Host_GetMetricProperties_Params_STRUCT_SIZE };
		mp.pHostObject = pv->host;
		mp.pMetricName = m->name;
		CUptiResult r = cuptiProfilerHostGetMetricProperties(&mp);
		if (r == CUPTI_ERROR_INVALID_METRIC_NAME) {
			char tmp[200];
			snprintf(m->status, sizeof(m->status), "unknown");
			snprintf(m->reason, sizeof(m->reason), "the chip %s offers no metric of that "
				 "name (%s; `bnnbench info` lists them)", c->chip,
				 cupti_reason("cuptiProfilerHostGetMetricProperties", r, tmp,
					      sizeof(tmp)));
			continue;
		}
		if (r != CUPTI_SUCCESS) {
			snprintf(m->status, sizeof(m->status), "unavailable");
			cupti_reason("cuptiProfilerHostGetMetricProperties", r, m->reason,
				     sizeof(m->reason));
			continue;
		}
		if (!measurable)
			continue;   /* known; mark_rest says why it is not measured */
		CUpti_Profiler_Host_ConfigAddMetrics_Params ap = {
			.structSize = CUpti_Profiler_Host_ConfigAddMetrics_Params_STRUCT_SIZE };
		const char *one[1] = { m->name };
		ap.pHostObject = pv->host;
		ap.ppMetricNames = one;
		ap.numMetrics = 1;
		if ((r = cuptiProfilerHostConfigAddMetrics(&ap)) != CUPTI_SUCCESS) {
			snprintf(m->status, sizeof(m->status), "unavailable");
			cupti_reason("cuptiProfilerHostConfigAddMetrics", r, m->reason,
				     sizeof(m->reason));
			continue;
		}
		pv->active[pv->nactive++] = m->name;
		added++;
	}
	return added;
}

/* The config image of the added metrics and its pass count. */
static int make_config(bnn_cupti_t *c, cupti_priv_t *pv, char *why, size_t len)
{
	CUpti_Profiler_Host_GetConfigImageSize_Params gs = {
		.structSize = CUpti_Profiler_Host_GetConfigImageSize_Params_STRUCT_SIZE };
	CUpti_Profiler_Host_GetConfigImage_Params gi = {
		.structSize = CUpti_Profiler_Host_GetConfigImage_Params_STRUCT_SIZE };
	CUpti_Profiler_Host_GetNumOfPasses_Params np = {
		.structSize = CUpti_Profiler_Host_GetNumOfPasses_Params_STRUCT_SIZE };
	CUptiResult r;
	gs.pHostObject = pv->host;
	if ((r = cuptiProfilerHostGetConfigImageSize(&gs)) != CUPTI_SUCCESS) {
		cupti_reason("cuptiProfilerHostGetConfigImageSize", r, why, len);
		return -1;
	}
	pv->config = malloc(gs.configImageSize ? gs.configImageSize : 1);
	if (!pv->config) {
		snprintf(why, len, "out of memory");
		return -1;
	}
	pv->config_size = gs.configImageSize;
	gi.pHostObject = pv->host;
	gi.configImageSize = pv->config_size;
	gi.pConfigImage = pv->config;
	if ((r = cuptiProfilerHostGetConfigImage(&gi)) != CUPTI_SUCCESS) {
		cupti_reason("cuptiProfilerHostGetConfigImage", r, why, len);
		return -1;
	}
	np.configImageSize = pv->config_size;
	np.pConfigImage = pv->config;
	if ((r = cuptiProfilerHostGetNumOfPasses(&np)) != CUPTI_SUCCESS) {
		cupti_reason("cuptiProfilerHostGetNumOfPasses", r, why, len);
		return -1;
	}
	c->passes = np.numOfPasses;
	return 0;
}

/* Enables and disables the Range Profiler once: a permission error shows
 * here, before any result depends on it. */
static int probe_range_profiler(cupti_priv_t *pv, char *why, size_t len)
{
	CUpti_RangeProfiler_Enable_Params en = { .structSize = CUpti_RangeProfiler_Enable_Params_STRUCT_SIZE };
	CUpti_RangeProfiler_Disable_Params di = { .structSize = CUpti_RangeProfiler_Disable_Params_STRUCT_SIZE };
	CUptiResult r;
	en.ctx = pv->ctx;
	if ((r = cuptiRangeProfilerEnable(&en)) != CUPTI_SUCCESS) {
		cupti_reason("cuptiRangeProfilerEnable", r, why, len);
		return -1;
	}
	di.pRangeProfilerObject = en.pRangeProfilerObject;
	cuptiRangeProfilerDisable(&di);
	return 0;
}

int bnn_cupti_init(bnn_cupti_t *c, const char *metrics, int use_device, char *err,
		   size_t errlen)
{
	char names[BNN_CUPTI_METRICS_MAX][BNN_CUPTI_NAME_MAX], why[320];
	size_t n;
	int rc = bnn_cupti_parse_metrics(metrics, names, BNN_CUPTI_METRICS_MAX, &n, err, errlen);
	int measurable = 0;
	memset(c, 0, sizeof(*c));
	if (rc)
		return rc;
	c->built = 1;
	c->metrics_enabled = n > 0;
	c->nmetrics = n;
	for (size_t i = 0; i < n; i++)
		snprintf(c->m[i].name, sizeof(c->m[i].name), "%.*s", BNN_CUPTI_NAME_MAX - 1, names[i]);
	cupti_priv_t *pv = calloc(1, sizeof(*pv));
	if (!pv) {
		snprintf(why, sizeof(why), "out of memory");
		snprintf(c->trace_reason, sizeof(c->trace_reason), "%s", why);
		goto out;
	}
	c->priv = pv;
	if (!use_device) {
		snprintf(why, sizeof(why), "not started (nothing is timed in this run)");
		snprintf(c->trace_reason, sizeof(c->trace_reason), "%s", why);
		snprintf(c->chip_reason, sizeof(c->chip_reason), "%s", why);
		goto out;
	}
	/* No CUPTI call without a device: without a driver CUPTI 13 fails
	 * with CUPTI_ERROR_UNKNOWN or crashes. The runtime says why. */
	c->device = bnn_cuda_available(why, sizeof(why));
	if (!c->device) {
		snprintf(c->trace_reason, sizeof(c->trace_reason), "%s", why);
		snprintf(c->chip_reason, sizeof(c->chip_reason), "%s", why);
	} else {
		probe_trace(c);
		/* A refusal here (the counter availability needs the privilege)
		 * leaves the metrics unavailable with why; with the chip known its
		 * tables still name them (without the availability image). */
		measurable = probe_device(c, pv, why, sizeof(why)) == 0;
		if (!measurable) {
			snprintf(c->chip_reason, sizeof(c->chip_reason), "%s", why);
			free(pv->avail);
			pv->avail = NULL;
		}
	}
	/* Tests (and a look at a chip this machine lacks) may name a chip. */
	const char *envchip = getenv("BNNBENCH_CUPTI_CHIP");
	if (!c->device && envchip && envchip[0])
		snprintf(c->chip, sizeof(c->chip), "%s", envchip);
	if (!c->chip[0])
		goto out;
	CUptiResult r = host_init(c->chip, pv->avail, &pv->host);
	if (r != CUPTI_SUCCESS) {
		char tmp[280];
		snprintf(c->chip_reason, sizeof(c->chip_reason), "chip %.40s: %s", c->chip,
			 cupti_reason("cuptiProfilerHostInitialize", r, tmp, sizeof(tmp)));
		if (measurable)
			snprintf(why, sizeof(why), "%s", c->chip_reason);
		goto out;
	}
	c->chip_tables = 1;
	if (classify(c, pv, measurable) == 0)
		goto out;   /* nothing to measure: the statuses say why */
	if (make_config(c, pv, why, sizeof(why)) != 0 ||
	    probe_range_profiler(pv, why, sizeof(why)) != 0) {
		pv->nactive = 0;   /* the known metrics become unavailable with why */
		goto out;
	}
	for (size_t i = 0; i < c->nmetrics; i++)
		for (size_t j = 0; j < pv->nactive; j++)
			if (pv->active[j] == c->m[i].name) {
				snprintf(c->m[i].status, sizeof(c->m[i].status), "ok");
				c->m[i].active = 1;
				c->nactive++;
			}
out:
	mark_rest(c, "unavailable", why);
	return 0;
}

int bnn_cupti_trace_begin(bnn_cupti_t *c, char *err, size_t errlen)
{
	if (!c->trace) {
		snprintf(err, errlen, "%s", c->trace_reason);
		return -ENODEV;
	}
	pthread_mutex_lock(&trace_lock);
	bnn_gpu_kagg_free(&trace_agg);
	trace_oom = 0;
	trace_dropped = 0;
	trace_on = 1;
	pthread_mutex_unlock(&trace_lock);
	CUptiResult r = cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
	if (r != CUPTI_SUCCESS) {
		cupti_reason("cuptiActivityEnable", r, err, errlen);
		pthread_mutex_lock(&trace_lock);
		trace_on = 0;
		pthread_mutex_unlock(&trace_lock);
		return -EIO;
	}
	return 0;
}

int bnn_cupti_trace_end(bnn_cupti_t *c, bnn_gpu_kagg_t *out, char *err, size_t errlen)
{
	int rc = 0;
	(void)c;
	memset(out, 0, sizeof(*out));
	cudaError_t e = cudaDeviceSynchronize();
	CUptiResult r = cuptiActivityDisable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
	/* Every kernel has finished: a forced flush hands over every buffer. */
	CUptiResult f = cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
	pthread_mutex_lock(&trace_lock);
	trace_on = 0;
	if (e != cudaSuccess) {
		snprintf(err, errlen, "cudaDeviceSynchronize: %s", cudaGetErrorString(e));
		rc = -EIO;
	} else if (r != CUPTI_SUCCESS || f != CUPTI_SUCCESS) {
		cupti_reason(r != CUPTI_SUCCESS ? "cuptiActivityDisable" : "cuptiActivityFlushAll",
			     r != CUPTI_SUCCESS ? r : f, err, errlen);
		rc = -EIO;
	} else if (trace_oom) {
		snprintf(err, errlen, "out of memory keeping the kernel records");
		rc = -ENOMEM;
	} else if (trace_dropped) {
		snprintf(err, errlen, "CUPTI dropped %zu kernel records (no buffer)",
			 trace_dropped);
		rc = -EIO;
	}
	if (rc == 0)
		*out = trace_agg;
	else
		bnn_gpu_kagg_free(&trace_agg);
	memset(&trace_agg, 0, sizeof(trace_agg));
	pthread_mutex_unlock(&trace_lock);
	return rc;
}

int bnn_cupti_measure(bnn_cupti_t *c, int (*run)(void *arg), void *arg, double *values,
		      char *err, size_t errlen)
{
	cupti_priv_t *pv = c->priv;
	CUpti_RangeProfiler_Enable_Params en = { .structSize = CUpti_RangeProfiler_Enable_Params_STRUCT_SIZE };
	CUpti_RangeProfiler_Disable_Params di = { .structSize = CUpti_RangeProfiler_Disable_Params_STRUCT_SIZE };
	CUpti_RangeProfiler_GetCounterDataSize_Params ds = {
		.structSize = CUpti_RangeProfiler_GetCounterDataSize_Params_STRUCT_SIZE };
	CUpti_RangeProfiler_CounterDataImage_Initialize_Params ci = {
		.structSize = CUpti_RangeProfiler_CounterDataImage_Initialize_Params_STRUCT_SIZE };
	CUpti_RangeProfiler_SetConfig_Params sc = { .structSize = CUpti_RangeProfiler_SetConfig_Params_STRUCT_SIZE };
	CUpti_RangeProfiler_DecodeData_Params dd = { .structSize = CUpti_RangeProfiler_DecodeData_Params_STRUCT_SIZE };
	CUpti_RangeProfiler_GetCounterDataInfo_Params info = {
		.structSize = CUpti_RangeProfiler_GetCounterDataInfo_Params_STRUCT_SIZE };
	CUpti_Profiler_Host_EvaluateToGpuValues_Params ev = {
		.structSize = CUpti_Profiler_Host_EvaluateToGpuValues_Params_STRUCT_SIZE };
	double got[BNN_CUPTI_METRICS_MAX];
	uint8_t *image = NULL;
	const char *f = "cuptiRangeProfilerEnable";
	CUptiResult r;
	int rc = -EIO, enabled = 0;

	for (size_t i = 0; i < c->nmetrics; i++)
		values[i] = NAN;
	if (!bnn_cupti_can_measure(c) || !pv || !pv->nactive) {
		snprintf(err, errlen, "no metric can be measured here");
		return -ENODEV;
	}
	en.ctx = pv->ctx;
	if ((r = cuptiRangeProfilerEnable(&en)) != CUPTI_SUCCESS)
		goto cupti_fail;
	enabled = 1;
	/* One range (one repetition), one nesting level. */
	ds.pRangeProfilerObject = en.pRangeProfilerObject;
	ds.pMetricNames = pv->active;
	ds.numMetrics = pv->nactive;
	ds.maxNumOfRanges = 1;
	ds.maxNumRangeTreeNodes = 1;
	f = "cuptiRangeProfilerGetCounterDataSize";
	if ((r = cuptiRangeProfilerGetCounterDataSize(&ds)) != CUPTI_SUCCESS)
		goto cupti_fail;
	image = malloc(ds.counterDataSize ? ds.counterDataSize : 1);
	if (!image) {
		snprintf(err, errlen, "out of memory");
		rc = -ENOMEM;
		goto out;
	}
	ci.pRangeProfilerObject = en.pRangeProfilerObject;
	ci.counterDataSize = ds.counterDataSize;
	ci.pCounterData = image;
	f = "cuptiRangeProfilerCounterDataImageInitialize";
	if ((r = cuptiRangeProfilerCounterDataImageInitialize(&ci)) != CUPTI_SUCCESS)
		goto cupti_fail;
	sc.pRangeProfilerObject = en.pRangeProfilerObject;
	sc.configSize = pv->config_size;
	sc.pConfig = pv->config;
	sc.counterDataImageSize = ds.counterDataSize;
	sc.pCounterDataImage = image;
	sc.range = CUPTI_UserRange;
	sc.replayMode = CUPTI_UserReplay;
	sc.maxRangesPerPass = 1;
	sc.numNestingLevels = 1;
	sc.minNestingLevel = 1;
	sc.passIndex = 0;
	/* 0, as NVIDIA's range-profiling sample (CUDA 12.6+) sets it for this
	 * API; the older Profiler API's samples passed minNestingLevel. Never
	 * run here: the first GPU run settles it (a SetConfig or Start error). */
	sc.targetNestingLevel = 0;
	f = "cuptiRangeProfilerSetConfig";
	if ((r = cuptiRangeProfilerSetConfig(&sc)) != CUPTI_SUCCESS)
		goto cupti_fail;
	/* User replay: the same repetition once per pass, until CUPTI says every
	 * pass was submitted (bounded, in case it never does). */
	int all = 0;
	for (size_t pass = 0; !all && pass < c->passes + 8; pass++) {
		CUpti_RangeProfiler_Start_Params st = { .structSize = CUpti_RangeProfiler_Start_Params_STRUCT_SIZE };
		CUpti_RangeProfiler_PushRange_Params pu = {
			.structSize = CUpti_RangeProfiler_PushRange_Params_STRUCT_SIZE };
		CUpti_RangeProfiler_PopRange_Params po = {
			.structSize = CUpti_RangeProfiler_PopRange_Params_STRUCT_SIZE };
		CUpti_RangeProfiler_Stop_Params sp = { .structSize = CUpti_RangeProfiler_Stop_Params_STRUCT_SIZE };
		st.pRangeProfilerObject = pu.pRangeProfilerObject = en.pRangeProfilerObject;
		po.pRangeProfilerObject = sp.pRangeProfilerObject = en.pRangeProfilerObject;
		pu.pRangeName = "repetition";
		f = "cuptiRangeProfilerStart";
		if ((r = cuptiRangeProfilerStart(&st)) != CUPTI_SUCCESS)
			goto cupti_fail;
		f = "cuptiRangeProfilerPushRange";
		if ((r = cuptiRangeProfilerPushRange(&pu)) != CUPTI_SUCCESS)
			goto cupti_fail;
		int rr = run(arg);
		f = "cuptiRangeProfilerPopRange";
		if ((r = cuptiRangeProfilerPopRange(&po)) != CUPTI_SUCCESS)
			goto cupti_fail;
		f = "cuptiRangeProfilerStop";
		if ((r = cuptiRangeProfilerStop(&sp)) != CUPTI_SUCCESS)
			goto cupti_fail;
		if (rr != 0) {
			snprintf(err, errlen, "the kernel's run failed during the metrics pass");
			rc = rr < 0 ? rr : -EIO;
			goto out;
		}
		all = sp.isAllPassSubmitted;
	}
	if (!all) {
		snprintf(err, errlen, "CUPTI asked for more than %zu passes", c->passes + 8);
		goto out;
	}
	dd.pRangeProfilerObject = en.pRangeProfilerObject;
	f = "cuptiRangeProfilerDecodeData";
	if ((r = cuptiRangeProfilerDecodeData(&dd)) != CUPTI_SUCCESS)
		goto cupti_fail;
	if (dd.numOfRangeDropped) {
		snprintf(err, errlen, "CUPTI dropped the range (%zu dropped)", dd.numOfRangeDropped);
		goto out;
	}
	info.pCounterDataImage = image;
	info.counterDataImageSize = ds.counterDataSize;
	f = "cuptiRangeProfilerGetCounterDataInfo";
	if ((r = cuptiRangeProfilerGetCounterDataInfo(&info)) != CUPTI_SUCCESS)
		goto cupti_fail;
	if (info.numTotalRanges < 1) {
		snprintf(err, errlen, "CUPTI recorded no range");
		goto out;
	}
	ev.pHostObject = pv->host;
	ev.pCounterDataImage = image;
	ev.counterDataImageSize = ds.counterDataSize;
	ev.rangeIndex = 0;
	ev.ppMetricNames = pv->active;
	ev.numMetrics = pv->nactive;
	ev.pMetricValues = got;
	f = "cuptiProfilerHostEvaluateToGpuValues";
	if ((r = cuptiProfilerHostEvaluateToGpuValues(&ev)) != CUPTI_SUCCESS)
		goto cupti_fail;
	for (size_t i = 0; i < c->nmetrics; i++)
		for (size_t j = 0; j < pv->nactive; j++)
			if (pv->active[j] == c->m[i].name)
				values[i] = got[j];
	rc = 0;
	goto out;
cupti_fail:
	cupti_reason(f, r, err, errlen);
	rc = -EIO;
out:
	if (enabled) {
		di.pRangeProfilerObject = en.pRangeProfilerObject;
		cuptiRangeProfilerDisable(&di);
	}
	free(image);
	return rc;
}

long bnn_cupti_chip_metrics(const bnn_cupti_t *c,
			    void (*fn)(void *ctx, const char *type, const char *name), void *ctx,
			    char *err, size_t errlen)
{
	static const char *const types[] = { "counter", "ratio", "throughput" };
	const cupti_priv_t *pv = c->priv;
	long n = 0;
	if (!c->chip_tables || !pv || !pv->host) {
		snprintf(err, errlen, "%s", c->chip_reason[0] ? c->chip_reason : "no chip");
		return -ENODEV;
	}
	for (int t = 0; t < 3; t++) {
		CUpti_Profiler_Host_GetBaseMetrics_Params bp = {
			.structSize = CUpti_Profiler_Host_GetBaseMetrics_Params_STRUCT_SIZE };
		bp.pHostObject = pv->host;
		bp.metricType = (CUpti_MetricType)t;
		CUptiResult r = cuptiProfilerHostGetBaseMetrics(&bp);
		if (r != CUPTI_SUCCESS) {
			cupti_reason("cuptiProfilerHostGetBaseMetrics", r, err, errlen);
			return -ENODEV;
		}
		for (size_t i = 0; i < bp.numMetrics; i++, n++)
			if (fn)
				fn(ctx, types[t], bp.ppMetricNames[i]);
	}
	return n;
}

void bnn_cupti_shutdown(bnn_cupti_t *c)
{
	cupti_priv_t *pv = c ? c->priv : NULL;
	if (!pv)
		return;
	if (pv->host) {
		CUpti_Profiler_Host_Deinitialize_Params d = {
			.structSize = CUpti_Profiler_Host_Deinitialize_Params_STRUCT_SIZE };
		d.pHostObject = pv->host;
		cuptiProfilerHostDeinitialize(&d);
	}
	if (pv->profiler) {
		CUpti_Profiler_DeInitialize_Params d = { .structSize = CUpti_Profiler_DeInitialize_Params_STRUCT_SIZE };
		cuptiProfilerDeInitialize(&d);
	}
	free(pv->avail);
	free(pv->config);
	free(pv);
	c->priv = NULL;
}

const char *bnn_cupti_version(void)
{
	static char buf[96];
	snprintf(buf, sizeof(buf), "CUPTI API %d (headers of this build)", CUPTI_API_VERSION);
	return buf;
}

#endif /* BNN_HAVE_CUPTI */
