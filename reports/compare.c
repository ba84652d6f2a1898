/*
 * compare.c: `bnnbench compare BASE NEW`: per (problem, kernel), the change
 * of the median, a bootstrap interval of the ratio of medians, a
 * Mann-Whitney U test on the stored samples, and a verdict. Correctness
 * first (PASS to anything else is a regression), then the noise threshold,
 * then the test (doc/harness-design.md, "Comparing runs").
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_rand.h"
#include "dbtools.h"
#include "junit.h"
#include "reports.h"
#include "stats.h"

#define MIN_TEST_SAMPLES 4    /* LNT: the U test needs 4 samples a side */
#define BOOT_SEED 0x626e6e62636d70ull

typedef enum { V_IMPROVED, V_REGRESSED, V_UNCHANGED, V_NEW, V_MISSING, V_NOISY,
	       V_COUNT } verdict_t;
static const char *const verdict_name[V_COUNT] = {
	"IMPROVED", "REGRESSED", "UNCHANGED", "NEW", "MISSING", "NOISY"
};

typedef struct {
	double threshold;     /* fraction of the base median */
	double alpha;
	int iters;            /* bootstrap resamples */
	int any_machine;
	int strict;           /* NOISY fails the exit status too */
	int all;              /* the text lists pairs timed on neither side too */
	enum { OUT_TEXT, OUT_CSV, OUT_JSON } format;
	/* The machine's change between the two runs, from their probes at the
	 * start and the end (NaN when either run has none): new / base - 1. */
	double machine_change;
	double machine_drift; /* the larger start-to-end drift inside a run */
} cmp_opts_t;

typedef struct {
	const bnn_dbt_result_t *base, *new;
	verdict_t verdict;
	double mb, mn;        /* medians, ns (NaN when not timed) */
	double change;        /* mn / mb - 1 */
	double lo, hi;        /* bootstrap interval of mn / mb - 1 */
	double p;             /* U test p-value, NaN when not tested */
	int by_rounds;        /* the units were rounds (else samples) */
	char note[200];
} row_t;


/* Whether a result is a timed measurement we can compare. */
static int comparable_kind(const bnn_dbt_result_t *r)
{
	return !strcmp(r->kind, "kernel") || !strcmp(r->kind, "peer");
}

/* The comparable result of run with key's problem and kernel, or NULL. */
static const bnn_dbt_result_t *find(const bnn_dbt_run_t *run, const bnn_dbt_result_t *key)
{
	for (size_t i = 0; i < run->nres; i++)
		if (comparable_kind(&run->res[i]) &&
		    !strcmp(run->res[i].canonical, key->canonical) &&
		    !strcmp(run->res[i].kernel, key->kernel))
			return &run->res[i];
	return NULL;
}

/* The median of a result: of its round medians when it has rounds, else
 * of its samples, else the stored one. */
static double median_of(const bnn_dbt_result_t *r)
{
	if (r->nrounds)
		return bnn_stat_median(r->rounds, r->nrounds);
	return r->nsamples ? bnn_stat_median(r->samples, r->nsamples) : r->median_ns;
}

