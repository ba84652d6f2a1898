/*
 * bnnbench: the command line. Parses options, loads and validates every
 * problem before touching the database, then runs each problem and stores
 * each finished result at once (one transaction each).
 */
#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bnn_kernels.h"
#include "config.h"
#include "bind.h"
#include "counters.h"
#include "bnn_cupti.h"
#include "info.h"
#include "dbtools.h"
#include "help.h"
#include "junit.h"
#include "localpeak.h"
#include "machine.h"
#include "quiet.h"
#include "npy.h"
#include "weights.h"
#include "netreport.h"
#include "reports.h"
#include "peak.h"
#include "peers.h"
#include "runner.h"
#include "store.h"
#include "spool.h"
#include "suite.h"

#define EXIT_FAILED 1      /* some (problem, kernel) FAILED */
#define EXIT_USAGE 2       /* bad input: nothing ran */
#define EXIT_IO 3          /* the database or a dump failed mid-run */
#define EXIT_INTERRUPTED 130

#define DEFAULT_SEED BNN_DEFAULT_SEED   /* fixed, so runs are comparable */
#define DEFAULT_DB BNN_DBT_DEFAULT_DB
/* How long a result waits for a locked database before it is spooled, and
 * how long the end of a run waits to store the spooled ones. */
#define STORE_RESULT_BUSY_MS 10000
#define STORE_FINAL_BUSY_MS 300000

/* Prints the help of cmd to f: `bnnbench --help` (whole) every command's
 * usage and run's options, else that command's (cli/help.c). */
static void print_help(FILE *f, const char *cmd, int whole)
{
	const bnn_help_cmd_t *c = bnn_help_find(cmd);
	if (whole || !c)
		bnn_help_print_all(f);
	else
		bnn_help_print(f, c);
}

/* cmd's help as one string (freed by the caller), for the commands over
 * stored results, which print it themselves. */
static char *help_string(const char *cmd)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	bnn_help_print(f, bnn_help_find(cmd));
	fclose(f);
	return buf;
}

typedef struct {
	const char *db_path;
	int no_db;
	const char *junit_path;  /* --junit: the results as JUnit XML at the end */
	int threads;
	int bind;
	int no_peers;
	int no_probe;
	int probe_only;      /* the probe command: a run with no problems */
	double probe_time;
	char binding[256];
	int quiet;
	int verbose;         /* -v: a line for every SKIP too */
	int shard, nshards;  /* --shard I/N: problems i with i % N == I - 1; 0/0: all */
	unsigned long long max_mem;
	bnn_run_opts_t run;
	const char *suites[64];
	int nsuites;
	const char *kernels[64]; /* --kernel patterns (run.kernel_filters) */
	const char *descs[256];
	int ndescs;
	const char *cmd;
	const char *input_path;  /* --input: images for the network problems */
	float *images;           /* its contents, loaded with the problems */
	const char *weights_path; /* --weights: trained ReActNet-A parameters */
	bnn_weights_t weights;    /* loaded with the problems */
	const char *events;  /* --events; NULL: the default list */
	int json;            /* info --json */
	bnn_counters_t counters;
	bnn_machine_t machine;
	const char *gpu_metrics;  /* --gpu-metrics; NULL: the default list */
	bnn_cupti_t cupti;
} cli_t;

typedef struct {
	cli_t *cli;
	bnn_store_t *store;
	bnn_spool_t *spool;      /* results waiting while the database is locked */
	int64_t spool_tag;       /* the last tag given to a spooled result */
	int spool_said;          /* the user was told results are being kept */
	int64_t run_id, problem_id;
	size_t index, total;
	size_t count[4];
	size_t stored;           /* results of count[] in the database (not probe rows) */
	int io_error;
	bnn_probe_result_t probe[BNN_PROBE_MAX_RESULTS];
	size_t nprobe;
	bnn_netreport_t *net;    /* the ReActNet tables printed at the end */
	/* The best peak probed so far in this run, per ISA (XOR-popcount TOPS)
	 * and for FP32 FMA (GFLOPS): an efficiency is taken against the best
	 * of these and the probe right beside the result. */
	double best_tops[BNN_ISA_COUNT], best_gflops;
	size_t mistrusted;       /* results whose efficiency came out above 1 */
	double t_start;          /* for the progress line's estimate */
	double t_last_progress;
	const char *cur_problem;
	/* SKIPs by reason, printed once at the end (each is in the database):
	 * the same reason repeats for every problem a kernel cannot run. */
	struct { char reason[256]; size_t n; char kernels[512]; } skip[64];
	size_t nskip, skip_other;
	/* The GPU kernels timed on the current problem, for the speedup line
	 * printed under each GPU peer (peers run after the kernels). */
	struct { const char *name; double median_ns; } gpu_k[32];
	size_t ngpu_k, gpu_k_index;
	/* --junit: every outcome kept, as its stored result says it. */
	bnn_junit_list_t junit;
	int junit_oom;
} run_ctx_t;

/* Peers that compute in fp32: their efficiency is against the FMA peak. */
static int peer_is_fp32(const char *name)
{
	return strstr(name, "sgemm") || strstr(name, "f32");
}

/*
 * Achieved over probed peak: a binary kernel's TOPS over the XOR-popcount
 * peak of its ISA; a BWN kernel's and an fp32 peer's 2 x MACs/s over the
 * FMA peak (one multiply-add per MAC), both probed again right
 * now on the same worker pool (see localpeak.h); the peak is the best of
 * that probe and every earlier one of the run (its start included), so a
 * probe that ran in a slow moment does not lift the efficiency. The value
 * is returned whatever it is: above 1 the caller marks the peak
 * mistrusted. NaN when not timed, with --no-probe, or for peers without a
 * matching probe (int8).
 */
static double gpu_efficiency(const run_ctx_t *ctx, const bnn_outcome_t *o);

static double efficiency(run_ctx_t *ctx, const bnn_outcome_t *o)
{
	if (!o->timed || ctx->cli->no_probe)
		return NAN;
	if (o->kernel->isa == BNN_ISA_CUDA)
		return gpu_efficiency(ctx, o);
	double window = ctx->cli->probe_time / 10;
	/* BWN kernels add real numbers: their limit is the FMA rate, not popcount. */
	if (!strcmp(o->kind, "kernel") && o->kernel->op != BNN_OP_BWN) {
		int i = (int)o->kernel->isa;
		double now = bnn_local_peak_tops(o->kernel->isa, window);
		if (i < 0 || i >= BNN_ISA_COUNT)
			return o->tops / now;
		if (!(ctx->best_tops[i] >= now))
			ctx->best_tops[i] = now;
		return o->tops / ctx->best_tops[i];
	}
	if (!strcmp(o->kind, "peer") && !peer_is_fp32(o->kernel->name))
		return NAN;
	double now = bnn_local_peak_gflops(window);
	if (!(ctx->best_gflops >= now))
		ctx->best_gflops = now;
	return 2.0 * o->macs / o->stats.median / ctx->best_gflops;
}

/*
 * GPU results against the GPU probe of the run's start (the device is not
 * shared the way the CPU is, so it is not probed again per result): a
 * binary CUDA kernel's TOPS over the 1-bit mma peak, the int8 peer's over
 * the int8 mma peak, the fp16 peer's over the fp16 mma peak. NaN without
 * the matching probe row (no device, --no-probe, BWN kernels).
 */
static double gpu_efficiency(const run_ctx_t *ctx, const bnn_outcome_t *o)
{
	const char *row = NULL;
	if (!strcmp(o->kind, "kernel") && o->kernel->op != BNN_OP_BWN)
		row = "mma_b1 cuda";
	else if (!strcmp(o->kind, "peer") && strstr(o->kernel->name, "_s8_"))
		row = "mma_s8 cuda";
	else if (!strcmp(o->kind, "peer") && strstr(o->kernel->name, "_f16_"))
		row = "mma_f16 cuda";
	if (!row)
		return NAN;
	return o->tops / bnn_probe_peak_named(ctx->probe, ctx->nprobe, row);
}

/*
 * Under a GPU peer's line: each GPU kernel of the same problem against it
 * (peer median / kernel median, host clock, as the report's speedups).
 */
static void gpu_ratios(run_ctx_t *ctx, const bnn_outcome_t *o)
{
	int gpu = o->kernel->isa == BNN_ISA_CUDA;
	if (ctx->gpu_k_index != ctx->index) {
		ctx->gpu_k_index = ctx->index;
		ctx->ngpu_k = 0;
	}
	if (!gpu || !o->timed || o->check.status != BNN_PASS)
		return;
	if (!strcmp(o->kind, "kernel")) {
		if (ctx->ngpu_k < sizeof(ctx->gpu_k) / sizeof(ctx->gpu_k[0])) {
			ctx->gpu_k[ctx->ngpu_k].name = o->kernel->name;
			ctx->gpu_k[ctx->ngpu_k++].median_ns = o->stats.median;
		}
		return;
	}
	if (!ctx->ngpu_k || ctx->cli->quiet)
		return;
	printf("          speedup over %s (its median / the kernel's):", o->kernel->name);
	for (size_t i = 0; i < ctx->ngpu_k; i++)
		printf(" %s %.2fx", ctx->gpu_k[i].name, o->stats.median / ctx->gpu_k[i].median_ns);
	printf("\n");
}

/*
 * A size: a positive number with an optional K, M, G or T (powers of 1024)
 * and B or iB. Returns 0, or -1 for anything else, NaN and infinity
 * included, and for a size of 2^64 bytes or more (or under one byte),
 * which the conversion to an integer cannot hold.
 */
static int parse_size(const char *s, unsigned long long *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || !(v > 0) || !isfinite(v))
		return -1;
	switch (*end) {
	case 'T': case 't': v *= 1024.0; /* fall through */
	case 'G': case 'g': v *= 1024.0; /* fall through */
	case 'M': case 'm': v *= 1024.0; /* fall through */
	case 'K': case 'k': v *= 1024.0; end++; break;
	case 0: break;
	default: return -1;
	}
	if (*end && strcmp(end, "B") && strcmp(end, "iB"))
		return -1;
	if (!(v >= 1.0 && v < 0x1p64))
		return -1;
	*out = (unsigned long long)v;
	return 0;
}

static int parse_count(const char *opt, const char *s, int lo, int *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > 100000000) {
		fprintf(stderr, "bnnbench: %s: '%s' is not an integer >= %d\n", opt, s, lo);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static const char *human(double bytes, char *buf, size_t len)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	int i = 0;
	while (bytes >= 1024 && i < 6)
		bytes /= 1024, i++;
	snprintf(buf, len, "%.1f %s", bytes, u[i]);
	return buf;
}

/* The command line as one string, arguments with spaces quoted. */
static void join_argv(int argc, char **argv, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (int i = 0; i < argc && n < len; i++) {
		int q = strpbrk(argv[i], " \t'\"") != NULL;
		n += (size_t)snprintf(buf + n, len - n, "%s%s%s%s", i ? " " : "", q ? "'" : "",
				      argv[i], q ? "'" : "");
	}
}

