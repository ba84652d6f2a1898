/*
 * test_cupti: machine/cupti.c.
 *
 * Everywhere: the aggregation of kernel records by name (synthetic records:
 * launches, total, min, max, first-launch order, records without a valid
 * start and end), the --gpu-metrics list (the default, none, and every
 * malformed list refused with a message naming the metric at fault), and a
 * session on this machine: without a device (or without CUPTI in the build)
 * every metric and the kernel records are unavailable with a reason, and
 * the passes refuse to start with that reason.
 *
 * With CUPTI built in: the host side of the profiler reads a named chip's
 * metric tables with no device (BNNBENCH_CUPTI_CHIP): the default metrics
 * exist on GH100 (H100/H200) and GA100 (A100), a made-up name is "unknown"
 * with a reason naming the chip, and the chip's base metric list holds the
 * defaults' base names.
 *
 * On a GPU (a CUDA device and CUPTI): one CUDA GEMM kernel of the table runs
 * R times inside both CUDA events and the Activity API; CUPTI's kernel time
 * must be positive and no larger than the events' elapsed time (kernels on
 * the default stream run one after another inside that window). Skipped,
 * with the reason, where there is no device.
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config.h"
#include "bnn_kernels.h"
#include "bnn_cupti.h"
#include "tap.h"
#ifdef BNN_HAVE_CUDA
#include "cuda/bnn_cuda.h"
#endif

static const bnn_gpu_kstat_t *find(const bnn_gpu_kagg_t *a, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (!strcmp(a->k[i].name, name))
			return &a->k[i];
	return NULL;
}

static void test_aggregation(void)
{
	bnn_gpu_kagg_t a = { 0 };
	/* name, start, end: pack twice, gemm three times, one popc, two bad */
	static const struct {
		const char *name;
		uint64_t s, e;
	} rec[] = {
		{ "pack_rows(const float *, long, long, long, long, unsigned int *)", 1000, 1500 },
		{ "bgemm_mma_kernel", 2000, 12000 },
		{ "pack_rows(const float *, long, long, long, long, unsigned int *)", 13000, 13700 },
		{ "bgemm_mma_kernel", 14000, 23000 },
		{ "row_popc", 23500, 23600 },
		{ "bgemm_mma_kernel", 24000, 35000 },
		{ "bgemm_mma_kernel", 36000, 35000 },   /* end before start */
		{ "row_popc", 0, 100 },                 /* no start */
	};
	int rc = 0;
	for (size_t i = 0; i < sizeof(rec) / sizeof(rec[0]); i++)
		rc |= bnn_gpu_kagg_add(&a, rec[i].name, rec[i].s, rec[i].e);
	tap_ok(rc == 0 && a.n == 3, "8 records of 3 names: 3 entries (%zu)", a.n);
	tap_ok(a.n == 3 && !strncmp(a.k[0].name, "pack_rows", 9) &&
	       !strcmp(a.k[1].name, "bgemm_mma_kernel") && !strcmp(a.k[2].name, "row_popc"),
	       "entries in the order of their first launch");
	const bnn_gpu_kstat_t *g = find(&a, "bgemm_mma_kernel");
	tap_ok(g && g->launches == 3 && g->total_ns == 30000 && g->min_ns == 9000 &&
	       g->max_ns == 11000, "gemm: 3 launches, total 30000 ns, min 9000, max 11000");
	const bnn_gpu_kstat_t *p = &a.k[0];
	tap_ok(p->launches == 2 && p->total_ns == 1200 && p->min_ns == 500 && p->max_ns == 700,
	       "pack: 2 launches, total 1200, min 500, max 700");
	const bnn_gpu_kstat_t *q = find(&a, "row_popc");
	tap_ok(q && q->launches == 1 && q->total_ns == 100 && q->min_ns == 100 && q->max_ns == 100,
	       "row_popc: the one valid record only");
	tap_ok(a.skipped == 2, "the record ending before its start and the one without a start "
	       "are counted as skipped (%lld)", a.skipped);
	tap_ok(bnn_gpu_kagg_total_ns(&a) == 31300, "total over the names: 31300 ns (%g)",
	       bnn_gpu_kagg_total_ns(&a));
	tap_ok(bnn_gpu_kagg_add(&a, NULL, 1, 2) == -EINVAL && a.n == 3, "a NULL name is refused");
	/* The name is copied: the record's own string may go away. */
	char tmp[32];
	snprintf(tmp, sizeof(tmp), "volatile_name");
	bnn_gpu_kagg_add(&a, tmp, 100, 200);
	memset(tmp, 'x', sizeof(tmp) - 1);
	tap_ok(find(&a, "volatile_name") != NULL, "names are copied");
	bnn_gpu_kagg_free(&a);
	tap_ok(a.n == 0 && a.k == NULL && a.skipped == 0 && bnn_gpu_kagg_total_ns(&a) == 0,
	       "free leaves an empty aggregate");
	/* Many names: the table grows. */
	char name[32];
	rc = 0;
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "k%d", i % 40);
		rc |= bnn_gpu_kagg_add(&a, name, 10, 10 + (uint64_t)i);
	}
	g = find(&a, "k39");
	tap_ok(rc == 0 && a.n == 40 && g && g->launches == 2 && g->total_ns == 39 + 79,
	       "100 records of 40 names: 40 entries, k39 launched twice (39 + 79 ns)");
	bnn_gpu_kagg_free(&a);
}

