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
#include "localpeak.h"
#include "machine.h"
#include "npy.h"
#include "weights.h"
#include "netreport.h"
#include "peak.h"
#include "peers.h"
#include "runner.h"
#include "store.h"
#include "suite.h"

#define EXIT_FAILED 1      /* some (problem, kernel) FAILED */
#define EXIT_USAGE 2       /* bad input: nothing ran */
#define EXIT_IO 3          /* the database or a dump failed mid-run */
#define EXIT_INTERRUPTED 130

#define DEFAULT_SEED 20161008u   /* fixed, so runs are comparable */
#define DEFAULT_DB "results/bnnbench.db"

static const char usage[] =
	"usage: bnnbench [run] [--suite NAME|PATH]... [DESCRIPTOR]... [options]\n"
	"       bnnbench probe [--threads N] [--probe-time SEC] [--db PATH]\n"
	"       bnnbench list\n"
	"       bnnbench selftest [--suite NAME|PATH] [--seed N]\n"
	"       bnnbench show [--db PATH] [RUN_ID]\n"
	"       bnnbench info [--json] [--events LIST] [--gpu-metrics LIST]\n"
	"       bnnbench compare [--db PATH] [--threshold F] [--any-machine] [--csv|--json] BASE NEW\n"
	"       bnnbench report [--db PATH] -o DIR [RUN...]\n"
	"       bnnbench export [--db PATH] --format csv|json [-o FILE] [RUN...]\n"
	"       bnnbench merge SOURCE.db... -o DEST.db\n"
	"       (compare, report, export and merge take their options after the command;\n"
	"       `bnnbench COMMAND --help` lists them)\n"
	"\n"
	"run: checks every kernel this machine can run against the golden reference\n"
	"on each problem, times it, and stores the results in SQLite.\n"
	"  -s, --suite NAME|PATH  a suite: a built-in name (see `bnnbench list`) or a file\n"
	"  DESCRIPTOR             one problem, e.g. 'gemm m=64 n=64 k=129'\n"
	"      --db PATH          results database (default " DEFAULT_DB ")\n"
	"      --no-db            store nothing\n"
	"      --seed N           input seed (default " "20161008" ")\n"
	"      --check-only       check, do not time\n"
	"      --kernel PATTERN   only kernels whose name matches (shell pattern)\n"
	"      --dump DIR         write inputs, reference and outputs as .npy files\n"
	"      --dump-blocks      with --dump: also every stage of the network kernels\n"
	"      --input FILE.npy   images (float32 N x 3 x H x W) for the reactnet problems\n"
	"      --weights FILE     trained ReActNet-A weights (.safetensors of the official\n"
	"                         PyTorch state_dict) for the reactnet and rblock problems\n"
	"      --min-time SEC     time each kernel at least this long (default 0.2)\n"
	"      --min-reps N       and at least N samples (default 5)\n"
	"      --max-reps N       but at most N samples (default 10000); a sample of a\n"
	"                         kernel under 20 us is the mean of several runs\n"
	"      --warmup N         untimed repetitions first (default 2)\n"
	"  -t, --threads N        worker threads for the kernels (default 1)\n"
	"      --bind, --no-bind  bind threads to cores with hwloc (default: on when\n"
	"                         built with hwloc)\n"
	"      --no-probe         do not measure the peaks first (no efficiencies)\n"
	"      --probe-time SEC   time per probe row (default 0.2)\n"
	"      --no-peers         do not time the peer libraries (OpenBLAS, oneDNN)\n"
	"      --max-mem SIZE     refuse problems needing more (default: half the RAM);\n"
	"                         SIZE takes K, M, G, T suffixes (powers of 1024)\n"
	"      --events LIST      PAPI events counted after timing, comma separated\n"
	"                         (default " BNN_COUNTERS_DEFAULT ");\n"
	"                         'none' or --no-counters: no counters\n"
	"      --gpu-metrics LIST CUPTI metrics of the GPU kernels, read after timing,\n"
	"                         comma separated (default " BNN_CUPTI_METRICS_DEFAULT ");\n"
	"                         'none': kernel records only\n"
	"      --json             info: one JSON object\n"
	"  -q, --quiet            print only failures and the summary\n"
	"  -h, --help             this text\n"
	"  -V, --version          the version\n"
	"\n"
	"TOPS count 2 operations per binary MAC (the vendor convention).\n"
	"Exit status: 0 all passed (or skipped), 1 something FAILED, 2 bad input,\n"
	"3 database or I/O error, 130 interrupted. See bnnbench(1) and README.md.\n";

