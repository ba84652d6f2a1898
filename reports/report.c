/*
 * report.c: `bnnbench report [RUN...] -o DIR`: an HTML page with gnuplot
 * SVG plots of stored runs. DIR gets index.html, and for each plot its
 * NAME.gp script, NAME.dat data and NAME.svg, so that anyone can edit and
 * re-plot (`cd DIR && gnuplot NAME.gp`).
 *
 * The roofline and the speedups draw every timed result of every run given
 * (of every machine); the whole-network ReActNet breakdown every profiled
 * network; the per-block ReActNet plot the newest run given with ReActNet
 * results; the trends each machine with two timed runs or more; the
 * conformance and runs tables every run. The headline run (the newest run
 * given that timed something) has its failures listed.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "config.h"
#include "dbtools.h"
#include "reports.h"
#include "desc.h"

#define MAX_COLS 64



typedef struct {
	bnn_dbt_run_t *runs;
	size_t nruns;
	int *mach;                     /* per run, its machine (number_machines) */
	int nmach;
	const bnn_dbt_run_t *head;     /* the headline run */
	const char *dir;
	const char *gnuplot;
	int plots_failed;
	FILE *html;
} report_t;

/* Whether r is a timed kernel or peer result. */
static int timed(const bnn_dbt_result_t *r)
{
	return strcmp(r->kind, "probe") && isfinite(r->median_ns) && r->median_ns > 0 &&
	       (!strcmp(r->status, "PASS") || !strcmp(r->status, "MISTRUSTED"));
}

/* A name safe inside a gnuplot double-quoted string and a quoted .dat field. */
static void dat_name(char *out, size_t len, const char *s)
{
	size_t n = 0;
	for (; *s && n + 1 < len; s++)
		out[n++] = (*s == '"' || *s == '\\' || *s == '#' || (unsigned char)*s < 0x20) ? '_' : *s;
	out[n] = 0;
}

static FILE *open_in(const report_t *rp, const char *name)
{
	char path[4200];
	snprintf(path, sizeof(path), "%s/%s", rp->dir, name);
	FILE *f = fopen(path, "w");
	if (!f)
		fprintf(stderr, "bnnbench: report: %s: %s\n", path, strerror(errno));
	return f;
}

/* Closes f, a file of DIR; -1 with a message when anything was lost. */
static int close_file(FILE *f, const report_t *rp, const char *name)
{
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		fprintf(stderr, "bnnbench: report: writing %s/%s failed\n", rp->dir, name);
		return -1;
	}
	return 0;
}

/* Closes a plot's NAME.dat and NAME.gp (both, always; *dat and *gp become
 * NULL); -1 when either could not be written. */
static int close_plot_files(const report_t *rp, FILE **dat, FILE **gp, const char *name)
{
	char d[128], g[128];
	snprintf(d, sizeof(d), "%s.dat", name);
	snprintf(g, sizeof(g), "%s.gp", name);
	int bad = close_file(*dat, rp, d) | close_file(*gp, rp, g);
	*dat = *gp = NULL;
	return bad ? -1 : 0;
}

