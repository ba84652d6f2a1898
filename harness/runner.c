/* One problem, every kernel: see runner.h. */
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "bnn_ref.h"
#include "bounds.h"
#include "gen.h"
#include "npy.h"
#include "reactnet.h"
#include "runner.h"
#include "quiet.h"
#include "stats.h"
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#ifdef BNN_HAVE_CUDA
#include "cuda/bnn_cuda.h"
#endif

volatile sig_atomic_t bnn_interrupted;

/*
 * The first SIGINT or SIGTERM asks the run to stop at the next step (the
 * results so far stored, the run ended 'interrupted'); a second one stops
 * the process at once, even inside a long step that cannot be cut (a
 * convolution's golden reference, one kernel run; a GEMM's or a network's
 * reference stops within a piece, see ref_parallel): the default action,
 * re-raised. The
 * run's liveness lock goes with the process, so the next open of the
 * database marks it 'interrupted'.
 */
static void on_signal(int sig)
{
	static const char msg[] = "\nbnnbench: interrupted again: stopping now\n";
	if (bnn_interrupted) {
		ssize_t w = write(STDERR_FILENO, msg, sizeof(msg) - 1);
		(void)w;
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	bnn_interrupted = 1;
}

void bnn_install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* The data of one problem, shared by all its kernels. */
typedef struct {
	bnn_op_desc_t d;
	size_t na, nb, nout;     /* element counts */
	float *a, *b, *alpha;
	float *ref, *bound;      /* bound: float ops only */
	void *out, *out2;        /* checked and timed outputs */
	int is_int;
	bnn_weights_t wts;       /* ReActNet ops: the parameters */
	const void *params;      /* &wts.block or &wts.net */
} problem_data_t;

static void data_free(problem_data_t *pd)
{
	free(pd->a);
	free(pd->b);
	free(pd->alpha);
	free(pd->ref);
	free(pd->bound);
	free(pd->out);
	free(pd->out2);
	bnn_weights_free(&pd->wts);
}

/* A reference computation split by ref_parallel: [0, n) in pieces of
 * chunk, handed out in order to whichever thread is free. */
typedef struct {
	void (*fn)(void *ctx, int64_t b0, int64_t b1);
	void *ctx;
	int64_t n, chunk;
	int64_t next;                /* the next piece's start (atomic) */
} ref_work_t;

/* Takes pieces until none is left, or the run is interrupted. */
static void *ref_worker(void *arg)
{
	ref_work_t *w = arg;
	while (!bnn_interrupted) {
		int64_t b0 = __atomic_fetch_add(&w->next, w->chunk, __ATOMIC_RELAXED);
		if (b0 >= w->n)
			break;
		w->fn(w->ctx, b0, b0 + w->chunk < w->n ? b0 + w->chunk : w->n);
	}
	return NULL;
}

/*
 * Runs fn over [0, n) on the online CPUs (at most 16 threads), for
 * references whose parts are independent: the same computation, only
 * sooner (a batch of 8 networks at 224x224 takes half a minute on one core,
 * an 8192^3 GEMM three and a half minutes). The range is cut into pieces of
 * about 1/128 of a thread's share but at least min_piece (for an fn whose
 * calls have a fixed cost), and no piece is begun once the run is
 * interrupted: a SIGINT or SIGTERM stops a reference of minutes within a
 * piece (a fraction of a second for the largest GEMMs; one image for a
 * network). The calling
 * thread works too, and finishes alone when no helper can start. Returns
 * 0, or -EINTR when interrupted (the output is then incomplete).
 */
static int ref_parallel(int64_t n, int64_t min_piece,
			void (*fn)(void *ctx, int64_t b0, int64_t b1), void *ctx)
{
	enum { MAX_REF_THREADS = 16, PIECES_PER_THREAD = 128 };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int64_t nt = cpus < 1 ? 1 : cpus > MAX_REF_THREADS ? MAX_REF_THREADS : cpus;
	if (nt > n)
		nt = n;
	if (nt < 1)
		return bnn_interrupted ? -EINTR : 0;
	int64_t chunk = n / (nt * PIECES_PER_THREAD);
	if (chunk < min_piece)
		chunk = min_piece;
	ref_work_t w = { fn, ctx, n, chunk > 0 ? chunk : 1, 0 };
	pthread_t tid[MAX_REF_THREADS];
	int started[MAX_REF_THREADS] = { 0 };
	/* The calling thread may be bound to one core (--bind): the helpers
	 * may run anywhere, or they would share that core. */
	pthread_attr_t attr;
	cpu_set_t all;
	CPU_ZERO(&all);
	for (long c = 0; c < cpus && c < CPU_SETSIZE; c++)
		CPU_SET((int)c, &all);
	pthread_attr_init(&attr);
	pthread_attr_setaffinity_np(&attr, sizeof(all), &all);
	for (int64_t t = 1; t < nt; t++)
		started[t] = pthread_create(&tid[t], &attr, ref_worker, &w) == 0;
	pthread_attr_destroy(&attr);
	ref_worker(&w);
	for (int64_t t = 1; t < nt; t++)
		if (started[t])
			pthread_join(tid[t], NULL);
	return __atomic_load_n(&w.next, __ATOMIC_RELAXED) < n ? -EINTR : 0;
}

/* The reference network on images [b0, b1) of a batch. */
typedef struct {
	const bnn_rnet_shape_t *r;
	const bnn_rnet_params_t *p;
	const float *img;
	float *logits;
} ref_rnet_t;

static void ref_rnet_slice(void *ctx, int64_t b0, int64_t b1)
{
	ref_rnet_t *c = ctx;
	bnn_rnet_shape_t one = *c->r;
	size_t img = (size_t)(3 * one.h * one.w);
	/* One image at a time: the reference's activations are then those of
	 * one image per CPU, not of the whole batch (about 8 MB an image at
	 * 224x224), and the images are independent. */
	one.n = 1;
	for (int64_t i = b0; i < b1; i++)
		bnn_ref_reactnet(&one, c->p, c->img + (size_t)i * img,
				 c->logits + (size_t)i * BNN_RNET_CLASSES);
}

/* The reference network on a batch, its images split over the CPUs. */
static int ref_reactnet_batch(const bnn_rnet_shape_t *r, const bnn_rnet_params_t *p,
			      const float *img, float *logits)
{
	ref_rnet_t c = { r, p, img, logits };
	return ref_parallel(r->n, 1, ref_rnet_slice, &c);
}

/* The reference block on images [b0, b1) of a batch, with its trace. */
typedef struct {
	const bnn_rblock_shape_t *b;
	const bnn_rblock_params_t *p;
	const float *x;
	float *y;
	const bnn_ref_rblock_trace_t *t;
} ref_rblock_t;

static void ref_rblock_slice(void *ctx, int64_t b0, int64_t b1)
{
	ref_rblock_t *c = ctx;
	bnn_rblock_shape_t one = *c->b;
	size_t in = (size_t)(one.h * one.w * one.c), opix = (size_t)(one.oh * one.ow);
	size_t oc = opix * (size_t)one.c, ok = opix * (size_t)one.k, i0 = (size_t)b0;
	bnn_ref_rblock_trace_t t = { c->t->acc3 + i0 * oc, c->t->r + i0 * oc, c->t->s + i0 * oc,
				     c->t->u + i0 * oc, c->t->acc1 + i0 * ok, c->t->v + i0 * ok };
	one.n = b1 - b0;
	bnn_ref_rblock(&one, c->p, c->x + i0 * in, c->y + i0 * ok, &t);
}

/* The reference block on a batch, its images split over the CPUs; the
 * trace (every buffer, per output pixel) is filled as by one call. */
static int ref_rblock_batch(const bnn_rblock_shape_t *b, const bnn_rblock_params_t *p,
			    const float *x, float *y, const bnn_ref_rblock_trace_t *t)
{
	ref_rblock_t c = { b, p, x, y, t };
	return ref_parallel(b->n, 1, ref_rblock_slice, &c);
}

/* The reference GEMM on rows [r0, r1) of A and C; sb: the signs of B,
 * taken once for all the rows. */
typedef struct {
	const bnn_gemm_shape_t *g;
	const float *a, *sb;
	float *c;
} ref_gemm_t;

static void ref_gemm_slice(void *ctx, int64_t r0, int64_t r1)
{
	ref_gemm_t *c = ctx;
	bnn_gemm_shape_t part = *c->g;
	part.m = r1 - r0;
	bnn_ref_bgemm_signed_b(&part, c->a + (size_t)(r0 * part.k), c->sb,
			       c->c + (size_t)(r0 * part.n));
}

/* The ReActNet ops: parameters, input, reference and bound. */
static int data_make_reactnet(const bnn_problem_t *p, const bnn_run_opts_t *o, bnn_rng_t *rng,
			      problem_data_t *pd)
{
	if (p->d.op == BNN_OP_RNET) {
		const bnn_rnet_shape_t *r = &p->d.rnet;
		if (o->weights) {
			pd->params = &o->weights->net;
		} else {
			if (bnn_rnet_weights_synth(r, rng, &pd->wts) != 0)
				return -ENOMEM;
			pd->params = &pd->wts.net;
		}
		if (o->images) {
			size_t img = (size_t)(3 * r->h * r->w);
			for (int64_t b = 0; b < r->n; b++)
				memcpy(pd->a + (size_t)b * img,
				       o->images + (size_t)(b % o->images_n) * img,
				       img * sizeof(float));
		} else {
			bnn_fill_uniform(rng, pd->a, pd->na);
		}
		if (ref_reactnet_batch(r, pd->params, pd->a, pd->ref) != 0)
			return -EINTR;
		bnn_rnet_bound(r, pd->ref, pd->bound);
		return 0;
	}
	const bnn_rblock_shape_t *b = &p->d.rblock;
	size_t pix = (size_t)(b->n * b->oh * b->ow);
	const bnn_rblock_params_t *bp = o->weights ? bnn_rnet_find_block(&o->weights->net, b) : NULL;
	if (!bp) {
		if (o->weights)
			fprintf(stderr, "bnnbench: %s: no block of ReActNet-A has c=%" PRId64
				" k=%" PRId64 " stride=%" PRId64 ": synthetic weights\n", p->name,
				b->c, b->k, b->stride);
		if (bnn_rblock_weights_synth(b, rng, &pd->wts) != 0)
			return -ENOMEM;
		bp = &pd->wts.block;
	}
	pd->params = bp;
	bnn_rblock_fill_input(rng, b, bp, pd->a);
	float *tr = malloc(pix * (size_t)(4 * b->c + 2 * b->k) * sizeof(float));
	if (!tr)
		return -ENOMEM;
	bnn_ref_rblock_trace_t t = { .acc3 = tr, .r = tr + pix * b->c, .s = tr + 2 * pix * b->c,
				     .u = tr + 3 * pix * b->c, .acc1 = tr + 4 * pix * b->c,
				     .v = tr + 4 * pix * b->c + pix * b->k };
	if (ref_rblock_batch(b, bp, pd->a, pd->ref, &t) != 0) {
		free(tr);
		return -EINTR;
	}
	int64_t ties = bnn_rblock_bound(b, bp, pd->a, &t, pd->bound);
	free(tr);
	return ties < 0 ? -ENOMEM : 0;
}

/* An output of n 4-byte elements, 64-byte aligned as a framework's
 * allocator gives them (a kernel may stream whole aligned lines). */
static void *out_alloc(size_t n)
{
	return aligned_alloc(64, (n * 4 + 63) / 64 * 64);
}

/* Inputs from the problem's seed, reference output and per-element bounds. */
static int data_make(const bnn_problem_t *p, const bnn_run_opts_t *o, problem_data_t *pd)
{
	uint64_t run_seed = o->seed;
	memset(pd, 0, sizeof(*pd));
	pd->d = p->d;
	pd->is_int = bnn_op_output_is_int(p->d.op);
	const bnn_conv_shape_t *s = &p->d.conv;
	if (p->d.op == BNN_OP_RBLOCK || p->d.op == BNN_OP_RNET) {
		const bnn_rblock_shape_t *b = &p->d.rblock;
		const bnn_rnet_shape_t *r = &p->d.rnet;
		int net = p->d.op == BNN_OP_RNET;
		pd->na = (size_t)(net ? r->n * 3 * r->h * r->w : b->n * b->h * b->w * b->c);
		pd->nout = (size_t)(net ? r->n * BNN_RNET_CLASSES : b->n * b->oh * b->ow * b->k);
		pd->a = malloc(pd->na * sizeof(float));
		pd->ref = malloc(pd->nout * sizeof(float));
		pd->bound = malloc(pd->nout * sizeof(float));
		pd->out = out_alloc(pd->nout);
		pd->out2 = out_alloc(pd->nout);
		if (!pd->a || !pd->ref || !pd->bound || !pd->out || !pd->out2)
			return -ENOMEM;
		bnn_rng_t rng;
		bnn_rng_init(&rng, bnn_problem_seed(run_seed, p->canonical));
		return data_make_reactnet(p, o, &rng, pd);
	}
	if (p->d.op == BNN_OP_GEMM) {
		pd->na = (size_t)(p->d.gemm.m * p->d.gemm.k);
		pd->nb = (size_t)(p->d.gemm.n * p->d.gemm.k);
		pd->nout = (size_t)(p->d.gemm.m * p->d.gemm.n);
	} else {
		pd->na = (size_t)(s->n * s->h * s->w * s->c);
		pd->nb = (size_t)(s->k * s->kh * s->kw * (s->c / s->groups));
		pd->nout = (size_t)(s->n * s->oh * s->ow * s->k);
	}
	pd->a = malloc(pd->na * sizeof(float));
	pd->b = malloc(pd->nb * sizeof(float));
	pd->ref = malloc(pd->nout * sizeof(float));
	pd->out = out_alloc(pd->nout);
	pd->out2 = out_alloc(pd->nout);
	if (!pd->a || !pd->b || !pd->ref || !pd->out || !pd->out2)
		return -ENOMEM;

	bnn_rng_t rng;
	bnn_rng_init(&rng, bnn_problem_seed(run_seed, p->canonical));
	bnn_fill_activations(&rng, pd->a, pd->na);
	bnn_fill_activations(&rng, pd->b, pd->nb);

	switch (p->d.op) {
	case BNN_OP_GEMM:
		{
			/* rows of C are independent: split them over the CPUs */
			float *sb = malloc(pd->nb * sizeof(float));
			if (!sb)
				return -ENOMEM;
			for (size_t i = 0; i < pd->nb; i++)
				sb[i] = bnn_ref_sign(pd->b[i]);
			ref_gemm_t c = { &p->d.gemm, pd->a, sb, pd->ref };
			int rc = ref_parallel(p->d.gemm.m, 1, ref_gemm_slice, &c);
			free(sb);
			return rc;
		}
	case BNN_OP_CONV:
		bnn_ref_bconv(s, pd->a, pd->b, pd->ref);
		return 0;
	default:
		break;
	}
	int64_t cg = s->c / s->groups, taps = s->kh * s->kw;
	pd->alpha = malloc((size_t)s->k * sizeof(float));
	pd->bound = malloc(pd->nout * sizeof(float));
	if (!pd->alpha || !pd->bound)
		return -ENOMEM;
	bnn_ref_alpha(pd->b, s->k, taps * cg, pd->alpha);
	if (p->d.op == BNN_OP_BWN) {
		bnn_ref_bwn_conv(s, pd->a, pd->b, pd->alpha, pd->ref);
		bnn_bwn_bound(s, pd->a, pd->alpha, pd->bound);
	} else {
		bnn_ref_xnor_conv(s, p->d.xnor_mode, pd->a, pd->b, pd->alpha, pd->ref);
		bnn_xnor_bound(s, p->d.xnor_mode, pd->ref, pd->bound);
	}
	return 0;
}

static void do_check(const problem_data_t *pd, const void *out, bnn_check_t *c)
{
	if (pd->is_int)
		bnn_check_int(pd->ref, out, pd->nout, c);
	else if (pd->d.op == BNN_OP_RNET)
		bnn_rnet_check(&pd->d.rnet, pd->ref, out, pd->bound, c);
	else
		bnn_check_float(pd->ref, out, pd->bound, pd->nout, c);
}

static int mkdirs(const char *path)
{
	char buf[1024];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *q = buf + 1; *q; q++)
		if (*q == '/') {
			*q = 0;
			if (mkdir(buf, 0777) != 0 && errno != EEXIST)
				return -errno;
			*q = '/';
		}
	if (mkdir(buf, 0777) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/* Appends " OPT 'VALUE'" to buf at *n, VALUE quoted for a POSIX shell. */
static void add_quoted(char *buf, size_t len, size_t *n, const char *opt, const char *v)
{
	if (*n < len)
		*n += (size_t)snprintf(buf + *n, len - *n, *opt ? " %s '" : "%s '", opt);
	for (; *v && *n + 5 < len; v++) {
		if (*v == '\'') {
			memcpy(buf + *n, "'\\''", 4);
			*n += 4;
		} else {
			buf[(*n)++] = *v;
		}
	}
	if (*n + 2 < len)
		buf[(*n)++] = '\'';
	buf[*n < len ? *n : len - 1] = '\0';
}

/*
 * The command line that reproduces kernel k on problem p: the seed, the
 * kernel, --threads, and the --input and --weights the problem used (rerun
 * without them, a failure on a given image or trained weights passed).
 */
static void format_repro(char *buf, size_t len, const bnn_run_opts_t *o, const bnn_kernel_t *k,
			 const bnn_problem_t *p)
{
	size_t n = (size_t)snprintf(buf, len, "bnnbench run --seed %" PRIu64 " --kernel %s",
				    o->seed, k->name);
	if (o->threads > 0 && n < len)
		n += (size_t)snprintf(buf + n, len - n, " --threads %d", o->threads);
	if (o->input_path && p->d.op == BNN_OP_RNET && o->images)
		add_quoted(buf, len, &n, "--input", o->input_path);
	if (o->weights_path && o->weights &&
	    (p->d.op == BNN_OP_RNET || p->d.op == BNN_OP_RBLOCK))
		add_quoted(buf, len, &n, "--weights", o->weights_path);
	if (n < len)
		n += (size_t)snprintf(buf + n, len - n, " --check-only");
	add_quoted(buf, len, &n, "", p->canonical);
}

/* Writes one array of the problem into DIR/NAME/file.npy. */
static int dump(const bnn_run_opts_t *o, const bnn_problem_t *p, const char *file,
		const char *descr, const void *data, int ndim, const int64_t *dims, char *err,
		size_t errlen)
{
	char dir[1024], path[1200];
	snprintf(dir, sizeof(dir), "%s/%s", o->dump_dir, p->name);
	int rc = mkdirs(dir);
	if (rc == 0) {
		snprintf(path, sizeof(path), "%s/%s.npy", dir, file);
		rc = bnn_npy_write(path, descr, data, ndim, dims);
	}
	if (rc != 0)
		snprintf(err, errlen, "--dump %s: cannot write %s.npy: %s", o->dump_dir, file,
			 strerror(-rc));
	return rc;
}

/* The shapes of the problem's arrays, for the .npy files. */
static void dims_of(const bnn_op_desc_t *d, int64_t a[4], int64_t b[4], int64_t out[4],
		    int *nd, int *ndo)
{
	*ndo = d->op == BNN_OP_GEMM || d->op == BNN_OP_RNET ? 2 : 4;
	if (d->op == BNN_OP_RBLOCK) {
		const bnn_rblock_shape_t *r = &d->rblock;
		*nd = 4;
		a[0] = r->n, a[1] = r->h, a[2] = r->w, a[3] = r->c;
		out[0] = r->n, out[1] = r->oh, out[2] = r->ow, out[3] = r->k;
		return;
	}
	if (d->op == BNN_OP_RNET) {
		const bnn_rnet_shape_t *r = &d->rnet;
		*nd = 4;   /* the logits are [n][1000] */
		a[0] = r->n, a[1] = 3, a[2] = r->h, a[3] = r->w;
		out[0] = r->n, out[1] = BNN_RNET_CLASSES;
		return;
	}
	if (d->op == BNN_OP_GEMM) {
		*nd = 2;
		a[0] = d->gemm.m, a[1] = d->gemm.k;
		b[0] = d->gemm.n, b[1] = d->gemm.k;
		out[0] = d->gemm.m, out[1] = d->gemm.n;
		return;
	}
	const bnn_conv_shape_t *s = &d->conv;
	*nd = 4;
	a[0] = s->n, a[1] = s->h, a[2] = s->w, a[3] = s->c;
	b[0] = s->k, b[1] = s->kh, b[2] = s->kw, b[3] = s->c / s->groups;
	out[0] = s->n, out[1] = s->oh, out[2] = s->ow, out[3] = s->k;
}

static int dump_problem(const bnn_run_opts_t *o, const bnn_problem_t *p,
			const problem_data_t *pd, char *err, size_t errlen)
{
	int64_t da[4], db[4], dout[4];
	int nd, ndo;
	dims_of(&p->d, da, db, dout, &nd, &ndo);
	int64_t dk = p->d.conv.k;
	if (dump(o, p, "a", "<f4", pd->a, nd, da, err, errlen) ||
	    (pd->b && dump(o, p, "b", "<f4", pd->b, nd, db, err, errlen)) ||
	    dump(o, p, "reference", "<f4", pd->ref, ndo, dout, err, errlen) ||
	    (pd->alpha && dump(o, p, "alpha", "<f4", pd->alpha, 1, &dk, err, errlen)) ||
	    (pd->bound && dump(o, p, "bound", "<f4", pd->bound, ndo, dout, err, errlen)))
		return -EIO;
	return 0;
}

/*
 * --dump-blocks: every stage output of a network kernel's checked run, as
 * KERNEL.stem.npy and KERNEL.blockNN.npy, transposed to NCHW so that they
 * compare directly with a PyTorch model's intermediate tensors.
 */
static int dump_stages(const bnn_run_opts_t *o, const bnn_problem_t *p, const bnn_kernel_t *k,
		       void *state, char *err, size_t errlen)
{
	int64_t dims[4];
	const float *y;
	for (int i = 0; (y = k->stage(state, i, dims)) != NULL; i++) {
		int64_t n = dims[0], h = dims[1], w = dims[2], c = dims[3];
		int64_t nchw[4] = { n, c, h, w };
		float *t = malloc((size_t)(n * h * w * c) * sizeof(float));
		char file[160];
		if (!t) {
			snprintf(err, errlen, "--dump-blocks: out of memory");
			return -ENOMEM;
		}
		for (int64_t b = 0; b < n; b++)
			for (int64_t q = 0; q < h * w; q++)
				for (int64_t ch = 0; ch < c; ch++)
					t[(b * c + ch) * h * w + q] = y[(b * h * w + q) * c + ch];
		if (i == 0)
			snprintf(file, sizeof(file), "%s.stem", k->name);
		else
			snprintf(file, sizeof(file), "%s.block%02d", k->name, i);
		int rc = dump(o, p, file, "<f4", t, 4, nchw, err, errlen);
		free(t);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/*
 * The device's clock for GPU kernels: CUDA events on the default stream
 * around the same repetitions the host times (schema 4, sample.device_ns).
 * dev_begin returns 0 when the events were recorded; dev_end gives the
 * elapsed ns, or NaN when either event failed (the host sample stands).
 */
static int dev_begin(const bnn_kernel_t *k)
{
#ifdef BNN_HAVE_CUDA
	if (k->isa == BNN_ISA_CUDA)
		return bnn_cuda_timer_begin();
#endif
	(void)k;
	return -1;
}

static double dev_end(const bnn_kernel_t *k, int begun)
{
#ifdef BNN_HAVE_CUDA
	double ns;
	if (k->isa == BNN_ISA_CUDA && begun == 0 && bnn_cuda_timer_end(&ns) == 0)
		return ns;
#endif
	(void)k;
	(void)begun;
	return NAN;
}

/* Appends the CUDA error behind a GPU kernel's failure (bnn_cuda_last_error), if any. */
static void cuda_why(const bnn_kernel_t *k, char *reason, size_t len)
{
#ifdef BNN_HAVE_CUDA
	const char *e = k->isa == BNN_ISA_CUDA ? bnn_cuda_last_error() : "";
	size_t n = strlen(reason);
	if (e[0] && n + 1 < len)
		snprintf(reason + n, len - n, " (%s)", e);
#else
	(void)k, (void)reason, (void)len;
#endif
}

/* Forgets the last CUDA error before a GPU entry's hook runs (see cuda_why). */
static void cuda_clear(const bnn_kernel_t *k)
{
#ifdef BNN_HAVE_CUDA
	if (k->isa == BNN_ISA_CUDA)
		bnn_cuda_clear_last_error();
#else
	(void)k;
#endif
}

static int all_finite(const double *x, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isfinite(x[i]))
			return 0;
	return 1;
}

/* The kernel's output into out: its own run did it, or fetch copies it. */
static int fetch_out(const bnn_kernel_t *k, void *state, void *out)
{
	return k->fetch ? k->fetch(state, out) : 0;
}

/* A sample shorter than this is dominated by the clock's own cost, so short
 * kernels run several times per sample and the sample is the mean. */
#define MIN_SAMPLE_NS 20000.0
/* Aim for about this many samples over --min-time. */
#define TARGET_SAMPLES 200.0

/* Between two calls of the progress callback while timing. */
#define PROGRESS_NS 250e6

/*
 * One round of one entry: warm-up, then samples until both min_time_s and
 * min_reps (and at most o->max_reps). *samples (and *dsamples for a GPU
 * kernel) are allocated here and owned by the caller. round and rounds are
 * only passed on to o->progress.
 */
static int time_kernel(const bnn_kernel_t *k, void *state, void *out, const bnn_run_opts_t *o,
		       double min_time_s, int min_reps, int round, int rounds,
		       double **samples, double **dsamples, size_t *ns)
{
	size_t cap = 64, n = 0;
	double *s = malloc(cap * sizeof(*s));
	double *ds = malloc(cap * sizeof(*ds));
	int gpu = k->isa == BNN_ISA_CUDA;
	*samples = *dsamples = NULL;
	if (!s || !ds) {
		free(s);
		free(ds);
		return -ENOMEM;
	}
	/* Warm-up: --warmup runs, but no longer than --min-time in all: a
	 * kernel slower than that is warm after one run (a network at batch 8
	 * takes seconds per run). */
	uint64_t t0 = bnn_now_ns();
	for (int i = 0; i < o->warmup && !bnn_interrupted; i++) {
		k->run(state, out);
		if ((double)(bnn_now_ns() - t0) * 1e-9 >= min_time_s)
			break;
	}
	/* Repetitions per sample: double them until one batch lasts a sample. */
	double want = min_time_s * 1e9 / TARGET_SAMPLES;
	if (want < MIN_SAMPLE_NS)
		want = MIN_SAMPLE_NS;
	long inner = 1;
	uint64_t start = 0;
	for (;;) {
		int ev = dev_begin(k);
		t0 = bnn_now_ns();
		for (long r = 0; r < inner; r++)
			k->run(state, out);
		uint64_t t1 = bnn_now_ns();
		double t = (double)(t1 - t0), dt = dev_end(k, ev);
		if (inner == 1 && t >= want) {
			/* One run already lasts a sample: it is the first sample. */
			ds[n] = dt;
			s[n++] = t;
			start = t0;
			break;
		}
		if (t >= want || inner >= (1L << 30) || bnn_interrupted)
			break;
		inner = t * 4 < want ? inner * 4 : (long)((double)inner * want / t) + 1;
	}
	if (!start)
		start = bnn_now_ns();
	uint64_t shown = 0;
	while (!bnn_interrupted && !((n >= (size_t)min_reps &&
				      (double)(bnn_now_ns() - start) * 1e-9 >= min_time_s) ||
				     n >= (size_t)o->max_reps)) {
		int ev = dev_begin(k);
		t0 = bnn_now_ns();
		for (long r = 0; r < inner; r++)
			k->run(state, out);
		uint64_t t1 = bnn_now_ns();
		double dt = dev_end(k, ev);
		if (n == cap) {
			double *ns2 = realloc(s, 2 * cap * sizeof(*s));
			double *ds2 = ns2 ? realloc(ds, 2 * cap * sizeof(*ds)) : NULL;
			if (ns2)
				s = ns2;
			if (!ds2) {
				free(s);
				free(ds);
				return -ENOMEM;
			}
			ds = ds2;
			cap *= 2;
		}
		ds[n] = dt / (double)inner;
		s[n++] = (double)(t1 - t0) / (double)inner;
		if (o->progress && (double)(t1 - shown) >= PROGRESS_NS) {
			double left = min_time_s - (double)(t1 - start) * 1e-9;
			o->progress(o->progress_ctx, k->name, round, rounds, n, left > 0 ? left : 0);
			shown = t1;
		}
	}
	*samples = s;
	if (gpu)
		*dsamples = ds;
	else
		free(ds);
	*ns = n;
	return bnn_interrupted ? -EINTR : 0;
}

/* A counting pass shorter than this is dominated by starting and stopping
 * the counters on every thread. */
#define MIN_COUNT_NS 5e6

/*
 * The counters' own pass, right after the timed samples (doc/harness-design.md:
 * reading counters perturbs timing, so the timed samples never include
 * it): enough repetitions of the same kernel on the same inputs for about
 * MIN_COUNT_NS at the median time, at least one. Fills o's counter fields.
 */
static void count_kernel(const bnn_kernel_t *k, void *state, void *out,
			 const bnn_run_opts_t *ro, bnn_outcome_t *o)
{
	double per = o->stats.median > 0 ? o->stats.median : 1;
	long long reps = (long long)(MIN_COUNT_NS / per) + 1;
	if (reps > (1LL << 30))
		reps = 1LL << 30;
	o->count_reps = reps;
	if (bnn_counters_begin(ro->counters, o->count_error, sizeof(o->count_error)) != 0)
		return;
	for (long long r = 0; r < reps && !bnn_interrupted; r++)
		k->run(state, out);
	if (bnn_counters_end(ro->counters, o->counts, o->count_error,
			     sizeof(o->count_error)) != 0)
		return;
	if (bnn_interrupted)
		snprintf(o->count_error, sizeof(o->count_error), "interrupted while counting");
	else
		o->counted = 1;
}

/* Profiled runs of a network kernel: the median of this many per stage. */
#define PROFILE_REPS 5

/*
 * The profile hook's pass, after the samples: PROFILE_REPS runs with their
 * stages timed, the median of each stage kept in o (doc/harness-design.md: what
 * perturbs timing stays out of the samples). A failure leaves its reason
 * and the result stands.
 */
static void profile_kernel(const bnn_kernel_t *k, void *state, bnn_outcome_t *o)
{
	double all[PROFILE_REPS][BNN_PROFILE_MAX], col[PROFILE_REPS];
	int n = 0;
	for (int r = 0; r < PROFILE_REPS; r++) {
		cuda_clear(k);
		int got = k->profile(state, all[r], BNN_PROFILE_MAX);
		if (got <= 0 || got > BNN_PROFILE_MAX || (r && got != n)) {
			snprintf(o->stage_error, sizeof(o->stage_error), "the profiled run %s: %s",
				 got <= 0 ? "failed" : "gave another stage count",
				 got < 0 ? strerror(-got) : "bad count");
			cuda_why(k, o->stage_error, sizeof(o->stage_error));
			return;
		}
		n = got;
		if (bnn_interrupted) {
			snprintf(o->stage_error, sizeof(o->stage_error), "interrupted while profiling");
			return;
		}
	}
	for (int i = 0; i < n; i++) {
		for (int r = 0; r < PROFILE_REPS; r++)
			col[r] = all[r][i];
		o->stage_ns[i] = bnn_stat_median(col, PROFILE_REPS);
	}
	o->nstages = n;
	o->stage_reps = PROFILE_REPS;
}

/* A kernel-record pass shorter than this is dominated by enabling and
 * flushing CUPTI; longer than MAX_TRACE_REPS repetitions only adds records. */
#define MIN_TRACE_NS 5e6
#define MAX_TRACE_REPS 4096

typedef struct {
	const bnn_kernel_t *k;
	void *state, *out;
} one_run_t;

/* One repetition, for bnn_cupti_measure (run returns synchronized). */
static int run_once(void *arg)
{
	one_run_t *r = arg;
	return r->k->run(r->state, r->out);
}

/*
 * CUPTI's passes for a GPU kernel, right after its samples and counters:
 * the Activity API's kernel records over enough repetitions for about
 * MIN_TRACE_NS at the median time (at least one), aggregated by name into
 * agg (the caller frees it), then the Range Profiler's metrics over one
 * repetition. Neither is in the timed samples (doc/harness-design.md). Fills o's GPU
 * fields; a pass that fails leaves its reason and the result stands.
 */
static void gpu_pass(const bnn_kernel_t *k, void *state, void *out, const bnn_run_opts_t *ro,
		     bnn_outcome_t *o, bnn_gpu_kagg_t *agg)
{
	bnn_cupti_t *c = ro->cupti;
	double per = o->stats.median > 0 ? o->stats.median : 1;
	long long reps = (long long)(MIN_TRACE_NS / per) + 1;
	if (reps > MAX_TRACE_REPS)
		reps = MAX_TRACE_REPS;
	if (bnn_cupti_can_trace(c) &&
	    bnn_cupti_trace_begin(c, o->gpu_trace_error, sizeof(o->gpu_trace_error)) == 0) {
		int rr = 0;
		for (long long r = 0; r < reps && rr == 0 && !bnn_interrupted; r++)
			rr = k->run(state, out);
		int rc = bnn_cupti_trace_end(c, agg, o->gpu_trace_error,
					     sizeof(o->gpu_trace_error));
		if (rc == 0 && rr != 0)
			snprintf(o->gpu_trace_error, sizeof(o->gpu_trace_error),
				 "the kernel's run failed during the kernel-record pass");
		else if (rc == 0 && bnn_interrupted)
			snprintf(o->gpu_trace_error, sizeof(o->gpu_trace_error),
				 "interrupted while recording kernels");
		else if (rc == 0 && agg->skipped)
			snprintf(o->gpu_trace_error, sizeof(o->gpu_trace_error),
				 "%lld kernel records had no valid start and end", agg->skipped);
		else if (rc == 0 && agg->n == 0)
			snprintf(o->gpu_trace_error, sizeof(o->gpu_trace_error),
				 "CUPTI recorded no kernel in %lld repetitions", reps);
		if (rc == 0 && !o->gpu_trace_error[0]) {
			o->gpu_traced = 1;
			o->gpu_reps = reps;
			o->gpu_kernels = agg->k;
			o->ngpu_kernels = agg->n;
			o->gpu_kernel_ns = bnn_gpu_kagg_total_ns(agg) / (double)reps;
		} else {
			bnn_gpu_kagg_free(agg);
		}
	}
	for (size_t i = 0; i < BNN_CUPTI_METRICS_MAX; i++)
		o->metric_values[i] = NAN;
	if (bnn_cupti_can_measure(c) && !bnn_interrupted) {
		one_run_t r1 = { k, state, out };
		if (bnn_cupti_measure(c, run_once, &r1, o->metric_values, o->metric_error,
				      sizeof(o->metric_error)) == 0)
			o->gpu_metered = 1;
	}
}

int bnn_run_problem(const bnn_problem_t *p, const bnn_kernel_t *kernels, size_t nk,
		    const char *kind, const bnn_run_opts_t *o, bnn_outcome_cb cb, void *ctx,
		    char *err, size_t errlen)
{
	bnn_kernel_group_t g = { kernels, nk, kind, NULL, NULL };
	return bnn_run_problem_groups(p, &g, 1, o, cb, ctx, err, errlen);
}

/*
 * One (problem, kernel or peer) of bnn_run_problem_groups: its outcome, and
 * while it waits for its rounds, its prepared state, the fingerprint of its
 * checked output and the samples gathered so far.
 */
typedef struct {
	const bnn_kernel_t *k;
	const bnn_kernel_group_t *g;
	void *state;               /* prepared; released before the callback */
	uint64_t out_hash;         /* bnn_hash_bytes of the checked output */
	bnn_outcome_t oc;
	double *samples, *dsamples;
	int *sample_round;
	size_t n, cap;
	double *round_ns;
	size_t *round_n;
	int *round_pos;
	double *round_other, *round_steal;
	int gpu_ok;                /* every device sample finite so far */
	bnn_gpu_kagg_t kagg;
} entry_t;

static void entry_free(entry_t *e)
{
	free(e->samples);
	free(e->dsamples);
	free(e->sample_round);
	free(e->round_ns);
	free(e->round_n);
	free(e->round_pos);
	free(e->round_other);
	free(e->round_steal);
	bnn_gpu_kagg_free(&e->kagg);
	memset(e, 0, sizeof(*e));
}

/* Appends one round's n samples (and device samples, or NULL) to e. */
static int entry_append(entry_t *e, int round, const double *s, const double *ds, size_t n)
{
	if (e->n + n > e->cap) {
		size_t cap = (e->n + n) * 2;
		double *s2 = realloc(e->samples, cap * sizeof(*s2));
		if (s2)
			e->samples = s2;
		double *d2 = s2 ? realloc(e->dsamples, cap * sizeof(*d2)) : NULL;
		if (d2)
			e->dsamples = d2;
		int *r2 = d2 ? realloc(e->sample_round, cap * sizeof(*r2)) : NULL;
		if (!r2)
			return -ENOMEM;
		e->sample_round = r2;
		e->cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		e->samples[e->n + i] = s[i];
		e->dsamples[e->n + i] = ds ? ds[i] : NAN;
		e->sample_round[e->n + i] = round;
	}
	if (!ds || !all_finite(ds, n))
		e->gpu_ok = 0;
	e->n += n;
	return 0;
}

/*
 * Prepares and checks one entry on the problem's shared data (poisoned
 * output, one run, the check, --dump). Leaves e->state prepared when the
 * entry is to be timed (returns 1), released otherwise (returns 0: the
 * outcome is final). A negative code stops the run (err set).
 */
static int entry_check(const bnn_problem_t *p, problem_data_t *pd, const bnn_run_opts_t *o,
		       entry_t *e, char *err, size_t errlen)
{
	const bnn_kernel_t *k = e->k;
	bnn_outcome_t *oc = &e->oc;
	int rc = 0;
	char why[200] = "";
	bnn_inputs_t in = { .a = pd->a, .b = pd->b, .alpha = pd->alpha, .params = pd->params };
	if (!bnn_isa_available(k->isa, why, sizeof(why)) ||
	    (k->supports && k->supports(&p->d, why, sizeof(why)) != 0)) {
		oc->check.status = BNN_SKIP;
		snprintf(oc->check.reason, sizeof(oc->check.reason), "%s", why);
		return 0;
	}
	if ((cuda_clear(k), rc = k->prepare(&p->d, &in, &e->state)) != 0) {
		oc->check.status = BNN_FAIL;
		snprintf(oc->check.reason, sizeof(oc->check.reason), "prepare failed: %s",
			 strerror(-rc));
		cuda_why(k, oc->check.reason, sizeof(oc->check.reason));
		e->state = NULL;
		return 0;
	}
	bnn_poison(pd->out, pd->nout, pd->is_int);
	cuda_clear(k);
	int rr = k->run(e->state, pd->out);
	if (rr == 0)
		rr = fetch_out(k, e->state, pd->out);
	do_check(pd, pd->out, &oc->check);
	if (rr != 0) {
		/* A run that says it failed fails, whatever its output. */
		oc->check.status = BNN_FAIL;
		snprintf(oc->check.reason, sizeof(oc->check.reason), "the kernel's run failed: %s",
			 strerror(-rr));
		cuda_why(k, oc->check.reason, sizeof(oc->check.reason));
	}
	if (o->dump_dir) {
		int64_t da[4], db[4], dout[4];
		int nd, ndo;
		dims_of(&p->d, da, db, dout, &nd, &ndo);
		rc = dump(o, p, k->name, pd->is_int ? "<i4" : "<f4", pd->out, ndo, dout, err,
			  errlen);
		if (rc == 0 && o->dump_blocks && k->stage)
			rc = dump_stages(o, p, k, e->state, err, errlen);
	}
	if (rc == 0 && !o->check_only && oc->check.status != BNN_FAIL) {
		e->out_hash = bnn_hash_bytes(pd->out, pd->nout * 4);
		e->gpu_ok = k->isa == BNN_ISA_CUDA;
		int nr = o->rounds > 0 ? o->rounds : 1;
		e->round_ns = calloc((size_t)nr, sizeof(double));
		e->round_n = calloc((size_t)nr, sizeof(size_t));
		e->round_pos = calloc((size_t)nr, sizeof(int));
		e->round_other = calloc((size_t)nr, sizeof(double));
		e->round_steal = calloc((size_t)nr, sizeof(double));
		if (!e->round_ns || !e->round_n || !e->round_pos || !e->round_other ||
		    !e->round_steal) {
			snprintf(err, errlen, "out of memory keeping rounds");
			rc = -ENOMEM;
		} else {
			return 1;
		}
	}
	k->release(e->state);
	e->state = NULL;
	return rc;
}

/*
 * Round `round` of entry e at position pos of the round's order: one
 * timing (time_kernel) on a poisoned output, whose last repetition's
 * output must be the checked one. A failure marks e FAIL (and releases
 * nothing: the caller does). Returns 0, -EINTR or -ENOMEM (err set).
 */
static int entry_round(problem_data_t *pd, const bnn_run_opts_t *o, entry_t *e, int round,
		       int pos, double min_time_s, int min_reps, char *err, size_t errlen)
{
	const bnn_kernel_t *k = e->k;
	double *s = NULL, *ds = NULL;
	size_t n = 0;
	int nr = o->rounds > 0 ? o->rounds : 1;
	if (e->g->before)
		e->g->before();
	bnn_poison(pd->out2, pd->nout, pd->is_int);
	cuda_clear(k);
	bnn_quiet_t q;
	bnn_quiet_report_t qr;
	bnn_quiet_begin(&q);
	int rc = time_kernel(k, e->state, pd->out2, o, min_time_s, min_reps, round, nr, &s, &ds,
			     &n);
	bnn_quiet_end(&q, NAN, NAN, &qr);
	e->round_other[round] = qr.other_cpus;
	e->round_steal[round] = qr.steal;
	if (e->g->after)
		e->g->after();
	if (rc == -ENOMEM)
		snprintf(err, errlen, "out of memory keeping samples");
	if (rc == 0 && fetch_out(k, e->state, pd->out2) != 0) {
		e->oc.check.status = BNN_FAIL;
		snprintf(e->oc.check.reason, sizeof(e->oc.check.reason),
			 "fetching the last timed repetition's output from the device failed");
		cuda_why(k, e->oc.check.reason, sizeof(e->oc.check.reason));
	} else if (rc == 0 && bnn_hash_bytes(pd->out2, pd->nout * 4) != e->out_hash) {
		/* The timed path computed something else. */
		e->oc.check.status = BNN_FAIL;
		snprintf(e->oc.check.reason, sizeof(e->oc.check.reason),
			 "the last timed repetition's output differs from the checked output"
			 " (round %d of %d)", round + 1, nr);
	}
	if (rc == 0 && n > 0) {
		bnn_stats_t st;
		rc = entry_append(e, round, s, ds, n);
		if (rc == 0 && bnn_stats(s, n, &st) == 0) {
			e->round_ns[round] = st.median;
			e->round_n[round] = n;
			e->round_pos[round] = pos;
		}
		if (rc == -ENOMEM)
			snprintf(err, errlen, "out of memory keeping samples");
	}
	free(s);
	free(ds);
	return rc;
}

/*
 * After its rounds: e's statistics (over the round medians when there are
 * several rounds), then the counters', CUPTI's and the profile's passes,
 * which are never part of the timed samples.
 */
static void entry_finish(const bnn_run_opts_t *o, problem_data_t *pd, entry_t *e)
{
	bnn_outcome_t *oc = &e->oc;
	const bnn_kernel_t *k = e->k;
	int nr = o->rounds > 0 ? o->rounds : 1;
	if (oc->check.status == BNN_FAIL || e->n == 0)
		return;
	for (int r = 0; r < nr; r++)
		if (e->round_n[r] == 0)
			return;   /* interrupted before its last round */
	bnn_stats_t st;
	if (bnn_stats(e->samples, e->n, &st) != 0)
		return;
	if (nr > 1) {
		bnn_stats_t rs;
		if (bnn_stats(e->round_ns, (size_t)nr, &rs) != 0)
			return;
		st.median = rs.median;
		st.ci_lo = rs.ci_lo;
		st.ci_hi = rs.ci_hi;
	}
	oc->stats = st;
	oc->timed = 1;
	oc->samples = e->samples;
	oc->nsamples = e->n;
	oc->sample_round = e->sample_round;
	oc->nrounds = nr;
	oc->round_ns = e->round_ns;
	oc->round_n = e->round_n;
	oc->round_pos = e->round_pos;
	oc->round_other_cpus = e->round_other;
	oc->round_steal = e->round_steal;
	if (e->gpu_ok && bnn_stats(e->dsamples, e->n, &oc->dev_stats) == 0) {
		oc->dev_samples = e->dsamples;
		oc->dev_timed = 1;
	}
	oc->tops = 2.0 * oc->macs / (oc->stats.median * 1e-9) / 1e12;
	if (e->g->before)
		e->g->before();
	if (o->counters && bnn_counters_active(o->counters))
		count_kernel(k, e->state, pd->out2, o, oc);
	if (o->cupti && k->isa == BNN_ISA_CUDA)
		gpu_pass(k, e->state, pd->out2, o, oc, &e->kagg);
	if (k->profile)
		profile_kernel(k, e->state, oc);
	if (e->g->after)
		e->g->after();
}

int bnn_kernel_wanted(const bnn_run_opts_t *o, const char *name)
{
	for (int i = 0; i < o->nkernel_filters; i++)
		if (fnmatch(o->kernel_filters[i], name, 0) == 0)
			return 1;
	return o->nkernel_filters == 0;
}

int bnn_run_problem_groups(const bnn_problem_t *p, const bnn_kernel_group_t *g, size_t ng,
			   const bnn_run_opts_t *o, bnn_outcome_cb cb, void *ctx, char *err,
			   size_t errlen)
{
	problem_data_t pd;
	entry_t *e = NULL;
	size_t ne = 0, *perm = NULL, *live = NULL, nlive = 0;
	int nr = o->rounds > 0 ? o->rounds : 1;
	int rc = data_make(p, o, &pd);
	if (rc != 0) {
		if (rc != -EINTR)
			snprintf(err, errlen, "%s: out of memory preparing '%s'", p->origin,
				 p->canonical);
		else
			snprintf(err, errlen, "interrupted preparing '%s'", p->canonical);
		goto out;
	}
	if (o->dump_dir && (rc = dump_problem(o, p, &pd, err, errlen)) != 0)
		goto out;
	size_t cap = 0;
	for (size_t j = 0; j < ng; j++)
		cap += g[j].n;
	e = calloc(cap ? cap : 1, sizeof(*e));
	perm = calloc(cap ? cap : 1, sizeof(*perm));
	live = calloc(cap ? cap : 1, sizeof(*live));
	if (!e || !perm || !live) {
		snprintf(err, errlen, "out of memory preparing '%s'", p->canonical);
		rc = -ENOMEM;
		goto out;
	}
	/* The check: each entry once, in table order. An entry that is not
	 * timed is final now; the others stay prepared for their rounds. */
	for (size_t j = 0; j < ng && rc == 0; j++) {
		if (g[j].before)
			g[j].before();
		for (size_t i = 0; i < g[j].n && rc == 0; i++) {
			const bnn_kernel_t *k = &g[j].kernels[i];
			if (k->op != p->d.op ||
			    !bnn_kernel_wanted(o, k->name))
				continue;
			if (bnn_interrupted) {
				rc = -EINTR;
				break;
			}
			entry_t *x = &e[ne++];
			x->k = k;
			x->g = &g[j];
			x->oc.kernel = k;
			x->oc.kind = g[j].kind;
			x->oc.macs = bnn_op_macs(&p->d);
			x->oc.tops = NAN;
			format_repro(x->oc.repro, sizeof(x->oc.repro), o, k, p);
			rc = entry_check(p, &pd, o, x, err, errlen);
			if (rc == 1) {
				live[nlive++] = ne - 1;
				rc = 0;
			} else if (rc == 0 && cb(ctx, p, &x->oc) != 0) {
				rc = -ECANCELED;
			}
		}
		if (g[j].after)
			g[j].after();
	}
	/* The rounds: every live entry once per round, in a shuffled order. */
	double round_time = o->min_time_s / nr;
	int round_reps = (o->min_reps + nr - 1) / nr;
	uint64_t pseed = bnn_problem_seed(o->seed, p->canonical);
	for (int r = 0; r < nr && rc == 0 && nlive; r++) {
		bnn_round_order(pseed, r, nlive, perm);
		for (size_t q = 0; q < nlive && rc == 0; q++) {
			entry_t *x = &e[live[perm[q]]];
			if (x->oc.check.status == BNN_FAIL)
				continue;
			if (bnn_interrupted) {
				rc = -EINTR;
				break;
			}
			rc = entry_round(&pd, o, x, r, (int)q, round_time,
					 round_reps > 0 ? round_reps : 1, err, errlen);
		}
	}
	/* Final outcomes, in table order. */
	for (size_t q = 0; q < nlive; q++) {
		entry_t *x = &e[live[q]];
		if (rc == 0)
			entry_finish(o, &pd, x);
		x->k->release(x->state);
		x->state = NULL;
		if (rc == 0 && bnn_interrupted)
			rc = -EINTR;
		if (rc == 0 && cb(ctx, p, &x->oc) != 0)
			rc = -ECANCELED;
	}
out:
	for (size_t i = 0; e && i < ne; i++) {
		if (e[i].state)
			e[i].k->release(e[i].state);
		entry_free(&e[i]);
	}
	free(e);
	free(perm);
	free(live);
	data_free(&pd);
	return rc;
}
