/*
 * ab.c: `bnnbench ab --base OLD [--new NEW] [--pairs N] ... SUITE|DESCRIPTOR...`:
 * an A/B run of two builds on the same problems and seeds.
 *
 * The two builds run alternately, one fresh process per run, in ABBA order
 * (pair 1: A then B, pair 2: B then A, ...), so that a drift of the machine
 * over minutes reaches both builds alike and each pair's two runs are
 * neighbours in time (Chromium's Pinpoint alternates builds the same way).
 * Each process writes its own database in a scratch folder; its run is one
 * replicate. For every (problem, kernel) timed by both builds in a pair,
 * the pair's ratio is new / base of each run's fastest sample (or, with
 * --statistic median, of its median). The verdict uses the
 * ratios only: their median, and an exact Wilcoxon signed-rank test of
 * their logarithms with the 95% interval that goes with it (Hodges-Lehmann,
 * from the Walsh averages; the whole range under 6 pairs). REGRESSED or
 * IMPROVED needs p < alpha, an interval that excludes 1 and a change
 * beyond the threshold; a status change (PASS to anything else) is
 * REGRESSED whatever the timing. Every run is merged into --db at the end
 * (results already there are kept), so that compare, show and report can
 * read them later. Exit status: 0, 1 when something REGRESSED, 2 bad
 * input, 3 a run or the database failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "dbtools.h"
#include "reports.h"
#include "stats.h"

#define AB_MAX_PAIRS 64
#define AB_MAX_ARGS 256

typedef struct {
	const char *problem, *canonical, *kernel;
	double ratio[AB_MAX_PAIRS];   /* NaN where the pair has no timing */
	double base_ns[AB_MAX_PAIRS], new_ns[AB_MAX_PAIRS];
	char status_change[64];       /* "PASS -> FAIL" etc., or "" */
	int regressed_status;
} ab_row_t;


/* This program's own path, for --new's default. */
static int self_path(char *buf, size_t len)
{
	ssize_t n = readlink("/proc/self/exe", buf, len - 1);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return 0;
}

/*
 * Runs exe with args (argv[0] set here) and its output to log; returns
 * the exit status, or -1 when it could not start or died of a signal.
 */
static int run_process(const char *exe, char *const *args, int nargs, const char *log)
{
	char *argv[AB_MAX_ARGS + 2];
	argv[0] = (char *)exe;
	for (int i = 0; i < nargs; i++)
		argv[i + 1] = args[i];
	argv[nargs + 1] = NULL;
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
			close(fd);
		}
		execv(exe, argv);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The row of (canonical, kernel), added when new; NULL when out of room. */
static ab_row_t *row_of(ab_row_t *rows, size_t *n, size_t cap, const bnn_dbt_result_t *r)
{
	for (size_t i = 0; i < *n; i++)
		if (!strcmp(rows[i].canonical, r->canonical) && !strcmp(rows[i].kernel, r->kernel))
			return &rows[i];
	if (*n == cap)
		return NULL;
	ab_row_t *w = &rows[(*n)++];
	memset(w, 0, sizeof(*w));
	w->problem = r->problem;
	w->canonical = r->canonical;
	w->kernel = r->kernel;
	for (int i = 0; i < AB_MAX_PAIRS; i++)
		w->ratio[i] = w->base_ns[i] = w->new_ns[i] = NAN;
	return w;
}

