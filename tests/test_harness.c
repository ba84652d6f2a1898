/*
 * The harness's own parts: the checker (exact, bounded, poisoned outputs,
 * MISTRUSTED), the statistics of samples, and descriptors (defaults,
 * canonical form printing back to itself, derived names).
 */
#include <math.h>
#include <string.h>
#include "check.h"
#include "gen.h"
#include "desc.h"
#include "tap.h"
#include "timing.h"

static void test_check(void)
{
	bnn_check_t r;
	float ref[10] = { 1, -3, 5, 7, -9, 11, 0, 2, 4, 6 };
	int32_t out[10] = { 1, -3, 5, 7, -9, 11, 0, 2, 4, 6 };
	bnn_check_int(ref, out, 10, &r);
	tap_ok(r.status == BNN_PASS && r.max_abs_err == 0, "exact: equal integers pass");
	out[4] = -7;
	bnn_check_int(ref, out, 10, &r);
	tap_ok(r.status == BNN_FAIL && r.max_abs_err == 2 && strstr(r.reason, "first at 4"),
	       "exact: an off-by-two element fails and is named: %s", r.reason);
	bnn_poison(out, 10, 1);
	float fpois[10];
	bnn_poison(fpois, 10, 0);
	int all = 1;
	for (int i = 0; i < 10; i++) {
		uint32_t bits;
		memcpy(&bits, &fpois[i], sizeof(bits));
		all &= out[i] == BNN_POISON_INT && bits == BNN_POISON_FLOAT_BITS && isnan(fpois[i]);
	}
	tap_ok(all, "bnn_poison fills every element, int32 and float (a NaN)");
	bnn_check_int(ref, out, 10, &r);
	tap_ok(r.status == BNN_FAIL && strstr(r.reason, "never written"),
	       "exact: an unwritten (poisoned) output fails: %s", r.reason);

	float cref[9] = { 4, 4, 4, 4, 4, 4, 4, 4, 4 };
	int32_t cout[9] = { 4, 4, 4, 4, 4, 4, 4, 4, 4 };
	bnn_check_int(cref, cout, 9, &r);
	tap_ok(r.status == BNN_MISTRUSTED, "a constant reference of 9 elements is MISTRUSTED");
	bnn_check_int(cref, cout, 7, &r);
	tap_ok(r.status == BNN_PASS, "... but 7 elements are too few to be suspicious");
	cout[3] = 5;
	bnn_check_int(cref, cout, 9, &r);
	tap_ok(r.status == BNN_FAIL, "a wrong output under a constant reference still FAILs");

	float fref[3] = { 1.0f, -2.0f, 0.5f }, fout[3], bound[3] = { 1e-6f, 1e-6f, 0 };
	memcpy(fout, fref, sizeof(fout));
	fout[0] += 5e-7f;
	bnn_check_float(fref, fout, bound, 3, &r);
	tap_ok(r.status == BNN_PASS && r.max_abs_err > 0 && r.bound == 1e-6f,
	       "bounded: within the bound passes, error and bound recorded");
	fout[2] = nextafterf(0.5f, 1.0f);
	bnn_check_float(fref, fout, bound, 3, &r);
	tap_ok(r.status == BNN_FAIL && strstr(r.reason, "first at 2"),
	       "bounded: one ulp over a zero bound fails: %s", r.reason);
	bnn_poison(fout, 3, 0);
	bnn_check_float(fref, fout, bound, 3, &r);
	tap_ok(r.status == BNN_FAIL && strstr(r.reason, "element 0 was never written"),
	       "bounded: an unwritten (poisoned) output fails as such: %s", r.reason);
	memcpy(fout, fref, sizeof(fout));
	fout[2] = NAN;
	bnn_check_float(fref, fout, bound, 3, &r);
	tap_ok(r.status == BNN_FAIL && strstr(r.reason, "1 of 3") &&
	       strstr(r.reason, "element 2 is NaN (computed)"),
	       "bounded: a computed NaN fails as such: %s", r.reason);
	tap_ok(fabs(bnn_gamma(1) - ldexp(1.0, -24) / (1 - ldexp(1.0, -24))) < 1e-30,
	       "gamma_1 = u/(1-u)");
}