/* Counts a SKIP under its reason, and its kernel among the reason's. */
static void note_skip(run_ctx_t *ctx, const bnn_outcome_t *o)
{
	size_t i;
	for (i = 0; i < ctx->nskip && strcmp(ctx->skip[i].reason, o->check.reason); i++)
		;
	if (i == ctx->nskip) {
		if (ctx->nskip == sizeof(ctx->skip) / sizeof(ctx->skip[0])) {
			ctx->skip_other++;
			return;
		}
		ctx->nskip++;
		snprintf(ctx->skip[i].reason, sizeof(ctx->skip[i].reason), "%s", o->check.reason);
		ctx->skip[i].kernels[0] = 0;
	}
	ctx->skip[i].n++;
	char *k = ctx->skip[i].kernels;
	size_t len = strlen(o->kernel->name), have = strlen(k);
	const char *hit = strstr(k, o->kernel->name);
	if (hit && (hit[len] == 0 || hit[len] == ','))
		return;
	if (have + len + 8 < sizeof(ctx->skip[i].kernels))
		snprintf(k + have, sizeof(ctx->skip[i].kernels) - have, "%s%s", have ? ", " : "",
			 o->kernel->name);
	else if (!strstr(k, "..."))
		snprintf(k + have, sizeof(ctx->skip[i].kernels) - have, ", ...");
}

/* The SKIPs, one line per reason (-v printed them one by one instead). */
static void print_skips(const run_ctx_t *ctx)
{
	size_t total = ctx->skip_other;
	for (size_t i = 0; i < ctx->nskip; i++)
		total += ctx->skip[i].n;
	if (!total)
		return;
	printf("skipped: %zu results for %zu reasons (-v lists each; all are stored):\n", total,
	       ctx->nskip + (ctx->skip_other ? 1 : 0));
	for (size_t i = 0; i < ctx->nskip; i++)
		printf("  %4zu x %s\n         kernels: %s\n", ctx->skip[i].n, ctx->skip[i].reason,
		       ctx->skip[i].kernels);
	if (ctx->skip_other)
		printf("  %4zu x other reasons\n", ctx->skip_other);
}

/* --junit: keeps outcome o of problem p as a test case, as export writes
 * the stored result (results/export.c); out of memory is said once. */
static void junit_note(run_ctx_t *ctx, const bnn_problem_t *p, const bnn_outcome_t *o)
{
	const char *status = bnn_status_name(o->check.status);
	bnn_junit_outcome_t out = bnn_junit_of_status(status);
	bnn_junit_case_t c = {
		.classname = bnn_op_name(p->d.op), .problem = p->name, .kernel = o->kernel->name,
		.time_s = o->timed ? o->stats.median * 1e-9 : 0, .outcome = out, .type = status,
		.message = o->check.reason[0] ? o->check.reason : NULL,
		.text = out == BNN_JUNIT_FAILURE ? o->repro : NULL,
	};
	if (!ctx->cli->junit_path || ctx->junit_oom)
		return;
	if (bnn_junit_add(&ctx->junit, &c) != 0) {
		fprintf(stderr, "bnnbench: out of memory: --junit %s will not be written\n",
			ctx->cli->junit_path);
		ctx->junit_oom = 1;
	}
}

static int on_outcome(void *vctx, const bnn_problem_t *p, const bnn_outcome_t *o)
{
	run_ctx_t *ctx = vctx;
	bnn_status_t st = o->check.status;
	double eff_raw = efficiency(ctx, o), eff;
	/* An efficiency above 1 cannot be: the peak was not an upper bound. */
	const char *peak_status = bnn_peak_verdict(eff_raw, &eff);
	int mistrusted = peak_status && !strcmp(peak_status, "mistrusted");
	ctx->count[st]++;
	if (mistrusted)
		ctx->mistrusted++;
	const bnn_counters_t *cs = &ctx->cli->counters;
	bnn_counter_rec_t crec[BNN_COUNTERS_MAX + 1 + BNN_CUPTI_METRICS_MAX + BNN_PROFILE_MAX];
	char stage_names[BNN_PROFILE_MAX][16];
	size_t ncrec = 0;
	char scope[96];
	double cyc = NAN, ins = NAN;
	if (o->counted || o->count_error[0]) {
		bnn_counters_scope(!strcmp(o->kind, "peer"), scope, sizeof(scope));
		for (size_t i = 0; i < cs->nevents; i++) {
			if (!cs->ev[i].active)
				continue;
			int ok = o->counted && o->counts[i] >= 0;
			crec[ncrec++] = (bnn_counter_rec_t){
				.source = "PAPI", .event = cs->ev[i].name,
				.value = ok ? o->counts[i] : -1, .reps = o->count_reps,
				.status = ok ? "ok" : "failed",
				.reason = ok ? NULL : o->count_error[0] ? o->count_error : "not read",
				.scope = scope, .multiplexed = cs->ev[i].multiplexed,
			};
			if (ok && !strcmp(cs->ev[i].name, "PAPI_TOT_CYC"))
				cyc = (double)o->counts[i];
			if (ok && !strcmp(cs->ev[i].name, "PAPI_TOT_INS"))
				ins = (double)o->counts[i];
		}
	}
	/* CUPTI (GPU kernels): the kernel-record pass as one counter (the pure
	 * kernel ns over it), then each measured metric over one repetition. */
	const bnn_cupti_t *cu = ctx->cli->run.cupti;
	char cscope[160];
	if (cu && (o->gpu_traced || o->gpu_trace_error[0]))
		crec[ncrec++] = (bnn_counter_rec_t){
			.source = "CUPTI", .event = BNN_CUPTI_ACTIVITY_EVENT,
			.reps = o->gpu_traced ? o->gpu_reps : 0,
			.status = o->gpu_traced ? "ok" : "failed",
			.reason = o->gpu_traced ? NULL : o->gpu_trace_error,
			.scope = "device: kernel ns over the pass (Activity API records)",
			.real = 1, .real_value = o->gpu_kernel_ns * (double)o->gpu_reps,
		};
	if (cu && (o->gpu_metered || o->metric_error[0])) {
		snprintf(cscope, sizeof(cscope), "device %s: one repetition (Range Profiler, %zu "
			 "passes)", cu->chip, cu->passes);
		for (size_t i = 0; i < cu->nmetrics; i++) {
			if (!cu->m[i].active)
				continue;
			int ok = o->gpu_metered && isfinite(o->metric_values[i]);
			crec[ncrec++] = (bnn_counter_rec_t){
				.source = "CUPTI", .event = cu->m[i].name, .reps = 1,
				.status = ok ? "ok" : "failed",
				.reason = ok ? NULL : o->metric_error[0] ? o->metric_error :
					  "not read",
				.scope = cscope, .real = 1,
				.real_value = ok ? o->metric_values[i] : NAN,
			};
		}
	}
	/* A network kernel's stages inside the network (its profile hook): one
	 * counter each, the median stage time over the profiled runs. */
	for (int i = 0; i < o->nstages; i++) {
		if (i == 0)
			snprintf(stage_names[i], sizeof(stage_names[i]), "stem");
		else if (i == o->nstages - 1)
			snprintf(stage_names[i], sizeof(stage_names[i]), "head");
		else
			snprintf(stage_names[i], sizeof(stage_names[i]), "block%02d", i);
		crec[ncrec++] = (bnn_counter_rec_t){
			.source = "profile", .event = stage_names[i], .reps = 1, .status = "ok",
			.scope = o->kernel->isa == BNN_ISA_CUDA ?
					 "ns, median of the profiled runs (CUDA events between stages)" :
					 "ns, median of the profiled runs (host clock between stages)",
			.real = 1, .real_value = o->stage_ns[i],
		};
	}
	if (!o->nstages && o->stage_error[0])
		crec[ncrec++] = (bnn_counter_rec_t){
			.source = "profile", .event = "stages", .status = "failed",
			.reason = o->stage_error, .scope = "the network's stages",
		};
	if (st == BNN_SKIP && !ctx->cli->verbose)
		note_skip(ctx, o);
	else if (!ctx->cli->quiet || st == BNN_FAIL) {
		if (isatty(STDERR_FILENO) && isatty(STDOUT_FILENO))
			fputs("\033[K", stderr);   /* over the progress line */
		printf("[%3zu/%zu] %-40s %-30s %-10s", ctx->index, ctx->total, p->name,
		       o->kernel->name, bnn_status_name(st));
		if (o->timed)
			printf(" %10.2f us [%.2f, %.2f] %8.4f TOPS", o->stats.median / 1e3,
			       o->stats.ci_lo / 1e3, o->stats.ci_hi / 1e3, o->tops);
		if (o->timed && o->dev_timed)
			printf(" (device %.2f us)", o->dev_stats.median / 1e3);
		if (o->timed && o->gpu_traced)
			printf(" (CUPTI kernels %.2f us)", o->gpu_kernel_ns / 1e3);
		if (!isnan(eff))
			printf(" %5.1f%% of peak", 100.0 * eff);
		if (mistrusted)
			printf(" peak mistrusted (%.0f%% of the probed peak)", 100.0 * eff_raw);
		if (o->timed && o->nrounds > 1)
			printf(" %d rounds", o->nrounds);
		if (cyc > 0 && !isnan(ins))
			printf(" IPC %.2f", ins / cyc);
		if (!bnn_op_output_is_int(p->d.op) && st != BNN_SKIP)
			printf("  err %.2g <= %.2g", o->check.max_abs_err, o->check.bound);
		printf("\n");
		if (st != BNN_PASS)
			printf("          %s\n", o->check.reason);
		if (st == BNN_FAIL)
			printf("          repro: %s\n", o->repro);
		fflush(stdout);
	}
	gpu_ratios(ctx, o);
	if (!ctx->store) {
		bnn_netreport_add(ctx->net, p, o, 0);
		junit_note(ctx, p, o);
		return 0;
	}
	bnn_result_rec_t r = {
		.kernel = o->kernel->name,
		.kind = o->kind,
		.isa = bnn_isa_name(o->kernel->isa),
		.status = bnn_status_name(st),
		.reason = o->check.reason[0] ? o->check.reason : NULL,
		.repro = o->repro,
		.max_abs_err = st == BNN_SKIP ? NAN : o->check.max_abs_err,
		.max_rel_err = st == BNN_SKIP ? NAN : o->check.max_rel_err,
		.bound = bnn_op_output_is_int(p->d.op) || st == BNN_SKIP ? NAN : o->check.bound,
		.samples_ns = o->samples,
		.nsamples = o->timed ? o->nsamples : 0,
		.min_ns = o->timed ? o->stats.min : NAN,
		.median_ns = o->timed ? o->stats.median : NAN,
		.ci_lo_ns = o->timed ? o->stats.ci_lo : NAN,
		.ci_hi_ns = o->timed ? o->stats.ci_hi : NAN,
		.macs = o->macs,
		.tops = o->timed ? o->tops : NAN,
		.efficiency = eff,
		.threads = ctx->cli->threads,
		.binding = ctx->cli->binding,
		.counters = crec,
		.ncounters = ncrec,
		.device_ns = o->timed && o->dev_timed ? o->dev_samples : NULL,
		.device_min_ns = o->dev_timed ? o->dev_stats.min : NAN,
		.device_median_ns = o->dev_timed ? o->dev_stats.median : NAN,
		.nrounds = o->timed ? (size_t)o->nrounds : 0,
		.round_ns = o->round_ns,
		.round_n = o->round_n,
		.round_pos = o->round_pos,
		.round_other_cpus = o->round_other_cpus,
		.round_steal = o->round_steal,
		.sample_round = o->timed ? o->sample_round : NULL,
		.efficiency_raw = eff_raw,
		.peak_status = peak_status,
	};
	/* CUPTI's kernel records, one row per device kernel name (schema 4). */
	bnn_gpu_kernel_rec_t *gk = o->gpu_traced && o->ngpu_kernels ?
					   calloc(o->ngpu_kernels, sizeof(*gk)) : NULL;
	if (o->gpu_traced && o->ngpu_kernels && !gk)
		fprintf(stderr, "bnnbench: out of memory: the CUPTI kernel records of %s are not "
			"stored\n", o->kernel->name);
	for (size_t i = 0; gk && i < o->ngpu_kernels; i++)
		gk[i] = (bnn_gpu_kernel_rec_t){ .name = o->gpu_kernels[i].name,
						.reps = o->gpu_reps,
						.launches = o->gpu_kernels[i].launches,
						.total_ns = o->gpu_kernels[i].total_ns,
						.min_ns = o->gpu_kernels[i].min_ns,
						.max_ns = o->gpu_kernels[i].max_ns };
	r.gpu_kernels = gk;
	r.ngpu_kernels = gk ? o->ngpu_kernels : 0;
	int64_t result_id = 0;
	bnn_spool_problem_t pr = { p->canonical, p->name, bnn_op_name(p->d.op) };
	int stored = bnn_spool_put(ctx->spool, ctx->store, ctx->run_id, ctx->problem_id, &pr, &r,
				   ++ctx->spool_tag, &result_id);
	free(gk);
	if (stored == 0 && bnn_spool_count(ctx->spool) && !ctx->spool_said) {
		const char *ferr = bnn_spool_file_error(ctx->spool);
		fprintf(stderr, "bnnbench: %s: the database is locked by another process; results "
			"are kept until it is free\n", ctx->cli->db_path);
		if (ferr)
			fprintf(stderr, "bnnbench: the spool file could not be written (%s): the "
				"kept results are in memory only\n", ferr);
		ctx->spool_said = 1;
	}
	if (stored != 0) {
		fprintf(stderr, "bnnbench: %s: storing the result failed: %s\n",
			ctx->cli->db_path, bnn_store_errmsg(ctx->store));
		ctx->io_error = 1;
		ctx->count[st]--;   /* the summary counts what is kept */
		return -1;
	}
	/* A spooled result gets its id when it is stored (spool_stored). */
	if (result_id)
		ctx->stored++;
	bnn_netreport_add(ctx->net, p, o, result_id ? result_id : -ctx->spool_tag);
	junit_note(ctx, p, o);
	return 0;
}

