/* Descriptor parsing, validation and canonical printing. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bnn_kernels.h"
#include "desc.h"

enum { K_M, K_N, K_K, K_H, K_W, K_C, K_KH, K_KW, K_STRIDE, K_PAD, K_PADV, K_DIL, K_GROUPS,
       K_MODE, K_NAME, K_COUNT };

#define OP_BIT(op) (1 << (op))
#define OPS_GEMM OP_BIT(BNN_OP_GEMM)
#define OPS_CONVS (OP_BIT(BNN_OP_CONV) | OP_BIT(BNN_OP_BWN) | OP_BIT(BNN_OP_XNOR))
#define OPS_RB OP_BIT(BNN_OP_RBLOCK)
#define OPS_RN OP_BIT(BNN_OP_RNET)

/* The keys, and the ops that take each. */
static const struct {
	const char *key;
	int ops;
} keys[K_COUNT] = {
	[K_M] = { "m", OPS_GEMM },
	[K_N] = { "n", OPS_GEMM | OPS_CONVS | OPS_RB | OPS_RN },
	[K_K] = { "k", OPS_GEMM | OPS_CONVS | OPS_RB },
	[K_H] = { "h", OPS_CONVS | OPS_RB | OPS_RN },
	[K_W] = { "w", OPS_CONVS | OPS_RB | OPS_RN },
	[K_C] = { "c", OPS_CONVS | OPS_RB },
	[K_KH] = { "kh", OPS_CONVS },
	[K_KW] = { "kw", OPS_CONVS },
	[K_STRIDE] = { "stride", OPS_CONVS | OPS_RB },
	[K_PAD] = { "pad", OPS_CONVS },
	[K_PADV] = { "pad_value", OP_BIT(BNN_OP_CONV) | OP_BIT(BNN_OP_XNOR) },
	[K_DIL] = { "dil", OPS_CONVS },
	[K_GROUPS] = { "groups", OPS_CONVS },
	[K_MODE] = { "mode", OP_BIT(BNN_OP_XNOR) },
	[K_NAME] = { "name", OPS_GEMM | OPS_CONVS | OPS_RB | OPS_RN },
};

/* A key of an op, and its default. */
typedef struct {
	int id;
	int64_t def;
} key_def_t;

/* The reference accumulates +-1 products in float: exact below 2^24. */
#define MAX_REDUCTION ((int64_t)1 << 24)
/* Any one size beyond this is a typo; it also keeps products of two sizes in int64. */
#define MAX_DIM ((int64_t)1 << 31)

static int fail(char *err, size_t errlen, const char *origin, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(err, errlen, "%s: ", origin);
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * The float outputs of bwn and xnor mode=paper are checked against
 * gamma_n * (a sum of magnitudes), gamma_n = n*u/(1 - n*u), u = 2^-24, n
 * the number of rounded terms (check.c, runner.c). The bound must tell a
 * wrong output from a right one: with +-1 weights a right output is about
 * sum|x| / sqrt(n), so the bound (about n*u*sum|x|) passes anything once
 * n^1.5*u nears 1, goes vacuous (gamma_n >= 1) at n*u = 1/2 and negative
 * past n*u = 1. So gamma_n may not exceed 2^-8: n <= MAX_BOUND_TERMS.
 */
#define MAX_BOUND_TERMS 65280   /* 2^16 / (1 + 2^-8): gamma_n = 2^-8 */

/*
 * Refuses (-1, the reason in err) a bwn or paper-mode xnor problem whose
 * error bound would not be meaningful (see MAX_BOUND_TERMS); red is the
 * problem's reduction kh*kw*c/groups. The terms counted are the ones
 * runner.c's bound uses.
 */
static int check_bound_terms(const bnn_problem_t *p, int64_t red, char *err, size_t errlen,
			     const char *origin)
{
	const bnn_conv_shape_t *s = &p->d.conv;
	int64_t n;

	if (p->d.op == BNN_OP_BWN)
		n = red + 4;
	else if (p->d.op == BNN_OP_XNOR && p->d.xnor_mode == BNN_XNOR_PAPER)
		n = s->c + s->kh * s->kw + 6;
	else
		return 0;
	double nu = (double)n / 16777216.0;
	char g[48];

	if (n <= MAX_BOUND_TERMS)
		return 0;
	if (nu < 1.0)
		snprintf(g, sizeof(g), "%.3g", nu / (1.0 - nu));
	else
		snprintf(g, sizeof(g), "no bound (n*u >= 1)");
	return fail(err, errlen, origin,
		    "field 'c': the float error bound of %s sums n = %" PRId64 " rounded terms "
		    "(%s), more than %d: gamma_n would be %s, over 2^-8, and the check could "
		    "not tell a wrong output from a right one", bnn_op_name(p->d.op), n,
		    p->d.op == BNN_OP_BWN ? "kh*kw*c/groups + 4" : "c + kh*kw + 6",
		    MAX_BOUND_TERMS, g);
}

static int parse_int(const char *v, int64_t *out)
{
	char *end;
	if (!isdigit((unsigned char)v[0]) && v[0] != '-')
		return -1;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || *end)
		return -1;
	*out = x;
	return 0;
}

