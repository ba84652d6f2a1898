/*
 * The command line's documentation, one table for --help, the man page and
 * doc/commands.md (see help.h). A text here is one line: the printer wraps
 * it, and cli/mkman turns it into troff and Markdown.
 */
#include <string.h>
#include "help.h"
#include "counters.h"
#include "bnn_cupti.h"

#define DB_OPT { "--db", "PATH", "results database (default " BNN_DBT_DEFAULT_DB ")" }
#define NODB_OPT { "--no-db", "", "store nothing" }
#define SEED_OPT { "--seed", "N", "input seed (default " BNN_DEFAULT_SEED_TEXT ")" }
#define THREADS_OPT(what) { "-t, --threads", "N", what }
#define BIND_OPT { "--bind, --no-bind", "", "bind the worker threads to cores with hwloc, one " \
		   "per core (default: on when built with hwloc)" }
#define PROBETIME_OPT { "--probe-time", "SEC", "time per probe row (default 0.2)" }
#define END_OPTS { NULL, NULL, NULL }
#define RUN_TEXT "RUN: a run id, latest, latest~N (the Nth before the newest in --db), a " \
		 "database file (its latest run) or FILE:RUN"

static const bnn_help_opt_t opts_run[] = {
	{ "-s, --suite", "NAME|PATH", "a suite: a built-in name (see `bnnbench list`) or a file; "
	  "may be repeated" },
	{ "", "DESCRIPTOR", "one problem, quoted as one argument, e.g. 'gemm m=64 n=64 k=129'" },
	DB_OPT,
	NODB_OPT,
	{ "--junit", "FILE", "also write the results as JUnit XML to FILE at the end (a test "
	  "case per problem and kernel or peer; FAIL and MISTRUSTED fail, SKIP is skipped; "
	  "with or without --db)" },
	SEED_OPT,
	{ "--check-only", "", "check, do not time" },
	{ "--kernel", "PATTERN", "only kernels and peers whose name matches (shell pattern); "
	  "repeat to add patterns (each must match something the suite can run)" },
	{ "--dump", "DIR", "write inputs, reference and outputs as .npy files" },
	{ "--dump-blocks", "", "with --dump: also every stage of the network kernels" },
	{ "--input", "FILE.npy", "images (float32 N x 3 x H x W) for the reactnet problems" },
	{ "--weights", "FILE", "trained ReActNet-A weights (.safetensors of the official "
	  "PyTorch state_dict) for the reactnet and rblock problems" },
	{ "--min-time", "SEC", "time each kernel at least this long (default 0.2, at most "
	  "3600)" },
	{ "--min-reps", "N", "and take at least N samples (default 5)" },
	{ "--max-reps", "N", "but at most N samples (default 10000), which wins over "
	  "--min-time; a sample of a kernel under 20 us is the mean of several runs" },
	{ "--warmup", "N", "untimed repetitions first (default 2, in each round)" },
	{ "--shard", "I/N", "run only problems I, I+N, I+2N, ... of the suite (1-based; for "
	  "splitting a suite over N machines; merge joins them)" },
	{ "--rounds", "N", "time every kernel and peer in N rounds (default 3, at most 1000), "
	  "in an order shuffled per round; --min-time is split over them" },
	THREADS_OPT("worker threads for the kernels and the peers (default 1)"),
	BIND_OPT,
	{ "--no-probe", "", "do not measure the peaks first (no efficiencies)" },
	PROBETIME_OPT,
	{ "--no-peers", "", "do not time the peer libraries (OpenBLAS, oneDNN, cuBLASLt)" },
	{ "--max-mem", "SIZE", "refuse problems needing more (default: half the RAM); SIZE "
	  "takes K, M, G, T suffixes (powers of 1024)" },
	{ "--events", "LIST", "PAPI events counted after timing, comma separated (default "
	  BNN_COUNTERS_DEFAULT "); 'none' counts nothing" },
	{ "--no-counters", "", "the same as --events none" },
	{ "--gpu-metrics", "LIST", "CUPTI metrics of the GPU kernels, read after timing, comma "
	  "separated (default " BNN_CUPTI_METRICS_DEFAULT "); 'none': kernel records only" },
	{ "-q, --quiet", "", "print only failures and the summary" },
	{ "-v, --verbose", "", "a line for every SKIP too (default: one per reason at the "
	  "end)" },
	END_OPTS
};