/*
 * A wait for a locked database in milliseconds: the environment variable
 * name when it is a whole number from 0 to 3600000, else dflt.
 * BNNBENCH_BUSY_MS: how long a result waits before it is spooled
 * (STORE_RESULT_BUSY_MS); BNNBENCH_FINAL_BUSY_MS: how long the start and
 * the end of a run wait (STORE_FINAL_BUSY_MS), so that a test can hold the
 * lock past the end without waiting five minutes.
 */
static int busy_ms_env(const char *name, int dflt)
{
	const char *e = getenv(name);
	char *end;
	long v;

	if (!e || !*e)
		return dflt;
	errno = 0;
	v = strtol(e, &end, 10);
	if (errno || *end || v < 0 || v > 3600000)
		return dflt;
	return (int)v;
}

static int result_busy_ms(void)
{
	return busy_ms_env("BNNBENCH_BUSY_MS", STORE_RESULT_BUSY_MS);
}

static int final_busy_ms(void)
{
	return busy_ms_env("BNNBENCH_FINAL_BUSY_MS", STORE_FINAL_BUSY_MS);
}

/* The spool's callback: a spooled result stored at last (tag: on_outcome's). */
static void spool_stored(void *vctx, int64_t tag, int64_t id)
{
	run_ctx_t *ctx = vctx;
	if (tag > 0)   /* a result of on_outcome's; probe rows have tag 0 */
		ctx->stored++;
	bnn_netreport_resolve(ctx->net, -tag, id);
}

/*
 * Stores what is still spooled at the end of a run, waiting up to
 * final_busy_ms() for the database; then ends the run. What cannot be
 * stored is counted as lost. Returns 0, or -1 (the message printed).
 */
static int store_run_end(cli_t *cli, run_ctx_t *ctx, const char *status)
{
	size_t n = bnn_spool_count(ctx->spool);
	int rc = 0;

	if (n) {
		fprintf(stderr, "bnnbench: %s: storing %zu result%s kept while the database was "
			"locked...\n", cli->db_path, n, n == 1 ? "" : "s");
		int frc = bnn_spool_flush(ctx->spool, ctx->store, final_busy_ms());
		/* A failure other than a lock drops the result it was storing. */
		size_t lost = bnn_spool_count(ctx->spool) + (frc && frc != -EBUSY);
		if (frc) {
			const char *kept = bnn_spool_file(ctx->spool);
			if (kept && frc == -EBUSY)
				fprintf(stderr, "bnnbench: %s: %zu result%s not stored yet (%s): "
					"kept in %s, which the next run on this database stores "
					"(or: bnnbench merge %s -o %s)\n", cli->db_path, lost,
					lost == 1 ? "" : "s", bnn_store_errmsg(ctx->store), kept, kept,
					cli->db_path);
			else
				fprintf(stderr, "bnnbench: %s: %zu result%s not stored: %s\n",
					cli->db_path, lost, lost == 1 ? "" : "s",
					bnn_store_errmsg(ctx->store));
			rc = -1;
		}
	}
	if (bnn_netreport_store(ctx->net, ctx->store) != 0) {
		fprintf(stderr, "bnnbench: %s: storing the ReActNet block shares: %s\n",
			cli->db_path, bnn_store_errmsg(ctx->store));
		rc = -1;
	}
	if (rc && !strcmp(status, "passed"))
		status = "failed";
	int was = bnn_store_set_busy(ctx->store, final_busy_ms());
	if (bnn_store_end_run(ctx->store, ctx->run_id, status) != 0) {
		fprintf(stderr, "bnnbench: %s: %s\n", cli->db_path, bnn_store_errmsg(ctx->store));
		rc = -1;
		/* Its end goes with the kept results: 'failed', as storing did. */
		if (strcmp(status, "interrupted"))
			status = "failed";
		if (bnn_spool_end_run(ctx->spool, status) == 0 && bnn_spool_file(ctx->spool))
			fprintf(stderr, "bnnbench: %s: the run's end ('%s') is kept in %s too\n",
				cli->db_path, status, bnn_spool_file(ctx->spool));
	}
	bnn_store_set_busy(ctx->store, was);
	return rc;
}

/* Loads every suite and descriptor of the command line, then validates sizes. */
/*
 * --input: an N x 3 x H x W float32 .npy file for every network problem,
 * whose H and W must be the file's (its batch repeats the file's images).
 * Returns 0, or -1 with the message in err.
 */
static int load_images(cli_t *cli, const bnn_suite_t *suite, char *err, size_t errlen)
{
	int64_t dims[4];
	int nd, used = 0;
	if (bnn_npy_read_f32(cli->input_path, 4, &nd, dims, &cli->images, err + 8,
			     errlen - 8) != 0) {
		memcpy(err, "--input ", 8);   /* the reader's message names the file */
		return -1;
	}
	if (nd != 4 || dims[1] != 3) {
		snprintf(err, errlen, "--input %s: field 'shape': the images must be N x 3 x H x W "
			 "(NCHW, as PyTorch holds them)", cli->input_path);
		return -1;
	}
	/* The input rule (check.h), before any reference or kernel sees them. */
	size_t count = (size_t)(dims[0] * dims[1] * dims[2] * dims[3]);
	const char *why = NULL;
	size_t bad = bnn_first_bad_input(cli->images, count, &why);
	if (bad < count) {
		size_t x = bad % (size_t)dims[3], y = bad / (size_t)dims[3] % (size_t)dims[2];
		size_t c = bad / (size_t)(dims[3] * dims[2]) % 3;
		size_t n = bad / (size_t)(dims[3] * dims[2] * 3);
		snprintf(err, errlen, "--input %s: element %zu (image %zu, channel %zu, row %zu, "
			 "column %zu) is %s: inputs must be finite and at most 2^40 in magnitude",
			 cli->input_path, bad, n, c, y, x, why);
		return -1;
	}
	for (size_t i = 0; i < suite->count; i++) {
		const bnn_problem_t *p = &suite->p[i];
		if (p->d.op != BNN_OP_RNET)
			continue;
		used = 1;
		if (p->d.rnet.h != dims[2] || p->d.rnet.w != dims[3]) {
			snprintf(err, errlen, "%s: '%s': field 'h'/'w': the --input images %s are "
				 "%lldx%lld", p->origin, p->canonical, cli->input_path,
				 (long long)dims[2], (long long)dims[3]);
			return -1;
		}
	}
	if (!used) {
		snprintf(err, errlen, "--input %s: no reactnet problem to feed (the images are "
			 "for the network problems)", cli->input_path);
		return -1;
	}
	cli->run.images = cli->images;
	cli->run.images_n = dims[0];
	cli->run.images_h = dims[2];
	cli->run.images_w = dims[3];
	return 0;
}

/*
 * BNNBENCH_TEST_MUTANTS=1: a run also runs the selftest's mutants after the
 * real kernels, so that the tests can see a run's FAIL end to end (its
 * lines, exit status, stored rows and --junit file). Nothing else reaches
 * a mutant, and a run says on stderr when they are in (main).
 */
static int test_mutants(void)
{
	const char *e = getenv("BNNBENCH_TEST_MUTANTS");
	return e && !strcmp(e, "1");
}

/*
 * Each --kernel pattern must name something that can run on the suite: a
 * kernel or a peer (--no-peers: a kernel) of one of its ops. A pattern that
 * matches nothing ran nothing, and a CI job would take that run for a pass;
 * with several patterns, a misspelt one would go unnoticed beside the others.
 * Returns 0, or -1 with the reason in err.
 */
