/* The harness side of the ReActNet ops: see reactnet.h. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "reactnet.h"

void bnn_weights_free(bnn_weights_t *w)
{
	free(w->arena);
	memset(w, 0, sizeof(*w));
}

const bnn_rblock_params_t *bnn_rnet_find_block(const bnn_rnet_params_t *net,
					       const bnn_rblock_shape_t *b)
{
	bnn_rnet_shape_t any = { 1, 224, 224 };
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t nb = bnn_rnet_block(&any, i);
		if (nb.c == b->c && nb.k == b->k && nb.stride == b->stride)
			return &net->block[i];
	}
	return NULL;
}

/* The next n floats of the arena (sized beforehand, so it cannot run out). */
static float *take(bnn_weights_t *w, int64_t n)
{
	float *p = w->arena + w->used;
	w->used += (size_t)n;
	return p;
}

/* Uniform in [lo, hi). */
static float uniform(bnn_rng_t *rng, double lo, double hi)
{
	return (float)(lo + (hi - lo) * (double)(bnn_rng_next(rng) >> 11) * 0x1p-53);
}

static void fill_uniform(bnn_rng_t *rng, float *x, int64_t n, double lo, double hi)
{
	for (int64_t i = 0; i < n; i++)
		x[i] = uniform(rng, lo, hi);
}

/* Binary conv weights: scale times the activations' mix (ties included). */
static void fill_weights(bnn_rng_t *rng, float *w, int64_t n, float scale)
{
	bnn_fill_activations(rng, w, (size_t)n);
	for (int64_t i = 0; i < n; i++)
		w[i] *= scale;
}

/*
 * BN after a conv whose outputs have standard deviation about sd: running
 * statistics that bring them near unit scale, as training leaves them.
 */
static void fill_bn(bnn_rng_t *rng, bnn_weights_t *w, int64_t c, double sd, bnn_bn_t *bn)
{
	float *gamma = take(w, c), *beta = take(w, c), *mean = take(w, c), *var = take(w, c);
	fill_uniform(rng, gamma, c, -0.25, 1.5);   /* trained gammas: a few negative */
	fill_uniform(rng, beta, c, -0.1, 0.1);
	fill_uniform(rng, mean, c, -0.2 * sd, 0.2 * sd);
	for (int64_t i = 0; i < c; i++)
		var[i] = (float)(sd * sd) * uniform(rng, 0.5, 1.5);
	*bn = (bnn_bn_t){ gamma, beta, mean, var };
}

static void fill_rprelu(bnn_rng_t *rng, bnn_weights_t *w, int64_t c, bnn_rprelu_t *rp)
{
	float *g = take(w, c), *slope = take(w, c), *z = take(w, c);
	fill_uniform(rng, g, c, -0.1, 0.1);
	fill_uniform(rng, slope, c, 0.2, 0.3);
	fill_uniform(rng, z, c, -0.1, 0.1);
	*rp = (bnn_rprelu_t){ g, slope, z };
}

/* Floats one block's parameters take. */
static int64_t block_floats(const bnn_rblock_shape_t *b)
{
	return b->c * (9 * b->c + b->k) + 2 * b->c + 7 * b->c + 7 * b->k;
}

#define WSCALE 0.05f

static void synth_block(const bnn_rblock_shape_t *b, bnn_rng_t *rng, bnn_weights_t *w,
			bnn_rblock_params_t *p)
{
	float *rs1 = take(w, b->c), *w3 = take(w, 9 * b->c * b->c);
	float *rs2 = take(w, b->c), *w1 = take(w, b->k * b->c);
	fill_uniform(rng, rs1, b->c, -0.1, 0.1);
	fill_weights(rng, w3, 9 * b->c * b->c, WSCALE);
	fill_uniform(rng, rs2, b->c, -0.1, 0.1);
	fill_weights(rng, w1, b->k * b->c, WSCALE);
	p->rsign1 = rs1;
	p->w3 = w3;
	p->rsign2 = rs2;
	p->w1 = w1;
	/* alpha is about WSCALE/2, a sum of n +-1 terms has sd sqrt(n). */
	fill_bn(rng, w, b->c, WSCALE / 2 * sqrt(9.0 * b->c), &p->bn1);
	fill_rprelu(rng, w, b->c, &p->rp1);
	fill_bn(rng, w, b->k, WSCALE / 2 * sqrt((double)b->c), &p->bn2);
	fill_rprelu(rng, w, b->k, &p->rp2);
}

static int arena(bnn_weights_t *w, int64_t floats)
{
	memset(w, 0, sizeof(*w));
	w->arena = malloc((size_t)floats * sizeof(float));
	if (!w->arena)
		return -ENOMEM;
	w->cap = (size_t)floats;
	return 0;
}

int bnn_rblock_weights_synth(const bnn_rblock_shape_t *b, bnn_rng_t *rng, bnn_weights_t *w)
{
	if (arena(w, block_floats(b)) != 0)
		return -ENOMEM;
	synth_block(b, rng, w, &w->block);
	return 0;
}