/* Whether path names an executable regular file. */
static int executable(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

/* See reports.h. */
int bnn_cmd_ab(int argc, char **argv, const char *usage)
{
	enum { O_BASE = 300, O_NEW, O_PAIRS, O_THR, O_ALPHA, O_DB, O_KEEP, O_STAT };
	static const struct option longopts[] = {
		{ "base", required_argument, 0, O_BASE },
		{ "new", required_argument, 0, O_NEW },
		{ "pairs", required_argument, 0, O_PAIRS },
		{ "threshold", required_argument, 0, O_THR },
		{ "alpha", required_argument, 0, O_ALPHA },
		{ "db", required_argument, 0, O_DB },
		{ "keep", required_argument, 0, O_KEEP },
		{ "statistic", required_argument, 0, O_STAT },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *base = NULL, *db = BNN_DBT_DEFAULT_DB, *keep = NULL;
	char newexe[4096], dir[4096], path[4200], logp[4200];
	char *pass[AB_MAX_ARGS];
	int npass = 0, pairs = 16, status = BNN_DBT_USAGE, c;
	double threshold = 0.05, alpha = 0.05;
	int use_min = 1;   /* --statistic min (default): each run's fastest sample */
	char *end;
	ab_row_t *rows = NULL;
	size_t nrows = 0, cap = 0;
	bnn_dbt_run_t *runs = NULL;
	int nruns = 0;

	newexe[0] = 0;
	dir[0] = 0;
	/* ab's own options first; everything else goes to each run. */
	optind = 1;
	opterr = 0;
	while (optind < argc) {
		int before = optind;
		c = getopt_long(argc, argv, "+h", longopts, NULL);
		if (c == -1) {
			if (optind < argc && npass < AB_MAX_ARGS - 8)
				pass[npass++] = argv[optind++];
			else if (optind < argc)
				goto toomany;
			continue;
		}
		switch (c) {
		case O_BASE: base = optarg; break;
		case O_NEW: snprintf(newexe, sizeof(newexe), "%s", optarg); break;
		case O_DB: db = optarg; break;
		case O_KEEP: keep = optarg; break;
		case O_STAT:
			if (strcmp(optarg, "median") && strcmp(optarg, "min")) {
				fprintf(stderr, "bnnbench: ab: --statistic: '%s' is not median or min\n",
					optarg);
				return BNN_DBT_USAGE;
			}
			use_min = !strcmp(optarg, "min");
			break;
		case O_PAIRS:
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 1 || v > AB_MAX_PAIRS) {
				fprintf(stderr, "bnnbench: ab: --pairs: '%s' is not a count in [1, %d]\n",
					optarg, AB_MAX_PAIRS);
				return BNN_DBT_USAGE;
			}
			pairs = (int)v;
			break;
		case O_THR:
			if (bnn_dbt_parse_threshold(optarg, &threshold) != 0) {
				fprintf(stderr, "bnnbench: ab: --threshold: '%s' is not a fraction (0.05) "
					"or a percentage (5%%)\n", optarg);
				return BNN_DBT_USAGE;
			}
			break;
		case O_ALPHA:
			errno = 0;
			alpha = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(alpha > 0 && alpha < 1)) {
				fprintf(stderr, "bnnbench: ab: --alpha: '%s' is not in (0, 1)\n", optarg);
				return BNN_DBT_USAGE;
			}
			break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			/* Every run of a pair would write (and the base build may not
			 * know) a run's --junit; the stored runs export as JUnit. */
			if (!strncmp(argv[before], "--junit", 7)) {
				fprintf(stderr, "bnnbench: ab: --junit is not passed to the runs; "
					"`bnnbench export --format junit --db PATH` writes them\n");
				return BNN_DBT_USAGE;
			}
			/* A run option: passed on with its value when it takes one. */
			for (int i = before; i < optind && npass < AB_MAX_ARGS - 8; i++)
				pass[npass++] = argv[i];
			if (npass >= AB_MAX_ARGS - 8)
				goto toomany;
			break;
		}
	}
	if (!base) {
		fprintf(stderr, "bnnbench: ab: --base PATH (the old build's bnnbench) is required\n%s",
			usage);
		return BNN_DBT_USAGE;
	}
	if (!newexe[0] && self_path(newexe, sizeof(newexe)) != 0) {
		fprintf(stderr, "bnnbench: ab: cannot find this program's path; give --new\n");
		return BNN_DBT_USAGE;
	}
	const char *exe[2] = { base, newexe };
	for (int i = 0; i < 2; i++)
		if (!executable(exe[i])) {
			fprintf(stderr, "bnnbench: ab: %s %s is not an executable file\n",
				i ? "--new" : "--base", exe[i]);
			return BNN_DBT_USAGE;
		}
	if (npass == 0) {
		fprintf(stderr, "bnnbench: ab: name a suite (--suite NAME) or descriptors to run\n%s",
			usage);
		return BNN_DBT_USAGE;
	}
	if (keep) {
		if (mkdir(keep, 0777) != 0 && errno != EEXIST) {
			fprintf(stderr, "bnnbench: ab: --keep %s: %s\n", keep, strerror(errno));
			return BNN_DBT_IO;
		}
		snprintf(dir, sizeof(dir), "%s", keep);
	} else {
		const char *tmp = getenv("TMPDIR");
		snprintf(dir, sizeof(dir), "%s/bnnbench-ab.XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			fprintf(stderr, "bnnbench: ab: cannot make a scratch folder: %s\n",
				strerror(errno));
			return BNN_DBT_IO;
		}
	}
	runs = calloc((size_t)(2 * pairs), sizeof(*runs));
	if (!runs)
		goto nomem;

	printf("ab: base (A) %s\nab: new (B)  %s\n", exe[0], exe[1]);
	printf("ab: %d pairs in ABBA order, one fresh process per run; scratch %s\n", pairs, dir);
	/* The run options, and a database of each run's own. */
	char *args[AB_MAX_ARGS];
	int nargs = 0;
	args[nargs++] = "run";
	args[nargs++] = "-q";
	args[nargs++] = "--db";
	char *dbslot = path;
	args[nargs++] = dbslot;
	for (int i = 0; i < npass; i++)
		args[nargs++] = pass[i];
	status = BNN_DBT_OK;
	for (int p = 0; p < pairs && status == BNN_DBT_OK; p++) {
		for (int k = 0; k < 2; k++) {
			int b = (p % 2 == 0) ? k : 1 - k;   /* ABBA: A B, B A, A B, ... */
			snprintf(path, sizeof(path), "%s/pair%02d-%c.db", dir, p + 1, b ? 'B' : 'A');
			snprintf(logp, sizeof(logp), "%s/pair%02d-%c.log", dir, p + 1, b ? 'B' : 'A');
			printf("ab: pair %d/%d: %c (%s)...", p + 1, pairs, b ? 'B' : 'A',
			       b ? "new" : "base");
			fflush(stdout);
			int rc = run_process(exe[b], args, nargs, logp);
			printf(" exit %d\n", rc);
			/* 0 passed, 1 a check failed: both stored a run. */
			if (rc != 0 && rc != 1) {
				fprintf(stderr, "bnnbench: ab: the %s run of pair %d failed (exit %d); "
					"its output is in %s\n", b ? "new" : "base", p + 1, rc, logp);
				status = BNN_DBT_IO;
				break;
			}
			if (bnn_dbt_load_arg(path, path, 1, &runs[2 * p + b]) != 0) {
				status = BNN_DBT_IO;
				break;
			}
			nruns = 2 * p + 2;
		}
	}
	if (status != BNN_DBT_OK)
		goto out;

	/* Every run into --db: results already there are kept. */
	{
		char *margv[4 + 2 * AB_MAX_PAIRS];
		char *paths = calloc((size_t)(2 * pairs), 4200);
		int m = 0;
		if (!paths)
			goto nomem;
		margv[m++] = "merge";
		margv[m++] = "-o";
		margv[m++] = (char *)db;
		for (int p = 0; p < pairs; p++)
			for (int b = 0; b < 2; b++) {
				char *q = paths + (size_t)(2 * p + b) * 4200;
				snprintf(q, 4200, "%s/pair%02d-%c.db", dir, p + 1, b ? 'B' : 'A');
				margv[m++] = q;
			}
		margv[m] = NULL;
		/* The default database lives in ./results, as for run. */
		if (!strcmp(db, BNN_DBT_DEFAULT_DB))
			mkdir("results", 0777);
		/* merge's per-file lines would bury the table: kept out of stdout. */
		fflush(stdout);
		int saved = dup(STDOUT_FILENO), devnull = open("/dev/null", O_WRONLY);
		if (saved >= 0 && devnull >= 0)
			dup2(devnull, STDOUT_FILENO);
		int mrc = bnn_cmd_merge(m, margv, "");
		fflush(stdout);
		if (saved >= 0 && devnull >= 0)
			dup2(saved, STDOUT_FILENO);
		if (saved >= 0)
			close(saved);
		if (devnull >= 0)
			close(devnull);
		free(paths);
		if (mrc != 0) {
			fprintf(stderr, "bnnbench: ab: merging the runs into %s failed; they stay in %s\n",
				db, dir);
			keep = dir;
			status = BNN_DBT_IO;
			goto out;
		}
		printf("ab: the %d runs are merged into %s\n", 2 * pairs, db);
	}
	/* The pairs' ratios, per (problem, kernel). */
	for (int p = 0; p < pairs; p++)
		cap += runs[2 * p].nres + runs[2 * p + 1].nres;
	rows = calloc(cap + 1, sizeof(*rows));
	if (!rows)
		goto nomem;
	for (int p = 0; p < pairs; p++) {
		const bnn_dbt_run_t *ra = &runs[2 * p], *rb = &runs[2 * p + 1];
		for (size_t i = 0; i < rb->nres; i++) {
			const bnn_dbt_result_t *n = &rb->res[i], *a = NULL;
			if (strcmp(n->kind, "kernel") && strcmp(n->kind, "peer"))
				continue;
			for (size_t j = 0; j < ra->nres && !a; j++)
				if (!strcmp(ra->res[j].canonical, n->canonical) &&
				    !strcmp(ra->res[j].kernel, n->kernel))
					a = &ra->res[j];
			ab_row_t *w = row_of(rows, &nrows, cap, n);
			if (!w)
				goto nomem;
			if (!a)
				continue;
			if (strcmp(a->status, n->status) && !w->status_change[0]) {
				snprintf(w->status_change, sizeof(w->status_change), "%s -> %s (pair %d)",
					 a->status, n->status, p + 1);
				w->regressed_status = (!strcmp(a->status, "PASS") ||
						       !strcmp(n->status, "FAIL"));
			}
			double va = use_min ? a->min_ns : a->median_ns;
			double vn = use_min ? n->min_ns : n->median_ns;
			if (va > 0 && vn > 0) {
				w->base_ns[p] = va;
				w->new_ns[p] = vn;
				w->ratio[p] = vn / va;
			}
		}
	}

	size_t count[4] = { 0 };   /* IMPROVED, REGRESSED, UNCHANGED, untimed */
	printf("verdicts: per (problem, kernel), the ratio new / base of each pair's %s; "
	       "the median ratio, an exact Wilcoxon signed-rank test of the log ratios at %.3g "
	       "with its 95%% interval (Hodges-Lehmann), and a threshold of %.3g%%\n",
	       use_min ? "fastest samples" : "medians", alpha, 100 * threshold);
	printf("%-36s %-34s %5s %10s %10s %8s %19s %8s  %s\n", "problem", "kernel", "pairs",
	       "base us", "new us", "change", "95% CI", "p", "verdict");
	for (size_t i = 0; i < nrows; i++) {
		ab_row_t *w = &rows[i];
		double lr[AB_MAX_PAIRS], rr[AB_MAX_PAIRS], bn[AB_MAX_PAIRS], nn[AB_MAX_PAIRS];
		size_t n = 0;
		for (int p = 0; p < pairs; p++)
			if (isfinite(w->ratio[p])) {
				rr[n] = w->ratio[p];
				lr[n] = log(w->ratio[p]);
				bn[n] = w->base_ns[p];
				nn[n] = w->new_ns[p];
				n++;
			}
		const char *verdict = "UNCHANGED";
		char note[160] = "";
		double change = NAN, lo = NAN, hi = NAN, pv = NAN;
		if (n >= 1) {
			size_t nz;
			double llo, lhi;
			change = bnn_stat_median(rr, n) - 1;
			/* The interval that goes with the test (Hodges-Lehmann). */
			if (bnn_stat_wilcoxon_ci(lr, n, 0.95, &llo, &lhi) == 0) {
				lo = exp(llo) - 1;
				hi = exp(lhi) - 1;
			}
			bnn_stat_wilcoxon(lr, n, &pv, &nz);
		}
		if (w->status_change[0]) {
			verdict = w->regressed_status ? "REGRESSED" : "UNCHANGED";
			snprintf(note, sizeof(note), "%s", w->status_change);
		} else if (n == 0) {
			verdict = "-";
			snprintf(note, sizeof(note), "not timed");
		} else if (fabs(change) <= threshold) {
			snprintf(note, sizeof(note), "within the %.3g%% threshold", 100 * threshold);
		} else if (lo <= 0 && hi >= 0) {
			snprintf(note, sizeof(note), "not significant: the interval spans zero");
		} else if (!(pv < alpha)) {
			snprintf(note, sizeof(note), "not significant (p %.2g >= %.3g%s)", pv, alpha,
				 n < 6 ? "; 6 or more pairs can reach 0.05" : "");
		} else {
			verdict = change > 0 ? "REGRESSED" : "IMPROVED";
			snprintf(note, sizeof(note), "%s in %zu pairs", change > 0 ? "slower" : "faster",
				 n);
		}
		count[!strcmp(verdict, "IMPROVED") ? 0 : !strcmp(verdict, "REGRESSED") ? 1 :
		      !strcmp(verdict, "-") ? 3 : 2]++;
		char ci[40] = "-", chg[16] = "-", ps[16] = "-", bus[16] = "-", nus[16] = "-";
		if (n) {
			snprintf(chg, sizeof(chg), "%+.1f%%", 100 * change);
			snprintf(ci, sizeof(ci), "[%+.1f%%, %+.1f%%]", 100 * lo, 100 * hi);
			snprintf(ps, sizeof(ps), "%.2g", pv);
			snprintf(bus, sizeof(bus), "%.3f", bnn_stat_median(bn, n) / 1e3);
			snprintf(nus, sizeof(nus), "%.3f", bnn_stat_median(nn, n) / 1e3);
		}
		printf("%-36s %-34s %5zu %10s %10s %8s %19s %8s  %-9s %s\n", w->problem, w->kernel, n,
		       bus, nus, chg, ci, ps, verdict, note);
	}
	printf("pairing: ");
	for (int p = 0; p < pairs; p++)
		printf("%s%s", p ? ", " : "", p % 2 == 0 ? "AB" : "BA");
	printf(" (base runs ");
	for (int p = 0; p < pairs; p++)
		printf("%s%lld", p ? "," : "", (long long)runs[2 * p].id);
	printf(" and new runs ");
	for (int p = 0; p < pairs; p++)
		printf("%s%lld", p ? "," : "", (long long)runs[2 * p + 1].id);
	printf(" of their own databases)\n");
	printf("summary: %zu IMPROVED, %zu REGRESSED, %zu UNCHANGED, %zu not timed\n", count[0],
	       count[1], count[2], count[3]);

	status = count[1] ? BNN_DBT_REGRESSED : BNN_DBT_OK;
	goto out;
toomany:
	fprintf(stderr, "bnnbench: ab: too many arguments\n");
	return BNN_DBT_USAGE;
nomem:
	fprintf(stderr, "bnnbench: ab: out of memory\n");
	status = BNN_DBT_IO;
out:
	for (int i = 0; i < nruns; i++)
		bnn_dbt_free_run(&runs[i]);
	free(runs);
	free(rows);
	/* The scratch folder goes unless asked to keep it (or a run failed). */
	if (!keep && dir[0] && status != BNN_DBT_IO) {
		for (int p = 0; p < pairs; p++)
			for (int b = 0; b < 2; b++)
				for (int e = 0; e < 4; e++) {
					static const char *const ext[4] = { "db", "log", "db-wal", "db-shm" };
					snprintf(path, sizeof(path), "%s/pair%02d-%c.%s", dir, p + 1,
						 b ? 'B' : 'A', ext[e]);
					unlink(path);
				}
		rmdir(dir);
	}
	return status;
}