static int filter_matches(const cli_t *cli, const bnn_suite_t *suite, char *err, size_t errlen)
{
	const bnn_kernel_t *tabs[3] = { bnn_kernels, bnn_peers, bnn_mutants };
	size_t ns[3] = { bnn_kernel_count, cli->no_peers ? 0 : bnn_peer_count,
			 test_mutants() ? bnn_mutant_count : 0 };
	for (int f = 0; f < cli->run.nkernel_filters; f++) {
		const char *pat = cli->run.kernel_filters[f];
		int named = 0, runs = 0;
		for (int t = 0; t < 3 && !runs; t++)
			for (size_t i = 0; i < ns[t] && !runs; i++) {
				if (fnmatch(pat, tabs[t][i].name, 0) != 0)
					continue;
				named = 1;
				for (size_t j = 0; j < suite->count && !runs; j++)
					runs = suite->p[j].d.op == tabs[t][i].op;
			}
		if (!runs) {
			snprintf(err, errlen, "--kernel '%s': %s (`bnnbench list` shows the kernels)",
				 pat, named ? "matches no kernel of the problems' operations" :
				 cli->no_peers ? "matches no kernel" : "matches no kernel or peer");
			return -1;
		}
	}
	return 0;
}

/* Orders problems by name (qsort on pointers), then by origin. */
static int by_name(const void *a, const void *b)
{
	const bnn_problem_t *x = *(const bnn_problem_t *const *)a;
	const bnn_problem_t *y = *(const bnn_problem_t *const *)b;
	int c = strcmp(x->name, y->name);
	return c ? c : (x < y ? -1 : x > y);
}

/*
 * --dump writes each problem into a folder of its name: two problems of one
 * name would overwrite each other's files. Returns 0, or -1 naming both
 * (file and line) in err.
 */
static int same_names(const bnn_suite_t *suite, char *err, size_t errlen)
{
	const bnn_problem_t **v = malloc(suite->count * sizeof(*v));
	int rc = 0;
	if (!v) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < suite->count; i++)
		v[i] = &suite->p[i];
	qsort(v, suite->count, sizeof(*v), by_name);
	for (size_t i = 1; i < suite->count && !rc; i++)
		if (!strcmp(v[i - 1]->name, v[i]->name)) {
			const bnn_problem_t *a = v[i - 1] < v[i] ? v[i - 1] : v[i];
			const bnn_problem_t *b = a == v[i] ? v[i - 1] : v[i];
			snprintf(err, errlen, "%s: field 'name': '%s' is also the name of %s: --dump "
				 "would write both into one folder", b->origin, b->name, a->origin);
			rc = -1;
		}
	free(v);
	return rc;
}

static int load_problems(cli_t *cli, bnn_suite_t *suite)
{
	char err[1024];
	for (int i = 0; i < cli->nsuites; i++)
		if (bnn_suite_load(suite, cli->suites[i], err, sizeof(err)) != 0)
			goto bad;
	for (int i = 0; i < cli->ndescs; i++) {
		char origin[64];
		snprintf(origin, sizeof(origin), "command line, descriptor %d", i + 1);
		if (bnn_suite_add_line(suite, cli->descs[i], origin, err, sizeof(err)) != 0)
			goto bad;
	}
	if (suite->count == 0) {
		snprintf(err, sizeof(err), "no problems: give --suite NAME|PATH or a descriptor "
			 "(try `bnnbench list`)");
		goto bad;
	}
	for (size_t i = 0; i < suite->count; i++) {
		uint64_t bytes;
		char a[32], b[32];
		if (bnn_problem_bytes(&suite->p[i], &bytes, err, sizeof(err)) != 0)
			goto bad;
		if (bytes > cli->max_mem) {
			snprintf(err, sizeof(err), "%s: '%s' needs about %s, over --max-mem %s",
				 suite->p[i].origin, suite->p[i].canonical,
				 human((double)bytes, a, sizeof(a)),
				 human((double)cli->max_mem, b, sizeof(b)));
			goto bad;
		}
	}
	/* --shard: after the whole suite validated, so every shard of a fleet
	 * refuses the same bad suite; round robin, so that a suite's expensive
	 * problems, which tend to stand together, spread over the shards. */
	if (cli->nshards) {
		size_t all = suite->count, kept = 0;
		for (size_t i = 0; i < all; i++)
			if ((int)(i % (size_t)cli->nshards) == cli->shard - 1)
				suite->p[kept++] = suite->p[i];
		suite->count = kept;
		printf("shard %d of %d: %zu of the %zu problems\n", cli->shard, cli->nshards, kept,
		       all);
	}
	if (filter_matches(cli, suite, err, sizeof(err)) != 0)
		goto bad;
	if (cli->run.dump_dir && same_names(suite, err, sizeof(err)) != 0)
		goto bad;
	if (cli->input_path && load_images(cli, suite, err, sizeof(err)) != 0)
		goto bad;
	if (cli->weights_path) {
		int used = 0;
		for (size_t i = 0; i < suite->count; i++)
			used |= suite->p[i].d.op == BNN_OP_RNET || suite->p[i].d.op == BNN_OP_RBLOCK;
		if (!used) {
			snprintf(err, sizeof(err), "--weights %s: no reactnet or rblock problem to "
				 "use them", cli->weights_path);
			goto bad;
		}
		bnn_rnet_shape_t r = { 1, 224, 224 };
		char why[900];
		if (bnn_rnet_weights_load(cli->weights_path, &r, &cli->weights, why,
					  sizeof(why)) != 0) {
			snprintf(err, sizeof(err), "--weights %s", why);
			goto bad;
		}
		cli->run.weights = &cli->weights;
	}
	return 0;
bad:
	fprintf(stderr, "bnnbench: %s\n", err);
	return -1;
}

/* Runs the peak probe into ctx, prints it, and stores each row as a result
 * of kind probe (under a problem "probe NAME") when a run is open. */
static int probe_and_store(cli_t *cli, run_ctx_t *ctx)
{
	/* "All threads": the run's count, or every online CPU for a 1-thread
	 * run (the caller's own binding may already narrow its affinity). */
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	bnn_probe_opts_t po = { .min_time_s = cli->probe_time,
				.threads = cli->threads > 1 ? cli->threads :
					   online > 1 ? (int)online : 1,
				.stop = &bnn_interrupted };
	printf("probe: measuring peaks (%.2f s per row)...\n", cli->probe_time);
	fflush(stdout);
	int rc = bnn_probe_run(&po, ctx->probe, BNN_PROBE_MAX_RESULTS, &ctx->nprobe);
	if (rc == -EINTR) {
		ctx->nprobe = 0;
		return -1;   /* the run stops: Ctrl-C */
	}
	if (rc != 0) {
		fprintf(stderr, "bnnbench: probe: %s (efficiencies left empty)\n", strerror(-rc));
		ctx->nprobe = 0;
		return 0;
	}
	printf("  %-30s %-42s %12s %12s\n", "probe", "method", "peak", "median");
	for (size_t i = 0; i < ctx->nprobe; i++) {
		const bnn_probe_result_t *r = &ctx->probe[i];
		/* The start of the run's best peaks, at the kernels' thread count. */
		for (int isa = 0; isa < BNN_ISA_COUNT && r->threads == cli->threads; isa++)
			if (!strcmp(r->unit, "TOPS") && !strcmp(r->isa, bnn_isa_name((bnn_isa_t)isa)) &&
			    !(ctx->best_tops[isa] >= r->best))
				ctx->best_tops[isa] = r->best;
		if (r->threads == cli->threads && !strcmp(r->unit, "GFLOPS") &&
		    !(ctx->best_gflops >= r->best))
			ctx->best_gflops = r->best;
		printf("  %-30s %-42s %9.3f %-6s %9.3f\n", r->name, r->method, r->best, r->unit,
		       r->median);
		if (!ctx->store)
			continue;
		char canon[96], name[96], kernel[64];
		snprintf(canon, sizeof(canon), "probe %s", r->name);
		snprintf(name, sizeof(name), "probe_%s", r->name);
		for (char *c = name; *c; c++)
			if (*c == ' ' || *c == '=')
				*c = '_';
		/* kernel: the name without its " threads=N" suffix */
		snprintf(kernel, sizeof(kernel), "%s", r->name);
		char *sp = strstr(kernel, " threads");
		if (sp)
			*sp = 0;
		bnn_result_rec_t rec = {
			.kernel = kernel, .kind = "probe", .isa = r->isa, .status = "PASS",
			.reason = r->method, .max_abs_err = NAN, .max_rel_err = NAN, .bound = NAN,
			.min_ns = NAN, .median_ns = NAN, .ci_lo_ns = NAN, .ci_hi_ns = NAN,
			.macs = NAN, .tops = strcmp(r->unit, "TOPS") ? NAN : r->best,
			.efficiency = NAN, .threads = r->threads, .binding = "probe threads, own binding",
			.value = r->best, .value_median = r->median, .unit = r->unit,
		};
		bnn_spool_problem_t pr = { canon, name, "probe" };
		if (bnn_spool_put(ctx->spool, ctx->store, ctx->run_id, 0, &pr, &rec, 0, NULL) != 0) {
			fprintf(stderr, "bnnbench: %s: %s\n", cli->db_path,
				bnn_store_errmsg(ctx->store));
			ctx->io_error = 1;
			return -1;
		}
	}
	return 0;
}

#ifdef BNN_HAVE_CUDA
/* Stores one probe row (kind probe, problem "probe NAME"); 0 or -1. */
static int store_probe_row(cli_t *cli, run_ctx_t *ctx, const char *rowname, const char *isa,
			   const char *status, const char *reason, const bnn_probe_result_t *r)
{
	char canon[96], name[96];
	snprintf(canon, sizeof(canon), "probe %s", rowname);
	snprintf(name, sizeof(name), "probe_%s", rowname);
	for (char *c = name; *c; c++)
		if (*c == ' ' || *c == '=')
			*c = '_';
	bnn_result_rec_t rec = {
		.kernel = rowname, .kind = "probe", .isa = isa, .status = status,
		.reason = reason, .max_abs_err = NAN, .max_rel_err = NAN, .bound = NAN,
		.min_ns = NAN, .median_ns = NAN, .ci_lo_ns = NAN, .ci_hi_ns = NAN,
		.macs = NAN, .tops = r && !strcmp(r->unit, "TOPS") ? r->best : NAN,
		.efficiency = NAN, .threads = 1, .binding = "GPU probe, device 0",
		.value = r ? r->best : NAN, .value_median = r ? r->median : NAN,
		.unit = r ? r->unit : NULL,
	};
	bnn_spool_problem_t pr = { canon, name, "probe" };
	if (bnn_spool_put(ctx->spool, ctx->store, ctx->run_id, 0, &pr, &rec, 0, NULL) != 0) {
		fprintf(stderr, "bnnbench: %s: %s\n", cli->db_path, bnn_store_errmsg(ctx->store));
		ctx->io_error = 1;
		return -1;
	}
	return 0;
}
#endif

/*
 * The GPU's peaks after the CPU's (CUDA builds): rows appended to ctx's
 * probe table (the GPU results' efficiencies use them), printed and stored
 * like the CPU rows. Without a device (or when a probe fails) a line "gpu"
 * says SKIP (or FAIL) with the reason, and the run goes on.
 */
