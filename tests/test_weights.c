/*
 * The safetensors loader (harness/weights.c): the F16 and BF16 conversions,
 * then files that tests/safetensors_gen.py writes: two valid ones (mixed
 * F32/F16/BF16 under the official names; F32 with the "module." prefix and
 * reshaped binary conv weights) whose every value is checked against the
 * generator's formula in our layouts, and files broken one way each, which
 * must fail with a message naming the problem and leave nothing allocated.
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "tap.h"
#include "weights.h"

/* The generator's formula (safetensors_gen.py): element j of NAME. */
static uint32_t fnv1a32(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* Hashing the name once per tensor keeps the 29M checks quick. */
typedef struct {
	uint32_t h;
	int var;
} fkey_t;

static fkey_t fkey(const char *name)
{
	size_t n = strlen(name);
	return (fkey_t){ fnv1a32(name), n > 11 && strcmp(name + n - 11, "running_var") == 0 };
}

static float formula(fkey_t k, int64_t j)
{
	int64_t q = (int64_t)(((uint64_t)k.h + 37 * (uint64_t)j) % 509) - 254;
	float v = (float)q / 128.0f;
	return k.var ? fabsf(v) : v;
}

typedef struct {
	int64_t checked, bad;
	char first[256];
} tally_t;

static void expect(tally_t *t, const char *what, int64_t at, float got, float want)
{
	t->checked++;
	if (got != want && t->bad++ == 0)
		snprintf(t->first, sizeof(t->first), "%s[%lld] = %g, expected %g", what,
			 (long long)at, (double)got, (double)want);
}

/* arr[i] == sign * formula(m.field, i - off) for i in [off, off + n). */
static void vec(tally_t *t, const float *arr, int64_t off, int64_t n, const char *m,
		const char *field, float sign)
{
	char name[96];
	snprintf(name, sizeof(name), "%s.%s", m, field);
	fkey_t k = fkey(name);
	for (int64_t i = 0; i < n; i++)
		expect(t, name, off + i, arr[off + i], sign * formula(k, i));
}

static void bn(tally_t *t, const bnn_bn_t *b, int64_t off, int64_t c, const char *m)
{
	vec(t, b->gamma, off, c, m, "weight", 1);
	vec(t, b->beta, off, c, m, "bias", 1);
	vec(t, b->mean, off, c, m, "running_mean", 1);
	vec(t, b->var, off, c, m, "running_var", 1);
}

/* OHWI w of o filters of kh x kw x c against the OIHW source NAME. */
static void ohwi(tally_t *t, const float *w, int64_t o, int64_t c, int64_t kh, int64_t kw,
		 int64_t row0, const char *name)
{
	fkey_t k = fkey(name);
	for (int64_t f = 0; f < o; f++)
		for (int64_t y = 0; y < kh; y++)
			for (int64_t x = 0; x < kw; x++)
				for (int64_t ci = 0; ci < c; ci++) {
					int64_t ours = (((row0 + f) * kh + y) * kw + x) * c + ci;
					int64_t theirs = ((f * c + ci) * kh + y) * kw + x;
					expect(t, name, ours, w[ours], formula(k, theirs));
				}
}

/* Every value of the network against the formula, in our layouts. */
static void check_net(const bnn_rnet_shape_t *r, const bnn_rnet_params_t *p, tally_t *t)
{
	memset(t, 0, sizeof(*t));
	ohwi(t, p->stem_w, 32, 3, 3, 3, 0, "feature.0.conv1.weight");
	bn(t, &p->stem_bn, 0, 32, "feature.0.bn1");
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t s = bnn_rnet_block(r, i);
		const bnn_rblock_params_t *q = &p->block[i];
		int64_t c = s.c, k = s.k;
		char f[128], m[160];
#define M(x) (snprintf(m, sizeof(m), "%s.%s", f, x), m)
		snprintf(f, sizeof(f), "feature.%d", i + 1);
		vec(t, q->rsign1, 0, c, M("move11"), "bias", 1);
		ohwi(t, q->w3, c, c, 3, 3, 0, M("binary_3x3.weights"));
		bn(t, &q->bn1, 0, c, M("bn1"));
		/* RPReLU's g is minus the LearnableBias before the PReLU. */
		vec(t, q->rp1.g, 0, c, M("move12"), "bias", -1);
		vec(t, q->rp1.slope, 0, c, M("prelu1"), "weight", 1);
		vec(t, q->rp1.z, 0, c, M("move13"), "bias", 1);
		vec(t, q->rsign2, 0, c, M("move21"), "bias", 1);
		if (k == c) {
			ohwi(t, q->w1, c, c, 1, 1, 0, M("binary_pw.weights"));
			bn(t, &q->bn2, 0, c, M("bn2"));
		} else {
			/* The concat: down1 and bn2_1 first, then down2 and bn2_2. */
			ohwi(t, q->w1, c, c, 1, 1, 0, M("binary_pw_down1.weights"));
			ohwi(t, q->w1, c, c, 1, 1, c, M("binary_pw_down2.weights"));
			bn(t, &q->bn2, 0, c, M("bn2_1"));
			bn(t, &q->bn2, c, c, M("bn2_2"));
		}
		vec(t, q->rp2.g, 0, k, M("move22"), "bias", -1);
		vec(t, q->rp2.slope, 0, k, M("prelu2"), "weight", 1);
		vec(t, q->rp2.z, 0, k, M("move23"), "bias", 1);
#undef M
	}
	vec(t, p->fc_w, 0, BNN_RNET_FC_IN * BNN_RNET_CLASSES, "fc", "weight", 1);
	vec(t, p->fc_b, 0, BNN_RNET_CLASSES, "fc", "bias", 1);
}