/* A name is also a folder of --dump: "." and ".." (and hidden names) are
 * not names, or the files would land beside or above the dump folder. */
static int valid_name(const char *s)
{
	if (!*s || *s == '.')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("_-.", *s))
			return 0;
	return 1;
}

/* Fills the canonical text and, when no name= was given, the derived name. */
static void canonicalize(bnn_problem_t *p, int named)
{
	const bnn_op_desc_t *d = &p->d;
	const bnn_conv_shape_t *s = &d->conv;
	if (d->op == BNN_OP_GEMM) {
		snprintf(p->canonical, sizeof(p->canonical), "gemm m=%" PRId64 " n=%" PRId64
			 " k=%" PRId64, d->gemm.m, d->gemm.n, d->gemm.k);
		if (!named)
			snprintf(p->name, sizeof(p->name), "gemm_m%" PRId64 "_n%" PRId64 "_k%" PRId64,
				 d->gemm.m, d->gemm.n, d->gemm.k);
		return;
	}
	if (d->op == BNN_OP_RBLOCK) {
		const bnn_rblock_shape_t *b = &d->rblock;
		snprintf(p->canonical, sizeof(p->canonical),
			 "rblock n=%" PRId64 " h=%" PRId64 " w=%" PRId64 " c=%" PRId64 " k=%" PRId64
			 " stride=%" PRId64, b->n, b->h, b->w, b->c, b->k, b->stride);
		if (!named)
			snprintf(p->name, sizeof(p->name),
				 "rblock_%s_n%" PRId64 "_%" PRId64 "x%" PRId64 "_c%" PRId64
				 "_k%" PRId64 "_s%" PRId64, b->k == b->c ? "normal" : "reduction",
				 b->n, b->h, b->w, b->c, b->k, b->stride);
		return;
	}
	if (d->op == BNN_OP_RNET) {
		const bnn_rnet_shape_t *r = &d->rnet;
		snprintf(p->canonical, sizeof(p->canonical),
			 "reactnet n=%" PRId64 " h=%" PRId64 " w=%" PRId64, r->n, r->h, r->w);
		if (!named)
			snprintf(p->name, sizeof(p->name),
				 "reactnet_a_n%" PRId64 "_%" PRId64 "x%" PRId64, r->n, r->h, r->w);
		return;
	}
	char mode[32] = "", padv[32] = "";
	if (d->op == BNN_OP_XNOR)
		snprintf(mode, sizeof(mode), " mode=%s",
			 d->xnor_mode == BNN_XNOR_PAPER ? "paper" : "released");
	if (d->op != BNN_OP_BWN)
		snprintf(padv, sizeof(padv), " pad_value=%d", s->pad_value);
	snprintf(p->canonical, sizeof(p->canonical),
		 "%s%s n=%" PRId64 " h=%" PRId64 " w=%" PRId64 " c=%" PRId64 " k=%" PRId64
		 " kh=%" PRId64 " kw=%" PRId64 " stride=%" PRId64 " pad=%" PRId64 "%s dil=%" PRId64
		 " groups=%" PRId64,
		 bnn_op_name(d->op), mode, s->n, s->h, s->w, s->c, s->k, s->kh, s->kw, s->stride,
		 s->pad, padv, s->dil, s->groups);
	if (!named) {
		snprintf(p->name, sizeof(p->name),
			 "%s%s_n%" PRId64 "_%" PRId64 "x%" PRId64 "_c%" PRId64 "_k%" PRId64
			 "_%" PRId64 "x%" PRId64 "_s%" PRId64 "_p%" PRId64 "%s_d%" PRId64
			 "_g%" PRId64,
			 bnn_op_name(d->op),
			 d->op != BNN_OP_XNOR ? "" :
			 d->xnor_mode == BNN_XNOR_PAPER ? "_paper" : "_released",
			 s->n, s->h, s->w, s->c, s->k, s->kh, s->kw, s->stride, s->pad,
			 d->op == BNN_OP_BWN ? "" : s->pad_value ? "_v1" : "_v0", s->dil, s->groups);
	}
}