static int gpu_probe_and_store(cli_t *cli, run_ctx_t *ctx)
{
#ifdef BNN_HAVE_CUDA
	bnn_probe_opts_t po = { .min_time_s = cli->probe_time };
	char why[256] = "";
	size_t n = 0;
	int rc = bnn_probe_run_gpu(&po, ctx->probe + ctx->nprobe,
				   BNN_PROBE_MAX_RESULTS - ctx->nprobe, &n, why, sizeof(why));
	for (size_t i = 0; i < n; i++) {
		const bnn_probe_result_t *r = &ctx->probe[ctx->nprobe + i];
		printf("  %-30s %-42s %9.3f %-6s %9.3f\n", r->name, r->method, r->best, r->unit,
		       r->median);
		if (ctx->store && store_probe_row(cli, ctx, r->name, "cuda", "PASS", r->method, r) != 0)
			return -1;
	}
	ctx->nprobe += n;
	/* Only measured rows are stored (a probe row is a rate); why there is
	 * none is in the machine record's gpu object. */
	if (rc != 0)
		printf("  %-30s %s: %s\n", "gpu", rc == -ENODEV ? "SKIP" : "FAIL", why);
#else
	(void)cli;
	(void)ctx;
#endif
	return 0;
}

/*
 * Attaches the probed counters to the worker pool, prints their
 * availability once, and stores it with the run. Only a store failure is
 * an error; counters that cannot be read leave the run going without them.
 */
static int counters_start(cli_t *cli, run_ctx_t *ctx)
{
	static char line[BNN_COUNTERS_MAX * 400];
	bnn_counters_t *c = &cli->counters;
	if (cli->run.check_only || cli->probe_only)
		return 0;
	if (bnn_counters_attach(c) != 0)
		fprintf(stderr, "bnnbench: counters could not start on the worker threads; "
			"the run goes on without them\n");
	for (size_t i = 0; i < c->nevents; i++)
		if (!strcmp(c->ev[i].status, "unknown"))
			fprintf(stderr, "bnnbench: --events: '%s': %s; the run goes on without it\n",
				c->ev[i].name, c->ev[i].reason);
	bnn_counters_summary(c, line, sizeof(line));
	char scope[96];
	if (c->enabled)
		printf("counters: %s; scope: %s\n", line,
		       bnn_counters_scope(0, scope, sizeof(scope)));
	else
		printf("counters: %s\n", line);
	cli->run.counters = bnn_counters_active(c) ? c : NULL;
	if (!ctx->store || !c->nevents)
		return 0;
	bnn_run_counter_t rcs[BNN_COUNTERS_MAX];
	for (size_t i = 0; i < c->nevents; i++)
		rcs[i] = (bnn_run_counter_t){ .source = "PAPI", .event = c->ev[i].name,
					      .component = c->ev[i].component,
					      .status = c->ev[i].status, .reason = c->ev[i].reason,
					      .multiplexed = c->ev[i].multiplexed };
	if (bnn_store_run_counters(ctx->store, ctx->run_id, rcs, c->nevents) != 0) {
		fprintf(stderr, "bnnbench: %s: %s\n", cli->db_path, bnn_store_errmsg(ctx->store));
		ctx->io_error = 1;
		return -1;
	}
	return 0;
}

/* Whether a timed run of suite would time a GPU kernel (one of the
 * table's CUDA kernels for one of its ops, through --kernel): only such a
 * run starts CUPTI and records why it cannot, when it cannot. */
static int runs_gpu_kernels(const cli_t *cli, const bnn_suite_t *suite)
{
	for (size_t i = 0; i < bnn_kernel_count; i++) {
		const bnn_kernel_t *k = &bnn_kernels[i];
		if (k->isa != BNN_ISA_CUDA ||
		    !bnn_kernel_wanted(&cli->run, k->name))
			continue;
		for (size_t j = 0; j < suite->count; j++)
			if (suite->p[j].d.op == k->op)
				return 1;
	}
	return 0;
}

/*
 * CUPTI for a timed run with GPU kernels: probes the kernel records and
 * --gpu-metrics on the device, prints their availability once and stores
 * it with the run (run_counter, source CUPTI). Only a store failure is an
 * error: what CUPTI cannot do here is recorded with its reason, and the
 * run goes on without it.
 */
static int cupti_start(cli_t *cli, run_ctx_t *ctx, const bnn_suite_t *suite)
{
	static char line[BNN_CUPTI_METRICS_MAX * 400 + 400];
	char err[512];
	bnn_cupti_t *c = &cli->cupti;
	if (cli->run.check_only || cli->probe_only || !runs_gpu_kernels(cli, suite))
		return 0;
	if (bnn_cupti_init(c, cli->gpu_metrics, 1, err, sizeof(err)) != 0) {
		/* the list was checked before the run began: only a bug gets here */
		fprintf(stderr, "bnnbench: %s\n", err);
		return 0;
	}
	for (size_t i = 0; i < c->nmetrics; i++)
		if (!strcmp(c->m[i].status, "unknown"))
			fprintf(stderr, "bnnbench: --gpu-metrics: '%s': %s; the run goes on without "
				"it\n", c->m[i].name, c->m[i].reason);
	bnn_cupti_summary(c, line, sizeof(line));
	printf("gpu counters (CUPTI): %s\n", line);
	cli->run.cupti = bnn_cupti_can_trace(c) || bnn_cupti_can_measure(c) ? c : NULL;
	if (!ctx->store)
		return 0;
	bnn_run_counter_t rcs[1 + BNN_CUPTI_METRICS_MAX];
	char comp[96];
	snprintf(comp, sizeof(comp), "Range Profiler%s%s", c->chip[0] ? ", chip " : "", c->chip);
	rcs[0] = (bnn_run_counter_t){ .source = "CUPTI", .event = BNN_CUPTI_ACTIVITY_EVENT,
				      .component = "Activity API",
				      .status = c->trace ? "ok" : "unavailable",
				      .reason = c->trace ? NULL : c->trace_reason };
	for (size_t i = 0; i < c->nmetrics; i++)
		rcs[1 + i] = (bnn_run_counter_t){ .source = "CUPTI", .event = c->m[i].name,
						  .component = comp, .status = c->m[i].status,
						  .reason = c->m[i].reason };
	if (bnn_store_run_counters(ctx->store, ctx->run_id, rcs, 1 + c->nmetrics) != 0) {
		fprintf(stderr, "bnnbench: %s: %s\n", cli->db_path, bnn_store_errmsg(ctx->store));
		ctx->io_error = 1;
		return -1;
	}
	return 0;
}

/* --gpu-metrics: its syntax only (bad input stops everything). */
static int gpu_metrics_check(const cli_t *cli)
{
	char names[BNN_CUPTI_METRICS_MAX][BNN_CUPTI_NAME_MAX], err[512];
	size_t n;
	if (bnn_cupti_parse_metrics(cli->gpu_metrics, names, BNN_CUPTI_METRICS_MAX, &n, err,
				    sizeof(err)) != 0) {
		fprintf(stderr, "bnnbench: %s\n", err);
		return -1;
	}
	return 0;
}

/* `bnnbench info`: machine, counters, kernels; no database. */
static int cmd_info(cli_t *cli)
{
	char err[512];
	int rc;
	if (bnn_counters_init(&cli->counters, cli->events, err, sizeof(err)) != 0) {
		fprintf(stderr, "bnnbench: %s\n", err);
		return EXIT_USAGE;
	}
	if (bnn_cupti_init(&cli->cupti, cli->gpu_metrics, 1, err, sizeof(err)) != 0) {
		fprintf(stderr, "bnnbench: %s\n", err);
		bnn_counters_shutdown(&cli->counters);
		return EXIT_USAGE;
	}
	bnn_info_set_cupti(&cli->cupti);
	bnn_machine_read(&cli->machine);
	rc = bnn_info_print(stdout, &cli->machine, &cli->counters, cli->json);
	bnn_cupti_shutdown(&cli->cupti);
	bnn_counters_shutdown(&cli->counters);
	bnn_machine_free(&cli->machine);
	if (rc != 0 || fflush(stdout) != 0) {
		fprintf(stderr, "bnnbench: info: %s\n", strerror(rc ? -rc : errno));
		return EXIT_IO;
	}
	return 0;
}

static double mono_now_s(void)
{
	return (double)bnn_now_ns() * 1e-9;
}

/*
 * The status line while timing (runner's progress callback): the problem,
 * the kernel, its round and sample, and an estimate of the time left in
 * the suite from the problems finished so far. Drawn in place on stderr,
 * only when both stdout and stderr are terminals and not with -q.
 */
static void on_progress(void *vctx, const char *kernel, int round, int rounds, size_t sample,
			double entry_left_s)
{
	run_ctx_t *ctx = vctx;
	double now = mono_now_s();
	char eta[64] = "";
	if (ctx->index > 1) {
		double per = (now - ctx->t_start) / (double)(ctx->index - 1);
		snprintf(eta, sizeof(eta), ", about %.0f s left in the suite",
			 per * (double)(ctx->total - ctx->index + 1));
	}
	fprintf(stderr, "\r[%3zu/%zu] %s: %s round %d/%d sample %zu (%.1f s left for it)%s\033[K",
		ctx->index, ctx->total, ctx->cur_problem ? ctx->cur_problem : "", kernel,
		round + 1, rounds, sample, entry_left_s, eta);
	fflush(stderr);
	ctx->t_last_progress = now;
}

/*
 * The probe row whose peak stands for the machine's speed in the quiet
 * check: with len > 0, the fastest XOR-popcount row at the kernels' thread
 * count, its name copied into name; with len 0, the row called name. NaN
 * when there is none.
 */
static double speed_row(const bnn_probe_result_t *r, size_t n, int threads, char *name,
			size_t len)
{
	size_t best = n;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(r[i].unit, "TOPS") || r[i].threads != threads || !strcmp(r[i].isa, "cuda"))
			continue;
		if (len == 0 ? !strcmp(r[i].name, name) : best == n || r[i].best > r[best].best)
			best = i;
	}
	if (best == n)
		return NAN;
	if (len)
		snprintf(name, len, "%s", r[best].name);
	return r[best].best;
}

/*
 * --junit: the run's outcomes as one JUnit test suite (junit.h), named as
 * export names a stored run ("run ID: SUITE"; "run: SUITE" with --no-db),
 * written from memory so that --no-db and a locked database write the same
 * file. An interrupted run writes what it ran. Returns 0, or -1 (said).
 */
static int write_junit(const cli_t *cli, const run_ctx_t *ctx, const char *label,
		       const char *started)
{
	char name[600], host[256] = "", err[1200];
	if (ctx->junit_oom) {
		fprintf(stderr, "bnnbench: --junit %s: not written: out of memory\n",
			cli->junit_path);
		return -1;
	}
	if (ctx->store)
		snprintf(name, sizeof(name), "run %" PRId64 ": %s", ctx->run_id,
			 label[0] ? label : "command line");
	else
		snprintf(name, sizeof(name), "run: %s", label[0] ? label : "command line");
	if (gethostname(host, sizeof(host) - 1) != 0)
		host[0] = 0;
	if (bnn_junit_write_file(cli->junit_path, name, started, host[0] ? host : NULL,
				 ctx->junit.c, ctx->junit.n, err, sizeof(err)) != 0) {
		fprintf(stderr, "bnnbench: %s\n", err);
		return -1;
	}
	if (!cli->quiet)
		printf("junit: %zu test cases in %s\n", ctx->junit.n, cli->junit_path);
	return 0;
}