static const bnn_help_opt_t opts_probe[] = {
	THREADS_OPT("threads of the all-threads rows (default: every online CPU)"),
	BIND_OPT,
	PROBETIME_OPT,
	DB_OPT,
	NODB_OPT,
	{ "-q, --quiet", "", "print only the summary" },
	END_OPTS
};

static const bnn_help_opt_t opts_list[] = { END_OPTS };

static const bnn_help_opt_t opts_selftest[] = {
	{ "-s, --suite", "NAME|PATH", "a suite instead of conformance; may be repeated" },
	{ "", "DESCRIPTOR", "one problem instead of conformance" },
	SEED_OPT,
	END_OPTS
};

static const bnn_help_opt_t opts_show[] = {
	DB_OPT,
	{ "", "RUN_ID", "the run to print (default: the latest)" },
	END_OPTS
};

static const bnn_help_opt_t opts_info[] = {
	{ "--json", "", "one JSON object, for scripts" },
	{ "--events", "LIST", "the PAPI events to probe (default: a run's)" },
	{ "--no-counters", "", "the same as --events none" },
	{ "--gpu-metrics", "LIST", "the CUPTI metrics to probe (default: a run's)" },
	END_OPTS
};

static const bnn_help_opt_t opts_compare[] = {
	DB_OPT,
	{ "--threshold", "F", "the noise threshold, a fraction (0.05) or a percentage (5%): "
	  "smaller changes are UNCHANGED (default 5%)" },
	{ "--alpha", "P", "the significance level of the test (default 0.05)" },
	{ "--bootstrap", "N", "resamples of the ratio's interval (default 2000, seeded)" },
	{ "--any-machine", "", "compare runs of different machine fingerprints" },
	{ "--strict", "", "exit status 1 also when anything is NOISY" },
	{ "--all", "", "also list the pairs timed on neither side (SKIP to SKIP, say); CSV and "
	  "JSON list every pair" },
	{ "--csv, --json", "", "the table as CSV or as JSON" },
	{ "--junit", "FILE", "also every pair as a JUnit test case: REGRESSED, MISSING and a new "
	  "FAIL or MISTRUSTED fail, NOISY is skipped (fails with --strict), a pair NEW did not "
	  "time is skipped, the rest pass; a NEW run unfit for a gate adds a failing case" },
	{ "", "BASE NEW", RUN_TEXT },
	END_OPTS
};

static const bnn_help_opt_t opts_report[] = {
	DB_OPT,
	{ "--suite", "S", "keep the runs of this suite" },
	{ "--machine", "M", "keep the runs of this machine (fingerprint prefix or host)" },
	{ "--build", "B", "keep the runs of this build (version prefix)" },
	{ "--baseline", "M", "the machine the others are compared with on the machines page "
	  "(fingerprint prefix or host; default: the first machine of the runs given)" },
	{ "-o, --output", "DIR", "write DIR/index.html and, per plot, NAME.gp, NAME.dat, "
	  "NAME.svg" },
	{ "", "RUN", RUN_TEXT "; default: every run of --db" },
	END_OPTS
};

static const bnn_help_opt_t opts_export[] = {
	DB_OPT,
	{ "--format", "csv|json|junit", "csv (the default): every result of every run given; "
	  "json: one run in Google Benchmark's format; junit: every run given as JUnit XML (a "
	  "test case per result)" },
	{ "--kind", "LIST", "the kinds of result to write, of kernel, peer and probe (default: "
	  "all; a probe is no JSON benchmark or JUnit test case but the JSON context's probes)" },
	{ "-o, --output", "FILE", "write to FILE (default: standard output)" },
	{ "", "RUN", RUN_TEXT "; default: latest" },
	END_OPTS
};

static const bnn_help_opt_t opts_merge[] = {
	{ "", "SOURCE.db", "the databases to copy from" },
	{ "-o, --output", "DEST.db", "the database to copy into (created when missing)" },
	END_OPTS
};

static const bnn_help_opt_t opts_ab[] = {
	{ "--base", "PATH", "the old build's bnnbench (A); required" },
	{ "--new", "PATH", "the new build's bnnbench (B; default: this program)" },
	{ "--pairs", "N", "ABBA pairs of runs (default 16)" },
	{ "--threshold", "F", "the smallest change that can be REGRESSED or IMPROVED, a fraction "
	  "or a percentage (default 5%)" },
	{ "--alpha", "P", "the significance level of the signed-rank test (default 0.05)" },
	{ "--statistic", "min|median", "what of each run is paired: its fastest sample (min, "
	  "the default: on a shared machine interference only ever adds time) or the median "
	  "of its round medians" },
	{ "--db", "PATH", "the database every run is merged into (default " BNN_DBT_DEFAULT_DB ")" },
	{ "--keep", "DIR", "keep each run's own database and log in DIR" },
	{ "", "SUITE|DESCRIPTOR", "what to run: --suite NAME or descriptors, with any run options "
	  "(such as --min-time, --threads, --no-probe, --kernel, --seed), passed to every run" },
	END_OPTS
};