/* binary16 by its definition, in double. */
static double f16_ref(uint16_t h)
{
	int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
	double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
	return s ? -v : v;
}

static void test_conversions(void)
{
	int bad = 0;
	for (uint32_t h = 0; h < 65536; h++) {
		float got = bnn_f16_to_float((uint16_t)h);
		double want = f16_ref((uint16_t)h);
		int ok = isnan(want) ? isnan(got) && !!signbit(got) == !!(h >> 15)
				     : (double)got == want && !!signbit(got) == !!(h >> 15);
		if (!ok && bad++ == 0)
			printf("# f16 0x%04x: %a, expected %a\n", h, (double)got, want);
	}
	tap_ok(bad == 0, "F16 to float: all 65536 codes (zeros, subnormals, inf, NaN) exact");
	tap_ok(bnn_bf16_to_float(0x3f80) == 1.0f && bnn_bf16_to_float(0xc040) == -3.0f &&
		       bnn_bf16_to_float(0x0001) == 0x1p-133f && isinf(bnn_bf16_to_float(0x7f80)) &&
		       isnan(bnn_bf16_to_float(0xffc1)) && signbit(bnn_bf16_to_float(0x8000)) &&
		       bnn_bf16_to_float(0x3e81) == 0x1.02p-2f,
	       "BF16 to float: 1, -3, the least subnormal, inf, NaN, -0, 0x1.02p-2");
}

static const char *dir;

static char *file(const char *name)
{
	static char p[4096];
	snprintf(p, sizeof(p), "%s/%s.safetensors", dir, name);
	return p;
}

/* The arena synthetic weights take (computed once: it fills 29M values). */
static int64_t synth_cap(const bnn_rnet_shape_t *r)
{
	static int64_t cap = -1;
	if (cap >= 0)
		return cap;
	bnn_rng_t rng;
	bnn_rng_init(&rng, 1);
	bnn_weights_t s;
	if (bnn_rnet_weights_synth(r, &rng, &s) != 0)
		return -1;
	cap = (int64_t)s.cap;
	bnn_weights_free(&s);
	return cap;
}