static int cmd_run(cli_t *cli, int argc, char **argv)
{
	bnn_suite_t suite = { 0 };
	bnn_store_t *store = NULL;
	static run_ctx_t ctx;   /* static: the probe table is large */
	int status = EXIT_USAGE, rc = 0;
	char err[1024], cmdline[4096];

	memset(&ctx, 0, sizeof(ctx));
	ctx.cli = cli;
	ctx.net = bnn_netreport_new();
	if (!cli->probe_only && load_problems(cli, &suite) != 0)
		goto out;
	/* An unwritable --junit is bad input, said before any work. */
	if (cli->junit_path && bnn_junit_check_path(cli->junit_path, err, sizeof(err)) != 0) {
		fprintf(stderr, "bnnbench: %s\n", err);
		goto out;
	}
	char label[512] = "", started[32];
	for (int i = 0; i < cli->nsuites; i++)
		snprintf(label + strlen(label), sizeof(label) - strlen(label), "%s%s",
			 i ? "," : "", cli->suites[i]);
	if (cli->nshards && label[0])
		snprintf(label + strlen(label), sizeof(label) - strlen(label), " shard %d/%d",
			 cli->shard, cli->nshards);
	bnn_junit_now(started, sizeof(started));
	/* Counters are probed before anything is stored: a malformed --events
	 * is bad input; an event that cannot be counted is not. */
	if (bnn_counters_check_list(cli->events, err, sizeof(err)) != 0 ||
	    bnn_counters_init(&cli->counters, cli->probe_only || cli->run.check_only ?
			      "none" : cli->events, err, sizeof(err)) != 0) {
		fprintf(stderr, "bnnbench: %s\n", err);
		goto out;
	}
	if (gpu_metrics_check(cli) != 0)
		goto out;
	bnn_machine_read(&cli->machine);
	if (!cli->no_db) {
		/* The default database lives in ./results: make the folder, as
		 * `make` would in a fresh checkout. A --db path is used as given. */
		if (!strcmp(cli->db_path, DEFAULT_DB) && mkdir("results", 0777) != 0 &&
		    errno != EEXIST) {
			fprintf(stderr, "bnnbench: cannot create the folder results/ for %s: %s\n",
				DEFAULT_DB, strerror(errno));
			status = EXIT_IO;
			goto out;
		}
		if (bnn_store_open(&store, cli->db_path, err, sizeof(err)) != 0) {
			fprintf(stderr, "bnnbench: %s\n", err);
			status = EXIT_IO;
			goto out;
		}
		/* Results an earlier run kept in its spool file and could not
		 * store before its process ended: stored now (a failure is
		 * said and the file kept; this run goes on). */
		bnn_merge_spools(cli->db_path, stderr);
		bnn_machine_info_t mi;
		bnn_build_info_t bi;
		bnn_machine_info(&cli->machine, &mi);
		bnn_build_info(&bi);
		join_argv(argc, argv, cmdline, sizeof(cmdline));
		bnn_run_info_t ri = { .suite = cli->probe_only ? "probe" :
					      label[0] ? label : "command line",
				      .command_line = cmdline, .seed = cli->run.seed,
				      .check_only = cli->run.check_only,
				      .rounds = cli->run.check_only || cli->probe_only ? 0 :
						cli->run.rounds,
				      .machine_record = cli->machine.record_json };
		/* A run starts even while another process holds the database
		 * for a while (a merge): it waits as long as for its last results. */
		bnn_store_set_busy(store, final_busy_ms());
		if (bnn_store_begin_run(store, &mi, &bi, &ri, &ctx.run_id) != 0) {
			fprintf(stderr, "bnnbench: %s: %s\n", cli->db_path, bnn_store_errmsg(store));
			status = EXIT_IO;
			goto out;
		}
	}
	ctx.store = store;
	if (store) {
		ctx.spool = bnn_spool_new(spool_stored, &ctx);
		if (!ctx.spool || bnn_spool_set_file(ctx.spool, cli->db_path, ctx.run_id) != 0) {
			fprintf(stderr, "bnnbench: out of memory\n");
			status = EXIT_IO;
			goto out;
		}
		bnn_store_set_busy(store, result_busy_ms());
	}
	ctx.total = suite.count;
	bnn_install_signals();
	char isa[300];
	bnn_isa_report(isa, sizeof(isa));
	if (test_mutants())
		fprintf(stderr, "bnnbench: BNNBENCH_TEST_MUTANTS=1: the selftest's deliberately "
			"wrong kernels run too (for the tests of a FAIL)\n");
	printf("bnnbench %s: %zu problems, seed %" PRIu64 ", %s\n", PACKAGE_VERSION,
	       suite.count, cli->run.seed, isa);
	/* The probe pins its own threads: it runs before this thread is bound. */
	if (!cli->no_probe && !cli->run.check_only && probe_and_store(cli, &ctx) != 0)
		rc = -EIO;
	if (!cli->no_probe && !cli->run.check_only && rc == 0 &&
	    gpu_probe_and_store(cli, &ctx) != 0)
		rc = -EIO;
	if (bnn_bind_start(cli->threads, cli->bind, cli->binding, sizeof(cli->binding)) != 0) {
		fprintf(stderr, "bnnbench: --threads %d: %s\n", cli->threads, cli->binding);
		ctx.io_error = 1;
		rc = -EIO;
	}
	bnn_peers_set_threads(cli->threads);
	printf("threads: %d, binding: %s; peers: %s\n", cli->threads, cli->binding,
	       cli->no_peers ? "off (--no-peers)" : bnn_peers_versions());
	const char *caveat = cli->no_peers ? NULL : bnn_peers_caveat();
	if (caveat)
		printf("peers: note: %s\n", caveat);
	if (rc == 0 && counters_start(cli, &ctx) != 0)
		rc = -EIO;
	if (rc == 0 && cupti_start(cli, &ctx, &suite) != 0)
		rc = -EIO;
	printf("results: %s%s; TOPS = 2 ops per binary MAC / median time\n",
	       store ? cli->db_path : "not stored (--no-db)",
	       cli->run.check_only ? "; check only, no timing" : "");
	if (!cli->run.check_only && !cli->probe_only)
		printf("rounds: %d per kernel and peer, order shuffled per round from seed %" PRIu64
		       "; a median is the median of the round medians\n",
		       cli->run.rounds, cli->run.seed);
	if (!cli->quiet && isatty(STDERR_FILENO) && isatty(STDOUT_FILENO)) {
		cli->run.progress = on_progress;
		cli->run.progress_ctx = &ctx;
	}
	bnn_quiet_t quiet;
	bnn_quiet_begin(&quiet);
	ctx.t_start = mono_now_s();

	for (size_t i = 0; i < suite.count && rc == 0; i++) {
		const bnn_problem_t *p = &suite.p[i];
		ctx.index = i + 1;
		ctx.cur_problem = p->name;
		/* Progress on a terminal: the inputs and the reference of a large
		 * problem (a batch-8 network) take seconds before its first line. */
		if (!cli->quiet && isatty(STDERR_FILENO)) {
			fprintf(stderr, "[%3zu/%zu] %s: preparing inputs and the reference...\r",
				ctx.index, ctx.total, p->name);
			fflush(stderr);
		}
		/* A problem that cannot be written while the database is
		 * locked is written with its results, from the spool. */
		ctx.problem_id = 0;
		if (store && !bnn_spool_count(ctx.spool)) {
			int prc = bnn_store_problem(store, p->canonical, p->name,
						    bnn_op_name(p->d.op), &ctx.problem_id);
			if (prc != 0 && prc != -EBUSY) {
				fprintf(stderr, "bnnbench: %s: %s\n", cli->db_path,
					bnn_store_errmsg(store));
				ctx.io_error = 1;
				break;
			}
		}
		/* One set of inputs and one reference for the kernels and the peers. */
		bnn_kernel_group_t groups[3] = {
			{ bnn_kernels, bnn_kernel_count, "kernel", NULL, NULL },
			{ bnn_peers, bnn_peer_count, "peer", bnn_bind_caller_release,
			  bnn_bind_caller_restore },
		};
		size_t ngroups = cli->no_peers ? 1 : 2;
		if (test_mutants())
			groups[ngroups++] = (bnn_kernel_group_t){ bnn_mutants, bnn_mutant_count,
								  "kernel", NULL, NULL };
		rc = bnn_run_problem_groups(p, groups, ngroups, &cli->run,
					    on_outcome, &ctx, err, sizeof(err));
		if (rc != 0 && rc != -EINTR && rc != -ECANCELED) {
			fprintf(stderr, "bnnbench: %s\n", err);
			ctx.io_error = 1;
		}
	}

	if (!cli->quiet && isatty(STDERR_FILENO))
		fprintf(stderr, "\033[K");   /* clear the last progress line */
	bnn_netreport_print(ctx.net, stdout);   /* part of the summary, even with -q */
	/* How quiet the machine was, with the probe again at the end: the
	 * peak moving between the two says the machine's speed changed. */
	if (!cli->run.check_only && !cli->probe_only && !bnn_interrupted) {
		double p0 = NAN, p1 = NAN;
		char row[64] = "";
		static bnn_probe_result_t endp[BNN_PROBE_MAX_RESULTS];
		size_t nend = 0;
		if (!cli->no_probe && ctx.nprobe) {
			long online = sysconf(_SC_NPROCESSORS_ONLN);
			bnn_probe_opts_t po = { .min_time_s = cli->probe_time,
						.threads = cli->threads > 1 ? cli->threads :
							   online > 1 ? (int)online : 1,
						.stop = &bnn_interrupted };
			bnn_bind_caller_release();
			p0 = speed_row(ctx.probe, ctx.nprobe, cli->threads, row, sizeof(row));
			if (!isnan(p0) && bnn_probe_run(&po, endp, BNN_PROBE_MAX_RESULTS, &nend) == 0)
				p1 = speed_row(endp, nend, cli->threads, row, 0);
			bnn_bind_caller_restore();
		}
		bnn_quiet_report_t qr;
		bnn_quiet_end(&quiet, p0, p1, &qr);
		if (!isnan(p1))
			printf("probe again at the end: %s %.3f TOPS (start %.3f, %+.1f%%)\n", row, p1,
			       p0, 100 * (p1 / p0 - 1));
		printf("machine: %s: other processes %.2f CPUs, steal %.1f%%, iowait %.1f%%, "
		       "load %.2f -> %.2f over %.0f s\n",
		       qr.quiet > 0 ? "quiet" : qr.quiet == 0 ? "NOT QUIET" : "quietness unknown",
		       qr.other_cpus, 100 * qr.steal, 100 * qr.iowait, qr.load1_start, qr.load1_end,
		       qr.wall_s);
		if (qr.quiet == 0)
			fprintf(stderr, "bnnbench: warning: the machine was not quiet (%s): timings "
				"of this run may be off; `bnnbench ab` compares builds on such a "
				"machine\n", qr.reasons);
		if (ctx.mistrusted)
			fprintf(stderr, "bnnbench: warning: %zu results came out above 100%% of the "
				"probed peak: the peak is mistrusted for them (efficiency not stored "
				"as valid)\n", ctx.mistrusted);
		char *qj = bnn_quiet_json(&qr);
		/* Metadata of the run: a database locked past the wait loses only
		 * this record, never a result, and does not fail the run. */
		if (store && bnn_store_run_quiet(store, ctx.run_id, qr.quiet, qj) != 0)
			fprintf(stderr, "bnnbench: warning: %s: the quiet record was not stored: %s\n",
				cli->db_path, bnn_store_errmsg(store));
		free(qj);
	}
	const char *run_status = bnn_interrupted ? "interrupted" :
				 ctx.io_error || ctx.count[BNN_FAIL] ? "failed" : "passed";
	if (store && store_run_end(cli, &ctx, run_status) != 0)
		ctx.io_error = 1;
	if (!cli->quiet)
		print_skips(&ctx);
	if (cli->junit_path && write_junit(cli, &ctx, label, started) != 0)
		ctx.io_error = 1;
	printf("summary: %zu PASS, %zu FAIL, %zu SKIP, %zu MISTRUSTED%s%s\n",
	       ctx.count[BNN_PASS], ctx.count[BNN_FAIL], ctx.count[BNN_SKIP],
	       ctx.count[BNN_MISTRUSTED], bnn_interrupted ? "; interrupted" : "",
	       store ? "" : "; nothing stored");
	/* Stored in part: how much, against the summary's count (what was not
	 * stored is either lost, as the messages above say, or in the spool
	 * file that the next run on the database stores). */
	if (store && ctx.io_error)
		printf("stored (in part) as run %" PRId64 " in %s: %zu of %zu results stored\n",
		       ctx.run_id, cli->db_path, ctx.stored,
		       ctx.count[0] + ctx.count[1] + ctx.count[2] + ctx.count[3]);
	else if (store)
		printf("stored as run %" PRId64 " in %s\n", ctx.run_id, cli->db_path);
	status = bnn_interrupted ? EXIT_INTERRUPTED :
		 ctx.io_error ? EXIT_IO :
		 ctx.count[BNN_FAIL] ? EXIT_FAILED : 0;
out:
	free(cli->images);
	cli->images = NULL;
	bnn_weights_free(&cli->weights);
	cli->run.weights = NULL;
	bnn_netreport_free(ctx.net);
	bnn_counters_shutdown(&cli->counters);
	cli->run.cupti = NULL;
	bnn_cupti_shutdown(&cli->cupti);
	bnn_machine_free(&cli->machine);
	bnn_bind_stop();
	bnn_local_peak_free();
	bnn_store_close(store);
	bnn_spool_free(ctx.spool);
	bnn_junit_free(&ctx.junit);
	bnn_suite_free(&suite);
	return status;
}