typedef struct {
	const char *db_path;
	int no_db;
	int threads;
	int bind;
	int no_peers;
	int no_probe;
	int probe_only;      /* the probe command: a run with no problems */
	double probe_time;
	char binding[256];
	int quiet;
	unsigned long long max_mem;
	bnn_run_opts_t run;
	const char *suites[64];
	int nsuites;
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
	int64_t run_id, problem_id;
	size_t index, total;
	size_t count[4];
	int io_error;
	bnn_probe_result_t probe[BNN_PROBE_MAX_RESULTS];
	size_t nprobe;
	bnn_netreport_t *net;    /* the ReActNet tables printed at the end */
	/* The GPU kernels timed on the current problem, for the speedup line
	 * printed under each GPU peer (peers run after the kernels). */
	struct { const char *name; double median_ns; } gpu_k[32];
	size_t ngpu_k, gpu_k_index;
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
 * now on the same worker pool (see localpeak.h). NaN when not timed, with
 * --no-probe, or for peers without a matching probe (int8).
 */
static double gpu_efficiency(const run_ctx_t *ctx, const bnn_outcome_t *o);

static double efficiency(const run_ctx_t *ctx, const bnn_outcome_t *o)
{
	if (!o->timed || ctx->cli->no_probe)
		return NAN;
	if (o->kernel->isa == BNN_ISA_CUDA)
		return gpu_efficiency(ctx, o);
	double window = ctx->cli->probe_time / 10;
	/* BWN kernels add real numbers: their limit is the FMA rate, not popcount. */
	if (!strcmp(o->kind, "kernel") && o->kernel->op != BNN_OP_BWN)
		return o->tops / bnn_local_peak_tops(o->kernel->isa, window);
	if (!strcmp(o->kind, "peer") && !peer_is_fp32(o->kernel->name))
		return NAN;
	return 2.0 * o->macs / o->stats.median / bnn_local_peak_gflops(window);
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

static int parse_size(const char *s, unsigned long long *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v <= 0)
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

static int on_outcome(void *vctx, const bnn_problem_t *p, const bnn_outcome_t *o)
{
	run_ctx_t *ctx = vctx;
	bnn_status_t st = o->check.status;
	double eff = efficiency(ctx, o);
	ctx->count[st]++;
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
	if (!ctx->cli->quiet || st == BNN_FAIL) {
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
	int stored = bnn_store_result(ctx->store, ctx->run_id, ctx->problem_id, &r, &result_id);
	free(gk);
	if (stored != 0) {
		fprintf(stderr, "bnnbench: %s: storing the result failed: %s\n",
			ctx->cli->db_path, bnn_store_errmsg(ctx->store));
		ctx->io_error = 1;
		return -1;
	}
	bnn_netreport_add(ctx->net, p, o, result_id);
	return 0;
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
					   online > 1 ? (int)online : 1 };
	printf("probe: measuring peaks (%.2f s per row)...\n", cli->probe_time);
	fflush(stdout);
	int rc = bnn_probe_run(&po, ctx->probe, BNN_PROBE_MAX_RESULTS, &ctx->nprobe);
	if (rc != 0) {
		fprintf(stderr, "bnnbench: probe: %s (efficiencies left empty)\n", strerror(-rc));
		ctx->nprobe = 0;
		return 0;
	}
	printf("  %-30s %-42s %12s %12s\n", "probe", "method", "peak", "median");
	for (size_t i = 0; i < ctx->nprobe; i++) {
		const bnn_probe_result_t *r = &ctx->probe[i];
		printf("  %-30s %-42s %9.3f %-6s %9.3f\n", r->name, r->method, r->best, r->unit,
		       r->median);
		if (!ctx->store)
			continue;
		char canon[96], name[96], kernel[64];
		int64_t pid;
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
		if (bnn_store_problem(ctx->store, canon, name, "probe", &pid) != 0 ||
		    bnn_store_result(ctx->store, ctx->run_id, pid, &rec, NULL) != 0) {
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
	int64_t pid;
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
	if (bnn_store_problem(ctx->store, canon, name, "probe", &pid) != 0 ||
	    bnn_store_result(ctx->store, ctx->run_id, pid, &rec, NULL) != 0) {
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
		    (cli->run.kernel_filter && fnmatch(cli->run.kernel_filter, k->name, 0) != 0))
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
		bnn_machine_info_t mi;
		bnn_build_info_t bi;
		bnn_machine_info(&cli->machine, &mi);
		bnn_build_info(&bi);
		join_argv(argc, argv, cmdline, sizeof(cmdline));
		char label[512] = "";
		for (int i = 0; i < cli->nsuites; i++)
			snprintf(label + strlen(label), sizeof(label) - strlen(label), "%s%s",
				 i ? "," : "", cli->suites[i]);
		bnn_run_info_t ri = { .suite = cli->probe_only ? "probe" :
					      label[0] ? label : "command line",
				      .command_line = cmdline, .seed = cli->run.seed,
				      .check_only = cli->run.check_only,
				      .machine_record = cli->machine.record_json };
		if (bnn_store_begin_run(store, &mi, &bi, &ri, &ctx.run_id) != 0) {
			fprintf(stderr, "bnnbench: %s: %s\n", cli->db_path, bnn_store_errmsg(store));
			status = EXIT_IO;
			goto out;
		}
	}
	ctx.store = store;
	ctx.total = suite.count;
	bnn_install_signals();
	char isa[300];
	bnn_isa_report(isa, sizeof(isa));
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
	if (rc == 0 && counters_start(cli, &ctx) != 0)
		rc = -EIO;
	if (rc == 0 && cupti_start(cli, &ctx, &suite) != 0)
		rc = -EIO;
	printf("results: %s%s; TOPS = 2 ops per binary MAC / median time\n",
	       store ? cli->db_path : "not stored (--no-db)",
	       cli->run.check_only ? "; check only, no timing" : "");

	for (size_t i = 0; i < suite.count && rc == 0; i++) {
		const bnn_problem_t *p = &suite.p[i];
		ctx.index = i + 1;
		/* Progress on a terminal: the inputs and the reference of a large
		 * problem (a batch-8 network) take seconds before its first line. */
		if (!cli->quiet && isatty(STDERR_FILENO)) {
			fprintf(stderr, "[%3zu/%zu] %s: preparing inputs and the reference...\r",
				ctx.index, ctx.total, p->name);
			fflush(stderr);
		}
		if (store && bnn_store_problem(store, p->canonical, p->name, bnn_op_name(p->d.op),
					       &ctx.problem_id) != 0) {
			fprintf(stderr, "bnnbench: %s: %s\n", cli->db_path, bnn_store_errmsg(store));
			ctx.io_error = 1;
			break;
		}
		/* One set of inputs and one reference for the kernels and the peers. */
		bnn_kernel_group_t groups[2] = {
			{ bnn_kernels, bnn_kernel_count, "kernel", NULL, NULL },
			{ bnn_peers, bnn_peer_count, "peer", bnn_bind_caller_release,
			  bnn_bind_caller_restore },
		};
		rc = bnn_run_problem_groups(p, groups, cli->no_peers ? 1 : 2, &cli->run,
					    on_outcome, &ctx, err, sizeof(err));
		if (rc != 0 && rc != -EINTR && rc != -ECANCELED) {
			fprintf(stderr, "bnnbench: %s\n", err);
			ctx.io_error = 1;
		}
	}

	if (!cli->quiet && isatty(STDERR_FILENO))
		fprintf(stderr, "\033[K");   /* clear the last progress line */
	bnn_netreport_print(ctx.net, stdout);   /* part of the summary, even with -q */
	if (store && bnn_netreport_store(ctx.net, store) != 0) {
		fprintf(stderr, "bnnbench: %s: storing the ReActNet block shares: %s\n",
			cli->db_path, bnn_store_errmsg(store));
		ctx.io_error = 1;
	}
	const char *run_status = bnn_interrupted ? "interrupted" :
				 ctx.io_error || ctx.count[BNN_FAIL] ? "failed" : "passed";
	if (store && bnn_store_end_run(store, ctx.run_id, run_status) != 0) {
		fprintf(stderr, "bnnbench: %s: %s\n", cli->db_path, bnn_store_errmsg(store));
		ctx.io_error = 1;
	}
	printf("summary: %zu PASS, %zu FAIL, %zu SKIP, %zu MISTRUSTED%s%s\n",
	       ctx.count[BNN_PASS], ctx.count[BNN_FAIL], ctx.count[BNN_SKIP],
	       ctx.count[BNN_MISTRUSTED], bnn_interrupted ? "; interrupted" : "",
	       store ? "" : "; nothing stored");
	if (store)
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
	if (bnn_store_open(&store, cli->db_path, err, sizeof(err)) != 0) {
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
       O_WARM, O_MAXMEM };
enum { O_INPUT = 320, O_DUMPBLOCKS, O_WEIGHTS };
enum { O_EVENTS = 300, O_NOCOUNTERS, O_JSON };
enum { O_GPUMETRICS = 340 };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "suite", required_argument, 0, 's' }, { "db", required_argument, 0, O_DB },
		{ "no-db", no_argument, 0, O_NODB },   { "seed", required_argument, 0, O_SEED },
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
		{ "version", no_argument, 0, 'V' },    { 0, 0, 0, 0 }
	};
	cli_t cli = {
		.db_path = DEFAULT_DB,
		.threads = 1,
		.bind = 1,
		.probe_time = 0.2,
		.max_mem = bnn_phys_mem() / 2,
		.run = { .seed = DEFAULT_SEED, .min_time_s = 0.2, .min_reps = 5,
			 .max_reps = 10000, .warmup = 2 },
	};
	if (!cli.max_mem)
		cli.max_mem = 1ull << 32;
	/* Commands over stored results parse their own options (dbtools.h). */
	if (argc > 1 && bnn_dbt_is_command(argv[1]))
		return bnn_dbt_main(argc - 1, argv + 1);
	int c;
	while ((c = getopt_long(argc, argv, "s:t:qhV", longopts, NULL)) != -1) {
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
		case O_KERNEL: cli.run.kernel_filter = optarg; break;
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
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf("bnnbench %s\n", PACKAGE_VERSION); return 0;
		default: fputs(usage, stderr); return EXIT_USAGE;
		}
	}
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
	if (!strcmp(cmd, "help")) {
		fputs(usage, stdout);
		return 0;
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