/* Runs gnuplot NAME.gp in DIR; 0 when it exits 0 and wrote NAME.svg. */
static int run_gnuplot(report_t *rp, const char *name)
{
	char gp[300], svg[4200];
	struct stat sb;
	snprintf(gp, sizeof(gp), "%s.gp", name);
	snprintf(svg, sizeof(svg), "%s/%s.svg", rp->dir, name);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "bnnbench: report: fork: %s\n", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (chdir(rp->dir) != 0)
			_exit(126);
		execlp(rp->gnuplot, rp->gnuplot, gp, (char *)NULL);
		fprintf(stderr, "bnnbench: report: cannot run %s: %s\n", rp->gnuplot,
			strerror(errno));
		_exit(127);
	}
	int ws;
	while (waitpid(pid, &ws, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || stat(svg, &sb) != 0 || sb.st_size == 0) {
		fprintf(stderr, "bnnbench: report: gnuplot failed on %s/%s (exit %d)\n", rp->dir,
			gp, WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
		return -1;
	}
	return 0;
}

/* Common head of every .gp file: SVG of a fixed size, no enhanced text
 * (problem names have underscores). */
static void gp_head_h(FILE *f, const char *name, const char *title, int width, int height)
{
	fprintf(f, "# Written by bnnbench report; re-plot with: gnuplot %s.gp\n", name);
	fprintf(f, "set terminal svg size %d,%d noenhanced font 'sans,11' background '#ffffff'\n",
		width, height);
	fprintf(f, "set output '%s.svg'\n", name);
	fprintf(f, "set title \"%s\"\n", title);
	fprintf(f, "set datafile missing '-'\nset key outside right top font ',9'\nset grid\n");
}

static void gp_head(FILE *f, const char *name, const char *title, int width)
{
	gp_head_h(f, name, title, width, 560);
}

/*
 * Tick marks of a log axis at 1, 2 and 5 times the powers of ten inside
 * [lo, hi] (gnuplot marks only the powers of ten, too few on an axis of
 * one or two decades), labelled with fmt ("%g", "%gx").
 */
static void gp_log_tics(FILE *f, const char *axis, double lo, double hi, const char *fmt)
{
	static const double m[] = { 1, 2, 5 };
	int first = 1;
	fprintf(f, "set %s (", axis);
	for (int e = (int)floor(log10(lo)) - 1; e <= (int)ceil(log10(hi)) + 1; e++)
		for (int i = 0; i < 3; i++) {
			double v = m[i] * pow(10, e);
			char t[64];
			if (v < lo * 0.999 || v > hi * 1.001)
				continue;
			snprintf(t, sizeof(t), fmt, v);
			fprintf(f, "%s\"%s\" %.6g", first ? "" : ", ", t, v);
			first = 0;
		}
	fprintf(f, ")\n");
}

/* Draws NAME and puts it into the page, or says why it is not there. */
static void emit_plot(report_t *rp, const char *name, const char *alt)
{
	if (run_gnuplot(rp, name) != 0) {
		rp->plots_failed++;
		fprintf(rp->html, "<p class=\"warn\">The plot %s.svg could not be drawn (gnuplot: ",
			name);
		bnn_dbt_html(rp->html, rp->gnuplot);
		fprintf(rp->html, "); its data and script are in %s.dat and %s.gp.</p>\n", name, name);
		return;
	}
	fprintf(rp->html, "<figure><img class=\"plot\" src=\"%s.svg\" alt=\"", name);
	bnn_dbt_html(rp->html, alt);
	fprintf(rp->html, "\"><figcaption>");
	bnn_dbt_html(rp->html, alt);
	fprintf(rp->html, " (<a href=\"%s.gp\">%s.gp</a>, <a href=\"%s.dat\">%s.dat</a>)"
		"</figcaption></figure>\n", name, name, name, name);
}

/*
 * Bytes the timed region must move at least: the operands as the timed
 * code reads them (packed bits for gemm, whose packing is untimed; float
 * activations for the convolutions, which pack or read them inside the
 * timed region; packed weights) and the 4-byte outputs. 0 when the
 * canonical text does not parse (a problem from a newer bnnbench).
 */
static double min_bytes(const char *canonical)
{
	bnn_problem_t p;
	char err[256];
	if (bnn_problem_parse(canonical, "report", &p, err, sizeof(err)) != 0)
		return 0;
	const bnn_op_desc_t *d = &p.d;
	/* ReActNet blocks and networks chain many layers: no single roofline
	 * intensity describes them. */
	if (d->op != BNN_OP_GEMM && d->op != BNN_OP_CONV && d->op != BNN_OP_BWN &&
	    d->op != BNN_OP_XNOR)
		return 0;
	if (d->op == BNN_OP_GEMM) {
		const bnn_gemm_shape_t *g = &d->gemm;
		return 8.0 * (double)bnn_words(g->k) * (double)(g->m + g->n) +
		       4.0 * (double)g->m * (double)g->n;
	}
	const bnn_conv_shape_t *c = &d->conv;
	double in = 4.0 * (double)c->n * (double)c->h * (double)c->w * (double)c->c;
	double wt = (double)c->k * (double)c->kh * (double)c->kw * (double)(c->c / c->groups) / 8;
	double out = 4.0 * (double)c->n * (double)c->oh * (double)c->ow * (double)c->k;
	return in + wt + out;
}

/* Distinct strings, in first-seen order. */
typedef struct {
	char **s;
	int n, cap;
} names_t;

/* The index of s in n, added when new; -1 when out of memory. */
static int names_add(names_t *n, const char *s)
{
	for (int i = 0; i < n->n; i++)
		if (!strcmp(n->s[i], s))
			return i;
	if (n->n == n->cap) {
		int cap = n->cap ? 2 * n->cap : 16;
		char **p = realloc(n->s, (size_t)cap * sizeof(*p));
		if (!p)
			return -1;
		n->s = p;
		n->cap = cap;
	}
	n->s[n->n] = strdup(s);
	return n->s[n->n] ? n->n++ : -1;
}

/* The index of s in n, or -1. */
static int names_find(const names_t *n, const char *s)
{
	for (int i = 0; i < n->n; i++)
		if (!strcmp(n->s[i], s))
			return i;
	return -1;
}

/* Frees the names of n and empties it. */
static void names_free(names_t *n)
{
	for (int i = 0; i < n->n; i++)
		free(n->s[i]);
	free(n->s);
	n->s = NULL;
	n->n = n->cap = 0;
}

/*
 * Colours of series, told apart also in print and by most colour-blind
 * readers (the Okabe-Ito eight, then four more); a series past the twelfth
 * reuses them with another point type or dash.
 */
static const char *const palette[] = { "#0072b2", "#d55e00", "#009e73", "#cc79a7",
				       "#e69f00", "#56b4e9", "#8c564b", "#9467bd",
				       "#7f7f7f", "#bcbd22", "#17becf", "#000000" };
#define NPAL ((int)(sizeof(palette) / sizeof(palette[0])))
/* Point types of gnuplot's svg terminal, one per machine: filled circle,
 * square, triangle, diamond, inverted triangle; open_pt is the open one of
 * each, for the kernels past the palette's twelfth. */
static const int ptypes[] = { 7, 5, 9, 13, 11 };
static const int open_pt[] = { 6, 4, 8, 12, 10 };
#define NPT ((int)(sizeof(ptypes) / sizeof(ptypes[0])))
/* The roofs' colours, one per machine, darker than the points'. */
static const char *const roof_colour[] = { "#333333", "#a50026", "#313695", "#006837",
					   "#7f3b08" };
#define NROOFC ((int)(sizeof(roof_colour) / sizeof(roof_colour[0])))

/* Whether two runs have the same machine fingerprint. */
static int same_machine(const bnn_dbt_run_t *a, const bnn_dbt_run_t *b)
{
	return !strcmp(a->fingerprint ? a->fingerprint : "", b->fingerprint ? b->fingerprint : "");
}

/* The machine number (0-based, in the order the runs given first show it). */
static int machine_of(const report_t *rp, const bnn_dbt_run_t *r)
{
	return rp->mach[r - rp->runs];
}

/* How many machines the runs given come from. */
static int machine_count(const report_t *rp)
{
	return rp->nmach;
}

/* Numbers the machines of rp's runs (see machine_of) in the order they
 * first appear, the machine of run base first when base >= 0; -1 out of
 * memory. */
static int number_machines(report_t *rp, long base)
{
	rp->mach = calloc(rp->nruns + 1, sizeof(int));
	if (!rp->mach)
		return -1;
	rp->nmach = 0;
	for (size_t i = 0; i < rp->nruns; i++) {
		size_t j = 0;
		while (j < i && !same_machine(&rp->runs[j], &rp->runs[i]))
			j++;
		rp->mach[i] = j < i ? rp->mach[j] : rp->nmach++;
	}
	if (base > 0) {
		/* swap the numbers of the baseline's machine and machine 0 */
		int b = rp->mach[base];
		for (size_t i = 0; i < rp->nruns; i++)
			rp->mach[i] = rp->mach[i] == b ? 0 : rp->mach[i] == 0 ? b : rp->mach[i];
	}
	return 0;
}

/* Whether run r timed anything. */
static int run_timed(const bnn_dbt_run_t *r)
{
	for (size_t i = 0; i < r->nres; i++)
		if (timed(&r->res[i]))
			return 1;
	return 0;
}

/* A short label of a machine: its host (or fingerprint) and number. */
static void machine_label(char *out, size_t len, const report_t *rp, const bnn_dbt_run_t *r)
{
	char h[200];
	dat_name(h, sizeof(h), r->host ? r->host : r->hostname ? r->hostname :
			       r->fingerprint ? r->fingerprint : "?");
	snprintf(out, len, "machine %d (%s)", machine_of(rp, r) + 1, h);
}

/* The thread count most of machine m's timed results ran with. */
static int64_t machine_threads(const report_t *rp, int m)
{
	int64_t val[32];
	size_t cnt[32] = { 0 }, bestn = 0;
	int nv = 0;
	int64_t best = 1;
	for (size_t a = 0; a < rp->nruns; a++) {
		const bnn_dbt_run_t *r = &rp->runs[a];
		if (machine_of(rp, r) != m)
			continue;
		for (size_t i = 0; i < r->nres; i++) {
			int v = 0;
			if (!timed(&r->res[i]))
				continue;
			while (v < nv && val[v] != r->res[i].threads)
				v++;
			if (v == nv) {
				if (nv == 32)
					continue;
				val[nv++] = r->res[i].threads;
			}
			if (++cnt[v] > bestn)
				bestn = cnt[v], best = val[v];
		}
	}
	return best;
}

/* The roofs of one machine: its peaks per probe kernel and its bandwidth. */
typedef struct {
	const bnn_dbt_run_t *from;     /* the run probed; NULL: no probes */
	names_t kernels;
	double *peak;                  /* TOPS, per kernel */
	double bw;                     /* GB/s, NaN when not probed */
	double best;                   /* the highest peak (TOPS), NaN when none */
	int64_t threads;
} roofs_t;

/*
 * The roofs of machine m from the newest run given of it that has probes,
 * at the thread count most of its timed results ran with when that count
 * was probed: the best compute peak per probe kernel (FP32 FMA GFLOPS as
 * TOPS / 1000) and the best STREAM-triad bandwidth.
 */
static void machine_roofs(const report_t *rp, int m, roofs_t *rf)
{
	memset(rf, 0, sizeof(*rf));
	rf->bw = rf->best = NAN;
	rf->threads = machine_threads(rp, m);
	for (size_t k = rp->nruns; k-- > 0 && !rf->from;) {
		const bnn_dbt_run_t *r = &rp->runs[k];
		if (machine_of(rp, r) != m)
			continue;
		for (size_t i = 0; i < r->nres; i++)
			if (!strcmp(r->res[i].kind, "probe") && isfinite(r->res[i].value))
				rf->from = r;
	}
	const bnn_dbt_run_t *pr = rf->from;
	if (!pr)
		return;
	int64_t want = -1;
	for (size_t i = 0; i < pr->nres; i++)
		if (!strcmp(pr->res[i].kind, "probe") && pr->res[i].threads == rf->threads)
			want = rf->threads;
	rf->peak = calloc(pr->nres + 1, sizeof(double));
	if (!rf->peak)
		return;
	for (size_t i = 0; i < pr->nres; i++) {
		const bnn_dbt_result_t *r = &pr->res[i];
		if (strcmp(r->kind, "probe") || !isfinite(r->value) || !r->unit ||
		    (want >= 0 && r->threads != want))
			continue;
		if (!strcmp(r->unit, "GB/s")) {
			/* the memory slope is the CPU's STREAM triad (a GPU's
			 * memory-read probe is its own device's, not the host's) */
			if (!strncmp(r->kernel, "triad", 5) && !(r->value <= rf->bw))
				rf->bw = r->value;
			continue;
		}
		double tops = !strcmp(r->unit, "TOPS") ? r->value :
			      !strcmp(r->unit, "GFLOPS") ? r->value / 1e3 : NAN;
		if (!isfinite(tops))
			continue;
		int j = names_add(&rf->kernels, r->kernel);
		if (j < 0)
			continue;
		if (j == rf->kernels.n - 1 || tops > rf->peak[j])
			rf->peak[j] = tops;
		if (!(tops <= rf->best))
			rf->best = tops;
	}
}

static void roofs_free(roofs_t *rf)
{
	names_free(&rf->kernels);
	free(rf->peak);
	rf->peak = NULL;
}

/* One point of the roofline: a timed result of a run given. */
typedef struct {
	double x, y;                   /* ops per byte, TOPS */
	int prob, mach, kern;          /* problem number (0-based, by intensity) */
	const bnn_dbt_run_t *run;
	const bnn_dbt_result_t *r;
} rpoint_t;

static const double *sort_key;
static int by_key(const void *a, const void *b)
{
	double x = sort_key[*(const int *)a], y = sort_key[*(const int *)b];
	return x < y ? -1 : x > y ? 1 : *(const int *)a - *(const int *)b;
}

/* A roof's label: its text, height (graph coordinates) and colour. */
typedef struct {
	char text[700];
	double gy;
	const char *col;
} rlabel_t;

/* The attainable TOPS of a roof at intensity x (its best peak). */
static double roof_at(const roofs_t *rf, double x)
{
	if (!isfinite(rf->best))
		return NAN;
	return isfinite(rf->bw) && x * rf->bw / 1e3 < rf->best ? x * rf->bw / 1e3 : rf->best;
}

/*
 * The roofline section: every timed result of every run given with a known
 * shape is a point (colour: kernel; point type: machine), numbered by its
 * problem (problems numbered by intensity, the table below names them),
 * under each machine's roofs. -1 when a file could not be written.
 */
static int plot_roofline(report_t *rp)
{
	names_t kernels = { 0 }, probs = { 0 };
	rpoint_t *pt = NULL;
	double *pint = NULL;
	int *order = NULL, *num = NULL, npt = 0, cap = 0, nm = machine_count(rp);
	roofs_t *roofs = calloc((size_t)nm, sizeof(*roofs));
	rlabel_t *lab = NULL;
	FILE *dat = NULL, *gp = NULL;
	int rc = -1;

	fprintf(rp->html, "<h2 id=\"roofline\">Roofline</h2>\n");
	if (!roofs)
		goto out;
	for (size_t a = 0; a < rp->nruns; a++) {
		const bnn_dbt_run_t *run = &rp->runs[a];
		for (size_t i = 0; i < run->nres; i++) {
			const bnn_dbt_result_t *r = &run->res[i];
			double bytes;
			if (!timed(r) || !isfinite(r->macs) || (bytes = min_bytes(r->canonical)) <= 0)
				continue;
			if (npt == cap) {
				cap = cap ? 2 * cap : 64;
				rpoint_t *p = realloc(pt, (size_t)cap * sizeof(*p));
				if (!p)
					goto out;
				pt = p;
			}
			pt[npt] = (rpoint_t){ 2 * r->macs / bytes, 2 * r->macs / r->median_ns / 1e3,
					      names_add(&probs, r->canonical), machine_of(rp, run),
					      names_add(&kernels, r->kernel), run, r };
			if (pt[npt].prob < 0 || pt[npt].kern < 0)
				goto out;
			npt++;
		}
	}
	if (npt == 0) {
		fprintf(rp->html, "<p>No timed results with a known shape in these runs.</p>\n");
		rc = 0;
		goto out;
	}
	/* Problems numbered by intensity, left to right on the plot. */
	pint = calloc((size_t)probs.n, sizeof(*pint));
	order = calloc((size_t)probs.n, sizeof(*order));
	num = calloc((size_t)probs.n, sizeof(*num));
	if (!pint || !order || !num)
		goto out;
	for (int i = 0; i < npt; i++)
		pint[pt[i].prob] = pt[i].x;
	for (int p = 0; p < probs.n; p++)
		order[p] = p;
	sort_key = pint;
	qsort(order, (size_t)probs.n, sizeof(*order), by_key);
	for (int p = 0; p < probs.n; p++)
		num[order[p]] = p + 1;
	for (int m = 0; m < nm; m++)
		machine_roofs(rp, m, &roofs[m]);

	dat = open_in(rp, "roofline.dat");
	gp = open_in(rp, "roofline.gp");
	if (!dat || !gp)
		goto out;
	fprintf(dat, "# %d timed results of %zu runs: one block per (machine, kernel):\n"
		"# ops/byte TOPS problem_number run \"problem\" \"kernel\"\n"
		"# the last block: one label per intensity, \"problem numbers\" ops/byte TOPS\n",
		npt, rp->nruns);
	double xmin = INFINITY, xmax = 0, ymin = INFINITY, ymax = 0;
	int block = 0;
	for (int m = 0; m < nm; m++)
		for (int k = 0; k < kernels.n; k++) {
			int any = 0;
			for (int i = 0; i < npt; i++) {
				const rpoint_t *q = &pt[i];
				char pn[300];
				if (q->mach != m || q->kern != k)
					continue;
				if (!any++)
					fprintf(dat, "%s# machine %d, kernel %s\n", block ? "\n\n" : "",
						m + 1, kernels.s[k]);
				dat_name(pn, sizeof(pn), q->r->problem);
				fprintf(dat, "%.6g %.6g %d %lld \"%s\" \"%s\"\n", q->x, q->y,
					num[q->prob], (long long)q->run->id, pn, kernels.s[k]);
				xmin = q->x < xmin ? q->x : xmin;
				xmax = q->x > xmax ? q->x : xmax;
				ymin = q->y < ymin ? q->y : ymin;
				ymax = q->y > ymax ? q->y : ymax;
			}
			if (!any)
				continue;
			block++;
		}
	/* Labels: the problem numbers at each intensity, above its best point. */
	fprintf(dat, "\n\n# labels\n");
	for (int p = 0; p < probs.n; p++) {
		int pi = order[p];
		double top = 0;
		if (p && fabs(pint[order[p - 1]] / pint[pi] - 1) < 0.02)
			continue;   /* written with the first problem of this intensity */
		char text[200];
		int len = 0;
		for (int q = p; q < probs.n && fabs(pint[order[q]] / pint[pi] - 1) < 0.02; q++) {
			for (int i = 0; i < npt; i++)
				if (pt[i].prob == order[q] && pt[i].y > top)
					top = pt[i].y;
			if (len < (int)sizeof(text) - 12)
				len += snprintf(text + len, sizeof(text) - (size_t)len, "%s%d",
						q > p ? "," : "", num[order[q]]);
		}
		fprintf(dat, "\"%s\" %.6g %.6g\n", text, pint[pi], top);
	}
	/* Scaled to the points and the roofs, with a margin for the labels. */
	double rmax = 0;
	for (int m = 0; m < nm; m++)
		if (isfinite(roofs[m].best) && roofs[m].best > rmax)
			rmax = roofs[m].best;
	ymax = (rmax > ymax ? rmax : ymax) * 2.2;
	ymin /= 2;
	xmin /= 1.8;
	xmax *= 1.8;
	if (xmax / xmin < 10) {
		double c = sqrt(xmin * xmax);
		xmin = c / sqrt(10);
		xmax = c * sqrt(10);
	}
	gp_head_h(gp, "roofline", "Roofline: achieved TOPS (2 ops per MAC) against the probed "
		  "peaks", 1100, 700);
	fprintf(gp, "set logscale xy\nset format y '%%g'\nset format x '%%g'\n"
		"set xlabel 'operational intensity (ops per byte of compulsory traffic)'\n"
		"set ylabel 'TOPS'\nset xrange [%.4g:%.4g]\nset yrange [%.4g:%.4g]\n"
		"set grid xtics ytics mxtics mytics lc rgb '#e4e4e4', lc rgb '#f2f2f2'\n"
		"set key outside below center horizontal font ',9' spacing 1.1 width 1 height 1.5\n"
		"min(a, b) = a < b ? a : b\nset samples 400\n", xmin, xmax, ymin, ymax);
	gp_log_tics(gp, "xtics", xmin, xmax, "%g");
	gp_log_tics(gp, "ytics", ymin, ymax, "%g");
	/* Roofs: a line each, named by a label right of the frame at its
	 * height (pushed apart where peaks are close), or in the key when its
	 * flat part is off the frame. Labels first: gnuplot reads them before
	 * the plot command. */
	int first = 1, nlab = 0, nl = 0, nroof = 0;
	for (int m = 0; m < nm; m++)
		nroof += roofs[m].kernels.n;
	lab = calloc((size_t)nroof + 1, sizeof(*lab));
	if (!lab)
		goto out;
	for (int pass = 0; pass < 2; pass++) {
		if (pass) {
			/* Highest first, each at least a line below the one above. */
			size_t maxlen = 0;
			for (int a = 0; a < nl; a++)
				for (int b = a + 1; b < nl; b++)
					if (lab[b].gy > lab[a].gy) {
						rlabel_t t = lab[a];
						lab[a] = lab[b];
						lab[b] = t;
					}
			for (int a = 0; a < nl; a++) {
				if (a && lab[a].gy > lab[a - 1].gy - 0.028)
					lab[a].gy = lab[a - 1].gy - 0.028;
				maxlen = strlen(lab[a].text) > maxlen ? strlen(lab[a].text) : maxlen;
				fprintf(gp, "set label %d \"%s\" at graph 1.012, graph %.4f left font ',8' "
					"tc rgb '%s' front\n", ++nlab, lab[a].text, lab[a].gy, lab[a].col);
			}
			if (nl)
				fprintf(gp, "set rmargin %d\n", (int)(0.72 * (double)maxlen) + 3);
			fprintf(gp, "plot ");
		}
		for (int m = 0; m < nm; m++) {
			const roofs_t *rf = &roofs[m];
			const char *col = nm > 1 ? roof_colour[m % NROOFC] : "#555555";
			char ml[300];
			int *ord = calloc((size_t)rf->kernels.n + 1, sizeof(int));
			if (!ord)
				goto out;
			machine_label(ml, sizeof(ml), rp, rf->from ? rf->from : rp->head);
			for (int j = 0; j < rf->kernels.n; j++)
				ord[j] = j;
			sort_key = rf->peak;
			qsort(ord, (size_t)rf->kernels.n, sizeof(int), by_key);
			for (int o = 0; o < rf->kernels.n; o++) {
				int j = ord[rf->kernels.n - 1 - o];   /* highest first */
				char t[300];
				int flat = !isfinite(rf->bw) || rf->peak[j] * 1e3 / rf->bw < xmax / 1.3;
				dat_name(t, sizeof(t), rf->kernels.s[j]);
				if (!pass) {
					if (!flat)
						continue;
					snprintf(lab[nl].text, sizeof(lab[nl].text), "%s%s%s %.3g TOPS",
						 nm > 1 ? ml : "", nm > 1 ? ": " : "", t, rf->peak[j]);
					lab[nl].gy = log(rf->peak[j] / ymin) / log(ymax / ymin);
					lab[nl++].col = col;
					continue;
				}
				fprintf(gp, "%s", first ? "" : ", \\\n     ");
				if (isfinite(rf->bw))
					fprintf(gp, "min(%.6g, x * %.6g)", rf->peak[j], rf->bw / 1e3);
				else
					fprintf(gp, "%.6g", rf->peak[j]);
				fprintf(gp, " with lines dashtype %d lw 1.5 lc rgb '%s' ", 2 + o % 4, col);
				if (flat)
					fprintf(gp, "notitle");
				else
					fprintf(gp, "title \"%s%s%s peak %.3g TOPS\"", nm > 1 ? ml : "",
						nm > 1 ? " " : "", t, rf->peak[j]);
				first = 0;
			}
			double lx = xmin * 1.25, ly = lx * rf->bw / 1e3;
			if (!pass && isfinite(rf->bw) && ly > ymin && ly < ymax && ly < rf->best)
				fprintf(gp, "set label %d \"%s%s%.3g GB/s\" at first %.6g, first %.6g left "
					"offset 0.3,-0.8 font ',8' tc rgb '%s' front\n", ++nlab,
					nm > 1 ? ml : "", nm > 1 ? ": " : "", rf->bw, lx, ly, col);
			free(ord);
		}
	}
	/* The points, then their key: one entry per kernel (colour) and, with
	 * several machines, one per machine (point type). */
	block = 0;
	for (int m = 0; m < nm; m++)
		for (int k = 0; k < kernels.n; k++) {
			int any = 0;
			for (int i = 0; i < npt && !any; i++)
				any = pt[i].mach == m && pt[i].kern == k;
			if (!any)
				continue;
			fprintf(gp, "%s'roofline.dat' index %d using 1:2 with points pt %d ps 1.1 "
				"lc rgb '%s' notitle", first ? "" : ", \\\n     ", block++,
				(k / NPAL) % 2 ? open_pt[m % NPT] : ptypes[m % NPT], palette[k % NPAL]);
			first = 0;
		}
	for (int k = 0; k < kernels.n; k++) {
		char t[300];
		dat_name(t, sizeof(t), kernels.s[k]);
		fprintf(gp, ", \\\n     NaN with points pt %d ps 1.1 lc rgb '%s' title \"%s\"",
			(k / NPAL) % 2 ? open_pt[0] : ptypes[0], palette[k % NPAL], t);
	}
	for (int m = 0; nm > 1 && m < nm; m++) {
		char ml[300];
		for (size_t a = 0; a < rp->nruns; a++)
			if (machine_of(rp, &rp->runs[a]) == m) {
				machine_label(ml, sizeof(ml), rp, &rp->runs[a]);
				break;
			}
		fprintf(gp, ", \\\n     NaN with points pt %d ps 1.1 lc rgb '#333333' title \"%s\"",
			ptypes[m % NPT], ml);
	}
	fprintf(gp, ", \\\n     'roofline.dat' index %d using 2:3:1 with labels offset 0,0.9 "
		"font ',9' tc rgb '#222222' notitle\n", block);
	if (close_plot_files(rp, &dat, &gp, "roofline") != 0)
		goto out;

	fprintf(rp->html, "<p>%d timed results of %zu run%s on %d machine%s, numbered by problem "
		"(the table below names them). Roofs: ", npt, rp->nruns, rp->nruns == 1 ? "" : "s",
		nm, nm == 1 ? "" : "s");
	int anyroof = 0;
	for (int m = 0; m < nm; m++) {
		char ml[300];
		if (!roofs[m].from)
			continue;
		machine_label(ml, sizeof(ml), rp, roofs[m].from);
		fprintf(rp->html, "%s", anyroof++ ? "; " : "");
		if (nm > 1) {
			bnn_dbt_html(rp->html, ml);
			fprintf(rp->html, ": ");
		}
		fprintf(rp->html, "the peaks probed in run %lld at %lld thread%s",
			(long long)roofs[m].from->id, (long long)roofs[m].threads,
			roofs[m].threads == 1 ? "" : "s");
		if (isfinite(roofs[m].bw))
			fprintf(rp->html, ", memory bandwidth %.3g GB/s (STREAM triad)", roofs[m].bw);
	}
	if (!anyroof)
		fprintf(rp->html, "none: no probe results for these machines in these runs "
			"(run without --no-probe)");
	fprintf(rp->html, ". FP32 FMA GFLOPS are drawn as TOPS/1000 for the fp32 peers. Intensity "
		"counts 2 ops per MAC over the compulsory bytes of the timed region (packed "
		"operands for gemm, float activations, packed weights and 4-byte outputs for the "
		"convolutions). In the table, \"of the roof\" is the best point over its machine's "
		"roof at that intensity; above 100%% the operands stayed in cache, where the "
		"memory bandwidth roof does not bind.</p>\n");
	emit_plot(rp, "roofline", "Roofline: achieved TOPS of every run given against the "
		  "probed peaks and memory bandwidth");
	/* The key to the numbers: per problem its best point and how far
	 * below its machine's roof that is. */
	fprintf(rp->html, "<table id=\"roofline-problems\"><tr><th>#</th><th>problem</th>"
		"<th>ops/byte</th><th>points</th><th>best TOPS</th><th>best kernel</th><th>run</th>"
		"<th>of the roof</th></tr>\n");
	for (int p = 0; p < probs.n; p++) {
		int pi = order[p], n = 0;
		const rpoint_t *best = NULL;
		for (int i = 0; i < npt; i++)
			if (pt[i].prob == pi) {
				n++;
				if (!best || pt[i].y > best->y)
					best = &pt[i];
			}
		double roof = roof_at(&roofs[best->mach], best->x);
		fprintf(rp->html, "<tr><td class=\"num\">%d</td><td>", p + 1);
		bnn_dbt_html(rp->html, best->r->problem);
		fprintf(rp->html, "</td><td class=\"num\">%.3g</td><td class=\"num\">%d</td>"
			"<td class=\"num\">%.4g</td><td>", best->x, n, best->y);
		bnn_dbt_html(rp->html, best->r->kernel);
		fprintf(rp->html, "</td><td class=\"num\">%lld</td><td class=\"num\">",
			(long long)best->run->id);
		if (isfinite(roof) && roof > 0)
			fprintf(rp->html, "%.0f%%", 100 * best->y / roof);
		else
			fprintf(rp->html, "-");
		fprintf(rp->html, "</td></tr>\n");
	}
	fprintf(rp->html, "</table>\n<details><summary>All %d points</summary>\n"
		"<table id=\"roofline-points\"><tr><th>#</th><th>problem</th><th>kernel</th>"
		"<th>run</th><th>machine</th><th>ops/byte</th><th>TOPS</th></tr>\n", npt);
	for (int p = 0; p < probs.n; p++)
		for (int i = 0; i < npt; i++) {
			char ml[300];
			if (pt[i].prob != order[p])
				continue;
			machine_label(ml, sizeof(ml), rp, pt[i].run);
			fprintf(rp->html, "<tr><td class=\"num\">%d</td><td>", p + 1);
			bnn_dbt_html(rp->html, pt[i].r->problem);
			fprintf(rp->html, "</td><td>");
			bnn_dbt_html(rp->html, pt[i].r->kernel);
			fprintf(rp->html, "</td><td class=\"num\">%lld</td><td>",
				(long long)pt[i].run->id);
			bnn_dbt_html(rp->html, ml);
			fprintf(rp->html, "</td><td class=\"num\">%.3g</td><td class=\"num\">%.4g</td>"
				"</tr>\n", pt[i].x, pt[i].y);
		}
	fprintf(rp->html, "</table></details>\n");
	rc = 0;
out:
	if (dat)
		fclose(dat);
	if (gp)
		fclose(gp);
	for (int m = 0; roofs && m < nm; m++)
		roofs_free(&roofs[m]);
	free(roofs);
	free(lab);
	free(pt);
	free(pint);
	free(order);
	free(num);
	names_free(&kernels);
	names_free(&probs);
	return rc;
}

/* Best (smallest) timed kernel median of problem canonical in r. */
static const bnn_dbt_result_t *best_kernel(const bnn_dbt_run_t *r, const char *canonical)
{
	const bnn_dbt_result_t *best = NULL;
	for (size_t i = 0; i < r->nres; i++) {
		const bnn_dbt_result_t *x = &r->res[i];
		if (timed(x) && !strcmp(x->kind, "kernel") && !strcmp(x->canonical, canonical) &&
		    (!best || x->median_ns < best->median_ns))
			best = x;
	}
	return best;
}

/*
 * The interval of a speedup. From its rounds, paired: kernel and peer were
 * timed in the same rounds of one run, so round r's ratio peer / kernel
 * compares two timings of the same moment; [lo, hi] is the range of those
 * ratios (the order statistics of fewer than 6 rounds). Without rounds,
 * the widest ratio of the two results' stored intervals. NaN when neither.
 */
static void paired_rounds(const bnn_dbt_result_t *k, const bnn_dbt_result_t *peer, double *lo,
			  double *hi)
{
	*lo = *hi = NAN;
	if (k->nrounds < 2 || k->nrounds != peer->nrounds) {
		if (k->ci_lo_ns > 0 && k->ci_hi_ns > 0 && peer->ci_lo_ns > 0 && peer->ci_hi_ns > 0) {
			*lo = peer->ci_lo_ns / k->ci_hi_ns;
			*hi = peer->ci_hi_ns / k->ci_lo_ns;
		}
		return;
	}
	for (size_t r = 0; r < k->nrounds; r++) {
		double x = peer->rounds[r] / k->rounds[r];
		if (!(x >= *lo))
			*lo = x;
		if (!(x <= *hi))
			*hi = x;
	}
}

/* One bar of the speedup chart. */
typedef struct {
	int prob, peer;
	const bnn_dbt_run_t *run;
	const bnn_dbt_result_t *k, *p;
	double s, lo, hi, x;
} sbar_t;

static const sbar_t *sort_bars;
static const double *sort_gm;
static int bar_order(const void *a, const void *b)
{
	const sbar_t *x = &sort_bars[*(const int *)a], *y = &sort_bars[*(const int *)b];
	if (x->prob != y->prob) {
		double gx = sort_gm[x->prob], gy = sort_gm[y->prob];
		if (gx != gy)
			return gx > gy ? -1 : 1;
		return x->prob - y->prob;
	}
	if (x->peer != y->peer)
		return x->peer - y->peer;
	return x->run < y->run ? -1 : x->run > y->run;
}

/*
 * The speedup section: per problem of every run given, the best kernel's
 * speedup over each peer timed in the same run. The chart groups the bars
 * by problem (problems sorted by the geometric mean of their speedups),
 * colours them by peer, and draws each bar's interval. -1 when a file
 * could not be written.
 */
static int plot_speedup(report_t *rp)
{
	names_t peers = { 0 }, probs = { 0 };
	sbar_t *bar = NULL;
	int *order = NULL, nbar = 0, cap = 0, ntimedruns = 0;
	double *gm = NULL;
	int *gn = NULL;
	FILE *dat = NULL, *gp = NULL;
	int rc = -1;

	fprintf(rp->html, "<h2 id=\"speedup\">Speedup over the peers</h2>\n");
	for (size_t a = 0; a < rp->nruns; a++) {
		const bnn_dbt_run_t *h = &rp->runs[a];
		int any = 0;
		for (size_t i = 0; i < h->nres; i++) {
			const bnn_dbt_result_t *p = &h->res[i], *k;
			if (!timed(p) || strcmp(p->kind, "peer") || !(k = best_kernel(h, p->canonical)))
				continue;
			if (nbar == cap) {
				cap = cap ? 2 * cap : 64;
				sbar_t *b = realloc(bar, (size_t)cap * sizeof(*b));
				if (!b)
					goto out;
				bar = b;
			}
			sbar_t *b = &bar[nbar++];
			b->prob = names_add(&probs, p->canonical);
			b->peer = names_add(&peers, p->kernel);
			if (b->prob < 0 || b->peer < 0)
				goto out;
			b->run = h, b->k = k, b->p = p;
			b->s = p->median_ns / k->median_ns;
			paired_rounds(k, p, &b->lo, &b->hi);
			any = 1;
		}
		ntimedruns += any;
	}
	if (nbar == 0) {
		fprintf(rp->html, "<p>No problem of these runs has both a timed kernel and a timed "
			"peer in the same run.</p>\n");
		rc = 0;
		goto out;
	}
	gm = calloc((size_t)probs.n, sizeof(*gm));
	gn = calloc((size_t)probs.n, sizeof(*gn));
	order = calloc((size_t)nbar, sizeof(*order));
	if (!gm || !gn || !order)
		goto out;
	for (int i = 0; i < nbar; i++) {
		gm[bar[i].prob] += log(bar[i].s);
		gn[bar[i].prob]++;
		order[i] = i;
	}
	for (int p = 0; p < probs.n; p++)
		gm[p] = exp(gm[p] / gn[p]);
	sort_bars = bar;
	sort_gm = gm;
	qsort(order, (size_t)nbar, sizeof(*order), bar_order);
	/* Positions: one unit per bar, a gap of one between problems. */
	double x = 0, ylo = 1, yhi = 1;
	for (int i = 0; i < nbar; i++) {
		sbar_t *b = &bar[order[i]];
		if (i && b->prob != bar[order[i - 1]].prob)
			x += 1;
		b->x = x;
		x += 1;
		double lo = isfinite(b->lo) ? b->lo : b->s, hi = isfinite(b->hi) ? b->hi : b->s;
		lo = lo < b->s / 3 ? b->s / 3 : lo;   /* a whisker is cut at 3x its bar */
		hi = hi > b->s * 3 ? b->s * 3 : hi;
		ylo = lo < ylo ? lo : ylo;
		ylo = b->s < ylo ? b->s : ylo;
		yhi = hi > yhi ? hi : yhi;
		yhi = b->s > yhi ? b->s : yhi;
	}
	double xend = x - 1;
	dat = open_in(rp, "speedup.dat");
	gp = open_in(rp, "speedup.gp");
	if (!dat || !gp)
		goto out;
	fprintf(dat, "# %d bars of %d run%s: per problem and peer, the best kernel's speedup "
		"(peer median / kernel median) with its interval (the range of the per-round "
		"ratios; without rounds, of the stored intervals)\n"
		"# x speedup lo hi rgb label_y run \"problem\" \"best_kernel\" \"peer\"\n",
		nbar, ntimedruns, ntimedruns == 1 ? "" : "s");
	for (int i = 0; i < nbar; i++) {
		const sbar_t *b = &bar[order[i]];
		char name[300], kn[300], pn[300];
		unsigned rgb = (unsigned)strtoul(palette[b->peer % NPAL] + 1, NULL, 16);
		dat_name(name, sizeof(name), b->k->problem);
		dat_name(kn, sizeof(kn), b->k->kernel);
		dat_name(pn, sizeof(pn), peers.s[b->peer]);
		fprintf(dat, "%g %.6g ", b->x, b->s);
		if (isfinite(b->lo))
			fprintf(dat, "%.6g %.6g", b->lo, b->hi);
		else
			fprintf(dat, "- -");
		fprintf(dat, " %u %.6g %lld \"%s\" \"%s\" \"%s\"\n", rgb,
			isfinite(b->hi) && b->hi > b->s ? (b->hi < 3 * b->s ? b->hi : 3 * b->s) : b->s,
			(long long)b->run->id, name,
			kn, pn);
	}
	int width = (int)(xend + 1) * 16 + 360;
	width = width < 900 ? 900 : width > 4000 ? 4000 : width;
	gp_head_h(gp, "speedup", "Speedup of the best kernel over each peer, grouped by problem "
		  "(same run, same inputs)", width, 760);
	fprintf(gp, "set style fill solid 0.85 border rgb '#333333'\nset boxwidth 0.8\n"
		"set logscale y\nset yrange [%.4g:%.4g]\nset xrange [-1:%g]\n"
		"set ylabel 'speedup (log scale); whiskers: per-round range'\nset bmargin 15\n"
		"set grid noxtics ytics lc rgb '#e4e4e4'\nset key outside right top font ',9'\n"
		"", ylo / 1.4, yhi * 1.6, xend + 1);
	gp_log_tics(gp, "ytics", ylo / 1.4, yhi * 1.6, "%gx");
	/* A tick per problem at the middle of its group; a line between groups. */
	fprintf(gp, "set xtics rotate by -50 left font ',8' scale 0 (");
	for (int i = 0, first = 1; i < nbar;) {
		int j = i;
		while (j < nbar && bar[order[j]].prob == bar[order[i]].prob)
			j++;
		char name[300];
		dat_name(name, sizeof(name), bar[order[i]].k->problem);
		fprintf(gp, "%s\"%s\" %g", first ? "" : ", ", name,
			(bar[order[i]].x + bar[order[j - 1]].x) / 2);
		first = 0;
		if (j < nbar) {
			fprintf(gp, ")\nset arrow from %g, graph 0 to %g, graph 1 nohead lc rgb "
				"'#cccccc' dt 3\nset xtics add (", bar[order[j - 1]].x + 1,
				bar[order[j - 1]].x + 1);
			first = 1;
		}
		i = j;
	}
	fprintf(gp, ")\nplot 'speedup.dat' using 1:2:5 with boxes lc rgb variable notitle, \\\n"
		"     '' using 1:3:(0):($4-$3) with vectors nohead lw 1.2 lc rgb '#222222' notitle, \\\n"
		"     '' using ($1-0.18):3:(0.36):(0) with vectors nohead lw 1.2 lc rgb '#222222' "
		"notitle, \\\n"
		"     '' using ($1-0.18):4:(0.36):(0) with vectors nohead lw 1.2 lc rgb '#222222' "
		"notitle");
	if (ntimedruns > 1)
		fprintf(gp, ", \\\n     '' using 1:6:(sprintf('r%%d', $7)) with labels offset 0,0.6 "
			"font ',7' tc rgb '#444444' notitle");
	for (int j = 0; j < peers.n; j++) {
		char t[300];
		dat_name(t, sizeof(t), peers.s[j]);
		fprintf(gp, ", \\\n     NaN with boxes lc rgb '%s' title \"vs %s\"",
			palette[j % NPAL], t);
	}
	fprintf(gp, ", \\\n     1 with lines lc rgb '#444444' dashtype 3 notitle\n");
	if (close_plot_files(rp, &dat, &gp, "speedup") != 0)
		goto out;
	fprintf(rp->html, "<p>%d speedups from %d run%s: per problem, the best kernel of a run "
		"against each peer timed in the same run (peer median / kernel median). Problems "
		"are sorted by the geometric mean of their speedups; whiskers are the range of the "
		"per-round ratios (paired: both timed in the same round), or, for a run without "
		"rounds, the ratio of the two results' intervals (a whisker past 3x its bar is cut "
		"at the frame when it would stretch the scale).%s</p>\n", nbar, ntimedruns,
		ntimedruns == 1 ? "" : "s",
		ntimedruns > 1 ? " Each bar is labelled with its run (r12: run 12)." : "");
	emit_plot(rp, "speedup", "Speedup of the best kernel over each peer, grouped by problem");
	fprintf(rp->html, "<table id=\"speedup-table\"><tr><th>problem</th><th>run</th>"
		"<th>machine</th><th>best kernel</th>");
	for (int j = 0; j < peers.n; j++) {
		fprintf(rp->html, "<th>vs ");
		bnn_dbt_html(rp->html, peers.s[j]);
		fprintf(rp->html, "</th>");
	}
	fprintf(rp->html, "</tr>\n");
	/* One row per (problem, run), in the chart's order. */
	for (int i = 0; i < nbar; i++) {
		const sbar_t *b = &bar[order[i]];
		int dup = 0;
		char ml[300];
		for (int q = 0; q < i && !dup; q++)
			dup = bar[order[q]].prob == b->prob && bar[order[q]].run == b->run;
		if (dup)
			continue;
		machine_label(ml, sizeof(ml), rp, b->run);
		fprintf(rp->html, "<tr><td>");
		bnn_dbt_html(rp->html, b->k->problem);
		fprintf(rp->html, "</td><td class=\"num\">%lld</td><td>", (long long)b->run->id);
		bnn_dbt_html(rp->html, ml);
		fprintf(rp->html, "</td><td>");
		bnn_dbt_html(rp->html, b->k->kernel);
		fprintf(rp->html, "</td>");
		for (int j = 0; j < peers.n; j++) {
			const sbar_t *c = NULL;
			for (int q = 0; q < nbar && !c; q++)
				if (bar[q].prob == b->prob && bar[q].run == b->run && bar[q].peer == j)
					c = &bar[q];
			if (!c) {
				fprintf(rp->html, "<td class=\"num\">-</td>");
				continue;
			}
			fprintf(rp->html, "<td class=\"num\">%.2fx", c->s);
			if (isfinite(c->lo))
				fprintf(rp->html, " [%.2f, %.2f]", c->lo, c->hi);
			fprintf(rp->html, "</td>");
		}
		fprintf(rp->html, "</tr>\n");
	}
	fprintf(rp->html, "</table>\n");
	rc = 0;
out:
	if (dat)
		fclose(dat);
	if (gp)
		fclose(gp);
	free(bar);
	free(order);
	free(gm);
	free(gn);
	names_free(&peers);
	names_free(&probs);
	return rc;
}

/* The descriptor of a stored problem; 0, or -1 when its text does not
 * parse (a problem of a newer bnnbench). */
static int parse_desc(const char *canonical, bnn_op_desc_t *d)
{
	bnn_problem_t p;
	char err[256];
	if (bnn_problem_parse(canonical, "report", &p, err, sizeof(err)) != 0)
		return -1;
	*d = p.d;
	return 0;
}

#define NSTAGES (BNN_RNET_BLOCKS + 2)

/*
 * A network result's stages inside the network: the `profile` counters the
 * run stored with it (stem, block01 ... block13, head; ns, the median of
 * the profiled runs). 1 when all NSTAGES were read into st, else 0.
 */
static int load_stages(const bnn_dbt_run_t *run, const bnn_dbt_result_t *r, double *st)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	char err[512];
	int n = 0;
	for (int i = 0; i < NSTAGES; i++)
		st[i] = NAN;
	if (bnn_dbt_open_ro(run->db_path, &db, err, sizeof(err)) != 0)
		return 0;
	if (sqlite3_prepare_v2(db, "SELECT event, value FROM counter WHERE result_id = ?1 AND "
			       "source = 'profile' AND status = 'ok' AND value IS NOT NULL",
			       -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, r->id);
		while (sqlite3_step(s) == SQLITE_ROW) {
			const char *ev = (const char *)sqlite3_column_text(s, 0);
			int i = -1;
			if (!ev)
				continue;
			if (!strcmp(ev, "stem"))
				i = 0;
			else if (!strcmp(ev, "head"))
				i = NSTAGES - 1;
			else if (!strncmp(ev, "block", 5) && atoi(ev + 5) >= 1 &&
				 atoi(ev + 5) <= BNN_RNET_BLOCKS)
				i = atoi(ev + 5);
			if (i >= 0 && !isfinite(st[i])) {
				st[i] = sqlite3_column_double(s, 1);
				n++;
			}
		}
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n == NSTAGES;
}

/* Whether r's op is op (the stored op name). */
static int op_is(const bnn_dbt_result_t *r, const char *op)
{
	return r->op && !strcmp(r->op, op);
}

/* Whether run r timed a ReActNet network or block. */
static int has_reactnet(const bnn_dbt_run_t *r)
{
	for (size_t i = 0; i < r->nres; i++)
		if (timed(&r->res[i]) && !strcmp(r->res[i].kind, "kernel") &&
		    (op_is(&r->res[i], "reactnet") || op_is(&r->res[i], "rblock")))
			return 1;
	return 0;
}

/* "reactnet_a_xor_popc__avx2" and "rblock_xor_popc__avx2" are one family. */
static const char *family_of(const char *kernel)
{
	if (!strncmp(kernel, "rblock_", 7))
		return kernel + 7;
	if (!strncmp(kernel, "reactnet_a_", 11))
		return kernel + 11;
	return kernel;
}

/*
 * The fastest timed kernel of run r whose problem is the block b (op
 * rblock, the same shape and batch), preferring kernels of family fam
 * (NULL: any); or, with conv3 / conv1, the block's 3x3 convolution (c to c
 * at its stride, padding 1) or its 1x1 convolution (c to k at the output
 * size), as the reactnet suite times them alone.
 */
enum { B_BLOCK, B_CONV3, B_CONV1 };
static const bnn_dbt_result_t *block_part(const bnn_dbt_run_t *r, const bnn_op_desc_t *d,
					  const bnn_rblock_shape_t *b, int part, const char *fam)
{
	const bnn_dbt_result_t *best = NULL;
	int best_fam = 0;
	for (size_t i = 0; i < r->nres; i++) {
		const bnn_dbt_result_t *x = &r->res[i];
		const bnn_op_desc_t *e = &d[i];
		int match = 0;
		if (!timed(x) || strcmp(x->kind, "kernel"))
			continue;
		if (part == B_BLOCK && op_is(x, "rblock")) {
			const bnn_rblock_shape_t *s = &e->rblock;
			match = s->n == b->n && s->h == b->h && s->w == b->w && s->c == b->c &&
				s->k == b->k && s->stride == b->stride;
		} else if (part != B_BLOCK && op_is(x, "conv")) {
			const bnn_conv_shape_t *c = &e->conv;
			match = c->groups == 1 && c->dil == 1 && c->n == b->n && c->c == b->c;
			if (part == B_CONV3)
				match &= c->h == b->h && c->w == b->w && c->k == b->c && c->kh == 3 &&
					 c->kw == 3 && c->stride == b->stride && c->pad == 1;
			else
				match &= c->h == b->oh && c->w == b->ow && c->k == b->k && c->kh == 1 &&
					 c->kw == 1 && c->stride == 1 && c->pad == 0;
		}
		if (!match)
			continue;
		int f = fam && !strcmp(family_of(x->kernel), fam);
		if (!best || f > best_fam || (f == best_fam && x->median_ns < best->median_ns)) {
			best = x;
			best_fam = f;
		}
	}
	return best;
}

/* Writes x / unit, or "-" when r is NULL. */
static void html_time(FILE *f, const bnn_dbt_result_t *r, double ns)
{
	if (r || isfinite(ns))
		fprintf(f, "<td class=\"num\">%.1f</td>", (r ? r->median_ns : ns) / 1e3);
	else
		fprintf(f, "<td class=\"num\">-</td>");
}

/* Colours of the network's stages: the stem grey, the 13 blocks along
 * viridis (dark = early), the head orange. */
static const char *const stage_colour[NSTAGES] = {
	"#9a9a9a", "#440154", "#481a6c", "#472f7d", "#414487", "#39568c", "#31688e", "#2a788e",
	"#23888e", "#1f988b", "#22a884", "#35b779", "#54c568", "#7ad151", "#e69f00"
};

/*
 * The whole network of every run given, one stacked bar per network
 * result profiled (stem, each block, head as timed inside the network),
 * with the network's own median beside it; and a table of every network
 * result. -1 when a file could not be written.
 */
static int plot_network(report_t *rp)
{
	FILE *dat = NULL, *gp = NULL;
	int rc = -1, nets = 0, bars = 0;
	double maxns = 0;

	for (size_t a = 0; a < rp->nruns; a++)
		for (size_t i = 0; i < rp->runs[a].nres; i++) {
			const bnn_dbt_result_t *x = &rp->runs[a].res[i];
			double st[NSTAGES];
			if (!timed(x) || !op_is(x, "reactnet"))
				continue;
			nets++;
			if (strcmp(x->kind, "kernel") || !load_stages(&rp->runs[a], x, st))
				continue;
			bars++;
			double sum = 0;
			for (int s = 0; s < NSTAGES; s++)
				sum += st[s];
			maxns = sum > maxns ? sum : maxns;
			maxns = x->median_ns > maxns ? x->median_ns : maxns;
		}
	if (!nets)
		return 0;
	double unit = maxns > 5e6 ? 1e6 : 1e3;
	const char *uname = unit == 1e6 ? "ms" : "us";
	fprintf(rp->html, "<h3 id=\"network\">ReActNet-A whole network</h3>\n<table><tr><th>"
		"network</th><th>kernel</th><th>run</th><th>median ms</th><th>TOPS</th>"
		"<th>stem us</th><th>blocks us</th><th>head us</th><th>stages sum</th></tr>\n");
	if (bars) {
		dat = open_in(rp, "network.dat");
		gp = open_in(rp, "network.gp");
		if (!dat || !gp)
			goto out;
		fprintf(dat, "# per network result profiled (%s): \"label\" stem block01 ... block13 "
			"head, each timed inside the network (median of the profiled runs), then the "
			"network's median timed whole, then the stages' sum\n", uname);
	}
	for (size_t a = 0; a < rp->nruns; a++)
		for (size_t i = 0; i < rp->runs[a].nres; i++) {
			const bnn_dbt_run_t *run = &rp->runs[a];
			const bnn_dbt_result_t *x = &run->res[i];
			double st[NSTAGES], sum = 0, blocks = 0;
			if (!timed(x) || !op_is(x, "reactnet"))
				continue;
			int staged = !strcmp(x->kind, "kernel") && load_stages(run, x, st);
			fprintf(rp->html, "<tr><td>");
			bnn_dbt_html(rp->html, x->problem);
			fprintf(rp->html, "</td><td>");
			bnn_dbt_html(rp->html, x->kernel);
			fprintf(rp->html, "</td><td class=\"num\">%lld</td><td class=\"num\">%.3f</td>"
				"<td class=\"num\">%.4g</td>", (long long)run->id, x->median_ns / 1e6,
				x->tops);
			if (!staged) {
				fprintf(rp->html, "<td class=\"num\">-</td><td class=\"num\">-</td>"
					"<td class=\"num\">-</td><td class=\"num\">-</td></tr>\n");
				continue;
			}
			for (int s = 0; s < NSTAGES; s++) {
				sum += st[s];
				blocks += s && s < NSTAGES - 1 ? st[s] : 0;
			}
			fprintf(rp->html, "<td class=\"num\">%.1f</td><td class=\"num\">%.1f</td>"
				"<td class=\"num\">%.1f</td><td class=\"num\">%.0f%%</td></tr>\n",
				st[0] / 1e3, blocks / 1e3, st[NSTAGES - 1] / 1e3, 100 * sum / x->median_ns);
			char kn[300], pn[300];
			dat_name(kn, sizeof(kn), family_of(x->kernel));
			dat_name(pn, sizeof(pn), x->problem);
			fprintf(dat, "\"%s %s r%lld\"", kn, pn, (long long)run->id);
			for (int s = 0; s < NSTAGES; s++)
				fprintf(dat, " %.6g", st[s] / unit);
			fprintf(dat, " %.6g %.6g\n", x->median_ns / unit, sum / unit);
		}
	fprintf(rp->html, "</table>\n");
	if (!bars) {
		fprintf(rp->html, "<p>No network result here has its stages profiled (the "
			"<code>profile</code> counters), so there is no breakdown to draw.</p>\n");
		rc = 0;
		goto out;
	}
	gp_head(gp, "network", "ReActNet-A: where the whole network's time goes (stages timed "
		"inside the network)", bars * 110 + 800 > 1200 ? bars * 110 + 800 : 1200);
	/* Two panels: the times (the fast kernels' bars are short beside the
	 * generic one's), and each bar's stages as shares of its sum. */
	fprintf(gp, "unset title\nset multiplot title \"ReActNet-A: where the whole network's "
		"time goes (stages timed inside the network)\"\n"
		"set style data histograms\nset style histogram rowstacked\n"
		"set style fill solid 0.92 border rgb '#ffffff'\nset boxwidth 0.6\n"
		"set xtics rotate by -30 left font ',9'\nset bmargin 11\nset tmargin 3\n"
		"set grid noxtics ytics lc rgb '#e4e4e4'\n");
	for (int panel = 0; panel < 2; panel++) {
		if (!panel)
			fprintf(gp, "set origin 0,0\nset size 0.42,1\nunset key\n"
				"set ylabel 'time (%s)'\nset yrange [0:%.4g]\nplot ", uname,
				1.12 * maxns / unit);
		else
			fprintf(gp, "set origin 0.42,0\nset size 0.58,1\nset ylabel 'share of the "
				"stages (%%)'\nset yrange [0:100]\nset key outside right top font ',9' "
				"spacing 1.05 reverse Left\nplot ");
		for (int s = 0; s < NSTAGES; s++) {
			char t[64];
			if (s == 0)
				snprintf(t, sizeof(t), "stem (conv, BN)");
			else if (s == NSTAGES - 1)
				snprintf(t, sizeof(t), "head (pool, FC)");
			else
				snprintf(t, sizeof(t), "block %d", s);
			if (!panel)
				fprintf(gp, "%s'network.dat' using %d%s lc rgb '%s' notitle",
					s ? ", \\\n     " : "", 2 + s, s ? "" : ":xtic(1)", stage_colour[s]);
			else
				fprintf(gp, "%s'network.dat' using (100 * $%d / $%d)%s lc rgb '%s' "
					"title \"%s\"", s ? ", \\\n     " : "", 2 + s, 3 + NSTAGES,
					s ? "" : ":xtic(1)", stage_colour[s], t);
		}
		if (!panel)
			fprintf(gp, ", \\\n     'network.dat' using 0:%d with points pt 9 ps 1.8 "
				"lc rgb '#d00000' notitle\n", 2 + NSTAGES);
		else
			fprintf(gp, ", \\\n     NaN with points pt 9 ps 1.8 lc rgb '#d00000' title "
				"\"whole network timed alone (left)\"\n");
	}
	fprintf(gp, "unset multiplot\n");
	if (close_plot_files(rp, &dat, &gp, "network") != 0)
		goto out;
	fprintf(rp->html, "<p>Each bar is one network result, its stages stacked as timed inside "
		"the network (the stem, blocks 1 to 13 from dark to light, the head), the median of "
		"the profiled runs that follow its samples; left in time, with the red triangle at "
		"the network's own median, right as shares of the stages' sum. A stack that "
		"differs much from its triangle means the profiled runs, which time each stage "
		"apart, ran at another speed than the timed ones (a loaded machine).</p>\n");
	emit_plot(rp, "network", "ReActNet-A whole-network time by stage, per kernel and run");
	rc = 0;
out:
	if (dat)
		fclose(dat);
	if (gp)
		fclose(gp);
	return rc;
}

/*
 * The ReActNet section: the whole network of every run given (see
 * plot_network), then per block, from the newest run given with ReActNet
 * results: the block's 3x3 and 1x1 convolutions timed alone (stacked), the
 * whole block timed alone (the fused rblock kernel) and the block's time
 * inside the network (its profiled stage). The blocks are the 13 of the
 * fastest profiled network of that run, matched to the problems by shape
 * (bnn_rnet_block); without a network, each rblock problem of the run.
 * -1 when a file could not be written.
 */
static int plot_reactnet(report_t *rp)
{
	const bnn_dbt_run_t *h = NULL;
	bnn_op_desc_t *d = NULL;
	FILE *dat = NULL, *gp = NULL;
	int rc = -1;

	fprintf(rp->html, "<h2 id=\"reactnet\">ReActNet</h2>\n");
	if (plot_network(rp) != 0)
		goto out;
	for (size_t r = rp->nruns; !h && r-- > 0;)
		if (has_reactnet(&rp->runs[r]))
			h = &rp->runs[r];
	if (!h) {
		fprintf(rp->html, "<p>No ReActNet results in these runs (the reactnet suite's "
			"blocks, op rblock, and networks, op reactnet).</p>\n");
		rc = 0;
		goto out;
	}
	d = calloc(h->nres + 1, sizeof(*d));
	if (!d)
		goto out;
	for (size_t i = 0; i < h->nres; i++)
		if (parse_desc(h->res[i].canonical, &d[i]) != 0)
			d[i].op = (bnn_op_t)-1;
	/* The fastest profiled network of h, if any. */
	const bnn_dbt_result_t *net = NULL;
	double st[NSTAGES], tmp[NSTAGES];
	for (size_t i = 0; i < h->nres; i++) {
		const bnn_dbt_result_t *x = &h->res[i];
		if (timed(x) && op_is(x, "reactnet") && !strcmp(x->kind, "kernel") &&
		    (!net || x->median_ns < net->median_ns) && d[i].op == BNN_OP_RNET &&
		    load_stages(h, x, tmp)) {
			net = x;
			memcpy(st, tmp, sizeof(st));
		}
	}
	bnn_rblock_shape_t blk[BNN_RNET_BLOCKS > 64 ? BNN_RNET_BLOCKS : 64];
	char label[64][96];
	int nb = 0;
	const char *fam = NULL;
	if (net) {
		const bnn_op_desc_t *nd = &d[net - h->res];
		fam = family_of(net->kernel);
		for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
			blk[nb] = bnn_rnet_block(&nd->rnet, i);
			snprintf(label[nb++], sizeof(label[0]), "%d", i + 1);
		}
	} else {
		for (size_t i = 0; i < h->nres && nb < 64; i++) {
			const bnn_dbt_result_t *x = &h->res[i];
			int seen = 0;
			if (!timed(x) || !op_is(x, "rblock") || d[i].op != BNN_OP_RBLOCK)
				continue;
			for (int j = 0; j < nb; j++)
				seen |= !memcmp(&blk[j], &d[i].rblock, sizeof(blk[j]));
			if (seen)
				continue;
			blk[nb] = d[i].rblock;
			dat_name(label[nb++], sizeof(label[0]), x->problem);
		}
	}
	if (h != rp->head)
		fprintf(rp->html, "<h3>Per block, run %lld</h3>\n<p>From run %lld, the newest run "
			"given with ReActNet results.</p>\n", (long long)h->id, (long long)h->id);
	else
		fprintf(rp->html, "<h3>Per block, run %lld</h3>\n", (long long)h->id);
	if (nb == 0) {
		fprintf(rp->html, "<p>Run %lld has no ReActNet block timed alone and no profiled "
			"network.</p>\n", (long long)h->id);
		rc = 0;
		goto out;
	}
	dat = open_in(rp, "reactnet.dat");
	gp = open_in(rp, "reactnet.gp");
	if (!dat || !gp)
		goto out;
	fprintf(dat, "# run %lld: per block (us; 0 where not timed): its 3x3 and 1x1 convolutions "
		"timed alone, the whole block timed alone (fused kernel), the block inside the "
		"network%s%s\n# block conv3x3 conv1x1 alone in_network\n", (long long)h->id,
		net ? " " : "", net ? net->kernel : "");
	fprintf(rp->html, "<table id=\"reactnet-blocks\"><tr><th>block</th><th>in</th>"
		"<th>c -&gt; k</th><th>stride</th><th>3x3 conv alone us</th><th>1x1 conv alone us"
		"</th><th>block alone us</th><th>kernel</th><th>inside the network us</th></tr>\n");
	for (int b = 0; b < nb; b++) {
		const bnn_dbt_result_t *c3 = block_part(h, d, &blk[b], B_CONV3, NULL);
		const bnn_dbt_result_t *c1 = block_part(h, d, &blk[b], B_CONV1, NULL);
		const bnn_dbt_result_t *al = block_part(h, d, &blk[b], B_BLOCK, fam);
		double in = net ? st[b + 1] : NAN;
		fprintf(dat, "\"%s\" %.6g %.6g %.6g %.6g\n", label[b], c3 ? c3->median_ns / 1e3 : 0,
			c1 ? c1->median_ns / 1e3 : 0, al ? al->median_ns / 1e3 : 0,
			isfinite(in) ? in / 1e3 : 0);
		fprintf(rp->html, "<tr><td>");
		bnn_dbt_html(rp->html, label[b]);
		fprintf(rp->html, "</td><td>%lldx%lld</td><td>%lld -&gt; %lld</td><td class=\"num\">"
			"%lld</td>", (long long)blk[b].h, (long long)blk[b].w, (long long)blk[b].c,
			(long long)blk[b].k, (long long)blk[b].stride);
		html_time(rp->html, c3, NAN);
		html_time(rp->html, c1, NAN);
		html_time(rp->html, al, NAN);
		fprintf(rp->html, "<td>");
		bnn_dbt_html(rp->html, al ? al->kernel : "-");
		fprintf(rp->html, "</td>");
		html_time(rp->html, NULL, in);
		fprintf(rp->html, "</tr>\n");
	}
	fprintf(rp->html, "</table>\n");
	gp_head(gp, "reactnet", "ReActNet: each block timed alone and inside the network",
		nb * 60 + 300 > 900 ? nb * 60 + 300 : 900);
	fprintf(gp, "set style fill solid 0.9 border rgb '#333333'\nset boxwidth 0.26 absolute\n"
		"set ylabel 'latency (us)'\nset xlabel '%s'\nset yrange [0:*]\nset xrange [-0.6:%d.6]\n"
		"set grid noxtics ytics lc rgb '#e4e4e4'\nset offsets 0, 0, graph 0.3, 0\nset key inside top right font ',9' box "
		"opaque\nplot 'reactnet.dat' using 0:4:xtic(1) with boxes lc rgb '#009e73' "
		"title \"whole block alone (fused)\", \\\n"
		"     '' using ($0-0.28):($2+$3) with boxes lc rgb '#56b4e9' "
		"title \"1x1 conv alone (on the 3x3)\", \\\n"
		"     '' using ($0-0.28):2 with boxes lc rgb '#0072b2' title \"3x3 conv alone\"",
		net ? "block of the network" : "block problem", nb - 1);
	if (net)
		fprintf(gp, ", \\\n     '' using ($0+0.28):5 with boxes lc rgb '#e69f00' "
			"title \"block inside the network (profiled)\"");
	fprintf(gp, "\n");
	if (close_plot_files(rp, &dat, &gp, "reactnet") != 0)
		goto out;
	fprintf(rp->html, "<p>Per block: its binary convolutions timed alone (the 3x3 with the "
		"1x1 stacked on it), the whole block timed alone (RSign, convolutions, BN, RPReLU, "
		"shortcut as one fused kernel)%s. Blocks are matched to problems by shape; the "
		"reactnet suite times blocks 7 to 11, which share one shape, once.</p>\n",
		net ? ", and the block inside the fastest profiled network of the run" : "");
	emit_plot(rp, "reactnet", "ReActNet per-block latency: alone and inside the network");
	rc = 0;
out:
	if (dat)
		fclose(dat);
	if (gp)
		fclose(gp);
	free(d);
	return rc;
}