const bnn_help_cmd_t bnn_help_commands[] = {
	{ "run", "[--suite NAME|PATH]... [DESCRIPTOR]... [options]",
	  "run (the default command): checks every kernel this machine can run against the "
	  "golden reference on each problem, times it, and stores the results in SQLite.",
	  opts_run, NULL, 1 },
	{ "probe", "[--threads N] [--bind|--no-bind] [--probe-time SEC] [--db PATH|--no-db] [-q]",
	  "Measures the machine's peaks (XOR-popcount per ISA and method, FP32 FMA, STREAM "
	  "triad; on a CUDA build also the GPU's) on one thread and on all, prints them and "
	  "stores them as a run of their own.",
	  opts_probe, NULL, 1 },
	{ "list", "",
	  "Prints the built-in suites with their problem counts, the detected CPU ISA, and the "
	  "kernel table with whether each kernel runs here. No options.",
	  opts_list, NULL, 1 },
	{ "selftest", "[--suite NAME|PATH]... [DESCRIPTOR]... [--seed N]",
	  "Proves the checker can fail: runs the conformance suite (or the problems given) "
	  "check-only on the real kernels, which must all pass, then on each deliberately "
	  "wrong kernel, each of which must fail somewhere. Stores nothing.",
	  opts_selftest, NULL, 1 },
	{ "show", "[--db PATH] [RUN_ID]",
	  "Prints one stored run: a header line, then one line per result with its status, "
	  "median, interval, TOPS and efficiency.",
	  opts_show, NULL, 1 },
	{ "info", "[--json] [--events LIST|--no-counters] [--gpu-metrics LIST]",
	  "Prints the machine record, the build and library versions, the GPU, each counter "
	  "event with whether it can be counted here (and why not), and the kernels and peers "
	  "this machine can run. Needs no database.",
	  opts_info, NULL, 1 },
	{ "compare", "[--db PATH] [--threshold F] [--alpha P] [--bootstrap N] [--any-machine] "
	  "[--strict] [--all] [--csv|--json] [--junit FILE] BASE NEW",
	  "Compares two stored runs per (problem, kernel): REGRESSED, IMPROVED, UNCHANGED, "
	  "NOISY, NEW or MISSING, with the change of the median and its 95% interval.",
	  opts_compare,
	  "Exit status 1 when anything REGRESSED (with --strict, also when anything is NOISY), "
	  "or when NEW has no results or did not end 'passed'.", 0 },
	{ "report", "[--db PATH] [--suite S] [--machine M] [--build B] [--baseline M] -o DIR "
	  "[RUN...]",
	  "Writes an HTML report with gnuplot plots of the runs given: roofline, speedups over "
	  "the peers, the network's stages, trends, the machines side by side, conformance.",
	  opts_report, NULL, 0 },
	{ "export", "[--db PATH] [--format csv|json|junit] [--kind LIST] [-o FILE] [RUN...]",
	  "Writes stored runs as CSV, Google Benchmark JSON or JUnit XML.",
	  opts_export, NULL, 0 },
	{ "merge", "SOURCE.db... -o DEST.db",
	  "Copies every machine, build, problem, run, result, sample and counter of the sources "
	  "into DEST; rows already there are not added again.",
	  opts_merge, NULL, 0 },
	{ "ab", "--base PATH [--new PATH] [--pairs N] [--threshold F] [--alpha P] "
	  "[--statistic min|median] [--db PATH] [--keep DIR] [run options] SUITE|DESCRIPTOR...",
	  "Runs the builds --base (A) and --new (B) alternately in ABBA order, each run a fresh "
	  "`bnnbench run` process on the same seed, and gives a paired verdict per (problem, "
	  "kernel): the median ratio, its Hodges-Lehmann interval and an exact Wilcoxon "
	  "signed-rank test.",
	  opts_ab, "Exit status 1 when anything REGRESSED.", 0 },
	{ NULL, NULL, NULL, NULL, NULL, 0 }
};

const bnn_help_opt_t bnn_help_global[] = {
	{ "-h, --help", "", "the help (after a command: that command's)" },
	END_OPTS
};