static void test_valid(const char *name, const char *what, const bnn_rnet_shape_t *r)
{
	bnn_weights_t w;
	char err[512];
	int rc = bnn_rnet_weights_load(file(name), r, &w, err, sizeof(err));
	if (!tap_ok(rc == 0, "%s loads (rc %d%s%s)", what, rc, rc ? ": " : "", rc ? err : "")) {
		tap_ok(0, "%s: values (not loaded)", what);
		tap_ok(0, "%s: arena (not loaded)", what);
		return;
	}
	tally_t t;
	check_net(r, &w.net, &t);
	tap_ok(t.bad == 0 && t.checked == (int64_t)w.cap,
	       "%s: all %lld values in our layouts (OHWI, g = -move, down1|down2 concat) "
	       "equal the formula (%lld wrong%s%s)",
	       what, (long long)t.checked, (long long)t.bad, t.bad ? "; first " : "",
	       t.bad ? t.first : "");
	int64_t cap = synth_cap(r);
	tap_ok(w.used == w.cap && (int64_t)w.cap == cap && w.net.stem_w == w.arena &&
		       w.net.fc_b + BNN_RNET_CLASSES == w.arena + w.cap,
	       "%s: one arena of %zu floats, all used, the size synthetic weights take (%lld)",
	       what, w.cap, (long long)cap);
	bnn_weights_free(&w);
}

typedef struct {
	const char *file;
	int rc;
	const char *want[3];        /* substrings of the message */
	const char *what;
} bad_case_t;

static const bad_case_t bad_cases[] = {
	{ "missing", -EINVAL, { "'feature.7.bn1.running_mean' is missing", "(1 of the network's 266 parameter tensors are)" },
	  "a missing tensor" },
	{ "extra", -EINVAL, { "unknown tensor 'feature.1.extra.weight'" }, "an extra tensor" },
	{ "shape", -EINVAL, { "'feature.2.prelu1.weight' has shape [65], expected [64]" },
	  "a wrong shape" },
	{ "flatshape", -EINVAL,
	  { "'feature.2.binary_3x3.weights' has shape [36864, 2]",
	    "expected [64, 64, 3, 3] or [36864, 1]" },
	  "a wrong flat binary conv shape" },
	{ "dtype", -EINVAL, { "'feature.3.bn2.bias' has dtype I32, expected F32, F16 or BF16" },
	  "an integer dtype for a parameter" },
	{ "dtype64", -EINVAL, { "'fc.bias' has dtype F64" }, "F64 for a parameter" },
	{ "counterdtype", -EINVAL,
	  { "'feature.5.bn1.num_batches_tracked' has dtype F32, expected an integer dtype" },
	  "a float num_batches_tracked" },
	{ "baddtype", -EINVAL, { "'feature.9.prelu2.weight' has unknown dtype \"Q4\"" },
	  "an unknown dtype" },
	{ "mixed", -EINVAL, { "mixed names", "'module.feature.4.", "has the \"module.\" prefix" },
	  "mixed prefixes" },
	{ "both", -EINVAL,
	  { "both 'feature.7.binary_pw.weights' and 'feature.7.binary_pw.weight'" },
	  "a binary conv under both names" },
	{ "truncated", -EINVAL, { "'fc.bias': data_offsets", "run past the data section",
				  "truncated" },
	  "truncated data" },
	{ "hlen", -EINVAL, { "header length", "runs past the end of the file" },
	  "a header length beyond the file" },
	{ "short", -EINVAL, { "5 bytes: too short" }, "a 5-byte file" },
	{ "json", -EINVAL, { "header JSON, line 4, column" },
	  "malformed JSON (a comma missing at the end of line 3, seen on line 4)" },
	{ "notobject", -EINVAL, { "not a JSON object" }, "a header that is not an object" },
	{ "duplicate", -EINVAL, { "header JSON", "duplicate", "fc.bias" }, "a duplicate name" },
	{ "metadata", -EINVAL, { "\"__metadata__\" entry 'format' is not a string" },
	  "non-string metadata" },
	{ "range", -EINVAL, { "'fc.bias': data_offsets", "run past the data section" },
	  "data_offsets out of range" },
	{ "offsize", -EINVAL, { "'fc.bias': data_offsets", "hold 3996 bytes, but F32 [1000] takes 4000" },
	  "data_offsets not matching the shape" },
	{ "overlap", -EINVAL, { "'feature.1.move12.bias' overlap" }, "overlapping tensors" },
	{ "trailing", -EINVAL, { "the tensors end at" }, "bytes after the last tensor" },
	{ "nan", -EINVAL, { "'fc.weight': element 777 is NaN" }, "a NaN weight" },
	{ "negvar", -EINVAL, { "'feature.8.bn2.running_var': element 3 is negative" },
	  "a negative running_var" },
	{ "nosuchfile", -ENOENT, { "cannot open" }, "a file that does not exist" },
};

