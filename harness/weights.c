/*
 * Trained ReActNet-A weights from .safetensors: see weights.h. The file is
 * mapped read-only, its JSON header parsed by Jansson and checked whole,
 * then each tensor is converted into its array of the arena.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <jansson.h>
#include "check.h"
#include "weights.h"

/* The reference implementation refuses larger headers; so do we, before
 * handing Jansson a buffer that size. */
#define HEADER_MAX 100000000u
#define MAX_DIMS 8
#define MAX_WANTS 512
#define PREFIX "module."

float bnn_f16_to_float(uint16_t h)
{
	uint32_t sign = (uint32_t)(h >> 15) << 31, e = (h >> 10) & 0x1f, m = h & 0x3ff, bits;
	if (e == 0x1f) {
		bits = sign | 0x7f800000u | (m << 13);
	} else if (e != 0) {
		bits = sign | ((e + 127 - 15) << 23) | (m << 13);
	} else {
		/* Zero or subnormal: m * 2^-24 is exact in float. */
		float v = (float)m * 0x1p-24f;
		return sign ? -v : v;
	}
	float f;
	memcpy(&f, &bits, sizeof(f));
	return f;
}

float bnn_bf16_to_float(uint16_t b)
{
	uint32_t bits = (uint32_t)b << 16;
	float f;
	memcpy(&f, &bits, sizeof(f));
	return f;
}

enum { KIND_FLOAT, KIND_INT, KIND_OTHER };

/* The safetensors dtypes whose element size we know. */
static const struct {
	const char *name;
	int size, kind;
} dtypes[] = {
	{ "F32", 4, KIND_FLOAT },     { "F16", 2, KIND_FLOAT },  { "BF16", 2, KIND_FLOAT },
	{ "F64", 8, KIND_OTHER },     { "I64", 8, KIND_INT },    { "I32", 4, KIND_INT },
	{ "I16", 2, KIND_INT },       { "I8", 1, KIND_INT },     { "U64", 8, KIND_INT },
	{ "U32", 4, KIND_INT },       { "U16", 2, KIND_INT },    { "U8", 1, KIND_INT },
	{ "BOOL", 1, KIND_OTHER },    { "F8_E4M3", 1, KIND_OTHER },
	{ "F8_E5M2", 1, KIND_OTHER },
};
enum { DT_F32, DT_F16, DT_BF16 };

/* One tensor of the file, as its header entry describes it. */
typedef struct {
	const char *name;            /* the JSON key, valid while the root lives */
	int dtype;                   /* index in dtypes */
	int ndim;
	int64_t shape[MAX_DIMS];
	uint64_t numel, begin, end;  /* offsets into the data section */
	int used;
} st_tensor_t;

/* How a tensor's elements go into our array. */
enum { MAP_COPY, MAP_NEG, MAP_OIHW };

/* One tensor the network needs (or, for num_batches_tracked, tolerates). */
typedef struct {
	char name[64];               /* without the prefix */
	char alt[64];                /* a second accepted name, or "" */
	int ndim;
	int64_t shape[4];
	int flat_ok;                 /* also as [numel, 1] (HardBinaryConv) */
	int counter;                 /* num_batches_tracked: optional, ignored */
	int is_var;                  /* running_var: must not be negative */
	int map;
	float *dst;
	st_tensor_t *t;
} want_t;

typedef struct {
	const char *path;
	char *err;
	size_t errlen;
	want_t want[MAX_WANTS];
	int nwant;
	bnn_weights_t *w;
} load_t;

