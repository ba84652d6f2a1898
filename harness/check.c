/* Output checks: exact for integers, bounded for floats, and the mistrust
 * rule: a check cannot tell right from wrong when the reference itself is
 * constant, since a kernel writing that constant everywhere would pass. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "check.h"

/* Under this many elements a constant reference is expected, not suspicious. */
#define MISTRUST_MIN 8

const char *bnn_status_name(bnn_status_t s)
{
	static const char *const n[] = { "PASS", "FAIL", "SKIP", "MISTRUSTED" };
	return n[s];
}

double bnn_gamma(double n)
{
	double u = ldexp(1.0, -24);
	return n * u / (1.0 - n * u);
}

/* See check.h. */
size_t bnn_first_bad_input(const float *x, size_t n, const char **why)
{
	for (size_t i = 0; i < n; i++) {
		if (isfinite(x[i]) && fabsf(x[i]) <= BNN_INPUT_MAX)
			continue;
		if (why)
			*why = isnan(x[i]) ? "NaN" : isinf(x[i]) ? "infinite" :
				"larger in magnitude than 2^40";
		return i;
	}
	return n;
}

void bnn_poison(void *out, size_t n, int is_int)
{
	uint32_t bits = is_int ? (uint32_t)BNN_POISON_INT : BNN_POISON_FLOAT_BITS;
	unsigned char *o = out;
	for (size_t i = 0; i < n; i++)
		memcpy(o + i * sizeof(bits), &bits, sizeof(bits));
}

/* Whether v is the float poison, bit for bit. */
static int is_poison(float v)
{
	uint32_t bits;
	memcpy(&bits, &v, sizeof(bits));
	return bits == BNN_POISON_FLOAT_BITS;
}

static void init(bnn_check_t *r)
{
	memset(r, 0, sizeof(*r));
	r->status = BNN_PASS;
}

static void mistrust(const float *ref, size_t n, bnn_check_t *r)
{
	if (r->status != BNN_PASS || n < MISTRUST_MIN)
		return;
	for (size_t i = 1; i < n; i++)
		if (ref[i] != ref[0])
			return;
	r->status = BNN_MISTRUSTED;
	snprintf(r->reason, sizeof(r->reason),
		 "all %zu reference outputs equal %g: a kernel writing that constant would pass",
		 n, (double)ref[0]);
}

void bnn_check_int(const float *ref, const int32_t *out, size_t n, bnn_check_t *r)
{
	size_t bad = 0, first = 0;
	init(r);
	for (size_t i = 0; i < n; i++) {
		double e = fabs((double)out[i] - (double)ref[i]);
		if (e != 0.0) {
			if (!bad)
				first = i;
			bad++;
		}
		if (e > r->max_abs_err)
			r->max_abs_err = e;
		if (ref[i] != 0 && e / fabs(ref[i]) > r->max_rel_err)
			r->max_rel_err = e / fabs(ref[i]);
	}
	if (bad) {
		r->status = BNN_FAIL;
		if (out[first] == BNN_POISON_INT)
			snprintf(r->reason, sizeof(r->reason),
				 "%zu of %zu elements differ; element %zu was never written",
				 bad, n, first);
		else
			snprintf(r->reason, sizeof(r->reason),
				 "%zu of %zu elements differ; first at %zu: got %d, want %.0f", bad,
				 n, first, out[first], (double)ref[first]);
	}
	mistrust(ref, n, r);
}

void bnn_check_float(const float *ref, const float *out, const float *bound, size_t n,
		     bnn_check_t *r)
{
	size_t bad = 0, first = 0;
	init(r);
	for (size_t i = 0; i < n; i++) {
		double e = fabs((double)out[i] - (double)ref[i]);
		if (bound[i] > r->bound)
			r->bound = bound[i];
		if (isnan(out[i]) || e > bound[i]) {
			if (!bad)
				first = i;
			bad++;
		}
		if (isnan(e))
			continue;
		if (e > r->max_abs_err)
			r->max_abs_err = e;
		if (ref[i] != 0 && e / fabs(ref[i]) > r->max_rel_err)
			r->max_rel_err = e / fabs(ref[i]);
	}
	if (bad) {
		r->status = BNN_FAIL;
		if (is_poison(out[first]))
			snprintf(r->reason, sizeof(r->reason),
				 "%zu of %zu elements out of bound; element %zu was never written",
				 bad, n, first);
		else if (isnan(out[first]))
			snprintf(r->reason, sizeof(r->reason),
				 "%zu of %zu elements out of bound; element %zu is NaN (computed)",
				 bad, n, first);
		else
			snprintf(r->reason, sizeof(r->reason),
				 "%zu of %zu elements out of bound; first at %zu: got %.9g, want "
				 "%.9g, bound %.3g", bad, n, first, (double)out[first],
				 (double)ref[first], (double)bound[first]);
	}
	mistrust(ref, n, r);
}