/* Parses list; returns rc, with the message in err. */
static int parse(const char *list, size_t *n, char (*names)[BNN_CUPTI_NAME_MAX], char *err,
		 size_t len)
{
	err[0] = 0;
	return bnn_cupti_parse_metrics(list, names, BNN_CUPTI_METRICS_MAX, n, err, len);
}

static void test_metric_list(void)
{
	char names[BNN_CUPTI_METRICS_MAX][BNN_CUPTI_NAME_MAX], err[512];
	size_t n = 99;
	tap_ok(parse(NULL, &n, names, err, sizeof(err)) == 0 && n == 4 &&
	       !strcmp(names[1], "dram__bytes_read.sum") &&
	       !strcmp(names[2], "dram__bytes_write.sum") &&
	       !strncmp(names[0], "sm__pipe_tensor_op_imma", 23) &&
	       !strcmp(names[3], "sm__warps_active.avg.pct_of_peak_sustained_active"),
	       "the default list: tensor pipe, DRAM read, DRAM write, occupancy");
	tap_ok(parse("none", &n, names, err, sizeof(err)) == 0 && n == 0, "none: no metric");
	tap_ok(parse("a__b.sum,c__d.avg.pct_of_peak_sustained_active", &n, names, err,
		     sizeof(err)) == 0 && n == 2 && !strcmp(names[1],
							   "c__d.avg.pct_of_peak_sustained_active"),
	       "two names");
	static const struct {
		const char *list, *expect;
	} bad[] = {
		{ "dram__bytes_read.sum,,x.sum", "metric 2 is empty" },
		{ "", "metric 1 is empty" },
		{ "x.sum,", "metric 2 is empty" },
		{ "dram__bytes_read.sum,dram bytes", "metric 2 'dram bytes' is not a metric name" },
		{ "x.sum;y.sum", "metric 1 'x.sum;y.sum' is not a metric name" },
		{ "a.sum,b.sum,a.sum", "metric 3 'a.sum' is already metric 1" },
		{ "a.sum,none", "metric 2: 'none' must be the whole list" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i].list, &n, names, err, sizeof(err));
		tap_ok(rc == -EINVAL && strstr(err, bad[i].expect) && strstr(err, "--gpu-metrics"),
		       "'%s' refused: %s", bad[i].list, err);
	}
	char lng[300];
	memset(lng, 'm', 200);
	lng[200] = 0;
	tap_ok(parse(lng, &n, names, err, sizeof(err)) == -EINVAL &&
	       strstr(err, "metric 1") && strstr(err, "longer than 127"),
	       "a 200-character name refused: %s", err);
	char many[600] = "";
	for (int i = 0; i < 17; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sm%d.sum", i ? "," : "",
			 i);
	tap_ok(parse(many, &n, names, err, sizeof(err)) == -EINVAL &&
	       strstr(err, "metric 17 'm16.sum': at most 16"), "17 metrics refused: %s", err);
}