/* Writes "path: message" into the caller's buffer; returns code. */
static int fail(load_t *L, int code, const char *fmt, ...)
{
	if (L->err && L->errlen) {
		int n = snprintf(L->err, L->errlen, "%s: ", L->path);
		if (n >= 0 && (size_t)n < L->errlen) {
			va_list ap;
			va_start(ap, fmt);
			vsnprintf(L->err + n, L->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return code;
}

/* "[a, b, c]" for messages. */
static void shape_str(char *s, size_t len, int ndim, const int64_t *shape)
{
	size_t n = (size_t)snprintf(s, len, "[");
	for (int i = 0; i < ndim && n < len; i++)
		n += (size_t)snprintf(s + n, len - n, "%s%lld", i ? ", " : "", (long long)shape[i]);
	if (n < len)
		snprintf(s + n, len - n, "]");
}

/* The next n floats of the arena, sized beforehand by net_floats. */
static float *take(bnn_weights_t *w, int64_t n)
{
	float *p = w->arena + w->used;
	w->used += (size_t)n;
	return p;
}

static int64_t net_floats(const bnn_rnet_shape_t *r)
{
	const int64_t sc = BNN_RNET_STEM_C;
	int64_t n = 27 * sc + 4 * sc + BNN_RNET_FC_IN * BNN_RNET_CLASSES + BNN_RNET_CLASSES;
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(r, i);
		n += b.c * (9 * b.c + b.k) + 9 * b.c + 7 * b.k;
	}
	return n;
}

static want_t *add(load_t *L, const char *name, int ndim, const int64_t *shape, int map,
		   float *dst)
{
	/* The network has under 400 tensors: only a bug can overflow. */
	assert(L->nwant < MAX_WANTS);
	want_t *x = &L->want[L->nwant++];
	memset(x, 0, sizeof(*x));
	snprintf(x->name, sizeof(x->name), "%s", name);
	x->ndim = ndim;
	if (ndim)   /* a scalar passes no shape: memcpy wants a pointer even for 0 bytes */
		memcpy(x->shape, shape, (size_t)ndim * sizeof(int64_t));
	x->map = map;
	x->dst = dst;
	return x;
}

/* LearnableBias: a [1, c, 1, 1] parameter named m.bias. */
static void add_bias(load_t *L, const char *m, int64_t c, int map, float *dst)
{
	char name[64];
	snprintf(name, sizeof(name), "%s.bias", m);
	add(L, name, 4, (int64_t[]){ 1, c, 1, 1 }, map, dst);
}

static void add_vec(load_t *L, const char *m, const char *field, int64_t c, float *dst)
{
	char name[64];
	snprintf(name, sizeof(name), "%s.%s", m, field);
	add(L, name, 1, (int64_t[]){ c }, MAP_COPY, dst);
}

/* BatchNorm2d m into the c floats at gamma, beta, mean and var (a slice of
 * the block's arrays); its num_batches_tracked is optional and ignored. */
static void add_bn(load_t *L, const char *m, int64_t c, float *gamma, float *beta, float *mean,
		   float *var)
{
	char name[64];
	add_vec(L, m, "weight", c, gamma);
	add_vec(L, m, "bias", c, beta);
	add_vec(L, m, "running_mean", c, mean);
	add_vec(L, m, "running_var", c, var);
	L->want[L->nwant - 1].is_var = 1;
	snprintf(name, sizeof(name), "%s.num_batches_tracked", m);
	add(L, name, 0, NULL, MAP_COPY, NULL)->counter = 1;
}

static void take_bn(bnn_weights_t *w, int64_t c, bnn_bn_t *bn, float **g, float **b, float **m,
		    float **v)
{
	*g = take(w, c), *b = take(w, c), *m = take(w, c), *v = take(w, c);
	*bn = (bnn_bn_t){ *g, *b, *m, *v };
}

/* HardBinaryConv m: official parameter m.weights, [o*i*kh*kw, 1] flat in
 * OIHW order; m.weight [o, i, kh, kw] is accepted too (a reshaped export). */
static void add_bconv(load_t *L, const char *m, int64_t o, int64_t i, int64_t k, float *dst)
{
	char name[64];
	snprintf(name, sizeof(name), "%s.weights", m);
	want_t *x = add(L, name, 4, (int64_t[]){ o, i, k, k }, k == 1 ? MAP_COPY : MAP_OIHW, dst);
	snprintf(x->alt, sizeof(x->alt), "%s.weight", m);
	x->flat_ok = 1;
}

/* The whole table of ReActNet-A's tensors, each with its place in w. */
static void build_wants(load_t *L, const bnn_rnet_shape_t *r)
{
	bnn_weights_t *w = L->w;
	bnn_rnet_params_t *p = &w->net;
	const int64_t sc = BNN_RNET_STEM_C;
	float *g, *b, *m, *v;
	char mod[40];

	float *stem = take(w, 27 * sc);
	p->stem_w = stem;
	add(L, "feature.0.conv1.weight", 4, (int64_t[]){ sc, 3, 3, 3 }, MAP_OIHW, stem);
	take_bn(w, sc, &p->stem_bn, &g, &b, &m, &v);
	add_bn(L, "feature.0.bn1", sc, g, b, m, v);

	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t s = bnn_rnet_block(r, i);
		bnn_rblock_params_t *q = &p->block[i];
		int64_t c = s.c, k = s.k;
		char f[16];
		snprintf(f, sizeof(f), "feature.%d", i + 1);
		float *rs1 = take(w, c), *w3 = take(w, 9 * c * c);
		float *rs2 = take(w, c), *w1 = take(w, k * c);
		q->rsign1 = rs1, q->w3 = w3, q->rsign2 = rs2, q->w1 = w1;

		snprintf(mod, sizeof(mod), "%s.move11", f);
		add_bias(L, mod, c, MAP_COPY, rs1);
		snprintf(mod, sizeof(mod), "%s.binary_3x3", f);
		add_bconv(L, mod, c, c, 3, w3);
		take_bn(w, c, &q->bn1, &g, &b, &m, &v);
		snprintf(mod, sizeof(mod), "%s.bn1", f);
		add_bn(L, mod, c, g, b, m, v);

		float *g1 = take(w, c), *sl1 = take(w, c), *z1 = take(w, c);
		q->rp1 = (bnn_rprelu_t){ g1, sl1, z1 };
		snprintf(mod, sizeof(mod), "%s.move12", f);
		add_bias(L, mod, c, MAP_NEG, g1);
		snprintf(mod, sizeof(mod), "%s.prelu1", f);
		add_vec(L, mod, "weight", c, sl1);
		snprintf(mod, sizeof(mod), "%s.move13", f);
		add_bias(L, mod, c, MAP_COPY, z1);

		snprintf(mod, sizeof(mod), "%s.move21", f);
		add_bias(L, mod, c, MAP_COPY, rs2);
		take_bn(w, k, &q->bn2, &g, &b, &m, &v);
		if (k == c) {
			snprintf(mod, sizeof(mod), "%s.binary_pw", f);
			add_bconv(L, mod, c, c, 1, w1);
			snprintf(mod, sizeof(mod), "%s.bn2", f);
			add_bn(L, mod, c, g, b, m, v);
		} else {
			/* Reduction: the two halves of the concat, in order. */
			for (int h = 0; h < 2; h++) {
				snprintf(mod, sizeof(mod), "%s.binary_pw_down%d", f, h + 1);
				add_bconv(L, mod, c, c, 1, w1 + h * c * c);
				snprintf(mod, sizeof(mod), "%s.bn2_%d", f, h + 1);
				add_bn(L, mod, c, g + h * c, b + h * c, m + h * c,
				       v + h * c);
			}
		}

		float *g2 = take(w, k), *sl2 = take(w, k), *z2 = take(w, k);
		q->rp2 = (bnn_rprelu_t){ g2, sl2, z2 };
		snprintf(mod, sizeof(mod), "%s.move22", f);
		add_bias(L, mod, k, MAP_NEG, g2);
		snprintf(mod, sizeof(mod), "%s.prelu2", f);
		add_vec(L, mod, "weight", k, sl2);
		snprintf(mod, sizeof(mod), "%s.move23", f);
		add_bias(L, mod, k, MAP_COPY, z2);
	}

	float *fc = take(w, BNN_RNET_FC_IN * BNN_RNET_CLASSES), *bias = take(w, BNN_RNET_CLASSES);
	p->fc_w = fc, p->fc_b = bias;
	add(L, "fc.weight", 2, (int64_t[]){ BNN_RNET_CLASSES, BNN_RNET_FC_IN }, MAP_COPY, fc);
	add(L, "fc.bias", 1, (int64_t[]){ BNN_RNET_CLASSES }, MAP_COPY, bias);
}

/* A JSON integer in [0, max], or -1. */
static int64_t json_count(const json_t *v, int64_t max)
{
	if (!json_is_integer(v))
		return -1;
	json_int_t x = json_integer_value(v);
	return x < 0 || x > max ? -1 : (int64_t)x;
}

/* Checks one header entry against the data section of dsize bytes and fills t. */
static int parse_entry(load_t *L, const char *key, json_t *v, uint64_t dsize, st_tensor_t *t)
{
	memset(t, 0, sizeof(*t));
	t->name = key;
	if (!json_is_object(v))
		return fail(L, -EINVAL, "header entry '%s' is not an object", key);
	json_t *dt = json_object_get(v, "dtype"), *sh = json_object_get(v, "shape");
	json_t *off = json_object_get(v, "data_offsets");
	if (!json_is_string(dt))
		return fail(L, -EINVAL, "tensor '%s' has no \"dtype\" string", key);
	t->dtype = -1;
	for (size_t i = 0; i < sizeof(dtypes) / sizeof(dtypes[0]); i++)
		if (strcmp(json_string_value(dt), dtypes[i].name) == 0)
			t->dtype = (int)i;
	if (t->dtype < 0)
		return fail(L, -EINVAL, "tensor '%s' has unknown dtype \"%s\"", key,
			    json_string_value(dt));
	if (!json_is_array(sh) || json_array_size(sh) > MAX_DIMS)
		return fail(L, -EINVAL, "tensor '%s': \"shape\" is not an array of up to %d sizes",
			    key, MAX_DIMS);
	t->ndim = (int)json_array_size(sh);
	t->numel = 1;
	for (int i = 0; i < t->ndim; i++) {
		/* 2^40 elements is far past any file we can map; it keeps the
		 * products below from overflowing. */
		t->shape[i] = json_count(json_array_get(sh, (size_t)i), (int64_t)1 << 40);
		if (t->shape[i] < 0)
			return fail(L, -EINVAL, "tensor '%s': shape entry %d is not a size", key, i);
		/* Checked before it wraps: [2^40, 2^40] is not 0 elements. */
		if (__builtin_mul_overflow(t->numel, (uint64_t)t->shape[i], &t->numel) ||
		    t->numel > (uint64_t)1 << 40)
			return fail(L, -EINVAL, "tensor '%s' has too many elements (over 2^40)", key);
	}
	if (!json_is_array(off) || json_array_size(off) != 2)
		return fail(L, -EINVAL, "tensor '%s': \"data_offsets\" is not [begin, end]", key);
	int64_t b = json_count(json_array_get(off, 0), INT64_MAX);
	int64_t e = json_count(json_array_get(off, 1), INT64_MAX);
	if (b < 0 || e < 0 || e < b)
		return fail(L, -EINVAL, "tensor '%s': data_offsets are not 0 <= begin <= end", key);
	t->begin = (uint64_t)b, t->end = (uint64_t)e;
	if (t->end > dsize)
		return fail(L, -EINVAL,
			    "tensor '%s': data_offsets [%llu, %llu] run past the data section "
			    "(%llu bytes; file truncated?)",
			    key, (unsigned long long)t->begin, (unsigned long long)t->end,
			    (unsigned long long)dsize);
	uint64_t want = t->numel * (uint64_t)dtypes[t->dtype].size;
	if (t->end - t->begin != want) {
		char s[160];
		shape_str(s, sizeof(s), t->ndim, t->shape);
		return fail(L, -EINVAL,
			    "tensor '%s': data_offsets [%llu, %llu] hold %llu bytes, but %s %s "
			    "takes %llu",
			    key, (unsigned long long)t->begin, (unsigned long long)t->end,
			    (unsigned long long)(t->end - t->begin), dtypes[t->dtype].name, s,
			    (unsigned long long)want);
	}
	return 0;
}

static int by_offset(const void *a, const void *b)
{
	const st_tensor_t *x = *(st_tensor_t *const *)a, *y = *(st_tensor_t *const *)b;
	if (x->begin != y->begin)
		return x->begin < y->begin ? -1 : 1;
	return (x->end > y->end) - (x->end < y->end);
}

/* The format wants the tensors to tile the data section: no overlap (one
 * byte read as two tensors), no hole and nothing after the last. */
static int check_tiling(load_t *L, st_tensor_t *t, int nt, uint64_t dsize)
{
	st_tensor_t **s = malloc((size_t)(nt ? nt : 1) * sizeof(*s));
	if (!s)
		return fail(L, -ENOMEM, "out of memory");
	for (int i = 0; i < nt; i++)
		s[i] = &t[i];
	qsort(s, (size_t)nt, sizeof(*s), by_offset);
	int rc = 0;
	uint64_t at = 0;
	for (int i = 0; i < nt && rc == 0; i++) {
		if (s[i]->begin < at)
			rc = fail(L, -EINVAL, "tensors '%s' and '%s' overlap in the data section",
				  s[i - 1]->name, s[i]->name);
		else if (s[i]->begin > at)
			rc = fail(L, -EINVAL,
				  "bytes [%llu, %llu) of the data section belong to no tensor",
				  (unsigned long long)at, (unsigned long long)s[i]->begin);
		at = s[i]->end;
	}
	if (rc == 0 && at != dsize)
		rc = fail(L, -EINVAL,
			  "the data section has %llu bytes, the tensors end at %llu",
			  (unsigned long long)dsize, (unsigned long long)at);
	free(s);
	return rc;
}

/* __metadata__ is a str -> str map; its contents are not ours to judge. */
static int check_metadata(load_t *L, json_t *v)
{
	const char *k;
	json_t *x;
	if (!json_is_object(v))
		return fail(L, -EINVAL, "\"__metadata__\" is not an object");
	json_object_foreach(v, k, x)
		if (!json_is_string(x))
			return fail(L, -EINVAL, "\"__metadata__\" entry '%s' is not a string", k);
	return 0;
}

static st_tensor_t *find(st_tensor_t *t, int nt, const char *prefix, const char *name)
{
	size_t pl = strlen(prefix);
	for (int i = 0; i < nt; i++)
		if (strncmp(t[i].name, prefix, pl) == 0 && strcmp(t[i].name + pl, name) == 0)
			return &t[i];
	return NULL;
}

/* Pairs every wanted tensor with the file's, then checks dtypes and shapes. */
static int match(load_t *L, st_tensor_t *t, int nt)
{
	/* All names prefixed by nn.DataParallel, or none. */
	int with = -1, without = -1;
	for (int i = 0; i < nt; i++) {
		if (strncmp(t[i].name, PREFIX, strlen(PREFIX)) == 0)
			with = with < 0 ? i : with;
		else
			without = without < 0 ? i : without;
	}
	if (with >= 0 && without >= 0)
		return fail(L, -EINVAL,
			    "mixed names: '%s' has the \"" PREFIX "\" prefix, '%s' has not",
			    t[with].name, t[without].name);
	const char *prefix = with >= 0 ? PREFIX : "";

	int missing = 0, params = 0;
	want_t *first_missing = NULL;
	for (int j = 0; j < L->nwant; j++) {
		want_t *x = &L->want[j];
		st_tensor_t *a = find(t, nt, prefix, x->name);
		st_tensor_t *b = x->alt[0] ? find(t, nt, prefix, x->alt) : NULL;
		if (a && b)
			return fail(L, -EINVAL, "both '%s' and '%s' are present: one is one too many",
				    a->name, b->name);
		x->t = a ? a : b;
		params += !x->counter;
		if (x->t)
			x->t->used = 1;
		else if (!x->counter && missing++ == 0)
			first_missing = x;
	}
	for (int i = 0; i < nt; i++)
		if (!t[i].used)
			return fail(L, -EINVAL, "unknown tensor '%s' (not a parameter of ReActNet-A)",
				    t[i].name);
	if (missing)
		return fail(L, -EINVAL,
			    "tensor '%s%s' is missing (%d of the network's %d parameter tensors are)",
			    prefix, first_missing->name, missing, params);

	for (int j = 0; j < L->nwant; j++) {
		want_t *x = &L->want[j];
		st_tensor_t *f = x->t;
		if (!f)
			continue;
		int kind = dtypes[f->dtype].kind;
		if (x->counter ? kind != KIND_INT : kind != KIND_FLOAT)
			return fail(L, -EINVAL, "tensor '%s' has dtype %s, expected %s", f->name,
				    dtypes[f->dtype].name,
				    x->counter ? "an integer dtype" : "F32, F16 or BF16");
		int same = f->ndim == x->ndim;
		for (int d = 0; same && d < x->ndim; d++)
			same = f->shape[d] == x->shape[d];
		uint64_t n = 1;
		for (int d = 0; d < x->ndim; d++)
			n *= (uint64_t)x->shape[d];
		if (x->flat_ok && f->ndim == 2 && (uint64_t)f->shape[0] == n && f->shape[1] == 1)
			same = 1;
		if (!same) {
			char got[160], exp[160], flat[64] = "";
			shape_str(got, sizeof(got), f->ndim, f->shape);
			shape_str(exp, sizeof(exp), x->ndim, x->shape);
			if (x->flat_ok)
				snprintf(flat, sizeof(flat), " or [%llu, 1]", (unsigned long long)n);
			return fail(L, -EINVAL, "tensor '%s' has shape %s, expected %s%s", f->name, got,
				    exp, flat);
		}
	}
	return 0;
}

/* Element j of tensor t (a float dtype) in the data section at d. */
static inline float element(const st_tensor_t *t, const unsigned char *d, uint64_t j)
{
	const unsigned char *p = d + t->begin;
	switch (t->dtype) {
	case DT_F32: {
		p += 4 * j;
		uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
			     (uint32_t)p[3] << 24;
		float f;
		memcpy(&f, &u, sizeof(f));
		return f;
	}
	case DT_F16:
		p += 2 * j;
		return bnn_f16_to_float((uint16_t)(p[0] | p[1] << 8));
	default:
		p += 2 * j;
		return bnn_bf16_to_float((uint16_t)(p[0] | p[1] << 8));
	}
}

/* Copies a matched tensor into its array, in our layout, checking values. */
static int convert(load_t *L, const want_t *x, const unsigned char *d)
{
	const st_tensor_t *t = x->t;
	int64_t ci = x->ndim == 4 ? x->shape[1] : 1;
	int64_t kh = x->ndim == 4 ? x->shape[2] : 1, kw = x->ndim == 4 ? x->shape[3] : 1;
	for (uint64_t j = 0; j < t->numel; j++) {
		float v = element(t, d, j);
		const char *why = NULL;
		if (bnn_first_bad_input(&v, 1, &why) == 0)   /* the input rule, check.h */
			return fail(L, -EINVAL, "tensor '%s': element %llu is %s: weights must be "
				    "finite and at most 2^40 in magnitude", t->name,
				    (unsigned long long)j, why);
		if (x->is_var && v < 0)
			return fail(L, -EINVAL, "tensor '%s': element %llu is negative (%g)",
				    t->name, (unsigned long long)j, (double)v);
		uint64_t at = j;
		if (x->map == MAP_OIHW) {
			/* j = ((oo * ci + c) * kh + y) * kw + xx, OIHW; ours is OHWI. */
			int64_t xx = (int64_t)j % kw, y = (int64_t)j / kw % kh;
			int64_t c = (int64_t)j / (kw * kh) % ci, oo = (int64_t)j / (kw * kh * ci);
			at = (uint64_t)(((oo * kh + y) * kw + xx) * ci + c);
		}
		x->dst[at] = x->map == MAP_NEG ? -v : v;
	}
	return 0;
}

int bnn_rnet_weights_load(const char *path, const bnn_rnet_shape_t *r, bnn_weights_t *w,
			  char *err, size_t errlen)
{
	load_t *L = calloc(1, sizeof(*L));
	unsigned char *map = MAP_FAILED;
	size_t size = 0;
	json_t *root = NULL;
	st_tensor_t *t = NULL;
	int rc = 0, fd = -1, nt = 0;

	memset(w, 0, sizeof(*w));
	if (err && errlen)
		err[0] = '\0';
	if (!L) {
		if (err && errlen)
			snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	L->path = path, L->err = err, L->errlen = errlen, L->w = w;

	struct stat st;
	/* O_NONBLOCK: a FIFO would block open() until a writer came. */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		fail(L, rc, "cannot open: %s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = fail(L, -EINVAL, "not a regular file");
		goto out;
	}
	size = (size_t)st.st_size;
	if (size < 8) {
		rc = fail(L, -EINVAL, "%zu bytes: too short for the 8-byte header length", size);
		goto out;
	}
	map = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		rc = -errno;
		fail(L, rc, "cannot map %zu bytes: %s", size, strerror(errno));
		goto out;
	}

	uint64_t hlen = 0;
	for (int i = 7; i >= 0; i--)
		hlen = hlen << 8 | map[i];
	if (hlen > size - 8) {
		rc = fail(L, -EINVAL, "header length %llu runs past the end of the file (%zu bytes)",
			  (unsigned long long)hlen, size);
		goto out;
	}
	if (hlen > HEADER_MAX) {
		rc = fail(L, -EINVAL, "header length %llu is over the format's limit of %u bytes",
			  (unsigned long long)hlen, HEADER_MAX);
		goto out;
	}
	json_error_t je;
	root = json_loadb((const char *)map + 8, (size_t)hlen, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		rc = fail(L, -EINVAL, "header JSON, line %d, column %d: %s", je.line, je.column,
			  je.text);
		goto out;
	}
	if (!json_is_object(root)) {
		rc = fail(L, -EINVAL, "the header is not a JSON object");
		goto out;
	}

	const unsigned char *data = map + 8 + hlen;
	uint64_t dsize = size - 8 - hlen;
	t = calloc(json_object_size(root) + 1, sizeof(*t));
	if (!t) {
		rc = fail(L, -ENOMEM, "out of memory");
		goto out;
	}
	const char *key;
	json_t *val;
	json_object_foreach(root, key, val) {
		if (strcmp(key, "__metadata__") == 0)
			rc = check_metadata(L, val);
		else
			rc = parse_entry(L, key, val, dsize, &t[nt++]);
		if (rc)
			goto out;
	}
	if ((rc = check_tiling(L, t, nt, dsize)) != 0)
		goto out;

	int64_t floats = net_floats(r);
	w->arena = malloc((size_t)floats * sizeof(float));
	if (!w->arena) {
		rc = fail(L, -ENOMEM, "out of memory for %lld weights", (long long)floats);
		goto out;
	}
	w->cap = (size_t)floats;
	build_wants(L, r);
	assert(w->used == w->cap);
	if ((rc = match(L, t, nt)) != 0)
		goto out;
	for (int j = 0; j < L->nwant; j++)
		if (L->want[j].t && !L->want[j].counter && (rc = convert(L, &L->want[j], data)) != 0)
			goto out;
out:
	if (rc)
		bnn_weights_free(w);
	free(t);
	json_decref(root);
	if (map != MAP_FAILED)
		munmap(map, size);
	if (fd >= 0)
		close(fd);
	free(L);
	return rc;
}