const bnn_help_opt_t bnn_help_version[] = {
	{ "-V, --version", "", "the version and the license" },
	END_OPTS
};

const char bnn_help_tail[] =
	"TOPS count 2 operations per binary MAC (the vendor convention). Exit status: 0 all "
	"passed (or skipped), 1 something FAILED, 2 bad input, 3 database or I/O error, 130 "
	"interrupted. See bnnbench(1) and doc/.";

const bnn_help_cmd_t *bnn_help_find(const char *name)
{
	for (const bnn_help_cmd_t *c = bnn_help_commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

#define WIDTH 79
#define OPT_COL 25

/* The length of the word at p: up to a space, or for a usage line (groups
 * set) up to a space outside brackets, so that "[--db PATH]" stays whole. */
static int word_len(const char *p, int groups)
{
	int n = 0, depth = 0;
	for (; p[n] && (p[n] != ' ' || (groups && depth > 0)); n++)
		depth += (p[n] == '[') - (p[n] == ']');
	return n;
}

static void wrap(FILE *f, const char *text, int first, int indent, int width, int groups)
{
	int col = first, words = 0;
	for (const char *p = text; *p;) {
		if (*p == ' ') {
			p++;
			continue;
		}
		int n = word_len(p, groups);
		if (col > indent && col + (words ? 1 : 0) + n > width) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (words) {
			fputc(' ', f);
			col++;
		}
		fwrite(p, 1, (size_t)n, f);
		col += n;
		p += n;
		words++;
	}
	fputc('\n', f);
}

void bnn_help_wrap(FILE *f, const char *text, int first, int indent, int width)
{
	wrap(f, text, first, indent, width, 0);
}

/* The option column: "  -s, --suite NAME|PATH", "      --db PATH",
 * "  DESCRIPTOR". */
static int print_names(FILE *f, const bnn_help_opt_t *o)
{
	int n;
	if (!o->names[0])
		n = fprintf(f, "  %s", o->arg);
	else if (o->names[1] != '-')
		n = fprintf(f, "  %s%s%s", o->names, o->arg[0] ? " " : "", o->arg);
	else
		n = fprintf(f, "      %s%s%s", o->names, o->arg[0] ? " " : "", o->arg);
	return n;
}

static void print_opts(FILE *f, const bnn_help_opt_t *o)
{
	for (; o->names; o++) {
		int n = print_names(f, o);
		if (n > OPT_COL - 2) {
			fputc('\n', f);
			n = 0;
		}
		fprintf(f, "%*s", OPT_COL - n, "");
		bnn_help_wrap(f, o->text, OPT_COL, OPT_COL, WIDTH);
	}
}

const char *bnn_help_usage_name(const bnn_help_cmd_t *c)
{
	return strcmp(c->name, "run") ? c->name : "[run]";
}

/* "usage: bnnbench NAME USAGE", continued under the first argument. */
static void print_usage(FILE *f, const char *lead, const bnn_help_cmd_t *c)
{
	char head[64];
	int n = snprintf(head, sizeof head, "%sbnnbench %s%s", lead, bnn_help_usage_name(c),
			 c->usage[0] ? " " : "");
	fputs(head, f);
	if (c->usage[0])
		wrap(f, c->usage, n, n, WIDTH, 1);
	else
		fputc('\n', f);
}

/* The help of c after its usage line. */
static void print_body(FILE *f, const bnn_help_cmd_t *c)
{
	bnn_help_wrap(f, c->about, 0, 0, WIDTH);
	print_opts(f, c->opts);
	print_opts(f, bnn_help_global);
	if (c->version)
		print_opts(f, bnn_help_version);
	if (c->after)
		bnn_help_wrap(f, c->after, 0, 0, WIDTH);
}

void bnn_help_print(FILE *f, const bnn_help_cmd_t *c)
{
	print_usage(f, "usage: ", c);
	print_body(f, c);
}

void bnn_help_print_all(FILE *f)
{
	for (const bnn_help_cmd_t *c = bnn_help_commands; c->name; c++)
		print_usage(f, c == bnn_help_commands ? "usage: " : "       ", c);
	fputs("       ", f);
	bnn_help_wrap(f, "(`bnnbench COMMAND --help` lists a command's options; the commands "
		      "after info take them after the command word)", 7, 7, WIDTH);
	fputc('\n', f);
	print_body(f, &bnn_help_commands[0]);
	fputc('\n', f);
	bnn_help_wrap(f, bnn_help_tail, 0, 0, WIDTH);
}