static const bnn_dbt_result_t *find_in(const bnn_dbt_run_t *r, const char *canonical,
				       const char *kernel)
{
	for (size_t i = 0; i < r->nres; i++)
		if (!strcmp(r->res[i].canonical, canonical) && !strcmp(r->res[i].kernel, kernel))
			return &r->res[i];
	return NULL;
}

/* Past this many kernels a trend is drawn as small multiples. */
#define SMALL_MULTIPLES 6

static const bnn_dbt_run_t *const *sort_runs;
static int by_start(const void *a, const void *b)
{
	const bnn_dbt_run_t *x = sort_runs[*(const int *)a], *y = sort_runs[*(const int *)b];
	int c = strcmp(x->start_time ? x->start_time : "", y->start_time ? y->start_time : "");
	return c ? c : *(const int *)a - *(const int *)b;
}

/*
 * The trend of machine m, when it has two timed runs or more (else 0 and
 * nothing written): per kernel and run, in the order the runs started, the
 * geometric mean over the kernel's problems of the median relative to that
 * (problem, kernel)'s median in the first run that timed it, with the band
 * of the same mean over the stored intervals' ends: 1 is "as the first
 * time", 1.1 is 10% slower. Returns 1 when drawn, -1 when a file could not
 * be written.
 */
static int plot_trend(report_t *rp, int m, const char *name)
{
	names_t kernels = { 0 };
	FILE *dat = NULL, *gp = NULL;
	const bnn_dbt_run_t **runs = calloc(rp->nruns + 1, sizeof(*runs));
	int *order = calloc(rp->nruns + 1, sizeof(*order));
	int rc = -1, n = 0;
	char ml[300], fn[64];

	if (!runs || !order)
		goto out;
	for (size_t a = 0; a < rp->nruns; a++)
		if (machine_of(rp, &rp->runs[a]) == m && run_timed(&rp->runs[a])) {
			order[n] = n;
			runs[n++] = &rp->runs[a];
		}
	if (n < 2) {
		rc = 0;
		goto out;
	}
	sort_runs = runs;
	qsort(order, (size_t)n, sizeof(*order), by_start);
	/* The kernels timed in two of these runs or more: a series each. */
	for (int q = 0; q < n; q++)
		for (size_t i = 0; i < runs[order[q]]->nres; i++) {
			const bnn_dbt_result_t *x = &runs[order[q]]->res[i];
			int times = 0;
			if (!timed(x) || names_find(&kernels, x->kernel) >= 0)
				continue;
			for (int p = 0; p < n && times < 2; p++) {
				int any = 0;
				for (size_t j = 0; j < runs[order[p]]->nres && !any; j++)
					any = timed(&runs[order[p]]->res[j]) &&
					      !strcmp(runs[order[p]]->res[j].kernel, x->kernel);
				times += any;
			}
			if (times >= 2 && names_add(&kernels, x->kernel) < 0)
				goto out;
		}
	if (kernels.n == 0) {
		rc = 0;
		goto out;
	}
	machine_label(ml, sizeof(ml), rp, runs[0]);
	snprintf(fn, sizeof(fn), "%s.dat", name);
	dat = open_in(rp, fn);
	snprintf(fn, sizeof(fn), "%s.gp", name);
	gp = open_in(rp, fn);
	if (!dat || !gp)
		goto out;
	fprintf(dat, "# %s (%s), its runs in the order they started: per kernel, the geometric "
		"mean over its problems of the median relative to the first run that timed that "
		"problem, and of the stored interval's ends\n# index \"run build date\" \"run\"", ml,
		runs[0]->fingerprint ? runs[0]->fingerprint : "-");
	for (int k = 0; k < kernels.n; k++)
		fprintf(dat, " %s %s_lo %s_hi", kernels.s[k], kernels.s[k], kernels.s[k]);
	fprintf(dat, "\n");
	fprintf(rp->html, "<h3>");
	bnn_dbt_html(rp->html, ml);
	fprintf(rp->html, "</h3>\n<table><tr><th>run</th><th>build</th><th>start</th>");
	for (int k = 0; k < kernels.n; k++) {
		fprintf(rp->html, "<th>");
		bnn_dbt_html(rp->html, kernels.s[k]);
		fprintf(rp->html, "</th>");
	}
	fprintf(rp->html, "</tr>\n");
	double lmin = 1, lmax = 1, bmin = 1, bmax = 1;
	for (int q = 0; q < n; q++) {
		const bnn_dbt_run_t *run = runs[order[q]];
		char v[200], when[32];
		dat_name(v, sizeof(v), run->version ? run->version : "-");
		/* 2026-12-03T02:27:34.123Z -> 12-03 02:27 */
		snprintf(when, sizeof(when), "%.5s %.5s",
			 run->start_time && strlen(run->start_time) >= 16 ? run->start_time + 5 : "?",
			 run->start_time && strlen(run->start_time) >= 16 ? run->start_time + 11 : "");
		fprintf(dat, "%d \"r%lld %s %s\" \"r%lld\"", q, (long long)run->id, v, when,
			(long long)run->id);
		fprintf(rp->html, "<tr><td class=\"num\">%lld</td><td>", (long long)run->id);
		bnn_dbt_html(rp->html, run->version);
		fprintf(rp->html, "</td><td>");
		bnn_dbt_html(rp->html, run->start_time);
		fprintf(rp->html, "</td>");
		for (int k = 0; k < kernels.n; k++) {
			double lsum = 0, llo = 0, lhi = 0;
			int cnt = 0;
			for (size_t i = 0; i < run->nres; i++) {
				const bnn_dbt_result_t *x = &run->res[i], *first = NULL;
				if (!timed(x) || strcmp(x->kernel, kernels.s[k]))
					continue;
				for (int p = 0; p <= q && !first; p++) {
					const bnn_dbt_result_t *y =
						find_in(runs[order[p]], x->canonical, x->kernel);
					if (y && timed(y))
						first = y;
				}
				double lo = x->ci_lo_ns > 0 ? x->ci_lo_ns : x->median_ns;
				double hi = x->ci_hi_ns > 0 ? x->ci_hi_ns : x->median_ns;
				lsum += log(x->median_ns / first->median_ns);
				llo += log(lo / first->median_ns);
				lhi += log(hi / first->median_ns);
				cnt++;
			}
			if (cnt) {
				double v = exp(lsum / cnt), lo = exp(llo / cnt), hi = exp(lhi / cnt);
				lmin = v < lmin ? v : lmin;
				lmax = v > lmax ? v : lmax;
				bmin = lo < bmin ? lo : bmin;
				bmax = hi > bmax ? hi : bmax;
				fprintf(dat, " %.6g %.6g %.6g", exp(lsum / cnt), exp(llo / cnt),
					exp(lhi / cnt));
				fprintf(rp->html, "<td class=\"num\">%.3f [%.3f, %.3f]</td>",
					exp(lsum / cnt), exp(llo / cnt), exp(lhi / cnt));
			} else {
				fprintf(dat, " - - -");
				fprintf(rp->html, "<td class=\"num\">-</td>");
			}
		}
		fprintf(dat, "\n");
		fprintf(rp->html, "</tr>\n");
	}
	fprintf(rp->html, "</table>\n");
	char title[400];
	snprintf(title, sizeof(title), "Trend per kernel on %s: median time relative to its first "
		 "run (bands: stored intervals)", ml);
	char tt[400];
	dat_name(tt, sizeof(tt), title);
	gp_head(gp, name, tt, n * 60 + 700 > 1000 ? n * 60 + 700 : 1000);
	/* Scaled to the lines: a band far wider than the changes (a noisy
	 * result's interval) is cut at the frame rather than flatten them. */
	double pad = 0.3 * (lmax - lmin) > 0.05 ? 0.3 * (lmax - lmin) : 0.05;
	double ymin = bmin > lmin - pad ? bmin : lmin - pad, ymax = bmax < lmax + pad ? bmax : lmax + pad;
	ymin = ymin > lmin - 0.02 ? lmin - 0.02 : ymin;
	ymax = ymax < lmax + 0.02 ? lmax + 0.02 : ymax;
	fprintf(gp, "set yrange [%.4g:%.4g]\n", ymin > 0 ? ymin : 0, ymax);
	if (kernels.n <= SMALL_MULTIPLES) {
		/* Few series: one frame, a colour and a band each. */
		fprintf(gp, "set ylabel 'median time relative to the first run (1 = unchanged)'\n"
			"set xtics rotate by -30 left font ',9'\nset xrange [-0.3:%d.3]\nset bmargin 9\n"
			"set grid noxtics ytics lc rgb '#e4e4e4'\nset style fill transparent solid 0.15 "
			"noborder\nplot ", n - 1);
		/* The bands first, so that no band veils another's line. */
		for (int k = 0; k < kernels.n; k++)
			fprintf(gp, "%s'%s.dat' using 1:%d:%d%s with filledcurves lc rgb '%s' notitle",
				k ? ", \\\n     " : "", name, 5 + 3 * k, 6 + 3 * k, k ? "" : ":xtic(2)",
				palette[k % NPAL]);
		for (int k = 0; k < kernels.n; k++) {
			char t[300];
			dat_name(t, sizeof(t), kernels.s[k]);
			fprintf(gp, ", \\\n     '%s.dat' using 1:%d with linespoints lw 2 pt %d ps 0.9 "
				"lc rgb '%s' title \"%s\"", name, 4 + 3 * k, ptypes[k % NPT],
				palette[k % NPAL], t);
		}
		fprintf(gp, ", \\\n     1 with lines lc rgb '#444444' dashtype 3 notitle\n");
	} else {
		/* Many series: one small frame each (same scales), so that no
		 * band hides another; runs by id on the x axis (the table
		 * gives each run's build and date). */
		int cols = 5, rows = (kernels.n + cols - 1) / cols;
		fprintf(gp, "set terminal svg size 1100,%d noenhanced font 'sans,10' background "
			"'#ffffff'\nset output '%s.svg'\nunset title\n"
			"set multiplot layout %d,%d title \"%s\" margins 0.05,0.99,%.3f,%.3f spacing "
			"0.035,%.3f\nset xrange [-0.3:%d.3]\nset xtics font ',8' scale 0.5\n"
			"set ytics font ',8'\nset grid noxtics ytics lc rgb '#e4e4e4'\nunset key\n"
			"set style fill transparent solid 0.2 noborder\n", rows * 165 + 90, name, rows,
			cols, tt, 50.0 / (rows * 165 + 90), 1 - 55.0 / (rows * 165 + 90),
			45.0 / (rows * 165 + 90), n - 1);
		for (int k = 0; k < kernels.n; k++) {
			char t[300];
			const char *c = palette[k % NPAL];
			dat_name(t, sizeof(t), kernels.s[k]);
			fprintf(gp, "set title \"%s\" font ',9' offset 0,-0.6\nplot '%s.dat' using "
				"1:%d:%d with filledcurves lc rgb '%s', '' using 1:%d:xtic(3) with linespoints "
				"lw 2 pt 7 ps 0.6 lc rgb '%s', 1 with lines lc rgb '#444444' dashtype 3\n",
				t, name, 5 + 3 * k, 6 + 3 * k, c, 4 + 3 * k, c);
		}
		fprintf(gp, "unset multiplot\n");
	}
	snprintf(fn, sizeof(fn), "%s", name);
	if (close_plot_files(rp, &dat, &gp, fn) != 0)
		goto out;
	fprintf(rp->html, "<p>Each cell: the geometric mean, over the kernel's problems, of its "
		"median time relative to the first run of this machine that timed the same problem "
		"(1.000 = unchanged, above 1 = slower), and in brackets the same mean of the ends "
		"of the stored intervals (drawn as the band, cut at the frame where it is much wider than the changes).</p>\n");
	snprintf(title, sizeof(title), "Run-to-run trend of the median time per kernel on %s", ml);
	emit_plot(rp, name, title);
	rc = 1;
out:
	if (dat)
		fclose(dat);
	if (gp)
		fclose(gp);
	free(runs);
	free(order);
	names_free(&kernels);
	return rc;
}