int bnn_problem_parse(const char *line, const char *origin, bnn_problem_t *p, char *err,
		      size_t errlen)
{
	char buf[1024];
	int64_t val[K_COUNT];
	int given[K_COUNT] = { 0 };
	char name[sizeof(p->name)] = "";
	int mode = BNN_XNOR_PAPER;

	memset(p, 0, sizeof(*p));
	snprintf(p->origin, sizeof(p->origin), "%s", origin);
	if (strlen(line) >= sizeof(buf))
		return fail(err, errlen, origin, "line too long (over %zu characters)",
			    sizeof(buf) - 1);
	strcpy(buf, line);

	char *save = NULL;
	char *tok = strtok_r(buf, " \t\r\n", &save);
	if (!tok)
		return fail(err, errlen, origin, "empty descriptor");
	int op = -1;
	for (int i = 0; i < BNN_OP_COUNT; i++)
		if (strcmp(tok, bnn_op_name((bnn_op_t)i)) == 0)
			op = i;
	if (op < 0)
		return fail(err, errlen, origin,
			    "unknown operation '%s' (expected gemm, conv, bwn, xnor, rblock "
			    "or reactnet)", tok);
	p->d.op = (bnn_op_t)op;

	while ((tok = strtok_r(NULL, " \t\r\n", &save))) {
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok)
			return fail(err, errlen, origin, "malformed field '%s' (expected key=value)",
				    tok);
		*eq = 0;
		const char *key = tok, *v = eq + 1;
		int id = -1;
		for (int i = 0; i < K_COUNT; i++)
			if (strcmp(key, keys[i].key) == 0)
				id = i;
		if (id < 0 || !(keys[id].ops & OP_BIT(op)))
			return fail(err, errlen, origin, "field '%s': unknown key for %s", key,
				    bnn_op_name(p->d.op));
		if (given[id])
			return fail(err, errlen, origin, "field '%s': given twice", key);
		given[id] = 1;
		if (!*v)
			return fail(err, errlen, origin, "field '%s': empty value", key);
		if (id == K_NAME) {
			if (!valid_name(v) || strlen(v) >= sizeof(name))
				return fail(err, errlen, origin,
					    "field 'name': '%s' is not a name (letters, digits, "
					    "'_', '-', '.', not starting with '.', at most %zu)", v,
					    sizeof(name) - 1);
			strcpy(name, v);
		} else if (id == K_MODE) {
			if (strcmp(v, "paper") == 0)
				mode = BNN_XNOR_PAPER;
			else if (strcmp(v, "released") == 0)
				mode = BNN_XNOR_RELEASED;
			else
				return fail(err, errlen, origin,
					    "field 'mode': '%s' is not paper or released", v);
		} else if (parse_int(v, &val[id]) != 0) {
			return fail(err, errlen, origin, "field '%s': '%s' is not an integer", key,
				    v);
		}
	}

	/* Defaults, then the required keys. */
	/* def: -1 required, -2 the value of h, -3 of kh, -4 of c. */
	static const key_def_t gemm_keys[] = { { K_M, -1 }, { K_N, -1 }, { K_K, -1 } },
	  conv_keys[] = { { K_N, 1 },      { K_H, -1 },   { K_W, -2 },    { K_C, -1 },
			  { K_K, -1 },     { K_KH, 3 },   { K_KW, -3 },   { K_STRIDE, 1 },
			  { K_PAD, 0 },    { K_PADV, 0 }, { K_DIL, 1 },   { K_GROUPS, 1 } },
	  rb_keys[] = { { K_N, 1 }, { K_H, -1 }, { K_W, -2 }, { K_C, -1 }, { K_K, -4 },
			{ K_STRIDE, 1 } },
	  rn_keys[] = { { K_N, 1 }, { K_H, 224 }, { K_W, -2 } };
	int is_gemm = op == BNN_OP_GEMM;
	const key_def_t *list = conv_keys;
	size_t nk = sizeof(conv_keys) / sizeof(conv_keys[0]);
	if (is_gemm)
		list = gemm_keys, nk = 3;
	else if (op == BNN_OP_RBLOCK)
		list = rb_keys, nk = sizeof(rb_keys) / sizeof(rb_keys[0]);
	else if (op == BNN_OP_RNET)
		list = rn_keys, nk = sizeof(rn_keys) / sizeof(rn_keys[0]);
	for (size_t i = 0; i < nk; i++) {
		int id = list[i].id;
		int64_t def = list[i].def;
		if (given[id])
			continue;
		if (def == -1)
			return fail(err, errlen, origin, "field '%s': missing (required for %s)",
				    keys[id].key, bnn_op_name(p->d.op));
		val[id] = def == -2 ? val[K_H] : def == -3 ? val[K_KH] : def == -4 ? val[K_C] : def;
	}

	/* Ranges. */
	for (int id = 0; id < K_COUNT; id++) {
		if (id == K_MODE || id == K_NAME || !(keys[id].ops & OP_BIT(op)))
			continue;
		int64_t lo = (id == K_PAD || id == K_PADV) ? 0 : 1;
		if (val[id] < lo)
			return fail(err, errlen, origin, "field '%s': %" PRId64 " must be %s",
				    keys[id].key, val[id], lo ? "positive" : "zero or more");
		if (val[id] > MAX_DIM)
			return fail(err, errlen, origin, "field '%s': %" PRId64 " is over %" PRId64,
				    keys[id].key, val[id], MAX_DIM);
	}

	if (op == BNN_OP_RBLOCK) {
		bnn_rblock_shape_t *b = &p->d.rblock;
		*b = (bnn_rblock_shape_t){ .n = val[K_N], .h = val[K_H], .w = val[K_W], .c = val[K_C],
					   .k = val[K_K], .stride = val[K_STRIDE] };
		if (b->k != b->c && b->k != 2 * b->c)
			return fail(err, errlen, origin, "field 'k': %" PRId64 " must be c=%" PRId64
				    " (normal block) or 2c=%" PRId64 " (reduction block)", b->k,
				    b->c, 2 * b->c);
		if (b->stride > 2 || (b->stride == 2 && b->k == b->c))
			return fail(err, errlen, origin, "field 'stride': %" PRId64 " must be 1%s",
				    b->stride, b->k == b->c ? " for a normal block (k=c)" :
				    " or 2");
		if (b->stride == 2 && (b->h % 2 || b->w % 2))
			return fail(err, errlen, origin, "field 'h'/'w': %" PRId64 "x%" PRId64
				    " must be even for stride 2 (the shortcut's 2x2 pool)", b->h, b->w);
		if (9 * b->c >= MAX_REDUCTION)
			return fail(err, errlen, origin,
				    "field 'c': the reduction 9*c must be below 2^24");
		b->oh = b->h / b->stride;
		b->ow = b->w / b->stride;
	} else if (op == BNN_OP_RNET) {
		bnn_rnet_shape_t *r = &p->d.rnet;
		*r = (bnn_rnet_shape_t){ .n = val[K_N], .h = val[K_H], .w = val[K_W] };
		if (r->h % 32 || r->w % 32)
			return fail(err, errlen, origin, "field 'h'/'w': %" PRId64 "x%" PRId64
				    " must be multiples of 32 (the network halves it 5 times)", r->h,
				    r->w);
	} else if (is_gemm) {
		p->d.gemm = (bnn_gemm_shape_t){ val[K_M], val[K_N], val[K_K] };
		if (p->d.gemm.k >= MAX_REDUCTION)
			return fail(err, errlen, origin,
				    "field 'k': %" PRId64 " must be below 2^24 = %" PRId64
				    " (the float reference is exact only below)", p->d.gemm.k,
				    MAX_REDUCTION);
	} else {
		bnn_conv_shape_t *s = &p->d.conv;
		*s = (bnn_conv_shape_t){ .n = val[K_N], .h = val[K_H], .w = val[K_W],
					 .c = val[K_C], .k = val[K_K], .kh = val[K_KH],
					 .kw = val[K_KW], .stride = val[K_STRIDE], .pad = val[K_PAD],
					 .dil = val[K_DIL], .groups = val[K_GROUPS] };
		s->pad_value = op == BNN_OP_BWN ? 0 : (int)val[K_PADV];
		if (op != BNN_OP_BWN && val[K_PADV] > 1)
			return fail(err, errlen, origin, "field 'pad_value': %" PRId64
				    " must be 0 or 1", val[K_PADV]);
		if (s->c % s->groups)
			return fail(err, errlen, origin, "field 'groups': c=%" PRId64
				    " is not divisible by groups=%" PRId64, s->c, s->groups);
		if (s->k % s->groups)
			return fail(err, errlen, origin, "field 'groups': k=%" PRId64
				    " is not divisible by groups=%" PRId64, s->k, s->groups);
		if (bnn_conv_shape_finish(s) != 0)
			return fail(err, errlen, origin,
				    "field 'h'/'w': the padded input (%" PRId64 "x%" PRId64
				    ", pad %" PRId64 ") is smaller than the dilated kernel (%" PRId64
				    "x%" PRId64 ")", s->h, s->w, s->pad, s->dil * (s->kh - 1) + 1,
				    s->dil * (s->kw - 1) + 1);
		int64_t red;
		if (__builtin_mul_overflow(s->kh, s->kw, &red) ||
		    __builtin_mul_overflow(red, s->c / s->groups, &red) || red >= MAX_REDUCTION)
			return fail(err, errlen, origin,
				    "field 'c': the reduction kh*kw*c/groups must be below 2^24");
		p->d.xnor_mode = (bnn_xnor_mode_t)mode;
		if (check_bound_terms(p, red, err, errlen, origin) != 0)
			return -1;
	}
	if (name[0])
		strcpy(p->name, name);
	canonicalize(p, name[0] != 0);
	return 0;
}