static int cmd_list(void)
{
	char why[200], isa[300];
	bnn_suite_t s;
	printf("Built-in suites (or give a path to a suite file):\n");
	for (size_t i = 0; i < bnn_builtin_suite_count; i++) {
		memset(&s, 0, sizeof(s));
		char err[512];
		int rc = bnn_suite_load(&s, bnn_builtin_suites[i].name, err, sizeof(err));
		if (rc == 0)
			printf("  %-14s %4zu problems\n", bnn_builtin_suites[i].name, s.count);
		else
			printf("  %-14s invalid: %s\n", bnn_builtin_suites[i].name, err);
		bnn_suite_free(&s);
	}
	bnn_isa_report(isa, sizeof(isa));
	printf("\nKernels (%s):\n", isa);
	printf("  %-32s %-5s %-8s %-4s %s\n", "name", "op", "needs", "runs", "what");
	for (size_t i = 0; i < bnn_kernel_count; i++) {
		const bnn_kernel_t *k = &bnn_kernels[i];
		int ok = bnn_isa_available(k->isa, why, sizeof(why));
		printf("  %-32s %-5s %-8s %-4s %s%s%s%s\n", k->name, bnn_op_name(k->op),
		       bnn_isa_name(k->isa), ok ? "yes" : "no", k->summary, ok ? "" : " (",
		       ok ? "" : why, ok ? "" : ")");
	}
	printf("\nPeers, timed beside the kernels for ratios (%s):\n", bnn_peers_versions());
	for (size_t i = 0; i < bnn_peer_count; i++)
		printf("  %-32s %-5s %s\n", bnn_peers[i].name, bnn_op_name(bnn_peers[i].op),
		       bnn_peers[i].summary);
	if (bnn_peer_count == 0)
		printf("  (none: built without OpenBLAS and oneDNN)\n");
	return 0;
}

typedef struct {
	size_t fail, pass, skip, mistrusted;
	const char *first_fail;
	char first_reason[256];
	/* Mutants: the text every failure's reason must contain, the failures
	 * whose reason lacks it, and the first of those. */
	const char *expect;
	size_t wrong;
	char wrong_reason[400];
} tally_t;

static int on_selftest(void *vctx, const bnn_problem_t *p, const bnn_outcome_t *o)
{
	tally_t *t = vctx;
	switch (o->check.status) {
	case BNN_FAIL:
		if (!t->fail++) {
			t->first_fail = p->name;
			snprintf(t->first_reason, sizeof(t->first_reason), "%s", o->check.reason);
		}
		if (t->expect && !strstr(o->check.reason, t->expect) && !t->wrong++)
			snprintf(t->wrong_reason, sizeof(t->wrong_reason), "%s: %s", p->name,
				 o->check.reason);
		break;
	case BNN_PASS: t->pass++; break;
	case BNN_SKIP: t->skip++; break;
	case BNN_MISTRUSTED: t->mistrusted++; break;
	}
	return 0;
}

/* Runs the suite on the real kernels (all must pass), then on each mutant
 * (each must fail somewhere, or on every problem of its op where its rule
 * says so, every failure for the reason bnn_mutant_rules gives). The mutants are timed too, briefly, so that the check of the timed
 * output against the checked one is exercised. Stores nothing. */
static int cmd_selftest(cli_t *cli)
{
	bnn_suite_t suite = { 0 };
	char err[1024];
	int bad = 0;
	if (cli->nsuites == 0)
		cli->suites[cli->nsuites++] = "conformance";
	if (load_problems(cli, &suite) != 0)
		return EXIT_USAGE;
	cli->run.check_only = 1;
	bnn_install_signals();

	tally_t real = { 0 };
	for (size_t i = 0; i < suite.count; i++)
		if (bnn_run_problem(&suite.p[i], bnn_kernels, bnn_kernel_count, "kernel",
				    &cli->run, on_selftest, &real, err, sizeof(err)) != 0)
			goto broken;
	printf("selftest: real kernels on %zu problems: %zu PASS, %zu FAIL, %zu SKIP, "
	       "%zu MISTRUSTED\n", suite.count, real.pass, real.fail, real.skip,
	       real.mistrusted);
	if (real.fail || real.pass == 0) {
		printf("selftest: FAILED: the real kernels must pass before mutants mean anything"
		       " (first failure: %s)\n", real.first_fail ? real.first_fail : "-");
		bad = 1;
	}
	bnn_run_opts_t mo = cli->run;
	mo.check_only = 0;
	mo.min_time_s = 0;
	mo.min_reps = mo.max_reps = 1;
	mo.warmup = 0;
	mo.counters = NULL;
	mo.cupti = NULL;
	for (size_t m = 0; m < bnn_mutant_count; m++) {
		tally_t t = { .expect = bnn_mutant_rules[m].reason };
		for (size_t i = 0; i < suite.count; i++)
			if (bnn_run_problem(&suite.p[i], &bnn_mutants[m], 1, "kernel", &mo,
					    on_selftest, &t, err, sizeof(err)) != 0)
				goto broken;
		int missed = bnn_mutant_rules[m].every && t.pass + t.mistrusted > 0;
		printf("  %-40s %-38s %s", bnn_mutants[m].name, bnn_mutants[m].summary,
		       !t.fail ? "NOT CAUGHT" : t.wrong ? "WRONG REASON" :
		       missed ? "MISSED ON SOME PROBLEMS" : "caught");
		if (t.fail)
			printf(" (%zu of %zu problems fail; first: %s)\n      reason: %s\n", t.fail,
			       t.fail + t.pass + t.mistrusted, t.first_fail, t.first_reason);
		else
			printf("\n");
		if (t.wrong)
			printf("      %zu failures lack \"%s\"; first: %s\n", t.wrong, t.expect,
			       t.wrong_reason);
		bad |= t.fail == 0 || t.wrong || missed;
	}
	printf("selftest: %s\n", bad ? "FAILED" : "every mutant caught");
	bnn_suite_free(&suite);
	return bad ? EXIT_FAILED : 0;
broken:
	fprintf(stderr, "bnnbench: selftest: %s\n", bnn_interrupted ? "interrupted" : err);
	bnn_suite_free(&suite);
	return bnn_interrupted ? EXIT_INTERRUPTED : EXIT_IO;
}

static int cmd_show(cli_t *cli, const char *arg)
{
	bnn_store_t *store = NULL;
	char err[1024];
	int64_t run_id = 0;
	if (arg) {
		char *end;
		run_id = strtoll(arg, &end, 10);
		if (*end || run_id <= 0) {
			fprintf(stderr, "bnnbench: show: '%s' is not a run id\n", arg);
			return EXIT_USAGE;
		}
	}
	if (access(cli->db_path, F_OK) != 0) {
		fprintf(stderr, "bnnbench: show: %s: %s\n", cli->db_path, strerror(errno));
		return EXIT_IO;
	}
	/* A file (or file system) show may not write is read as it is. */
	int orc = bnn_store_open(&store, cli->db_path, err, sizeof(err));
	if (orc == -EACCES || orc == -EROFS || orc == -EPERM)
		orc = bnn_store_open_read(&store, cli->db_path, err, sizeof(err));
	if (orc != 0) {
		fprintf(stderr, "bnnbench: %s\n", err);
		return EXIT_IO;
	}
	int rc = bnn_store_print_run(store, run_id, stdout);
	if (rc != 0)
		fprintf(stderr, "bnnbench: %s: %s\n", cli->db_path, bnn_store_errmsg(store));
	bnn_store_close(store);
	return rc ? EXIT_IO : 0;
}

enum { O_NOPROBE = 247, O_PROBETIME = 248, O_NOPEERS = 249, O_BIND = 250, O_NOBIND, O_DB = 256, O_NODB, O_SEED, O_CHECK, O_KERNEL, O_DUMP, O_MINT, O_MINR, O_MAXR,
       O_WARM, O_MAXMEM, O_ROUNDS, O_SHARD };
enum { O_INPUT = 320, O_DUMPBLOCKS, O_WEIGHTS };
enum { O_EVENTS = 300, O_NOCOUNTERS, O_JSON };
enum { O_GPUMETRICS = 340 };
enum { O_JUNIT = 350 };

