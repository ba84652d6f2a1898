/*
 * report.c: `bnnbench report [RUN...] -o DIR`: an HTML page with gnuplot
 * SVG plots of stored runs. DIR gets index.html, and for each plot its
 * NAME.gp script, NAME.dat data and NAME.svg, so that anyone can edit and
 * re-plot (`cd DIR && gnuplot NAME.gp`).
 *
 * The headline run (roofline, speedups, ReActNet breakdown, failures) is
 * the newest run given that timed something; trends cover every run given
 * of the headline's machine; the conformance table covers every run given.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "config.h"
#include "dbtools.h"
#include "desc.h"

#define DEFAULT_DB "results/bnnbench.db"
#define MAX_COLS 64

static const char usage[] =
	"usage: bnnbench report [--db PATH] -o DIR [RUN...]\n"
	"RUN: a run id, latest, latest~N, a database file or FILE:RUN; without RUN,\n"
	"every run of --db. Writes DIR/index.html and, per plot, NAME.gp, NAME.dat, NAME.svg.\n";

/*
 * Which results belong to the ReActNet per-block breakdown, and how they
 * split into block and layer: the one place to adapt when the suite's
 * names change. The reactnet suite names a block's binary convolutions
 * reactnet_BLOCK_LAYER (reactnet_b03_3x3, reactnet_b03_1x1) and the whole
 * block, an rblock problem, reactnet_BLOCK (reactnet_b03); the network
 * (op reactnet) is not a block and gets its own table. Returns 0 for
 * anything else, 1 for a layer (block and layer filled), 2 for a whole
 * block (block filled, layer "block").
 */
static int reactnet_layer(const bnn_dbt_result_t *r, char *block, size_t blen, char *layer,
			  size_t llen)
{
	const char *p = r->problem;
	if ((r->op && !strcmp(r->op, "reactnet")) || strncasecmp(p, "reactnet", 8))
		return 0;
	p += 8;
	while (*p == '_' || *p == '-' || *p == '.')
		p++;
	size_t n = strcspn(p, "_");
	if (n == 0)
		return 0;
	snprintf(block, blen, "%.*s", (int)n, p);
	p += n;
	while (*p == '_')
		p++;
	if (!*p || (r->op && !strcmp(r->op, "rblock"))) {
		snprintf(layer, llen, "block");
		return 2;
	}
	snprintf(layer, llen, "%s", p);
	return 1;
}