/* Without a device (this project's machine), or without CUPTI built in. */
static void test_no_device(int have_device)
{
	bnn_cupti_t c;
	char err[512], why[400];
	double v[BNN_CUPTI_METRICS_MAX];
	bnn_gpu_kagg_t agg = { 0 };
	tap_ok(bnn_cupti_init(&c, "dram__bytes_read.sum,,", 1, err, sizeof(err)) == -EINVAL &&
	       strstr(err, "metric 2 is empty"), "init refuses a malformed list");
	bnn_cupti_shutdown(&c);
	tap_ok(bnn_cupti_init(&c, NULL, 0, err, sizeof(err)) == 0 && c.nmetrics == 4 &&
	       c.nactive == 0 && !bnn_cupti_can_trace(&c) && !bnn_cupti_can_measure(&c) &&
	       !strcmp(c.m[0].status, "unavailable") && c.m[0].reason[0],
	       "not using the device: nothing measured, every metric unavailable (%s)",
	       c.m[0].reason);
	bnn_cupti_shutdown(&c);
	if (have_device) {
		tap_ok(1, "# SKIP there is a CUDA device here: the no-device path is not taken");
		tap_ok(1, "# SKIP there is a CUDA device here");
		tap_ok(1, "# SKIP there is a CUDA device here");
		return;
	}
	int rc = bnn_cupti_init(&c, NULL, 1, err, sizeof(err));
	int all = rc == 0 && c.nmetrics == 4 && !c.device && !c.trace && c.trace_reason[0];
	for (size_t i = 0; i < c.nmetrics; i++)
		all &= !strcmp(c.m[i].status, "unavailable") && c.m[i].reason[0] && !c.m[i].active;
#ifdef BNN_HAVE_CUPTI
	all &= strstr(c.trace_reason, "no CUDA device") != NULL;
#endif
	tap_ok(all, "no device: kernel records and every metric unavailable with the reason (%s)",
	       c.trace_reason);
	snprintf(why, sizeof(why), "%s", c.trace_reason);
	tap_ok(bnn_cupti_trace_begin(&c, err, sizeof(err)) == -ENODEV && !strcmp(err, why),
	       "the kernel-record pass refuses to start, with that reason");
	tap_ok(bnn_cupti_measure(&c, NULL, NULL, v, err, sizeof(err)) == -ENODEV &&
	       isnan(v[0]) && isnan(v[3]) && err[0] && agg.n == 0,
	       "the metrics pass refuses too, the values NaN (%s)", err);
	char line[4000];
	bnn_cupti_summary(&c, line, sizeof(line));
	printf("# summary: %s\n", line);
	bnn_cupti_shutdown(&c);
}

#ifdef BNN_HAVE_CUPTI
static void count_metric(void *ctx, const char *type, const char *name)
{
	int *seen = ctx;
	(void)type;
	if (!strcmp(name, "dram__bytes_read") || !strcmp(name, "dram__bytes_write") ||
	    !strcmp(name, "sm__warps_active") || !strcmp(name, "sm__pipe_tensor_op_imma_cycles_active"))
		(*seen)++;
}
#endif

/* The host tables of a named chip, no device needed (CUPTI builds). */
static void test_chip_tables(int have_device)
{
#ifdef BNN_HAVE_CUPTI
	static const char *const chips[] = { "GH100", "GA100" };
	if (have_device) {
		for (int i = 0; i < 6; i++)
			tap_ok(1, "# SKIP a device is here: its own chip is used, not a named one");
		return;
	}
	for (int ci = 0; ci < 2; ci++) {
		bnn_cupti_t c;
		char err[512];
		setenv("BNNBENCH_CUPTI_CHIP", chips[ci], 1);
		char list[600];
		snprintf(list, sizeof(list), "%s,bnn_made_up__metric.sum", BNN_CUPTI_METRICS_DEFAULT);
		int rc = bnn_cupti_init(&c, list, 1, err, sizeof(err));
		int known = rc == 0 && c.chip_tables && !strcmp(c.chip, chips[ci]);
		for (size_t i = 0; i < 4; i++)
			known &= !strcmp(c.m[i].status, "unavailable") &&
				 strstr(c.m[i].reason, "no CUDA device") != NULL;
		tap_ok(known, "%s: the 4 default metrics exist in its tables (unavailable only for "
		       "want of a device: %s)", chips[ci], c.m[0].reason);
		tap_ok(c.nmetrics == 5 && !strcmp(c.m[4].status, "unknown") &&
		       strstr(c.m[4].reason, chips[ci]) &&
		       strstr(c.m[4].reason, "CUPTI_ERROR_INVALID_METRIC_NAME"),
		       "%s: a made-up metric is unknown: %s", chips[ci], c.m[4].reason);
		int seen = 0;
		long n = bnn_cupti_chip_metrics(&c, count_metric, &seen, err, sizeof(err));
		tap_ok(n > 1000 && seen == 4, "%s offers %ld base metrics, the defaults' 4 among them",
		       chips[ci], n);
		bnn_cupti_shutdown(&c);
	}
	unsetenv("BNNBENCH_CUPTI_CHIP");
#else
	(void)have_device;
	for (int i = 0; i < 6; i++)
		tap_ok(1, "# SKIP built without CUPTI: no host tables");
#endif
}