/* The commands over stored results: export and merge (results/), compare,
 * report and ab (reports/); each is called with argv[0] its own name. */
static const struct {
	const char *name;
	int (*run)(int argc, char **argv, const char *usage);
} db_commands[] = {
	{ "compare", bnn_cmd_compare }, { "report", bnn_cmd_report },
	{ "export", bnn_cmd_export },   { "merge", bnn_cmd_merge },
	{ "ab", bnn_cmd_ab },
};

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "suite", required_argument, 0, 's' }, { "db", required_argument, 0, O_DB },
		{ "no-db", no_argument, 0, O_NODB },   { "seed", required_argument, 0, O_SEED },
		{ "junit", required_argument, 0, O_JUNIT },
		{ "check-only", no_argument, 0, O_CHECK },
		{ "kernel", required_argument, 0, O_KERNEL },
		{ "dump", required_argument, 0, O_DUMP },
		{ "dump-blocks", no_argument, 0, O_DUMPBLOCKS },
		{ "input", required_argument, 0, O_INPUT },
		{ "weights", required_argument, 0, O_WEIGHTS },
		{ "min-time", required_argument, 0, O_MINT },
		{ "min-reps", required_argument, 0, O_MINR },
		{ "max-reps", required_argument, 0, O_MAXR },
		{ "warmup", required_argument, 0, O_WARM },
		{ "rounds", required_argument, 0, O_ROUNDS },
		{ "shard", required_argument, 0, O_SHARD },
		{ "max-mem", required_argument, 0, O_MAXMEM },
		{ "threads", required_argument, 0, 't' },
		{ "no-peers", no_argument, 0, O_NOPEERS },
		{ "no-probe", no_argument, 0, O_NOPROBE },
		{ "probe-time", required_argument, 0, O_PROBETIME },
		{ "bind", no_argument, 0, O_BIND },    { "no-bind", no_argument, 0, O_NOBIND },
		{ "events", required_argument, 0, O_EVENTS },
		{ "no-counters", no_argument, 0, O_NOCOUNTERS },
		{ "json", no_argument, 0, O_JSON },
		{ "gpu-metrics", required_argument, 0, O_GPUMETRICS },
		{ "quiet", no_argument, 0, 'q' },      { "help", no_argument, 0, 'h' },
		{ "verbose", no_argument, 0, 'v' },
		{ "version", no_argument, 0, 'V' },    { 0, 0, 0, 0 }
	};
	cli_t cli = {
		.db_path = DEFAULT_DB,
		.threads = 1,
		.bind = 1,
		.probe_time = 0.2,
		.max_mem = bnn_phys_mem() / 2,
		.run = { .seed = DEFAULT_SEED, .min_time_s = 0.2, .min_reps = 5,
			 .max_reps = 10000, .warmup = 2, .rounds = 3 },
	};
	if (!cli.max_mem)
		cli.max_mem = 1ull << 32;
	/* Commands over stored results parse their own options (dbtools.h,
	 * reports.h). */
	for (size_t i = 0; argc > 1 && i < sizeof db_commands / sizeof db_commands[0]; i++)
		if (!strcmp(argv[1], db_commands[i].name)) {
			char *usage = help_string(db_commands[i].name);
			int rc = db_commands[i].run(argc - 1, argv + 1, usage ? usage : "");
			free(usage);
			return rc;
		}
	int c, want_help = 0;
	while ((c = getopt_long(argc, argv, "s:t:qvhV", longopts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 's':
			if (cli.nsuites == 64) {
				fprintf(stderr, "bnnbench: --suite: at most 64\n");
				return EXIT_USAGE;
			}
			cli.suites[cli.nsuites++] = optarg;
			break;
		case O_DB: cli.db_path = optarg; break;
		case O_NODB: cli.no_db = 1; break;
		case O_JUNIT: cli.junit_path = optarg; break;
		case O_SEED:
			errno = 0;
			cli.run.seed = strtoull(optarg, &end, 0);
			if (errno || *end || end == optarg || optarg[0] == '-') {
				fprintf(stderr, "bnnbench: --seed: '%s' is not an unsigned integer\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case O_CHECK: cli.run.check_only = 1; break;
		case O_KERNEL:
			if (cli.run.nkernel_filters == 64) {
				fprintf(stderr, "bnnbench: --kernel: at most 64\n");
				return EXIT_USAGE;
			}
			cli.kernels[cli.run.nkernel_filters++] = optarg;
			cli.run.kernel_filters = cli.kernels;
			break;
		case O_DUMP: cli.run.dump_dir = optarg; break;
		case O_DUMPBLOCKS: cli.run.dump_blocks = 1; break;
		case O_INPUT: cli.input_path = optarg; break;
		case O_WEIGHTS: cli.weights_path = optarg; break;
		case O_MINT:
			errno = 0;
			cli.run.min_time_s = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(cli.run.min_time_s >= 0) ||
			    cli.run.min_time_s > 3600) {
				fprintf(stderr, "bnnbench: --min-time: '%s' is not seconds in "
					"[0, 3600]\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_MINR:
			if (parse_count("--min-reps", optarg, 1, &cli.run.min_reps))
				return EXIT_USAGE;
			break;
		case O_MAXR:
			if (parse_count("--max-reps", optarg, 1, &cli.run.max_reps))
				return EXIT_USAGE;
			break;
		case O_SHARD: {
			char *end2;
			errno = 0;
			long a = strtol(optarg, &end2, 10), b = 0;
			if (!errno && *end2 == '/' && end2 > optarg) {
				char *e3;
				b = strtol(end2 + 1, &e3, 10);
				if (errno || *e3 || e3 == end2 + 1)
					b = 0;
			}
			if (!(a >= 1 && b >= 1 && a <= b && b <= 100000)) {
				fprintf(stderr, "bnnbench: --shard: '%s' is not I/N with 1 <= I <= N\n",
					optarg);
				return EXIT_USAGE;
			}
			cli.shard = (int)a;
			cli.nshards = (int)b;
			break;
		}
		case O_ROUNDS:
			if (parse_count("--rounds", optarg, 1, &cli.run.rounds))
				return EXIT_USAGE;
			if (cli.run.rounds > 1000) {
				fprintf(stderr, "bnnbench: --rounds: %d is more than 1000\n",
					cli.run.rounds);
				return EXIT_USAGE;
			}
			break;
		case O_WARM:
			if (parse_count("--warmup", optarg, 0, &cli.run.warmup))
				return EXIT_USAGE;
			break;
		case O_MAXMEM:
			if (parse_size(optarg, &cli.max_mem) != 0) {
				fprintf(stderr, "bnnbench: --max-mem: '%s' is not a size (e.g. 512M, "
					"4G)\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 't':
			if (parse_count("--threads", optarg, 1, &cli.threads))
				return EXIT_USAGE;
			if (cli.threads > 256) {
				fprintf(stderr, "bnnbench: --threads: at most 256\n");
				return EXIT_USAGE;
			}
			break;
		case O_NOPEERS: cli.no_peers = 1; break;
		case O_NOPROBE: cli.no_probe = 1; break;
		case O_PROBETIME:
			errno = 0;
			cli.probe_time = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(cli.probe_time > 0) ||
			    cli.probe_time > 60) {
				fprintf(stderr, "bnnbench: --probe-time: '%s' is not seconds in "
					"(0, 60]\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case O_BIND: cli.bind = 1; break;
		case O_NOBIND: cli.bind = 0; break;
		case O_EVENTS: cli.events = optarg; break;
		case O_NOCOUNTERS: cli.events = "none"; break;
		case O_JSON: cli.json = 1; break;
		case O_GPUMETRICS: cli.gpu_metrics = optarg; break;
		case 'q': cli.quiet = 1; break;
		case 'v': cli.verbose = 1; break;
		case 'h': want_help = 1; break;
		case 'V':
			printf("bnnbench %s (%s)\n%s\nLicense %s: see the file LICENSE.\n",
			       PACKAGE_VERSION, BNN_GIT_VERSION, BNN_COPYRIGHT, BNN_LICENSE);
			return 0;
		default: print_help(stderr, "run", 1); return EXIT_USAGE;
		}
	}
	cli.run.input_path = cli.input_path;
	cli.run.weights_path = cli.weights_path;
	cli.run.threads = cli.threads;
	if (cli.run.dump_blocks && !cli.run.dump_dir) {
		fprintf(stderr, "bnnbench: --dump-blocks needs --dump DIR\n");
		return EXIT_USAGE;
	}
	if (cli.run.max_reps < cli.run.min_reps) {
		fprintf(stderr, "bnnbench: --max-reps %d is below --min-reps %d\n",
			cli.run.max_reps, cli.run.min_reps);
		return EXIT_USAGE;
	}
	const char *cmd = "run";
	int first = optind;
	if (optind < argc && (!strcmp(argv[optind], "run") || !strcmp(argv[optind], "list") ||
			      !strcmp(argv[optind], "selftest") || !strcmp(argv[optind], "show") ||
			      !strcmp(argv[optind], "probe") || !strcmp(argv[optind], "info") ||
			      !strcmp(argv[optind], "help"))) {
		cmd = argv[optind];
		first++;
	}
	if (want_help || !strcmp(cmd, "help")) {
		/* bnnbench --help: everything; bnnbench COMMAND --help: that command. */
		print_help(stdout, cmd, first == optind || !strcmp(cmd, "help"));
		return 0;
	}
	if (cli.junit_path && strcmp(cmd, "run")) {
		fprintf(stderr, "bnnbench: --junit is an option of run (and compare), not of %s\n",
			cmd);
		return EXIT_USAGE;
	}
	if (!strcmp(cmd, "show")) {
		if (argc - first > 1) {
			fprintf(stderr, "bnnbench: show takes at most one run id\n");
			return EXIT_USAGE;
		}
		return cmd_show(&cli, first < argc ? argv[first] : NULL);
	}
	if (!strcmp(cmd, "info")) {
		if (first < argc) {
			fprintf(stderr, "bnnbench: info takes no arguments (only --json, --events, "
				"--gpu-metrics)\n");
			return EXIT_USAGE;
		}
		return cmd_info(&cli);
	}
	if (!strcmp(cmd, "list")) {
		if (first < argc) {
			fprintf(stderr, "bnnbench: list takes no arguments\n");
			return EXIT_USAGE;
		}
		return cmd_list();
	}
	for (int i = first; i < argc; i++) {
		if (cli.ndescs == 256) {
			fprintf(stderr, "bnnbench: at most 256 descriptors on the command line\n");
			return EXIT_USAGE;
		}
		cli.descs[cli.ndescs++] = argv[i];
	}
	if (!strcmp(cmd, "selftest"))
		return cmd_selftest(&cli);
	if (!strcmp(cmd, "probe")) {
		if (cli.ndescs || cli.nsuites) {
			fprintf(stderr, "bnnbench: probe takes no suite or descriptor\n");
			return EXIT_USAGE;
		}
		cli.probe_only = 1;
		cli.no_probe = 0;
		cli.run.check_only = 0;
	}
	return cmd_run(&cli, argc, argv);
}