int bnn_rnet_weights_synth(const bnn_rnet_shape_t *r, bnn_rng_t *rng, bnn_weights_t *w)
{
	const int64_t sc = BNN_RNET_STEM_C;
	int64_t floats = 27 * sc + 4 * sc + BNN_RNET_FC_IN * BNN_RNET_CLASSES + BNN_RNET_CLASSES;
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(r, i);
		floats += block_floats(&b);
	}
	if (arena(w, floats) != 0)
		return -ENOMEM;
	bnn_rnet_params_t *p = &w->net;
	float *stem = take(w, 27 * sc);
	fill_uniform(rng, stem, 27 * sc, -0.3, 0.3);
	p->stem_w = stem;
	/* 27 products of a [-1, 1) pixel and a [-0.3, 0.3) weight. */
	fill_bn(rng, w, sc, sqrt(27.0 / 3 * 0.03), &p->stem_bn);
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(r, i);
		synth_block(&b, rng, w, &p->block[i]);
	}
	float *fc = take(w, BNN_RNET_FC_IN * BNN_RNET_CLASSES), *bias = take(w, BNN_RNET_CLASSES);
	double a = sqrt(3.0 / BNN_RNET_FC_IN);
	fill_uniform(rng, fc, BNN_RNET_FC_IN * BNN_RNET_CLASSES, -a, a);
	fill_uniform(rng, bias, BNN_RNET_CLASSES, -0.1, 0.1);
	p->fc_w = fc;
	p->fc_b = bias;
	return 0;
}

void bnn_rblock_fill_input(bnn_rng_t *rng, const bnn_rblock_shape_t *b,
			   const bnn_rblock_params_t *p, float *x)
{
	size_t n = (size_t)(b->n * b->h * b->w * b->c);
	bnn_fill_activations(rng, x, n);
	for (size_t i = 0; i < n; i++)
		if ((bnn_rng_next(rng) & 31) == 0)
			x[i] = -p->rsign1[i % (size_t)b->c];
}

/* |alpha * gamma / sqrt(var + eps)| and |gamma * mean / sqrt(var + eps)| + |beta|, exactly
 * as far as double goes: the magnitudes of the true multiplier (gamma may be
 * negative) and of the bias terms. */
static void bn_terms(const float *w, int64_t per_filter, const bnn_bn_t *bn, int64_t o,
		     double *m, double *cmag)
{
	double sum = 0;
	for (int64_t i = 0; i < per_filter; i++)
		sum += fabs((double)w[o * per_filter + i]);
	double inv = 1.0 / sqrt((double)bn->var[o] + (double)BNN_BN_EPS);
	*m = fabs(sum / (double)per_filter * bn->gamma[o] * inv);
	*cmag = fabs((double)bn->gamma[o] * bn->mean[o] * inv) + fabs((double)bn->beta[o]);
}

/* The bound of RPReLU's output from that of its input e, at input v. */
static double rprelu_err(double e, double v, const bnn_rprelu_t *rp, int64_t ch)
{
	double lip = fabs((double)rp->slope[ch]) > 1 ? fabs((double)rp->slope[ch]) : 1.0;
	return lip * e + bnn_gamma(4) * (lip * (fabs(v) + fabs((double)rp->g[ch])) +
					 fabs((double)rp->z[ch]));
}

/* What the shortcut of output (q, ch) adds up: |x|, or the pool's sum|x_i|/4. */
static double shortcut_mag(const bnn_rblock_shape_t *b, const float *x, int64_t q, int64_t ch)
{
	int64_t c = b->c;
	if (b->stride == 1)
		return fabs((double)x[q * c + ch]);
	int64_t opix = b->oh * b->ow, n = q / opix, oy = q % opix / b->ow, ox = q % b->ow;
	const float *top = x + ((n * b->h + 2 * oy) * b->w + 2 * ox) * c + ch;
	const float *bot = top + b->w * c;
	return (fabs((double)top[0]) + fabs((double)top[c]) + fabs((double)bot[0]) +
		fabs((double)bot[c])) / 4;
}

int64_t bnn_rblock_bound(const bnn_rblock_shape_t *b, const bnn_rblock_params_t *p,
			 const float *x, const bnn_ref_rblock_trace_t *t, float *bound)
{
	int64_t c = b->c, k = b->k, pix = b->n * b->oh * b->ow, ties = 0;
	double *m1 = malloc((size_t)(c + c + k + k) * sizeof(double));
	double *eu = malloc((size_t)c * sizeof(double));
	if (!m1 || !eu) {
		free(m1);
		free(eu);
		return -1;
	}
	double *c1 = m1 + c, *m2 = c1 + c, *c2 = m2 + k;
	for (int64_t o = 0; o < c; o++)
		bn_terms(p->w3, 9 * c, &p->bn1, o, &m1[o], &c1[o]);
	for (int64_t o = 0; o < k; o++)
		bn_terms(p->w1, c, &p->bn2, o, &m2[o], &c2[o]);
	for (int64_t q = 0; q < pix; q++) {
		int64_t amb = 0;
		for (int64_t ch = 0; ch < c; ch++) {
			int64_t i = q * c + ch;
			/* t = acc*m1 + c1 and s = t + r: folding, the reference's BN,
			 * the pool and the add round a few times each, relative to the
			 * terms' magnitudes. */
			double es = bnn_gamma(20) * (fabs(t->acc3[i]) * m1[ch] + c1[ch] +
						     shortcut_mag(b, x, q, ch));
			eu[ch] = rprelu_err(es, t->s[i], &p->rp1, ch);
			if (fabs((double)t->u[i] + p->rsign2[ch]) <= eu[ch])
				amb++;
		}
		ties += amb;
		for (int64_t o = 0; o < k; o++) {
			int64_t i = q * k + o, ch = o % c;
			double acc = fabs(t->acc1[i]) + 2.0 * (double)amb;
			double ev = 2.0 * (double)amb * m2[o] +
				    bnn_gamma(20) * (acc * m2[o] + c2[o] + fabs((double)t->u[q * c + ch])) +
				    eu[ch];
			bound[i] = (float)rprelu_err(ev, t->v[i], &p->rp2, o);
		}
	}
	free(m1);
	free(eu);
	return ties;
}