/* max / min - 1 of n values: how far a run's own rounds spread. */
static double spread(const double *v, size_t n)
{
	double lo = INFINITY, hi = -INFINITY;
	for (size_t i = 0; i < n; i++) {
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	return n && lo > 0 ? hi / lo - 1 : NAN;
}

/* Seed of a pair: the same pair always draws the same resamples. */
static uint64_t pair_seed(const bnn_dbt_result_t *r)
{
	return bnn_fnv1a_str(bnn_fnv1a_str(BOOT_SEED, r->canonical), r->kernel);
}

/* Decides one pair's verdict; see the file comment for the order. */
static void classify(row_t *w, const cmp_opts_t *o)
{
	const bnn_dbt_result_t *b = w->base, *n = w->new;
	w->mb = w->mn = w->change = w->lo = w->hi = w->p = NAN;
	w->note[0] = 0;
	if (b)
		w->mb = median_of(b);
	if (n)
		w->mn = median_of(n);
	if (!b || !n) {
		w->verdict = b ? V_MISSING : V_NEW;
		snprintf(w->note, sizeof(w->note), "only in the %s run", b ? "base" : "new");
		return;
	}
	int bpass = !strcmp(b->status, "PASS"), npass = !strcmp(n->status, "PASS");
	if (isfinite(w->mb) && isfinite(w->mn) && w->mb > 0)
		w->change = w->mn / w->mb - 1;
	if (strcmp(b->status, n->status)) {
		snprintf(w->note, sizeof(w->note), "%s -> %s", b->status, n->status);
		if ((bpass && !npass) || !strcmp(n->status, "FAIL"))
			w->verdict = V_REGRESSED;
		else if (npass)
			w->verdict = V_IMPROVED;
		else
			w->verdict = V_UNCHANGED;
		return;
	}
	w->verdict = V_UNCHANGED;
	if (isnan(w->change)) {
		snprintf(w->note, sizeof(w->note), "not timed");
		return;
	}
	/* The unit of replication: rounds when both sides have them (samples
	 * of one run are not independent of each other), else samples. */
	const double *ub = b->samples, *un = n->samples;
	size_t nb = b->nsamples, nn = n->nsamples;
	w->by_rounds = b->nrounds >= 2 && n->nrounds >= 2;
	if (w->by_rounds) {
		ub = b->rounds, nb = b->nrounds;
		un = n->rounds, nn = n->nrounds;
	}
	int tested = nb >= MIN_TEST_SAMPLES && nn >= MIN_TEST_SAMPLES;
	double lo, hi, u;
	if (tested && bnn_stat_mann_whitney(ub, nb, un, nn, &u, &w->p) != 0)
		w->p = NAN;
	if (nb >= 2 && nn >= 2 &&
	    bnn_stat_bootstrap_ratio(ub, nb, un, nn, o->iters, pair_seed(b), 0.95, &lo, &hi) == 0) {
		w->lo = lo - 1;
		w->hi = hi - 1;
	}
	double sb = w->by_rounds ? spread(ub, nb) : NAN, sn = w->by_rounds ? spread(un, nn) : NAN;
	if (fabs(w->change) <= o->threshold) {
		snprintf(w->note, sizeof(w->note), "within the %.3g%% noise threshold",
			 100 * o->threshold);
	} else if (nb < 2 || nn < 2 || isnan(w->lo)) {
		snprintf(w->note, sizeof(w->note), "too few %s to test (%zu and %zu)",
			 w->by_rounds ? "rounds" : "samples", nb, nn);
	} else if (w->lo <= 0 && w->hi >= 0) {
		snprintf(w->note, sizeof(w->note), "not significant: the interval spans zero");
	} else if (tested && !(w->p < o->alpha)) {
		snprintf(w->note, sizeof(w->note), "not significant (p %.2g >= %.3g)", w->p,
			 o->alpha);
	} else if (fabs(o->machine_change) > o->threshold / 2) {
		/* The machine itself changed: its probed peak moved between runs. */
		w->verdict = V_NOISY;
		snprintf(w->note, sizeof(w->note), "%s, but the machine's probed peak moved %+.0f%% "
			 "between the runs", w->change > 0 ? "slower" : "faster",
			 100 * o->machine_change);
	} else if (o->machine_drift > o->threshold) {
		w->verdict = V_NOISY;
		snprintf(w->note, sizeof(w->note), "%s, but the probed peak drifted %.0f%% within "
			 "a run", w->change > 0 ? "slower" : "faster", 100 * o->machine_drift);
	} else if (sb > o->threshold || sn > o->threshold) {
		/* A run whose own rounds differ by more than the change sought
		 * cannot tell it from the machine's drift. */
		w->verdict = V_NOISY;
		snprintf(w->note, sizeof(w->note), "%s, but the rounds spread by %.0f%% (base) and "
			 "%.0f%% (new), more than the threshold", w->change > 0 ? "slower" : "faster",
			 100 * sb, 100 * sn);
	} else {
		w->verdict = w->change > 0 ? V_REGRESSED : V_IMPROVED;
		snprintf(w->note, sizeof(w->note), "%s", w->change > 0 ? "slower" : "faster");
	}
}

/* The machine's speed in a run: the mean of its probe at the start and at
 * the end, NaN when unknown. */
static double run_speed(const bnn_dbt_run_t *r)
{
	if (r->probe_start > 0 && r->probe_end > 0)
		return 0.5 * (r->probe_start + r->probe_end);
	return NAN;
}

/* Formats x with f, or "-" when it is not a finite number. */
static void fmt(char *buf, size_t len, const char *f, double x)
{
	if (isfinite(x))
		snprintf(buf, len, f, x);
	else
		snprintf(buf, len, "-");
}

/* One header line naming a run, its database, machine and build. */
static void print_run_line(const char *label, const bnn_dbt_run_t *r)
{
	printf("%s run %lld of %s: suite %s, %s, started %s, host %s, machine %s, build %s\n",
	       label, (long long)r->id, r->db_path, r->suite ? r->suite : "-",
	       r->status ? r->status : "-", r->start_time ? r->start_time : "-",
	       r->host ? r->host : "-", r->fingerprint ? r->fingerprint : "-",
	       r->version ? r->version : "-");
}

/*
 * The machine's own change: the probed peaks of both runs side by side
 * (no verdict: a probe has no samples). When every kernel "regressed" and
 * the peaks fell as much, the machine changed, not the code.
 */
static void print_probes(const bnn_dbt_run_t *rb, const bnn_dbt_run_t *rn)
{
	int first = 1;
	for (size_t i = 0; i < rn->nres; i++) {
		const bnn_dbt_result_t *n = &rn->res[i], *b = NULL;
		if (strcmp(n->kind, "probe") || !isfinite(n->value))
			continue;
		for (size_t j = 0; j < rb->nres && !b; j++)
			if (!strcmp(rb->res[j].kind, "probe") &&
			    !strcmp(rb->res[j].canonical, n->canonical) && isfinite(rb->res[j].value))
				b = &rb->res[j];
		if (!b || !(b->value > 0))
			continue;
		if (first)
			printf("machine peaks (probes, best rate; not part of the verdicts):\n");
		first = 0;
		printf("  %-40s %10.4g -> %10.4g %-6s %+6.1f%%\n", n->problem, b->value, n->value,
		       n->unit ? n->unit : "", 100 * (n->value / b->value - 1));
	}
}

enum { NCOL = 9 };

/*
 * Whether the text table leaves pair w out: timed on neither side (SKIP to
 * SKIP, a SKIP only in one run), no FAIL on either side, and a verdict
 * that is neither REGRESSED nor IMPROVED. It still counts in the summary.
 */
static int quiet_row(const row_t *w, const cmp_opts_t *o)
{
	if (o->all || isfinite(w->mb) || isfinite(w->mn) || w->verdict == V_REGRESSED ||
	    w->verdict == V_IMPROVED)
		return 0;
	return !(w->base && !strcmp(w->base->status, "FAIL")) &&
	       !(w->new && !strcmp(w->new->status, "FAIL"));
}

/* The text table: columns as wide as their widest cell, then the counts. */
static void print_text(const bnn_dbt_run_t *rb, const bnn_dbt_run_t *rn, row_t *rows,
		       size_t nrows, const cmp_opts_t *o, const size_t *count)
{
	static const char *const head[NCOL] = {
		"problem", "kernel", "base us", "new us", "change", "95% CI", "p", "verdict", "note"
	};
	int width[NCOL];
	char cell[NCOL][220];
	print_run_line("base:", rb);
	print_run_line("new: ", rn);
	printf("verdicts: correctness first (PASS to anything else is REGRESSED), then a "
	       "noise threshold of %.3g%% on the change of the median, then the CI must exclude "
	       "zero and a two-sided Mann-Whitney U test at %.3g pass (where both sides have "
	       ">= %d units), then NOISY when the machine changed as much; the units are rounds "
	       "where both runs have them, else samples; CI: %d-resample bootstrap of the ratio "
	       "of medians\n", 100 * o->threshold, o->alpha, MIN_TEST_SAMPLES, o->iters);
	for (int i = 0; i < NCOL; i++)
		width[i] = (int)strlen(head[i]);
	for (int pass = 0; pass < 2; pass++) {
		if (pass) {
			for (int i = 0; i < NCOL; i++)
				printf("%s%*s", i ? "  " : "", (i >= 2 && i <= 6) ? width[i] :
				       (i == NCOL - 1 ? 0 : -width[i]), head[i]);
			printf("\n");
		}
		for (size_t r = 0; r < nrows; r++) {
			const row_t *w = &rows[r];
			const bnn_dbt_result_t *any = w->new ? w->new : w->base;
			if (quiet_row(w, o))
				continue;
			snprintf(cell[0], sizeof(cell[0]), "%s", any->problem);
			snprintf(cell[1], sizeof(cell[1]), "%s", any->kernel);
			fmt(cell[2], sizeof(cell[2]), "%.3f", w->mb / 1e3);
			fmt(cell[3], sizeof(cell[3]), "%.3f", w->mn / 1e3);
			fmt(cell[4], sizeof(cell[4]), "%+.1f%%", 100 * w->change);
			if (isfinite(w->lo))
				snprintf(cell[5], sizeof(cell[5]), "[%+.1f%%, %+.1f%%]", 100 * w->lo,
					 100 * w->hi);
			else
				snprintf(cell[5], sizeof(cell[5]), "-");
			fmt(cell[6], sizeof(cell[6]), "%.2g", w->p);
			snprintf(cell[7], sizeof(cell[7]), "%s", verdict_name[w->verdict]);
			snprintf(cell[8], sizeof(cell[8]), "%s", w->note);
			for (int i = 0; i < NCOL; i++) {
				int len = (int)strlen(cell[i]);
				if (!pass && len > width[i])
					width[i] = len;
				if (pass)
					printf("%s%*s", i ? "  " : "",
					       (i >= 2 && i <= 6) ? width[i] : (i == NCOL - 1 ? 0 : -width[i]),
					       cell[i]);
			}
			if (pass)
				printf("\n");
		}
	}
	size_t hidden = 0;
	for (size_t r = 0; r < nrows; r++)
		hidden += quiet_row(&rows[r], o);
	if (hidden)
		printf("(%zu pair%s timed on neither side not listed; --all lists them)\n", hidden,
		       hidden == 1 ? "" : "s");
	printf("summary:");
	for (int v = 0; v < V_COUNT; v++)
		printf("%s %zu %s", v ? "," : "", count[v], verdict_name[v]);
	printf("\n");
	print_probes(rb, rn);
	if (isfinite(o->machine_change))
		printf("machine speed (probe at the start and the end of each run): %+.1f%% from "
		       "base to new; the larger drift within a run %.1f%%\n",
		       100 * o->machine_change, 100 * o->machine_drift);
	const bnn_dbt_run_t *runs[2] = { rb, rn };
	for (int i = 0; i < 2; i++)
		if (runs[i]->quiet == 0)
			printf("warning: the %s run was not quiet: %s\n", i ? "new" : "base",
			       runs[i]->quiet_reasons ? runs[i]->quiet_reasons : "?");
	if (count[V_NOISY])
		printf("NOISY: the change exceeds the threshold and its interval excludes zero, but "
		       "the machine changed as much (probes or rounds); rerun on a quiet machine "
		       "or use `bnnbench ab`%s\n", o->strict ? "; --strict: this fails" : "");
}

/* One CSV row per pair; numbers in full precision, empty when unknown. */
static void print_csv(row_t *rows, size_t nrows)
{
	printf("problem,canonical,kernel,kind,base_status,new_status,base_median_ns,"
	       "new_median_ns,base_samples,new_samples,change,ci_lo,ci_hi,p_value,verdict,note\n");
	for (size_t r = 0; r < nrows; r++) {
		const row_t *w = &rows[r];
		const bnn_dbt_result_t *any = w->new ? w->new : w->base;
		bnn_dbt_csv_field(stdout, any->problem);
		putchar(',');
		bnn_dbt_csv_field(stdout, any->canonical);
		putchar(',');
		bnn_dbt_csv_field(stdout, any->kernel);
		putchar(',');
		bnn_dbt_csv_field(stdout, any->kind);
		putchar(',');
		bnn_dbt_csv_field(stdout, w->base ? w->base->status : NULL);
		putchar(',');
		bnn_dbt_csv_field(stdout, w->new ? w->new->status : NULL);
		double num[] = { w->mb, w->mn };
		for (int i = 0; i < 2; i++) {
			putchar(',');
			if (isfinite(num[i]))
				printf("%.17g", num[i]);
		}
		printf(",%zu,%zu", w->base ? w->base->nsamples : 0, w->new ? w->new->nsamples : 0);
		double more[] = { w->change, w->lo, w->hi, w->p };
		for (int i = 0; i < 4; i++) {
			putchar(',');
			if (isfinite(more[i]))
				printf("%.17g", more[i]);
		}
		printf(",%s,", verdict_name[w->verdict]);
		bnn_dbt_csv_field(stdout, w->note);
		putchar('\n');
	}
}

/* One run's header, or NULL out of memory. */
static json_t *json_run(const bnn_dbt_run_t *r)
{
	json_t *j = json_object();
	int bad = !j;
	bad |= bnn_dbt_jset(j, "run_id", json_integer(r->id));
	bad |= bnn_dbt_jset(j, "database", bnn_dbt_jstr(r->db_path));
	bad |= bnn_dbt_jset(j, "suite", bnn_dbt_jstr(r->suite));
	bad |= bnn_dbt_jset(j, "start_time", bnn_dbt_jstr(r->start_time));
	bad |= bnn_dbt_jset(j, "host", bnn_dbt_jstr(r->host));
	bad |= bnn_dbt_jset(j, "machine", bnn_dbt_jstr(r->fingerprint));
	bad |= bnn_dbt_jset(j, "build", bnn_dbt_jstr(r->version));
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* One pair as a JSON object, or NULL out of memory. */
static json_t *json_row(const row_t *w)
{
	const bnn_dbt_result_t *any = w->new ? w->new : w->base;
	json_t *j = json_object(), *ci = json_array();
	int bad = !j || !ci;
	bad |= bnn_dbt_jset(j, "problem", bnn_dbt_jstr(any->problem));
	bad |= bnn_dbt_jset(j, "canonical", bnn_dbt_jstr(any->canonical));
	bad |= bnn_dbt_jset(j, "kernel", bnn_dbt_jstr(any->kernel));
	bad |= bnn_dbt_jset(j, "kind", bnn_dbt_jstr(any->kind));
	bad |= bnn_dbt_jset(j, "base_status", bnn_dbt_jstr(w->base ? w->base->status : NULL));
	bad |= bnn_dbt_jset(j, "new_status", bnn_dbt_jstr(w->new ? w->new->status : NULL));
	bad |= bnn_dbt_jset(j, "base_median_ns", bnn_dbt_jnum(w->mb));
	bad |= bnn_dbt_jset(j, "new_median_ns", bnn_dbt_jnum(w->mn));
	bad |= bnn_dbt_jset(j, "base_samples",
			    json_integer((json_int_t)(w->base ? w->base->nsamples : 0)));
	bad |= bnn_dbt_jset(j, "new_samples",
			    json_integer((json_int_t)(w->new ? w->new->nsamples : 0)));
	bad |= bnn_dbt_jset(j, "change", bnn_dbt_jnum(w->change));
	bad |= json_array_append_new(ci, bnn_dbt_jnum(w->lo)) != 0;
	bad |= json_array_append_new(ci, bnn_dbt_jnum(w->hi)) != 0;
	bad |= bnn_dbt_jset(j, "ci", ci);
	bad |= bnn_dbt_jset(j, "p_value", bnn_dbt_jnum(w->p));
	bad |= bnn_dbt_jset(j, "unit", json_string(w->by_rounds ? "rounds" : "samples"));
	bad |= bnn_dbt_jset(j, "verdict", json_string(verdict_name[w->verdict]));
	bad |= bnn_dbt_jset(j, "note", bnn_dbt_jstr(w->note));
	if (bad) {
		json_decref(j);
		return NULL;
	}
	return j;
}

/* The whole comparison as one JSON object on stdout (Jansson); 0, or -1
 * when out of memory or the write failed. */
static int print_json(const bnn_dbt_run_t *rb, const bnn_dbt_run_t *rn, row_t *rows,
		      size_t nrows, const cmp_opts_t *o, const size_t *count)
{
	json_t *doc = json_object(), *list = json_array(), *sum = json_object();
	int bad = !doc || !list || !sum, rc;
	bad |= bnn_dbt_jset(doc, "base", json_run(rb));
	bad |= bnn_dbt_jset(doc, "new", json_run(rn));
	bad |= bnn_dbt_jset(doc, "threshold", bnn_dbt_jnum(o->threshold));
	bad |= bnn_dbt_jset(doc, "alpha", bnn_dbt_jnum(o->alpha));
	bad |= bnn_dbt_jset(doc, "bootstrap", json_integer(o->iters));
	bad |= bnn_dbt_jset(doc, "min_test_samples", json_integer(MIN_TEST_SAMPLES));
	bad |= bnn_dbt_jset(doc, "machine_change", bnn_dbt_jnum(o->machine_change));
	bad |= bnn_dbt_jset(doc, "machine_drift", bnn_dbt_jnum(o->machine_drift));
	for (size_t r = 0; r < nrows && !bad; r++)
		bad |= json_array_append_new(list, json_row(&rows[r])) != 0;
	bad |= bnn_dbt_jset(doc, "rows", list);
	for (int v = 0; v < V_COUNT; v++)
		bad |= bnn_dbt_jset(sum, verdict_name[v], json_integer((json_int_t)count[v]));
	bad |= bnn_dbt_jset(doc, "summary", sum);
	rc = bad ? -1 : bnn_dbt_json_dump(stdout, doc);
	json_decref(doc);
	return rc;
}

/*
 * A CI gate must not pass a NEW run that cannot stand for the build: one
 * without results (a --kernel that matched nothing) or one that did not
 * end 'passed' (failed, interrupted, or still running or dead). Puts why
 * in why and returns -1; 0 when the run is fit to compare.
 */
static int new_run_unfit(const bnn_dbt_run_t *rn, char *why, size_t len)
{
	const char *st = rn->status ? rn->status : "?";
	if (rn->nres == 0) {
		snprintf(why, len, "the new run %lld has no results: nothing was measured",
			 (long long)rn->id);
		return -1;
	}
	if (strcmp(st, "passed")) {
		snprintf(why, len, "the new run %lld %s '%s', not 'passed'", (long long)rn->id,
			 strcmp(st, "running") ? "ended" : "is still", st);
		return -1;
	}
	return 0;
}

/* One line of pair w's figures: verdict, change, interval, p, medians
 * and the note (what is unknown is left out). */
static void describe(char *buf, size_t len, const row_t *w)
{
	size_t n = (size_t)snprintf(buf, len, "%s", verdict_name[w->verdict]);
	if (isfinite(w->change) && n < len)
		n += (size_t)snprintf(buf + n, len - n, ": %+.1f%%", 100 * w->change);
	if (isfinite(w->lo) && n < len)
		n += (size_t)snprintf(buf + n, len - n, ", 95%% CI [%+.1f%%, %+.1f%%]",
				      100 * w->lo, 100 * w->hi);
	if (isfinite(w->p) && n < len)
		n += (size_t)snprintf(buf + n, len - n, ", p %.2g", w->p);
	if (isfinite(w->mb) && isfinite(w->mn) && n < len)
		n += (size_t)snprintf(buf + n, len - n, " (base %.3f us, new %.3f us)",
				      w->mb / 1e3, w->mn / 1e3);
	if (w->note[0] && n < len)
		snprintf(buf + n, len - n, "; %s", w->note);
}

/*
 * --junit: every pair as a test case (as CSV and JSON, hidden pairs too),
 * class bnnbench.compare.OP, time the new median. It fails when the pair
 * REGRESSED or is MISSING (type: the verdict), when its new result is FAIL
 * or MISTRUSTED (type: that status), or is NOISY under --strict; it is
 * skipped when NOISY otherwise, or when the new run did not time it (SKIP,
 * with its reason); IMPROVED, UNCHANGED and NEW pass, with the figures as
 * system-out. A new run unfit for a gate (new_run_unfit) is one more
 * failing case, "new run/status". MISSING fails here although the exit
 * status leaves it out: a partial NEW run (a shard, a --kernel) is a normal
 * thing to compare, but a dashboard should show what vanished.
 * Returns 0, or -1 with the reason printed.
 */
static int write_junit(const char *path, const bnn_dbt_run_t *rb, const bnn_dbt_run_t *rn,
		       const row_t *rows, size_t nrows, const cmp_opts_t *o)
{
	bnn_junit_case_t *c = calloc(nrows + 1, sizeof(*c));
	char (*msg)[600] = calloc(nrows + 1, sizeof(*msg));
	char (*cls)[64] = calloc(nrows + 1, sizeof(*cls));
	char name[9000], err[1200];
	int rc = -1;
	if (!c || !msg || !cls) {
		fprintf(stderr, "bnnbench: compare: out of memory writing --junit %s\n", path);
		goto out;
	}
	for (size_t r = 0; r < nrows; r++) {
		const row_t *w = &rows[r];
		const bnn_dbt_result_t *any = w->new ? w->new : w->base, *n = w->new;
		bnn_junit_case_t *k = &c[r];
		snprintf(cls[r], sizeof(cls[r]), "compare.%s", any->op ? any->op : "?");
		describe(msg[r], sizeof(msg[r]), w);
		*k = (bnn_junit_case_t){ .classname = cls[r], .problem = any->problem,
					 .kernel = any->kernel, .time_s = w->mn * 1e-9,
					 .message = msg[r], .type = verdict_name[w->verdict] };
		int new_failed = n && (!strcmp(n->status, "FAIL") || !strcmp(n->status, "MISTRUSTED"));
		if (w->verdict == V_REGRESSED || w->verdict == V_MISSING || new_failed ||
		    (w->verdict == V_NOISY && o->strict)) {
			k->outcome = BNN_JUNIT_FAILURE;
			if (new_failed && w->verdict != V_REGRESSED)
				k->type = n->status;
			/* How to see it again: the new result's reason and repro line. */
			if (n && strcmp(n->status, "PASS")) {
				size_t len = strlen(msg[r]);
				snprintf(msg[r] + len, sizeof(msg[r]) - len, "; new: %s%s%s", n->status,
					 n->reason ? ": " : "", n->reason ? n->reason : "");
				k->text = n->repro;
			}
		} else if (w->verdict == V_NOISY) {
			k->outcome = BNN_JUNIT_SKIPPED;
		} else if (n && !strcmp(n->status, "SKIP")) {
			k->outcome = BNN_JUNIT_SKIPPED;
			k->message = n->reason ? n->reason : "SKIP";
			k->text = msg[r];
		} else {
			k->outcome = BNN_JUNIT_PASS;
			k->text = msg[r];
		}
	}
	size_t nc = nrows;
	if (new_run_unfit(rn, msg[nrows], sizeof(msg[nrows])) != 0)
		c[nc++] = (bnn_junit_case_t){ .classname = "compare", .problem = "new run",
					      .kernel = "status", .outcome = BNN_JUNIT_FAILURE,
					      .type = "UNFIT", .message = msg[nrows] };
	snprintf(name, sizeof(name), "compare run %lld of %s with run %lld of %s", (long long)rb->id,
		 rb->db_path, (long long)rn->id, rn->db_path);
	rc = bnn_junit_write_file(path, name, rn->start_time, rn->host, c, nc, err, sizeof(err));
	if (rc != 0)
		fprintf(stderr, "bnnbench: compare: %s\n", err);
out:
	free(c);
	free(msg);
	free(cls);
	return rc;
}

/* See reports.h: 1 when a pair REGRESSED or NEW is unfit (new_run_unfit),
 * 2 bad input or other machines, 3 I/O. */
int bnn_cmd_compare(int argc, char **argv, const char *usage)
{
	static const struct option longopts[] = {
		{ "db", required_argument, 0, 'd' },
		{ "threshold", required_argument, 0, 't' },
		{ "alpha", required_argument, 0, 'a' },
		{ "bootstrap", required_argument, 0, 'b' },
		{ "any-machine", no_argument, 0, 'm' },
		{ "strict", no_argument, 0, 's' },
		{ "all", no_argument, 0, 'A' },
		{ "csv", no_argument, 0, 'c' },
		{ "json", no_argument, 0, 'j' },
		{ "junit", required_argument, 0, 'J' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	cmp_opts_t o = { .threshold = 0.05, .alpha = 0.05, .iters = 2000 };
	const char *db = BNN_DBT_DEFAULT_DB, *junit = NULL;
	bnn_dbt_run_t rb = { 0 }, rn = { 0 };
	row_t *rows = NULL;
	size_t nrows = 0, count[V_COUNT] = { 0 };
	int status = BNN_DBT_USAGE, c;
	char *end;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 't':
			if (bnn_dbt_parse_threshold(optarg, &o.threshold) != 0) {
				fprintf(stderr, "bnnbench: compare: --threshold: '%s' is not a "
					"fraction (0.05) or a percentage (5%%)\n", optarg);
				return BNN_DBT_USAGE;
			}
			break;
		case 'a':
			errno = 0;
			o.alpha = strtod(optarg, &end);
			if (errno || *end || end == optarg || !(o.alpha > 0 && o.alpha < 1)) {
				fprintf(stderr, "bnnbench: compare: --alpha: '%s' is not in (0, 1)\n",
					optarg);
				return BNN_DBT_USAGE;
			}
			break;
		case 'b':
			errno = 0;
			long v = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || v < 100 || v > 1000000) {
				fprintf(stderr, "bnnbench: compare: --bootstrap: '%s' is not a count "
					"in [100, 1000000]\n", optarg);
				return BNN_DBT_USAGE;
			}
			o.iters = (int)v;
			break;
		case 'm': o.any_machine = 1; break;
		case 's': o.strict = 1; break;
		case 'A': o.all = 1; break;
		case 'c': o.format = OUT_CSV; break;
		case 'j': o.format = OUT_JSON; break;
		case 'J': junit = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return BNN_DBT_USAGE;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "bnnbench: compare takes two runs, BASE and NEW\n%s", usage);
		return BNN_DBT_USAGE;
	}
	char why[300];
	if (junit && bnn_junit_check_path(junit, why, sizeof(why)) != 0) {
		fprintf(stderr, "bnnbench: compare: %s\n", why);
		return BNN_DBT_USAGE;
	}
	status = bnn_dbt_load_arg(argv[optind], db, 1, &rb);
	if (status)
		goto out;
	status = bnn_dbt_load_arg(argv[optind + 1], db, 1, &rn);
	if (status)
		goto out;
	if (!o.any_machine && strcmp(rb.fingerprint ? rb.fingerprint : "",
				     rn.fingerprint ? rn.fingerprint : "")) {
		fprintf(stderr, "bnnbench: compare: base run %lld (machine %s, host %s) and new "
			"run %lld (machine %s, host %s) ran on different machines; "
			"--any-machine compares them anyway\n", (long long)rb.id, rb.fingerprint,
			rb.host ? rb.host : "-", (long long)rn.id, rn.fingerprint,
			rn.host ? rn.host : "-");
		status = BNN_DBT_USAGE;
		goto out;
	}
	rows = calloc(rb.nres + rn.nres + 1, sizeof(*rows));
	if (!rows) {
		fprintf(stderr, "bnnbench: compare: out of memory\n");
		status = BNN_DBT_IO;
		goto out;
	}
	/* NEW's order first, then what only BASE has, in its order. */
	for (size_t i = 0; i < rn.nres; i++) {
		if (!comparable_kind(&rn.res[i]))
			continue;
		rows[nrows].new = &rn.res[i];
		rows[nrows].base = find(&rb, &rn.res[i]);
		nrows++;
	}
	for (size_t i = 0; i < rb.nres; i++)
		if (comparable_kind(&rb.res[i]) && !find(&rn, &rb.res[i]))
			rows[nrows++].base = &rb.res[i];
	double sb = run_speed(&rb), sn = run_speed(&rn);
	o.machine_change = sb > 0 && sn > 0 ? sn / sb - 1 : NAN;
	o.machine_drift = 0;
	if (rb.probe_start > 0 && rb.probe_end > 0)
		o.machine_drift = fabs(rb.probe_end / rb.probe_start - 1);
	if (rn.probe_start > 0 && rn.probe_end > 0 &&
	    fabs(rn.probe_end / rn.probe_start - 1) > o.machine_drift)
		o.machine_drift = fabs(rn.probe_end / rn.probe_start - 1);
	for (size_t r = 0; r < nrows; r++) {
		classify(&rows[r], &o);
		count[rows[r].verdict]++;
	}
	int wrc = 0;
	if (o.format == OUT_CSV)
		print_csv(rows, nrows);
	else if (o.format == OUT_JSON)
		wrc = print_json(&rb, &rn, rows, nrows, &o, count);
	else
		print_text(&rb, &rn, rows, nrows, &o, count);
	if (wrc != 0 || fflush(stdout) != 0) {
		fprintf(stderr, "bnnbench: compare: writing the output: %s\n", strerror(errno));
		status = BNN_DBT_IO;
		goto out;
	}
	if (junit && write_junit(junit, &rb, &rn, rows, nrows, &o) != 0) {
		status = BNN_DBT_IO;
		goto out;
	}
	status = count[V_REGRESSED] || (o.strict && count[V_NOISY]) ? BNN_DBT_REGRESSED :
									BNN_DBT_OK;
	if (status == BNN_DBT_OK && new_run_unfit(&rn, why, sizeof(why)) != 0) {
		fprintf(stderr, "bnnbench: compare: %s\n", why);
		status = BNN_DBT_REGRESSED;
	}
out:
	free(rows);
	bnn_dbt_free_run(&rb);
	bnn_dbt_free_run(&rn);
	return status;
}