/* Trends: one plot per machine with two timed runs or more (trends, then
 * trends_m2, ... in machine order); -1 when a file could not be written. */
static int plot_trends(report_t *rp)
{
	int nm = machine_count(rp), drawn = 0;
	fprintf(rp->html, "<h2 id=\"trends\">Run-to-run trends</h2>\n");
	for (int m = 0; m < nm; m++) {
		char name[32];
		if (drawn)
			snprintf(name, sizeof(name), "trends_m%d", m + 1);
		else
			snprintf(name, sizeof(name), "trends");
		int rc = plot_trend(rp, m, name);
		if (rc < 0)
			return -1;
		drawn += rc;
	}
	if (!drawn)
		fprintf(rp->html, "<p>Trends need a kernel timed in at least two runs of one "
			"machine; these runs have none.</p>\n");
	return 0;
}
/* Counts per run and, for the headline, per kernel; then what did not pass. */
static void conformance(report_t *rp)
{
	static const char *const st[] = { "PASS", "FAIL", "SKIP", "MISTRUSTED" };
	FILE *f = rp->html;
	fprintf(f, "<h2 id=\"conformance\">Conformance</h2>\n<table><tr><th>run</th><th>suite"
		"</th><th>machine</th><th>status</th>");
	for (int s = 0; s < 4; s++)
		fprintf(f, "<th>%s</th>", st[s]);
	fprintf(f, "</tr>\n");
	for (size_t r = 0; r < rp->nruns; r++) {
		const bnn_dbt_run_t *run = &rp->runs[r];
		fprintf(f, "<tr><td>%lld</td><td>", (long long)run->id);
		bnn_dbt_html(f, run->suite);
		fprintf(f, "</td><td>");
		bnn_dbt_html(f, run->fingerprint);
		fprintf(f, "</td><td>");
		bnn_dbt_html(f, run->status);
		fprintf(f, "</td>");
		for (int s = 0; s < 4; s++) {
			size_t n = 0;
			for (size_t i = 0; i < run->nres; i++)
				n += strcmp(run->res[i].kind, "probe") && !strcmp(run->res[i].status, st[s]);
			fprintf(f, "<td class=\"num%s\">%zu</td>", s == 1 && n ? " bad" : "", n);
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n");

	const bnn_dbt_run_t *h = rp->head;
	names_t kernels = { 0 };
	for (size_t i = 0; i < h->nres; i++)
		if (strcmp(h->res[i].kind, "probe"))
			names_add(&kernels, h->res[i].kernel);
	fprintf(f, "<h3>Run %lld per kernel</h3>\n<table><tr><th>kernel</th><th>kind</th>",
		(long long)h->id);
	for (int s = 0; s < 4; s++)
		fprintf(f, "<th>%s</th>", st[s]);
	fprintf(f, "</tr>\n");
	for (int k = 0; k < kernels.n; k++) {
		const char *kind = "";
		size_t n[4] = { 0 };
		for (size_t i = 0; i < h->nres; i++)
			if (!strcmp(h->res[i].kernel, kernels.s[k]) && strcmp(h->res[i].kind, "probe")) {
				kind = h->res[i].kind;
				for (int s = 0; s < 4; s++)
					n[s] += !strcmp(h->res[i].status, st[s]);
			}
		fprintf(f, "<tr><td>");
		bnn_dbt_html(f, kernels.s[k]);
		fprintf(f, "</td><td>");
		bnn_dbt_html(f, kind);
		fprintf(f, "</td>");
		for (int s = 0; s < 4; s++)
			fprintf(f, "<td class=\"num%s\">%zu</td>", s == 1 && n[s] ? " bad" : "", n[s]);
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n");
	names_free(&kernels);

	int shown = 0;
	for (size_t i = 0; i < h->nres; i++) {
		const bnn_dbt_result_t *x = &h->res[i];
		if (!strcmp(x->kind, "probe") || (strcmp(x->status, "FAIL") &&
						  strcmp(x->status, "MISTRUSTED")))
			continue;
		if (!shown++)
			fprintf(f, "<h3>Run %lld: failed and mistrusted results</h3>\n<table><tr><th>"
				"problem</th><th>kernel</th><th>status</th><th>reason</th><th>repro"
				"</th></tr>\n", (long long)h->id);
		fprintf(f, "<tr><td>");
		bnn_dbt_html(f, x->problem);
		fprintf(f, "</td><td>");
		bnn_dbt_html(f, x->kernel);
		fprintf(f, "</td><td class=\"%s\">", strcmp(x->status, "FAIL") ? "" : "bad");
		bnn_dbt_html(f, x->status);
		fprintf(f, "</td><td>");
		bnn_dbt_html(f, x->reason);
		fprintf(f, "</td><td><code>");
		bnn_dbt_html(f, x->repro);
		fprintf(f, "</code></td></tr>\n");
	}
	if (shown)
		fprintf(f, "</table>\n");
	else
		fprintf(f, "<p>Run %lld: no FAIL and no MISTRUSTED result.</p>\n", (long long)h->id);
}

/* The table of every run in the report, command lines escaped. */
static void runs_table(report_t *rp)
{
	FILE *f = rp->html;
	fprintf(f, "<h2 id=\"runs\">Runs</h2>\n<table><tr><th>run</th><th>database</th><th>suite"
		"</th><th>status</th><th>start</th><th>end</th><th>host</th><th>machine</th>"
		"<th>CPU</th><th>build</th><th>rounds</th><th>machine quiet</th>"
		"<th>peaks mistrusted</th><th>command line</th></tr>\n");
	for (size_t r = 0; r < rp->nruns; r++) {
		const bnn_dbt_run_t *run = &rp->runs[r];
		const char *cell[] = { run->db_path, run->suite, run->status, run->start_time,
				       run->end_time, run->host, run->fingerprint, run->cpu_model,
				       run->version };
		fprintf(f, "<tr%s><td>%lld</td>", run == rp->head ? " class=\"head\"" : "",
			(long long)run->id);
		for (size_t c = 0; c < sizeof(cell) / sizeof(cell[0]); c++) {
			fprintf(f, "<td>");
			bnn_dbt_html(f, cell[c] ? cell[c] : "-");
			fprintf(f, "</td>");
		}
		/* What spoils the timings: rounds, the quiet record, and the
		 * results whose efficiency came out above the probed peak. */
		size_t mistrusted = 0;
		for (size_t i = 0; i < run->nres; i++)
			mistrusted += run->res[i].peak_status &&
				      !strcmp(run->res[i].peak_status, "mistrusted");
		fprintf(f, "<td class=\"num\">%lld</td><td>", (long long)(run->rounds ? run->rounds : 1));
		if (run->quiet > 0)
			fprintf(f, "quiet");
		else if (run->quiet == 0) {
			fprintf(f, "<b>not quiet</b>: ");
			bnn_dbt_html(f, run->quiet_reasons ? run->quiet_reasons : "?");
		} else
			fprintf(f, "-");
		fprintf(f, "</td><td class=\"num\">%zu</td>", mistrusted);
		fprintf(f, "<td><code>");
		bnn_dbt_html(f, run->command_line);
		fprintf(f, "</code></td></tr>\n");
	}
	fprintf(f, "</table>\n");
}

/* The best value of the probes named prefix... in unit, of machine m's
 * newest run given that has one (*from: that run); NaN when none does. The
 * CPU's and the GPU's probes share units, so the name picks the kind. */
static double machine_probe(const report_t *rp, int m, const char *unit, const char *prefix,
			    const bnn_dbt_run_t **from)
{
	*from = NULL;
	for (size_t k = rp->nruns; k-- > 0;) {
		const bnn_dbt_run_t *r = &rp->runs[k];
		double v = NAN;
		if (machine_of(rp, r) != m)
			continue;
		for (size_t i = 0; i < r->nres; i++) {
			const bnn_dbt_result_t *x = &r->res[i];
			if (!strcmp(x->kind, "probe") && x->unit && !strcmp(x->unit, unit) &&
			    !strncmp(x->kernel, prefix, strlen(prefix)) && !(v >= x->value))
				v = x->value;
		}
		if (isfinite(v)) {
			*from = r;
			return v;
		}
	}
	return NAN;
}

/* The GPU of run r's machine record ("gpu": name, compute capability, SMs)
 * into buf, or "-" when it has none. */
static void record_gpu(char *buf, size_t len, const bnn_dbt_run_t *r)
{
	json_t *rec = r->record_json ? json_loads(r->record_json, 0, NULL) : NULL;
	json_t *g = rec ? json_object_get(rec, "gpu") : NULL;
	const char *name = json_string_value(json_object_get(g, "name"));
	const char *cc = json_string_value(json_object_get(g, "compute_capability"));
	json_int_t sms = json_integer_value(json_object_get(g, "sms"));
	if (name)
		snprintf(buf, len, "%s (sm_%s, %lld SMs)", name, cc ? cc : "?", (long long)sms);
	else
		snprintf(buf, len, "-");
	json_decref(rec);
}

/* The fastest timed kernel for problem canonical in the newest run given
 * of machine m that timed one; NULL when none did. */
static const bnn_dbt_result_t *machine_best(const report_t *rp, int m, const char *canonical)
{
	for (size_t k = rp->nruns; k-- > 0;) {
		const bnn_dbt_result_t *b;
		if (machine_of(rp, &rp->runs[k]) == m && (b = best_kernel(&rp->runs[k], canonical)))
			return b;
	}
	return NULL;
}

/*
 * Machines side by side: when the runs given come from more than one
 * machine, a column per machine: its record (host, CPU, cores, ISA
 * features, newest run and build) and its probed peaks (from its newest run
 * given that probed); then per problem timed on two machines or more, the
 * best kernel's TOPS and efficiency on each (from the machine's newest run
 * that timed the problem) and its speedup over the first machine.
 */
static void machines(report_t *rp)
{
	FILE *f = rp->html;
	int nm = machine_count(rp);
	const bnn_dbt_run_t *m[MAX_COLS];
	names_t probs = { 0 };
	fprintf(f, "<h2 id=\"machines\">Machines side by side</h2>\n");
	if (nm < 2) {
		fprintf(f, "<p>All runs given come from one machine; give runs of several "
			"(<code>bnnbench merge</code> gathers a fleet's databases) to compare them.</p>\n");
		return;
	}
	nm = nm > MAX_COLS ? MAX_COLS : nm;
	for (int j = 0; j < nm; j++) {
		m[j] = NULL;
		for (size_t k = rp->nruns; k-- > 0 && !m[j];)
			if (machine_of(rp, &rp->runs[k]) == j)
				m[j] = &rp->runs[k];
	}
	fprintf(f, "<table id=\"machines-hw\"><tr><th></th>");
	for (int j = 0; j < nm; j++) {
		char ml[300];
		machine_label(ml, sizeof(ml), rp, m[j]);
		fprintf(f, "<th>");
		bnn_dbt_html(f, ml);
		fprintf(f, "%s</th>", j ? "" : ", the baseline");
	}
	fprintf(f, "</tr>\n");
	static const char *const rows[] = { "fingerprint", "host", "CPU", "cores", "ISA features",
					    "newest run", "build", "GPU", "XOR-popcount peak",
					    "FP32 FMA peak", "memory bandwidth",
					    "GPU b1 tensor-core peak", "GPU int8 tensor-core peak",
					    "GPU memory read" };
	/* the probe rows: unit and name prefix */
	static const char *const units[] = { "TOPS", "GFLOPS", "GB/s", "TOPS", "TOPS", "GB/s" };
	static const char *const prefixes[] = { "xorpopc", "fma", "triad", "mma_b1 cuda",
						"mma_s8 cuda", "dram_read cuda" };
	char gpu[300];
	for (size_t row = 0; row < sizeof(rows) / sizeof(rows[0]); row++) {
		fprintf(f, "<tr><th>%s</th>", rows[row]);
		for (int j = 0; j < nm; j++) {
			const bnn_dbt_run_t *r = m[j], *from;
			double v;
			switch (row) {
			case 0: case 1: case 2: case 4: case 6:
				fprintf(f, "<td>");
				bnn_dbt_html(f, row == 0 ? r->fingerprint : row == 1 ?
						(r->host ? r->host : r->hostname) : row == 2 ? r->cpu_model :
						row == 4 ? r->isa_features : r->version);
				fprintf(f, "</td>");
				break;
			case 3:
				fprintf(f, "<td class=\"num\">%lld</td>", (long long)r->cores);
				break;
			case 5:
				fprintf(f, "<td class=\"num\">%lld</td>", (long long)r->id);
				break;
			case 7:
				record_gpu(gpu, sizeof(gpu), r);
				fprintf(f, "<td>");
				bnn_dbt_html(f, gpu);
				fprintf(f, "</td>");
				break;
			default:
				v = machine_probe(rp, j, units[row - 8], prefixes[row - 8], &from);
				if (isfinite(v))
					fprintf(f, "<td class=\"num\">%.3g %s (run %lld)</td>", v,
						units[row - 8], (long long)from->id);
				else
					fprintf(f, "<td class=\"num\">-</td>");
			}
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n");
	for (size_t k = 0; k < rp->nruns; k++)
		for (size_t i = 0; i < rp->runs[k].nres; i++)
			if (timed(&rp->runs[k].res[i]) && !strcmp(rp->runs[k].res[i].kind, "kernel"))
				names_add(&probs, rp->runs[k].res[i].canonical);
	fprintf(f, "<table id=\"machines-problems\"><tr><th>problem</th>");
	for (int j = 0; j < nm; j++)
		fprintf(f, "<th>machine %d: best kernel, TOPS, efficiency (run)</th>", j + 1);
	for (int j = 1; j < nm; j++)
		fprintf(f, "<th>machine %d over 1</th>", j + 1);
	fprintf(f, "</tr>\n");
	for (int p = 0; p < probs.n; p++) {
		const bnn_dbt_result_t *b[MAX_COLS], *any = NULL;
		int shared = 0;
		for (int j = 0; j < nm; j++)
			shared += (b[j] = machine_best(rp, j, probs.s[p])) != NULL;
		if (shared < 2)
			continue;
		for (int j = 0; j < nm && !any; j++)
			any = b[j];
		fprintf(f, "<tr><td>");
		bnn_dbt_html(f, any->problem);
		fprintf(f, "</td>");
		for (int j = 0; j < nm; j++) {
			if (!b[j]) {
				fprintf(f, "<td>-</td>");
				continue;
			}
			fprintf(f, "<td>");
			bnn_dbt_html(f, b[j]->kernel);
			fprintf(f, " %.4g", b[j]->tops);
			if (isfinite(b[j]->efficiency))
				fprintf(f, " (%.0f%%)", 100 * b[j]->efficiency);
			else if (b[j]->peak_status && !strcmp(b[j]->peak_status, "mistrusted"))
				fprintf(f, " (peak mistrusted)");
			for (size_t k = 0; k < rp->nruns; k++)
				if (b[j] >= rp->runs[k].res && b[j] < rp->runs[k].res + rp->runs[k].nres)
					fprintf(f, ", run %lld", (long long)rp->runs[k].id);
			fprintf(f, "</td>");
		}
		for (int j = 1; j < nm; j++) {
			if (b[0] && b[j])
				fprintf(f, "<td class=\"num\">%.2fx</td>", b[0]->median_ns / b[j]->median_ns);
			else
				fprintf(f, "<td>-</td>");
		}
		fprintf(f, "</tr>\n");
	}
	fprintf(f, "</table>\n");
	names_free(&probs);
}

/*
 * Whether run r passes the filters (NULL: any): its suite is suite (or a
 * shard of it, "SUITE shard I/N"), its machine's fingerprint starts with
 * machine or its host or hostname is machine, its build's version is build
 * or starts with it.
 */
static int run_matches(const bnn_dbt_run_t *r, const char *suite, const char *machine,
		       const char *build)
{
	if (suite) {
		size_t n = strlen(suite);
		const char *s = r->suite ? r->suite : "";
		if (strncmp(s, suite, n) || (s[n] && strncmp(s + n, " shard ", 7)))
			return 0;
	}
	if (machine && strncmp(r->fingerprint ? r->fingerprint : "", machine, strlen(machine)) &&
	    strcmp(r->host ? r->host : "", machine) && strcmp(r->hostname ? r->hostname : "", machine))
		return 0;
	if (build && strncmp(r->version ? r->version : "", build, strlen(build)))
		return 0;
	return 1;
}

/* Loads every run of db in id order into rp. */
static int load_all(report_t *rp, const char *db)
{
	char err[1024];
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	int status = BNN_DBT_IO;
	if (bnn_dbt_open_ro(db, &h, err, sizeof(err)) != 0)
		goto fail;
	if (sqlite3_prepare_v2(h, "SELECT id FROM run ORDER BY id", -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, sizeof(err), "%s: %s", db, sqlite3_errmsg(h));
		goto fail;
	}
	while (sqlite3_step(s) == SQLITE_ROW) {
		bnn_dbt_run_t *p = realloc(rp->runs, (rp->nruns + 1) * sizeof(*p));
		if (!p) {
			snprintf(err, sizeof(err), "out of memory");
			goto fail;
		}
		rp->runs = p;
		if (bnn_dbt_load_run(h, db, sqlite3_column_int64(s, 0), 0, &rp->runs[rp->nruns],
				     err, sizeof(err)) != 0)
			goto fail;
		rp->nruns++;
	}
	if (rp->nruns == 0) {
		snprintf(err, sizeof(err), "%s: no runs stored", db);
		status = BNN_DBT_USAGE;
		goto fail;
	}
	sqlite3_finalize(s);
	sqlite3_close(h);
	return 0;
fail:
	fprintf(stderr, "bnnbench: report: %s\n", err);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return status;
}

static const char css[] =
	"body{font-family:sans-serif;margin:2em;max-width:1200px;color:#222}"
	"table{border-collapse:collapse;margin:1em 0;font-size:90%}"
	"td,th{border:1px solid #bbb;padding:2px 6px;text-align:left;vertical-align:top}"
	"th{background:#eee}td.num{text-align:right}.bad{color:#b00;font-weight:bold}"
	"tr.head{background:#f4f8ff}figure{margin:1em 0;overflow-x:auto}img.plot{"
	"border:1px solid #ddd}.warn{color:#b00}code{font-size:90%}";

/* See reports.h: 3 also when a plot could not be drawn (the page says which). */
int bnn_cmd_report(int argc, char **argv, const char *usage)
{
	static const struct option longopts[] = {
		{ "db", required_argument, 0, 'd' },
		{ "output", required_argument, 0, 'o' },
		{ "suite", required_argument, 0, 's' },
		{ "machine", required_argument, 0, 'm' },
		{ "build", required_argument, 0, 'b' },
		{ "baseline", required_argument, 0, 'B' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *db = BNN_DBT_DEFAULT_DB, *fsuite = NULL, *fmachine = NULL, *fbuild = NULL;
	const char *baseline = NULL;
	report_t rp = { 0 };
	int status = BNN_DBT_USAGE, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'o': rp.dir = optarg; break;
		case 's': fsuite = optarg; break;
		case 'm': fmachine = optarg; break;
		case 'b': fbuild = optarg; break;
		case 'B': baseline = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return BNN_DBT_USAGE;
		}
	}
	if (!rp.dir) {
		fprintf(stderr, "bnnbench: report needs -o DIR\n%s", usage);
		return BNN_DBT_USAGE;
	}
	rp.gnuplot = getenv("BNNBENCH_GNUPLOT");
#ifdef BNN_GNUPLOT
	if (!rp.gnuplot || !*rp.gnuplot)
		rp.gnuplot = BNN_GNUPLOT;
#endif
	if (!rp.gnuplot || !*rp.gnuplot)
		rp.gnuplot = "gnuplot";
	if (optind == argc) {
		status = load_all(&rp, db);
		if (status)
			goto out;
	} else {
		rp.runs = calloc((size_t)(argc - optind), sizeof(*rp.runs));
		if (!rp.runs) {
			status = BNN_DBT_IO;
			goto out;
		}
		for (int i = optind; i < argc; i++) {
			status = bnn_dbt_load_arg(argv[i], db, 0, &rp.runs[rp.nruns]);
			if (status)
				goto out;
			rp.nruns++;
		}
	}
	/* The filters keep the runs of one suite, machine or build. */
	size_t kept = 0;
	for (size_t r = 0; r < rp.nruns; r++) {
		if (run_matches(&rp.runs[r], fsuite, fmachine, fbuild))
			rp.runs[kept++] = rp.runs[r];
		else
			bnn_dbt_free_run(&rp.runs[r]);
	}
	if (kept == 0) {
		fprintf(stderr, "bnnbench: report: no run given matches%s%s%s%s%s%s\n",
			fsuite ? " --suite " : "", fsuite ? fsuite : "", fmachine ? " --machine " : "",
			fmachine ? fmachine : "", fbuild ? " --build " : "", fbuild ? fbuild : "");
		rp.nruns = 0;
		status = BNN_DBT_USAGE;
		goto out;
	}
	rp.nruns = kept;
	long base = -1;
	if (baseline) {
		/* the newest run kept of that machine */
		for (size_t r = rp.nruns; r-- > 0 && base < 0;)
			if (run_matches(&rp.runs[r], NULL, baseline, NULL))
				base = (long)r;
		if (base < 0) {
			fprintf(stderr, "bnnbench: report: --baseline %s: no run given is of that "
					"machine (fingerprint prefix or host)\n", baseline);
			status = BNN_DBT_USAGE;
			goto out;
		}
	}
	if (number_machines(&rp, base) != 0) {
		fprintf(stderr, "bnnbench: report: out of memory\n");
		status = BNN_DBT_IO;
		goto out;
	}
	/* The headline: the newest run given that timed something. */
	rp.head = &rp.runs[rp.nruns - 1];
	for (size_t r = rp.nruns; r-- > 0;) {
		int any = 0;
		for (size_t i = 0; i < rp.runs[r].nres; i++)
			any |= timed(&rp.runs[r].res[i]);
		if (any) {
			rp.head = &rp.runs[r];
			break;
		}
	}
	status = BNN_DBT_IO;
	if (mkdir(rp.dir, 0777) != 0 && errno != EEXIST) {
		fprintf(stderr, "bnnbench: report: cannot create %s: %s\n", rp.dir, strerror(errno));
		goto out;
	}
	rp.html = open_in(&rp, "index.html");
	if (!rp.html)
		goto out;
	FILE *f = rp.html;
	fprintf(f, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
		"<title>bnnbench report: run %lld</title>\n<style>%s</style></head>\n<body>\n",
		(long long)rp.head->id, css);
	fprintf(f, "<h1>bnnbench report</h1>\n<p>%zu run%s of %d machine%s; the roofline and "
		"the speedups draw every run, the ReActNet blocks the newest with ReActNet results, "
		"the trends every machine with two runs. Headline run %lld (suite ", rp.nruns,
		rp.nruns == 1 ? "" : "s", machine_count(&rp), machine_count(&rp) == 1 ? "" : "s",
		(long long)rp.head->id);
	bnn_dbt_html(f, rp.head->suite);
	fprintf(f, ", host ");
	bnn_dbt_html(f, rp.head->host);
	fprintf(f, ", CPU ");
	bnn_dbt_html(f, rp.head->cpu_model);
	fprintf(f, ", build ");
	bnn_dbt_html(f, rp.head->version);
	fprintf(f, "). TOPS count 2 operations per binary MAC.</p>\n"
		"<p id=\"plot-status\" data-loaded=\"-1\">Plots: not checked (scripts are off)."
		"</p>\n<p><a href=\"#roofline\">roofline</a> | <a href=\"#speedup\">speedup</a> | "
		"<a href=\"#reactnet\">ReActNet</a> | <a href=\"#trends\">trends</a> | "
		"<a href=\"#machines\">machines</a> | "
		"<a href=\"#conformance\">conformance</a> | <a href=\"#runs\">runs</a></p>\n");
	if (plot_roofline(&rp) || plot_speedup(&rp) || plot_reactnet(&rp) || plot_trends(&rp))
		goto out;
	machines(&rp);
	conformance(&rp);
	runs_table(&rp);
	/* Lets a headless browser (tests/report.sh) tell that every plot loaded. */
	fprintf(f, "<script>\nwindow.addEventListener('load', function () {\n"
		"  var imgs = document.querySelectorAll('img.plot'), ok = 0;\n"
		"  for (var i = 0; i < imgs.length; i++)\n"
		"    if (imgs[i].complete && imgs[i].naturalWidth > 0) ok++;\n"
		"  var s = document.getElementById('plot-status');\n"
		"  s.setAttribute('data-loaded', ok);\n"
		"  s.setAttribute('data-total', imgs.length);\n"
		"  s.textContent = 'Plots loaded: ' + ok + ' of ' + imgs.length;\n"
		"});\n</script>\n</body></html>\n");
	FILE *done = rp.html;
	rp.html = NULL;
	if (close_file(done, &rp, "index.html") != 0)
		goto out;
	printf("report: %s/index.html (%zu runs, headline run %lld)%s\n", rp.dir, rp.nruns,
	       (long long)rp.head->id, rp.plots_failed ? "; some plots could not be drawn" : "");
	status = rp.plots_failed ? BNN_DBT_IO : BNN_DBT_OK;
out:
	if (rp.html)
		fclose(rp.html);
	for (size_t r = 0; r < rp.nruns; r++)
		bnn_dbt_free_run(&rp.runs[r]);
	free(rp.runs);
	free(rp.mach);
	return status;
}