typedef struct {
	bnn_dbt_run_t *runs;
	size_t nruns;
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
static void gp_head(FILE *f, const char *name, const char *title, int width)
{
	fprintf(f, "# Written by bnnbench report; re-plot with: gnuplot %s.gp\n", name);
	fprintf(f, "set terminal svg size %d,560 noenhanced font 'sans,11' background '#ffffff'\n",
		width);
	fprintf(f, "set output '%s.svg'\n", name);
	fprintf(f, "set title \"%s\"\n", title);
	fprintf(f, "set datafile missing '-'\nset key outside right top font ',9'\nset grid\n");
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
	char *s[MAX_COLS];
	int n;
} names_t;

/* The index of s in n, added when new; -1 when full or out of memory. */
static int names_add(names_t *n, const char *s)
{
	for (int i = 0; i < n->n; i++)
		if (!strcmp(n->s[i], s))
			return i;
	if (n->n == MAX_COLS)
		return -1;
	n->s[n->n] = strdup(s);
	return n->s[n->n] ? n->n++ : -1;
}

/* Frees the names of n and empties it. */
static void names_free(names_t *n)
{
	for (int i = 0; i < n->n; i++)
		free(n->s[i]);
	n->n = 0;
}

/* The threads the headline's kernels ran with (the most common count). */
static int64_t head_threads(const bnn_dbt_run_t *r)
{
	int64_t best = 1;
	size_t bestn = 0;
	for (size_t i = 0; i < r->nres; i++) {
		size_t n = 0;
		for (size_t j = 0; j < r->nres; j++)
			n += timed(&r->res[j]) && r->res[j].threads == r->res[i].threads;
		if (timed(&r->res[i]) && n > bestn)
			bestn = n, best = r->res[i].threads;
	}
	return best;
}

/* The run whose probes give the roofs: the headline, or the newest run of
 * its machine given that has probes. */
static const bnn_dbt_run_t *probe_run(const report_t *rp)
{
	const bnn_dbt_run_t *h = rp->head;
	for (size_t k = 0; k <= rp->nruns; k++) {
		const bnn_dbt_run_t *r = k == 0 ? h : &rp->runs[rp->nruns - k];
		if (k && strcmp(r->fingerprint ? r->fingerprint : "", h->fingerprint ? h->fingerprint : ""))
			continue;
		for (size_t i = 0; i < r->nres; i++)
			if (!strcmp(r->res[i].kind, "probe") && isfinite(r->res[i].value))
				return r;
	}
	return NULL;
}

/* The roofline section; -1 when a file could not be written. */
static int plot_roofline(report_t *rp)
{
	const bnn_dbt_run_t *h = rp->head, *pr = probe_run(rp);
	int64_t threads = head_threads(h);
	names_t kernels = { 0 };
	int rc = -1, npoints = 0;
	FILE *dat = NULL, *gp = NULL;

	fprintf(rp->html, "<h2 id=\"roofline\">Roofline</h2>\n");
	for (size_t i = 0; i < h->nres; i++)
		if (timed(&h->res[i]) && isfinite(h->res[i].macs) && min_bytes(h->res[i].canonical) > 0)
			names_add(&kernels, h->res[i].kernel);
	if (kernels.n == 0) {
		fprintf(rp->html, "<p>No timed results with a known shape in run %lld.</p>\n",
			(long long)h->id);
		rc = 0;
		goto out;
	}
	dat = open_in(rp, "roofline.dat");
	gp = open_in(rp, "roofline.gp");
	if (!dat || !gp)
		goto out;
	fprintf(dat, "# run %lld: one block per kernel: ops/byte TOPS problem\n", (long long)h->id);
	for (int k = 0; k < kernels.n; k++) {
		fprintf(dat, "%s# kernel %s\n", k ? "\n\n" : "", kernels.s[k]);
		for (size_t i = 0; i < h->nres; i++) {
			const bnn_dbt_result_t *r = &h->res[i];
			double bytes = min_bytes(r->canonical);
			char name[300];
			if (!timed(r) || strcmp(r->kernel, kernels.s[k]) || !isfinite(r->macs) ||
			    bytes <= 0)
				continue;
			dat_name(name, sizeof(name), r->problem);
			fprintf(dat, "%.6g %.6g \"%s\"\n", 2 * r->macs / bytes,
				2 * r->macs / r->median_ns / 1e3, name);
			npoints++;
		}
	}
	gp_head(gp, "roofline", "Roofline: achieved TOPS (2 ops per MAC) against the probed peaks",
		1100);
	fprintf(gp, "set logscale xy\nset format y '%%g'\nset format x '%%g'\n"
		"set xlabel 'operational intensity (ops per byte of "
		"compulsory traffic)'\nset ylabel 'TOPS'\nset xrange [0.01:*]\n"
		"min(a, b) = a < b ? a : b\nset samples 400\n");
	/* Roofs: the best compute peak per probe kernel and the best
	 * bandwidth, at the headline's thread count when probed. */
	double bw = NAN;
	names_t roofs = { 0 };
	double peak[MAX_COLS];
	if (pr) {
		int64_t want = -1;
		for (size_t i = 0; i < pr->nres; i++)
			if (!strcmp(pr->res[i].kind, "probe") && pr->res[i].threads == threads)
				want = threads;
		for (size_t i = 0; i < pr->nres; i++) {
			const bnn_dbt_result_t *r = &pr->res[i];
			if (strcmp(r->kind, "probe") || !isfinite(r->value) || !r->unit ||
			    (want >= 0 && r->threads != want))
				continue;
			if (!strcmp(r->unit, "GB/s")) {
				if (!(r->value <= bw))
					bw = r->value;
				continue;
			}
			double tops = !strcmp(r->unit, "TOPS") ? r->value :
				      !strcmp(r->unit, "GFLOPS") ? r->value / 1e3 : NAN;
			if (!isfinite(tops))
				continue;
			int j = names_add(&roofs, r->kernel);
			if (j >= 0 && (j == roofs.n - 1 || tops > peak[j]))
				peak[j] = tops;
		}
	}
	fprintf(gp, "plot ");
	int first = 1;
	for (int j = 0; j < roofs.n; j++) {
		char t[300];
		dat_name(t, sizeof(t), roofs.s[j]);
		if (isfinite(bw))
			fprintf(gp, "%smin(%.6g, x * %.6g) with lines dashtype 2 lw 2 title \"roof %s "
				"(%.3g TOPS, %.3g GB/s)\"", first ? "" : ", \\\n     ", peak[j], bw / 1e3,
				t, peak[j], bw);
		else
			fprintf(gp, "%s%.6g with lines dashtype 2 lw 2 title \"peak %s (%.3g TOPS)\"",
				first ? "" : ", \\\n     ", peak[j], t, peak[j]);
		first = 0;
	}
	for (int k = 0; k < kernels.n; k++) {
		char t[300];
		dat_name(t, sizeof(t), kernels.s[k]);
		fprintf(gp, "%s'roofline.dat' index %d using 1:2 with points pt %d ps 1.2 title \"%s\"",
			first ? "" : ", \\\n     ", k, 5 + 2 * (k % 5), t);
		first = 0;
	}
	fprintf(gp, "\n");
	if (close_plot_files(rp, &dat, &gp, "roofline") != 0)
		goto out;
	fprintf(rp->html, "<p>%d timed results of run %lld (%lld thread%s). Roofs: ", npoints,
		(long long)h->id, (long long)threads, threads == 1 ? "" : "s");
	if (!pr)
		fprintf(rp->html, "none: no probe results for this machine in these runs "
			"(run without --no-probe).");
	else {
		fprintf(rp->html, "the peaks probed in run %lld", (long long)pr->id);
		if (isfinite(bw))
			fprintf(rp->html, ", memory bandwidth %.3g GB/s (STREAM triad)", bw);
		fprintf(rp->html, "; FP32 FMA GFLOPS are drawn as TOPS/1000 for the fp32 peers.");
	}
	fprintf(rp->html, " Intensity counts 2 ops per MAC over the compulsory bytes of the "
		"timed region (packed operands for gemm, float activations, packed weights and "
		"4-byte outputs for the convolutions).</p>\n");
	names_free(&roofs);
	emit_plot(rp, "roofline", "Roofline: achieved TOPS against the probed peaks and "
		  "memory bandwidth");
	rc = 0;
out:
	if (dat)
		fclose(dat);
	if (gp)
		fclose(gp);
	names_free(&kernels);
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
 * The interval of a speedup from its rounds, paired: kernel and peer were
 * timed in the same rounds of one run, so round r's ratio peer / kernel
 * compares two timings of the same moment; [lo, hi] is the range of those
 * ratios (the order statistics of fewer than 6 rounds), NaN without rounds.
 */
static void paired_rounds(const bnn_dbt_result_t *k, const bnn_dbt_result_t *peer, double *lo,
			  double *hi)
{
	*lo = *hi = NAN;
	if (k->nrounds < 2 || k->nrounds != peer->nrounds)
		return;
	for (size_t r = 0; r < k->nrounds; r++) {
		double x = peer->rounds[r] / k->rounds[r];
		if (!(x >= *lo))
			*lo = x;
		if (!(x <= *hi))
			*hi = x;
	}
}

/* The speedup section: table and plot; -1 when a file could not be written. */
static int plot_speedup(report_t *rp)
{
	const bnn_dbt_run_t *h = rp->head;
	names_t peers = { 0 }, probs = { 0 };
	FILE *dat = NULL, *gp = NULL;
	int rc = -1;

	fprintf(rp->html, "<h2 id=\"speedup\">Speedup over the peers</h2>\n");
	for (size_t i = 0; i < h->nres; i++)
		if (timed(&h->res[i]) && !strcmp(h->res[i].kind, "peer") &&
		    best_kernel(h, h->res[i].canonical)) {
			names_add(&peers, h->res[i].kernel);
			names_add(&probs, h->res[i].canonical);
		}
	if (peers.n == 0) {
		fprintf(rp->html, "<p>No problem of run %lld has both a timed kernel and a timed "
			"peer.</p>\n", (long long)h->id);
		rc = 0;
		goto out;
	}
	dat = open_in(rp, "speedup.dat");
	gp = open_in(rp, "speedup.gp");
	if (!dat || !gp)
		goto out;
	/* One bar per (problem, peer) that has both, coloured by peer: most
	 * problems have one or two peers, so a clustered histogram would be
	 * mostly gaps. */
	fprintf(dat, "# run %lld: per problem and peer, the best kernel's speedup "
		"(peer median / kernel median), and the range of the per-round ratios\n"
		"# problem best_kernel peer speedup peer_index round_lo round_hi\n",
		(long long)h->id);
	fprintf(rp->html, "<table><tr><th>problem</th><th>best kernel</th>");
	for (int j = 0; j < peers.n; j++) {
		fprintf(rp->html, "<th>vs ");
		bnn_dbt_html(rp->html, peers.s[j]);
		fprintf(rp->html, "</th>");
	}
	fprintf(rp->html, "</tr>\n");
	int bars = 0;
	for (int p = 0; p < probs.n; p++) {
		const bnn_dbt_result_t *k = best_kernel(h, probs.s[p]);
		char name[300], kn[300], pn[300];
		dat_name(name, sizeof(name), k->problem);
		dat_name(kn, sizeof(kn), k->kernel);
		fprintf(rp->html, "<tr><td>");
		bnn_dbt_html(rp->html, k->problem);
		fprintf(rp->html, "</td><td>");
		bnn_dbt_html(rp->html, k->kernel);
		fprintf(rp->html, "</td>");
		for (int j = 0; j < peers.n; j++) {
			const bnn_dbt_result_t *peer = NULL;
			for (size_t i = 0; i < h->nres; i++)
				if (timed(&h->res[i]) && !strcmp(h->res[i].kind, "peer") &&
				    !strcmp(h->res[i].kernel, peers.s[j]) &&
				    !strcmp(h->res[i].canonical, probs.s[p]))
					peer = &h->res[i];
			if (peer) {
				double lo = NAN, hi = NAN;
				paired_rounds(k, peer, &lo, &hi);
				dat_name(pn, sizeof(pn), peers.s[j]);
				fprintf(dat, "\"%s\" \"%s\" \"%s\" %.6g %d %.6g %.6g\n", name, kn, pn,
					peer->median_ns / k->median_ns, j + 1, lo, hi);
				fprintf(rp->html, "<td class=\"num\">%.2fx", peer->median_ns / k->median_ns);
				if (isfinite(lo))
					fprintf(rp->html, " [%.2f, %.2f]", lo, hi);
				fprintf(rp->html, "</td>");
				bars++;
			} else {
				fprintf(rp->html, "<td class=\"num\">-</td>");
			}
		}
		fprintf(rp->html, "</tr>\n");
	}
	fprintf(rp->html, "</table>\n");
	gp_head(gp, "speedup", "Speedup of the best kernel over each peer (same run, same inputs)",
		bars * 14 + 420 > 900 ? bars * 14 + 420 : 900);
	fprintf(gp, "set style fill solid 0.8 border -1\nset boxwidth 0.8\nset logscale y\n"
		"set yrange [0.1:*]\nset xrange [-1:%d]\nset xtics rotate by -60 left font ',8'\n"
		"set ylabel 'speedup (x, log scale)'\nset bmargin 14\nset grid noxtics\n"
		"plot 'speedup.dat' using 0:4:5:xtic(1) with boxes lc variable notitle", bars);
	for (int j = 0; j < peers.n; j++) {
		char t[300];
		dat_name(t, sizeof(t), peers.s[j]);
		fprintf(gp, ", \\\n     NaN with boxes lc %d title \"vs %s\"", j + 1, t);
	}
	fprintf(gp, ", \\\n     1 with lines lc rgb '#444444' dashtype 3 notitle\n");
	if (close_plot_files(rp, &dat, &gp, "speedup") != 0)
		goto out;
	emit_plot(rp, "speedup", "Speedup of the best kernel over each peer, per problem");
	rc = 0;
out:
	if (dat)
		fclose(dat);
	if (gp)
		fclose(gp);
	names_free(&peers);
	names_free(&probs);
	return rc;
}

/* The best timed kernel of the headline for (block, layer), or NULL. */
static const bnn_dbt_result_t *reactnet_best(const bnn_dbt_run_t *h, const char *blk,
					     const char *lay)
{
	const bnn_dbt_result_t *best = NULL;
	char block[128], layer[128];
	for (size_t i = 0; i < h->nres; i++) {
		const bnn_dbt_result_t *x = &h->res[i];
		if (timed(x) && !strcmp(x->kind, "kernel") &&
		    reactnet_layer(x, block, sizeof(block), layer, sizeof(layer)) &&
		    !strcmp(block, blk) && !strcmp(layer, lay) &&
		    (!best || x->median_ns < best->median_ns))
			best = x;
	}
	return best;
}

/* Whether run r timed a ReActNet network, block or block layer. */
static int has_reactnet(const bnn_dbt_run_t *r)
{
	char block[128], layer[128];
	for (size_t i = 0; i < r->nres; i++)
		if (timed(&r->res[i]) && !strcmp(r->res[i].kind, "kernel") &&
		    ((r->res[i].op && !strcmp(r->res[i].op, "reactnet")) ||
		     reactnet_layer(&r->res[i], block, sizeof(block), layer, sizeof(layer))))
			return 1;
	return 0;
}

/*
 * The ReActNet section (see reactnet_layer), from the headline run when it
 * has ReActNet results, else the newest run given that has: a reactnet run
 * followed by a gemm run still gets its section. -1 when a file could not
 * be written.
 */
static int plot_reactnet(report_t *rp)
{
	const bnn_dbt_run_t *h = rp->head;
	for (size_t r = rp->nruns; !has_reactnet(h) && r-- > 0;)
		if (has_reactnet(&rp->runs[r]))
			h = &rp->runs[r];
	names_t blocks = { 0 }, layers = { 0 };
	FILE *dat = NULL, *gp = NULL;
	int rc = -1, whole = 0, nets = 0;
	char block[128], layer[128];

	fprintf(rp->html, "<h2 id=\"reactnet\">ReActNet per-block latency</h2>\n");
	if (h != rp->head && has_reactnet(h))
		fprintf(rp->html, "<p>From run %lld, the newest run given with ReActNet results.</p>\n",
			(long long)h->id);
	for (size_t i = 0; i < h->nres; i++) {
		const bnn_dbt_result_t *x = &h->res[i];
		int kind;
		if (!timed(x) || strcmp(x->kind, "kernel"))
			continue;
		if (x->op && !strcmp(x->op, "reactnet"))
			nets++;
		kind = reactnet_layer(x, block, sizeof(block), layer, sizeof(layer));
		if (kind)
			names_add(&blocks, block);
		if (kind == 1)
			names_add(&layers, layer);
		whole |= kind == 2;
	}
	if (nets) {
		fprintf(rp->html, "<table><tr><th>network</th><th>kernel</th><th>median ms</th>"
			"<th>TOPS</th></tr>\n");
		for (size_t i = 0; i < h->nres; i++) {
			const bnn_dbt_result_t *x = &h->res[i];
			if (!timed(x) || !x->op || strcmp(x->op, "reactnet"))
				continue;
			fprintf(rp->html, "<tr><td>");
			bnn_dbt_html(rp->html, x->problem);
			fprintf(rp->html, "</td><td>");
			bnn_dbt_html(rp->html, x->kernel);
			fprintf(rp->html, "</td><td class=\"num\">%.3f</td><td class=\"num\">%.4g</td>"
				"</tr>\n", x->median_ns / 1e6, x->tops);
		}
		fprintf(rp->html, "</table>\n");
	}
	if (blocks.n == 0) {
		fprintf(rp->html, "<p>No ReActNet results in these runs (the reactnet suite's "
			"per-block problems reactnet_BLOCK_LAYER and reactnet_BLOCK).</p>\n");
		rc = 0;
		goto out;
	}
	dat = open_in(rp, "reactnet.dat");
	gp = open_in(rp, "reactnet.gp");
	if (!dat || !gp)
		goto out;
	fprintf(dat, "# run %lld: per block, the best kernel's median (us) of each layer alone, "
		"then of the whole block\n# block", (long long)h->id);
	for (int j = 0; j < layers.n; j++)
		fprintf(dat, " %s", layers.s[j]);
	fprintf(dat, " block\n");
	for (int b = 0; b < blocks.n; b++) {
		char bn[300];
		dat_name(bn, sizeof(bn), blocks.s[b]);
		fprintf(dat, "\"%s\"", bn);
		for (int j = 0; j < layers.n; j++) {
			const bnn_dbt_result_t *best = reactnet_best(h, blocks.s[b], layers.s[j]);
			if (best)
				fprintf(dat, " %.6g", best->median_ns / 1e3);
			else
				fprintf(dat, " 0");
		}
		const bnn_dbt_result_t *all = reactnet_best(h, blocks.s[b], "block");
		if (all)
			fprintf(dat, " %.6g\n", all->median_ns / 1e3);
		else
			fprintf(dat, " -\n");
	}
	gp_head(gp, "reactnet", "ReActNet: latency per block, its binary convolutions stacked "
		"(best kernel)", blocks.n * 40 + 600 > 900 ? blocks.n * 40 + 600 : 900);
	fprintf(gp, "set style data histograms\nset style histogram rowstacked\n"
		"set style fill solid 0.8 border -1\nset boxwidth 0.7\nset ylabel 'latency (us)'\n"
		"set yrange [0:*]\nplot ");
	int first = 1;
	for (int j = 0; j < layers.n; j++) {
		char t[300];
		dat_name(t, sizeof(t), layers.s[j]);
		fprintf(gp, "%s'reactnet.dat' using %d%s title \"%s conv\"", first ? "" : ", ", 2 + j,
			first ? ":xtic(1)" : "", t);
		first = 0;
	}
	if (whole)
		fprintf(gp, "%s'reactnet.dat' using %s%d%s with points pt 7 ps 1.5 lc rgb 'black' "
			"title \"whole block (fused kernel)\"", first ? "" : ", \\\n     ",
			first ? "" : "($0):", 2 + layers.n, first ? ":xtic(1)" : "");
	fprintf(gp, "\n");
	if (close_plot_files(rp, &dat, &gp, "reactnet") != 0)
		goto out;
	fprintf(rp->html, "<p>Bars: each block's binary convolutions timed alone, stacked; "
		"dots: the whole block (RSign, convolutions, BN, RPReLU, shortcut) as one fused "
		"kernel (the reactnet suite times blocks 7 to 11, which share one shape, once).</p>\n");
	emit_plot(rp, "reactnet", "ReActNet per-block latency breakdown");
	rc = 0;
out:
	if (dat)
		fclose(dat);
	if (gp)
		fclose(gp);
	names_free(&blocks);
	names_free(&layers);
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

/* Whether two runs have the same machine fingerprint. */
static int same_machine(const bnn_dbt_run_t *a, const bnn_dbt_run_t *b)
{
	return !strcmp(a->fingerprint ? a->fingerprint : "", b->fingerprint ? b->fingerprint : "");
}

/*
 * Trends: per kernel and run, the geometric mean over its problems of the
 * median relative to that (problem, kernel)'s median in the first run of
 * the series that timed it: 1 is "as the first time", 1.1 is 10% slower.
 */
static int plot_trends(report_t *rp)
{
	names_t kernels = { 0 };
	FILE *dat = NULL, *gp = NULL;
	int rc = -1, nruns = 0;
	const bnn_dbt_run_t *h = rp->head;

	fprintf(rp->html, "<h2 id=\"trends\">Run-to-run trends</h2>\n");
	for (size_t r = 0; r < rp->nruns; r++) {
		if (!same_machine(&rp->runs[r], h))
			continue;
		int any = 0;
		for (size_t i = 0; i < rp->runs[r].nres; i++)
			if (timed(&rp->runs[r].res[i])) {
				names_add(&kernels, rp->runs[r].res[i].kernel);
				any = 1;
			}
		nruns += any;
	}
	if (nruns < 2) {
		fprintf(rp->html, "<p>Trends need at least two timed runs of machine ");
		bnn_dbt_html(rp->html, h->fingerprint);
		fprintf(rp->html, "; these runs have %d.</p>\n", nruns);
		rc = 0;
		goto out;
	}
	dat = open_in(rp, "trends.dat");
	gp = open_in(rp, "trends.gp");
	if (!dat || !gp)
		goto out;
	fprintf(dat, "# per run (machine %s): per kernel, geometric mean over its problems of the "
		"median relative to the first run that timed that problem\n# index run",
		h->fingerprint ? h->fingerprint : "-");
	for (int k = 0; k < kernels.n; k++)
		fprintf(dat, " %s", kernels.s[k]);
	fprintf(dat, "\n");
	fprintf(rp->html, "<table><tr><th>run</th><th>start</th>");
	for (int k = 0; k < kernels.n; k++) {
		fprintf(rp->html, "<th>");
		bnn_dbt_html(rp->html, kernels.s[k]);
		fprintf(rp->html, "</th>");
	}
	fprintf(rp->html, "</tr>\n");
	int idx = 0;
	for (size_t r = 0; r < rp->nruns; r++) {
		const bnn_dbt_run_t *run = &rp->runs[r];
		int any = 0;
		for (size_t i = 0; i < run->nres; i++)
			any |= timed(&run->res[i]);
		if (!same_machine(run, h) || !any)
			continue;
		fprintf(dat, "%d \"%lld\"", idx++, (long long)run->id);
		fprintf(rp->html, "<tr><td>%lld</td><td>", (long long)run->id);
		bnn_dbt_html(rp->html, run->start_time);
		fprintf(rp->html, "</td>");
		for (int k = 0; k < kernels.n; k++) {
			double logsum = 0;
			int n = 0;
			for (size_t i = 0; i < run->nres; i++) {
				const bnn_dbt_result_t *x = &run->res[i];
				if (!timed(x) || strcmp(x->kernel, kernels.s[k]))
					continue;
				/* The first run of the series that timed this pair. */
				const bnn_dbt_result_t *first = NULL;
				for (size_t q = 0; q <= r && !first; q++) {
					const bnn_dbt_result_t *y;
					if (!same_machine(&rp->runs[q], h))
						continue;
					y = find_in(&rp->runs[q], x->canonical, x->kernel);
					if (y && timed(y))
						first = y;
				}
				logsum += log(x->median_ns / first->median_ns);
				n++;
			}
			if (n) {
				fprintf(dat, " %.6g", exp(logsum / n));
				fprintf(rp->html, "<td class=\"num\">%.3f</td>", exp(logsum / n));
			} else {
				fprintf(dat, " -");
				fprintf(rp->html, "<td class=\"num\">-</td>");
			}
		}
		fprintf(dat, "\n");
		fprintf(rp->html, "</tr>\n");
	}
	fprintf(rp->html, "</table>\n<p>Each cell: the geometric mean, over the kernel's problems, "
		"of its median time relative to the first run here that timed the same problem "
		"(1.000 = unchanged, above 1 = slower).</p>\n");
	gp_head(gp, "trends", "Run-to-run trend per kernel (median time relative to the first run)",
		1000);
	fprintf(gp, "set xlabel 'run'\nset ylabel 'relative median time (1 = first run)'\n"
		"set xtics rotate by -40 left\nset offsets 0.2, 0.2, 0, 0\nplot ");
	for (int k = 0; k < kernels.n; k++) {
		char t[300];
		dat_name(t, sizeof(t), kernels.s[k]);
		fprintf(gp, "%s'trends.dat' using 1:%d%s with linespoints lw 2 title \"%s\"",
			k ? ", " : "", 3 + k, k ? "" : ":xtic(2)", t);
	}
	fprintf(gp, ", 1 with lines lc rgb '#444444' dashtype 3 notitle\n");
	if (close_plot_files(rp, &dat, &gp, "trends") != 0)
		goto out;
	emit_plot(rp, "trends", "Run-to-run trend of the median time per kernel");
	rc = 0;
out:
	if (dat)
		fclose(dat);
	if (gp)
		fclose(gp);
	names_free(&kernels);
	return rc;
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

/*
 * Machines side by side: when the runs given come from more than one
 * machine, each machine's newest timed run, per problem they share the best
 * kernel's TOPS and efficiency on each machine and its speedup over the
 * first machine (the baseline), then each machine's probed XOR-popcount
 * peak and its record (CPU, cores, host).
 */
static void machines(report_t *rp)
{
	FILE *f = rp->html;
	const bnn_dbt_run_t *m[MAX_COLS];
	int nm = 0;
	names_t probs = { 0 };
	for (size_t r = rp->nruns; r-- > 0;) {
		const bnn_dbt_run_t *x = &rp->runs[r];
		int seen = 0, any = 0;
		for (int j = 0; j < nm; j++)
			seen |= !strcmp(m[j]->fingerprint ? m[j]->fingerprint : "",
					x->fingerprint ? x->fingerprint : "");
		for (size_t i = 0; i < x->nres; i++)
			any |= timed(&x->res[i]);
		if (!seen && any && nm < MAX_COLS)
			m[nm++] = x;
	}
	fprintf(f, "<h2 id=\"machines\">Machines side by side</h2>\n");
	if (nm < 2) {
		fprintf(f, "<p>All timed runs given come from one machine; give runs of several "
			"(<code>bnnbench merge</code> gathers a fleet's databases) to compare them.</p>\n");
		return;
	}
	/* Oldest first: the first machine seen is the baseline. */
	for (int a = 0, b = nm - 1; a < b; a++, b--) {
		const bnn_dbt_run_t *t = m[a];
		m[a] = m[b];
		m[b] = t;
	}
	for (int j = 0; j < nm; j++)
		for (size_t i = 0; i < m[j]->nres; i++)
			if (timed(&m[j]->res[i]) && !strcmp(m[j]->res[i].kind, "kernel"))
				names_add(&probs, m[j]->res[i].canonical);
	fprintf(f, "<table><tr><th>machine</th><th>run</th><th>host</th><th>CPU</th><th>cores</th>"
		"<th>best probed XOR-popcount peak</th></tr>\n");
	for (int j = 0; j < nm; j++) {
		double peak = NAN;
		for (size_t i = 0; i < m[j]->nres; i++) {
			const bnn_dbt_result_t *x = &m[j]->res[i];
			if (!strcmp(x->kind, "probe") && x->unit && !strcmp(x->unit, "TOPS") &&
			    !(peak >= x->value))
				peak = x->value;
		}
		fprintf(f, "<tr><td>%d%s</td><td>%lld</td><td>", j + 1, j ? "" : " (baseline)",
			(long long)m[j]->id);
		bnn_dbt_html(f, m[j]->host ? m[j]->host : "-");
		fprintf(f, "</td><td>");
		bnn_dbt_html(f, m[j]->cpu_model ? m[j]->cpu_model : "-");
		fprintf(f, "</td><td class=\"num\">%lld</td><td class=\"num\">", (long long)m[j]->cores);
		if (isfinite(peak))
			fprintf(f, "%.3f TOPS", peak);
		else
			fprintf(f, "-");
		fprintf(f, "</td></tr>\n");
	}
	fprintf(f, "</table>\n<table><tr><th>problem</th>");
	for (int j = 0; j < nm; j++)
		fprintf(f, "<th>machine %d: best kernel, TOPS, efficiency</th>", j + 1);
	for (int j = 1; j < nm; j++)
		fprintf(f, "<th>machine %d over 1</th>", j + 1);
	fprintf(f, "</tr>\n");
	for (int p = 0; p < probs.n; p++) {
		const bnn_dbt_result_t *b[MAX_COLS];
		int shared = 0;
		for (int j = 0; j < nm; j++)
			shared += (b[j] = best_kernel(m[j], probs.s[p])) != NULL;
		if (shared < 2)
			continue;
		fprintf(f, "<tr><td>");
		bnn_dbt_html(f, (b[0] ? b[0] : b[1])->problem);
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

/* See dbtools.h: 3 also when a plot could not be drawn (the page says which). */
int bnn_cmd_report(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "db", required_argument, 0, 'd' },
		{ "output", required_argument, 0, 'o' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 }
	};
	const char *db = DEFAULT_DB;
	report_t rp = { 0 };
	int status = BNN_DBT_USAGE, c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': db = optarg; break;
		case 'o': rp.dir = optarg; break;
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
	fprintf(f, "<h1>bnnbench report</h1>\n<p>%zu run%s; headline run %lld (suite ",
		rp.nruns, rp.nruns == 1 ? "" : "s", (long long)rp.head->id);
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
	return status;
}