/* On a GPU: CUPTI's kernel time against the CUDA events around the same
 * repetitions. */
static void test_gpu(int have_device, const char *why)
{
#if defined(BNN_HAVE_CUPTI)
	if (have_device) {
		const bnn_kernel_t *k = NULL;
		bnn_op_desc_t d;
		memset(&d, 0, sizeof(d));
		d.op = BNN_OP_GEMM;
		d.gemm.m = d.gemm.n = 256;
		d.gemm.k = 1024;
		char w[200];
		for (size_t i = 0; i < bnn_kernel_count && !k; i++)
			if (bnn_kernels[i].isa == BNN_ISA_CUDA && bnn_kernels[i].op == BNN_OP_GEMM &&
			    (!bnn_kernels[i].supports || bnn_kernels[i].supports(&d, w, sizeof(w)) == 0))
				k = &bnn_kernels[i];
		float *a = malloc(256 * 1024 * sizeof(float)), *b = malloc(256 * 1024 * sizeof(float));
		int32_t *c = malloc(256 * 256 * sizeof(int32_t));
		void *state = NULL;
		bnn_cupti_t cu;
		char err[512];
		bnn_gpu_kagg_t agg = { 0 };
		double ev = NAN;
		int ok = k && a && b && c;
		for (int i = 0; ok && i < 256 * 1024; i++) {
			a[i] = (i * 7919) % 13 < 6 ? -1.0f : 1.0f;
			b[i] = (i * 104729) % 11 < 5 ? -1.0f : 1.0f;
		}
		bnn_inputs_t in = { .a = a, .b = b };
		ok = ok && bnn_cupti_init(&cu, "none", 1, err, sizeof(err)) == 0 &&
		     bnn_cupti_can_trace(&cu) && k->prepare(&d, &in, &state) == 0 &&
		     k->run(state, c) == 0;
		if (ok && bnn_cupti_trace_begin(&cu, err, sizeof(err)) == 0) {
			int t = bnn_cuda_timer_begin();
			for (int r = 0; r < 20; r++)
				ok &= k->run(state, c) == 0;
			ok &= t == 0 && bnn_cuda_timer_end(&ev) == 0;
			ok &= bnn_cupti_trace_end(&cu, &agg, err, sizeof(err)) == 0;
		} else {
			ok = 0;
		}
		double kt = bnn_gpu_kagg_total_ns(&agg);
		tap_ok(ok && agg.n >= 1 && kt > 0 && kt <= ev * 1.01 + 1000,
		       "%s: CUPTI kernel time %.0f ns over 20 repetitions, positive and within the "
		       "CUDA events' %.0f ns (%zu kernel names) %s", k ? k->name : "no CUDA gemm",
		       kt, ev, agg.n, ok ? "" : err);
		if (state)
			k->release(state);
		bnn_gpu_kagg_free(&agg);
		bnn_cupti_shutdown(&cu);
		free(a);
		free(b);
		free(c);
		return;
	}
#endif
	(void)have_device;
	tap_ok(1, "# SKIP no GPU check here: %s", why);
}

int main(void)
{
	char why[300] = "built without CUDA";
	int have_device = 0;
#ifdef BNN_HAVE_CUDA
	have_device = bnn_cuda_available(why, sizeof(why));
#endif
#ifndef BNN_HAVE_CUPTI
	if (have_device)
		snprintf(why, sizeof(why), "built without CUPTI");
#endif
	tap_plan(11 + 12 + 5 + 6 + 1);
	test_aggregation();
	test_metric_list();
	test_no_device(have_device);
	test_chip_tables(have_device);
	test_gpu(have_device, why);
	return tap_exit();
}