static void test_stats(void)
{
	double s[100];
	bnn_stats_t st;
	for (int i = 0; i < 100; i++)
		s[i] = 100 - i; /* 100 .. 1, unsorted on purpose */
	bnn_stats(s, 100, &st);
	/* n = 100: ranks 40 and 61 (1-based) bound the median at 95%. */
	tap_ok(st.min == 1 && st.median == 50.5 && st.ci_lo == 40 && st.ci_hi == 61,
	       "stats of 1..100: min 1, median 50.5, 95%% CI [40, 61] (got %g %g %g %g)",
	       st.min, st.median, st.ci_lo, st.ci_hi);
	double three[3] = { 5, 1, 3 };
	bnn_stats(three, 3, &st);
	tap_ok(st.median == 3 && st.ci_lo == 1 && st.ci_hi == 5,
	       "stats of 3 samples: the interval is the whole range");
}

static void test_desc(void)
{
	bnn_problem_t p, q;
	char err[512];
	int rc = bnn_problem_parse("conv h=56 c=128 k=128 pad=1", "t", &p, err, sizeof(err));
	tap_ok(rc == 0 && !strcmp(p.canonical, "conv n=1 h=56 w=56 c=128 k=128 kh=3 kw=3 stride=1 "
				  "pad=1 pad_value=0 dil=1 groups=1"),
	       "conv defaults fill the canonical form: %s", p.canonical);
	tap_ok(p.d.conv.oh == 56 && p.d.conv.ow == 56, "conv output size derived");
	rc = bnn_problem_parse(p.canonical, "t", &q, err, sizeof(err));
	tap_ok(rc == 0 && !strcmp(p.canonical, q.canonical) && !strcmp(p.name, q.name),
	       "the canonical form parses back to itself");
	rc = bnn_problem_parse("xnor   k=8 c=3 h=9 w=7 kw=1 stride=2 dil=2 pad=2 mode=released "
			       "name=my.layer-1", "t", &p, err, sizeof(err));
	tap_ok(rc == 0 && !strcmp(p.name, "my.layer-1") && p.d.conv.oh == 5 && p.d.conv.ow == 6 &&
	       !strcmp(p.canonical, "xnor mode=released n=1 h=9 w=7 c=3 k=8 kh=3 kw=1 stride=2 "
		       "pad=2 pad_value=0 dil=2 groups=1"),
	       "keys in any order, name=, non-square sizes: %s -> %lldx%lld", p.canonical,
	       (long long)p.d.conv.oh, (long long)p.d.conv.ow);
	rc = bnn_problem_parse("gemm k=129 m=64 n=1", "t", &p, err, sizeof(err));
	tap_ok(rc == 0 && !strcmp(p.canonical, "gemm m=64 n=1 k=129") &&
	       !strcmp(p.name, "gemm_m64_n1_k129"), "gemm canonical form and derived name");
	rc = bnn_problem_parse("bwn h=5 c=2 k=2 groups=2 kh=1", "here:7", &p, err, sizeof(err));
	tap_ok(rc == 0 && !strstr(p.canonical, "pad_value"), "bwn has no pad_value key");
	rc = bnn_problem_parse("conv h=5 c=4 k=2 groups=3", "here:7", &p, err, sizeof(err));
	tap_ok(rc < 0 && !strncmp(err, "here:7: field 'groups'", 22), "errors start with origin "
	       "and field: %s", err);
}

/* The input rule (check.h) holds for generated data, and catches each fault. */
static void test_input_rule(void)
{
	static float x[1 << 16];
	bnn_rng_t rng;
	const char *why = NULL;
	bnn_rng_init(&rng, 7);
	bnn_fill_activations(&rng, x, sizeof(x) / sizeof(x[0]));
	tap_ok(bnn_first_bad_input(x, sizeof(x) / sizeof(x[0]), NULL) == sizeof(x) / sizeof(x[0]),
	       "generated activations keep the input rule");
	x[100] = NAN;
	tap_ok(bnn_first_bad_input(x, 200, &why) == 100 && !strcmp(why, "NaN"),
	       "the input rule finds a NaN");
	x[100] = -INFINITY;
	tap_ok(bnn_first_bad_input(x, 200, &why) == 100 && !strcmp(why, "infinite"),
	       "the input rule finds an infinity");
	x[100] = 0x1p40f;
	x[101] = -0x1.000002p40f;
	tap_ok(bnn_first_bad_input(x, 200, &why) == 101 && strstr(why, "2^40"),
	       "2^40 is allowed, the next float above is not");
}

int main(void)
{
	tap_plan(12 + 2 + 7 + 4);
	test_check();
	test_stats();
	test_desc();
	test_input_rule();
	return tap_exit();
}