void bnn_rnet_bound(const bnn_rnet_shape_t *r, const float *ref, float *bound)
{
	for (int64_t b = 0; b < r->n; b++) {
		const float *y = ref + b * BNN_RNET_CLASSES;
		double top = 0;
		for (int64_t o = 0; o < BNN_RNET_CLASSES; o++)
			if (fabs((double)y[o]) > top)
				top = fabs((double)y[o]);
		for (int64_t o = 0; o < BNN_RNET_CLASSES; o++)
			bound[b * BNN_RNET_CLASSES + o] = (float)(BNN_RNET_LOGIT_TOL * top);
	}
}

/* The classes of the 5 largest values of y, largest first. */
static void top5(const float *y, int64_t cls[5])
{
	for (int j = 0; j < 5; j++) {
		int64_t best = -1;
		for (int64_t o = 0; o < BNN_RNET_CLASSES; o++) {
			int seen = 0;
			for (int q = 0; q < j; q++)
				seen |= cls[q] == o;
			if (!seen && (best < 0 || y[o] > y[best]))
				best = o;
		}
		cls[j] = best;
	}
}

int bnn_rnet_check_topk(const bnn_rnet_shape_t *r, const float *ref, const float *out,
			const float *bound, char *why, size_t whylen)
{
	for (int64_t b = 0; b < r->n; b++) {
		const float *yr = ref + b * BNN_RNET_CLASSES, *yk = out + b * BNN_RNET_CLASSES;
		double tol = 2.0 * bound[b * BNN_RNET_CLASSES];
		int64_t tr[5], tk[5];
		top5(yr, tr);
		top5(yk, tk);
		/* Top-1: the kernel's class must be the reference's, or tied with it. */
		if (tk[0] != tr[0] && yr[tk[0]] < yr[tr[0]] - tol) {
			snprintf(why, whylen, "image %lld: top-1 class %lld, the reference's is %lld",
				 (long long)b, (long long)tk[0], (long long)tr[0]);
			return -1;
		}
		/* Top-5: every class the kernel ranks there the reference ranks there
		 * too, or within the tolerance of its 5th. */
		for (int j = 0; j < 5; j++)
			if (yr[tk[j]] < yr[tr[4]] - tol) {
				snprintf(why, whylen,
					 "image %lld: class %lld is in the top 5, not in the "
					 "reference's (%lld %lld %lld %lld %lld)",
					 (long long)b, (long long)tk[j], (long long)tr[0],
					 (long long)tr[1], (long long)tr[2], (long long)tr[3],
					 (long long)tr[4]);
				return -1;
			}
	}
	return 0;
}

void bnn_rnet_check(const bnn_rnet_shape_t *r, const float *ref, const float *out,
		    const float *bound, bnn_check_t *c)
{
	char classes[120], logits[sizeof(c->reason)];
	bnn_check_float(ref, out, bound, (size_t)(r->n * BNN_RNET_CLASSES), c);
	if (bnn_rnet_check_topk(r, ref, out, bound, classes, sizeof(classes)) == 0)
		return;
	snprintf(logits, sizeof(logits), "%s", c->status == BNN_FAIL ? c->reason : "");
	snprintf(c->reason, sizeof(c->reason), "%s%s%.*s", classes, logits[0] ? "; " : "",
		 (int)(sizeof(c->reason) - sizeof(classes) - 2), logits);
	c->status = BNN_FAIL;
}

void bnn_rnet_counts(const bnn_rnet_shape_t *r, bnn_rnet_counts_t *c)
{
	bnn_rnet_shape_t one = { 1, r->h, r->w };
	memset(c, 0, sizeof(*c));
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(&one, i);
		c->bops += bnn_rblock_macs(&b);
		c->binary_weights += (double)b.c * (9.0 * b.c + b.k);
	}
	c->flops = (double)(r->h / 2) * (r->w / 2) * BNN_RNET_STEM_C * 27 +
		   (double)BNN_RNET_FC_IN * BNN_RNET_CLASSES;
	c->ops = c->bops / 64 + c->flops;
}