static void test_bad(const bad_case_t *c, const bnn_rnet_shape_t *r)
{
	bnn_weights_t w;
	char err[512];
	const char *path = file(c->file);
	int rc = bnn_rnet_weights_load(path, r, &w, err, sizeof(err));
	int ok = rc == c->rc && strstr(err, path) == err && !w.arena && !w.cap && !w.used &&
		 !w.net.fc_w;
	for (int i = 0; i < 3 && c->want[i]; i++)
		ok = ok && strstr(err, c->want[i]);
	tap_ok(ok, "%s: rc %d, w empty, message: %s", c->what, rc, err);
}

/* Runs the generator with the first python3 that has numpy. */
static int generate(void)
{
	const char *env = getenv("PYTHON3"), *src = getenv("srcdir");
	const char *cand[] = { env && *env ? env : "python3", "/usr/bin/python3", "python3" };
	char cmd[8192];
	for (int i = 0; i < 3; i++) {
		snprintf(cmd, sizeof(cmd), "'%s' -c 'import numpy' 2>/dev/null", cand[i]);
		if (system(cmd) != 0)
			continue;
		snprintf(cmd, sizeof(cmd), "'%s' '%s/tests/safetensors_gen.py' '%s'", cand[i],
			 src && *src ? src : ".", dir);
		return system(cmd) == 0 ? 0 : -1;
	}
	return 1;
}

static void cleanup(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char p[4096];
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
			unlink(p);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

int main(void)
{
	const int ncases = (int)(sizeof(bad_cases) / sizeof(bad_cases[0]));
	tap_plan(2 + 1 + 6 + ncases + 1);
	test_conversions();

	static char tmpl[4096];
	const char *tmp = getenv("TMPDIR");
	snprintf(tmpl, sizeof(tmpl), "%s/bnnbench-weights.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	dir = mkdtemp(tmpl);
	if (!dir) {
		tap_ok(0, "temporary directory: %s", strerror(errno));
		return tap_exit();
	}
	int g = generate();
	if (g != 0) {
		cleanup();
		for (int i = 0; i < 1 + 6 + ncases + 1; i++)
			if (g > 0)
				printf("ok %d - # SKIP no python3 with numpy to write the test files\n",
				       ++tap_n);
			else
				tap_ok(0, "tests/safetensors_gen.py failed");
		return tap_exit();
	}
	tap_ok(1, "tests/safetensors_gen.py wrote the files");

	/* The channels do not depend on the resolution: one shape is enough
	 * to load into, two show it. */
	bnn_rnet_shape_t r224 = { 1, 224, 224 }, r64 = { 8, 64, 64 };
	test_valid("full", "mixed F32/F16/BF16, official names, metadata", &r224);
	test_valid("module", "F32, module. prefix, [o, i, kh, kw] binary convs", &r64);
	for (int i = 0; i < ncases; i++)
		test_bad(&bad_cases[i], &r224);

	/* No message buffer: still an error code, and no crash. */
	bnn_weights_t w;
	int rc = bnn_rnet_weights_load(file("missing"), &r224, &w, NULL, 0);
	tap_ok(rc == -EINVAL && !w.arena, "no message buffer: rc %d, w empty", rc);
	cleanup();
	return tap_exit();
}