/* a*b into *acc with overflow detection. */
static int mul(uint64_t *acc, int64_t b)
{
	return __builtin_mul_overflow(*acc, (uint64_t)b, acc);
}

/* Product of four sizes times an element size, or overflow. */
static int prod(uint64_t *out, int64_t a, int64_t b, int64_t c, int64_t d, int64_t elem)
{
	*out = 1;
	return mul(out, a) || mul(out, b) || mul(out, c) || mul(out, d) || mul(out, elem);
}

int bnn_problem_bytes(const bnn_problem_t *p, uint64_t *bytes, char *err, size_t errlen)
{
	uint64_t parts[6] = { 0 };
	int ovf = 0;
	if (p->d.op == BNN_OP_RBLOCK || p->d.op == BNN_OP_RNET) {
		/* Weights (with their binarized copies), then per block. A block
		 * problem: its input twice, and the reference trace, the kernel's
		 * intermediates and outputs, about 24 floats of the block's
		 * output size. A network: the checked outputs are logits only
		 * and the reference goes one image at a time per CPU, so what
		 * grows with the batch is a kernel's own activations and
		 * per-block scratch: per block, its input and 2(c + k) floats
		 * per output pixel. That is 49 MB an image at 224x224, against
		 * 39 MB measured (peak RSS of a checked run of the generic and
		 * AVX2 kernels and the oneDNN peers: 0.94 GB at batch 16, 1.57 GB
		 * at 32), so a batch of 256 asks for 12.7 GiB. */
		bnn_rnet_shape_t one = { 1, 224, 224 };
		const bnn_rnet_shape_t *r = p->d.op == BNN_OP_RNET ? &p->d.rnet : &one;
		int nb = p->d.op == BNN_OP_RNET ? BNN_RNET_BLOCKS : 1;
		for (int i = 0; i < nb && !ovf; i++) {
			bnn_rblock_shape_t b = p->d.op == BNN_OP_RNET ? bnn_rnet_block(r, i) :
									 p->d.rblock;
			uint64_t part;
			ovf |= prod(&part, b.c, 9 * b.c + b.k, 1, 1, 4 * 3);
			ovf |= __builtin_add_overflow(parts[0], part, &parts[0]);
			if (p->d.op == BNN_OP_RNET) {
				ovf |= prod(&part, b.n, b.h, b.w, b.c, 4);
				ovf |= __builtin_add_overflow(parts[1], part, &parts[1]);
				ovf |= prod(&part, b.n, b.oh, b.ow, 2 * (b.c + b.k), 4);
			} else {
				ovf |= prod(&part, b.n, b.h, b.w, b.c, 4 * 2);
				ovf |= __builtin_add_overflow(parts[1], part, &parts[1]);
				ovf |= prod(&part, b.n, b.oh, b.ow, b.k, 4 * 24);
			}
			ovf |= __builtin_add_overflow(parts[2], part, &parts[2]);
		}
		if (p->d.op == BNN_OP_RNET)
			ovf |= prod(&parts[3], r->n, r->h, r->w, 3, 4 * 4);
	} else if (p->d.op == BNN_OP_GEMM) {
		const bnn_gemm_shape_t *g = &p->d.gemm;
		int64_t wpr = bnn_words(g->k);
		ovf |= prod(&parts[0], g->m + g->n, g->k, 1, 1, 4);      /* A, B */
		ovf |= prod(&parts[1], g->m, g->n, 4, 1, 4);             /* ref, 2 outputs, spare */
		ovf |= prod(&parts[2], g->m + g->n, wpr, 1, 1, 8);       /* packed */
	} else {
		const bnn_conv_shape_t *s = &p->d.conv;
		int64_t cg = s->c / s->groups;
		ovf |= prod(&parts[0], s->n, s->h, s->w, s->c, 4 * 3);     /* x, ref copies */
		ovf |= prod(&parts[1], s->k, s->kh, s->kw, cg, 4 * 3);     /* w, ref copies */
		ovf |= prod(&parts[2], s->n, s->oh, s->ow, s->k, 4 * 6);   /* ref, bound, outs, dot */
		ovf |= prod(&parts[3], s->n, s->h + 2 * s->pad, s->w + 2 * s->pad,
			    s->groups * bnn_words(cg), 8);                 /* packed image */
		ovf |= prod(&parts[4], s->k, s->kh, s->kw, bnn_words(cg), 8 + 4);
		ovf |= prod(&parts[5], s->n, s->h, s->w, 1, 8);            /* maps */
	}
	uint64_t total = 0;
	for (int i = 0; i < 6 && !ovf; i++)
		ovf |= __builtin_add_overflow(total, parts[i], &total);
	if (ovf || total > SIZE_MAX)
		return fail(err, errlen, p->origin,
			    "the sizes of '%s' overflow size_t: its buffers cannot be allocated",
			    p->canonical);
	*bytes = total;
	return 0;
}
