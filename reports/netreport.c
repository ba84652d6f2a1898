/* The ReActNet tables at the end of a run: see netreport.h. */
#include <stdlib.h>
#include <string.h>
#include "netreport.h"
#include "reactnet.h"

typedef struct {
	bnn_op_desc_t d;
	char problem[128];
	char kernel[96];
	char family[96];       /* the kernel's name after its op prefix: "xor_popc__avx2" */
	int is_peer;
	double median_ns, tops;
	int64_t result_id;     /* 0: not stored; < 0: spooled, not stored yet */
	int nstages;           /* a network's stages timed inside it (profile hook) */
	double stage_ns[BNN_PROFILE_MAX];
} entry_t;

struct bnn_netreport {
	entry_t *e;
	size_t n, cap;
};

bnn_netreport_t *bnn_netreport_new(void)
{
	return calloc(1, sizeof(bnn_netreport_t));
}

void bnn_netreport_free(bnn_netreport_t *r)
{
	if (r)
		free(r->e);
	free(r);
}

/* "rblock_xor_popc__avx2" and "reactnet_a_xor_popc__avx2" are one family. */
static const char *family_of(const char *kernel)
{
	if (!strncmp(kernel, "rblock_", 7))
		return kernel + 7;
	if (!strncmp(kernel, "reactnet_a_", 11))
		return kernel + 11;
	return kernel;
}

void bnn_netreport_add(bnn_netreport_t *r, const bnn_problem_t *p, const bnn_outcome_t *o,
		       int64_t result_id)
{
	if (!r || (p->d.op != BNN_OP_RBLOCK && p->d.op != BNN_OP_RNET) || !o->timed ||
	    o->check.status == BNN_FAIL)
		return;
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 32;
		entry_t *e = realloc(r->e, cap * sizeof(*e));
		if (!e)
			return;   /* the tables are a summary: a missing row is not an error */
		r->e = e;
		r->cap = cap;
	}
	entry_t *e = &r->e[r->n++];
	memset(e, 0, sizeof(*e));
	e->d = p->d;
	snprintf(e->problem, sizeof(e->problem), "%s", p->name);
	snprintf(e->kernel, sizeof(e->kernel), "%s", o->kernel->name);
	snprintf(e->family, sizeof(e->family), "%s", family_of(o->kernel->name));
	e->is_peer = !strcmp(o->kind, "peer");
	e->median_ns = o->stats.median;
	e->tops = o->tops;
	e->result_id = result_id;
	e->nstages = o->nstages;
	memcpy(e->stage_ns, o->stage_ns, sizeof(e->stage_ns));
}

/* See netreport.h. */
void bnn_netreport_resolve(bnn_netreport_t *r, int64_t pending, int64_t result_id)
{
	for (size_t i = 0; r && pending < 0 && i < r->n; i++)
		if (r->e[i].result_id == pending)
			r->e[i].result_id = result_id;
}

static int same_block(const bnn_rblock_shape_t *a, const bnn_rblock_shape_t *b)
{
	return a->n == b->n && a->h == b->h && a->w == b->w && a->c == b->c && a->k == b->k &&
	       a->stride == b->stride;
}

static const entry_t *find_block(const bnn_netreport_t *r, const char *family,
				 const bnn_rblock_shape_t *b)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->e[i].d.op == BNN_OP_RBLOCK && !strcmp(r->e[i].family, family) &&
		    same_block(&r->e[i].d.rblock, b))
			return &r->e[i];
	return NULL;
}

/*
 * The per-block table of one kernel family against network entry net: per
 * block, its time timed alone (a block problem of the same shape and
 * batch) with TOPS and share of the network's time, and its time inside
 * the network (the profile hook's stage times), each where known.
 */
static void print_blocks(const bnn_netreport_t *r, const entry_t *net, FILE *f)
{
	const bnn_rnet_shape_t *one = &net->d.rnet;
	int staged = net->nstages == BNN_RNET_BLOCKS + 2;
	double sum = 0, staged_sum = 0;
	int rows = 0, alone = 0;
	for (int i = 0; i < BNN_RNET_BLOCKS; i++) {
		bnn_rblock_shape_t b = bnn_rnet_block(one, i);
		const entry_t *e = find_block(r, net->family, &b);
		if (!e && !staged)
			continue;
		if (!rows++)
			fprintf(f, "\nReActNet-A blocks, %s (batch %lld, %lldx%lld; share of %s):\n"
				   "  block  kind       in        c -> k      stride  alone us     TOPS"
				   "  in net us   share\n",
				net->family, (long long)one->n, (long long)one->h, (long long)one->w,
				net->problem);
		fprintf(f, "  %5d  %-9s  %4lldx%-4lld %4lld -> %-4lld     %d", i + 1,
			b.k == b.c ? "normal" : "reduction", (long long)b.h, (long long)b.w,
			(long long)b.c, (long long)b.k, (int)b.stride);
		if (e)
			fprintf(f, "  %8.1f %8.4f", e->median_ns / 1e3, e->tops);
		else
			fprintf(f, "  %8s %8s", "-", "-");
		if (staged)
			fprintf(f, "  %9.1f", net->stage_ns[i + 1] / 1e3);
		else
			fprintf(f, "  %9s", "-");
		if (e) {
			double share = e->median_ns / net->median_ns;
			sum += share;
			alone++;
			fprintf(f, "  %5.1f%%\n", 100 * share);
		} else {
			fprintf(f, "  %6s\n", "-");
		}
	}
	if (alone)
		fprintf(f, "  the %d blocks timed alone sum to %.1f%% of the network's time (the "
			   "rest: stem, pool, FC, and the blocks' cache state in the network)\n",
			alone, 100 * sum);
	if (staged) {
		for (int i = 0; i < net->nstages; i++)
			staged_sum += net->stage_ns[i];
		fprintf(f, "  inside the network (median of profiled runs): stem %.1f us, head "
			   "(pool, FC) %.1f us; its %d stages sum to %.1f%% of the network's median\n",
			net->stage_ns[0] / 1e3, net->stage_ns[net->nstages - 1] / 1e3, net->nstages,
			100 * staged_sum / net->median_ns);
	}
}

void bnn_netreport_print(const bnn_netreport_t *r, FILE *f)
{
	if (!r)
		return;
	/* Per-block tables: for each family and network shape (batch and
	 * image size), against its first network entry; blocks are matched
	 * at the network's own batch (print_blocks prints nothing without). */
	for (size_t i = 0; i < r->n; i++) {
		const entry_t *net = &r->e[i];
		int first = 1;
		if (net->d.op != BNN_OP_RNET)
			continue;
		for (size_t j = 0; j < i; j++)
			if (r->e[j].d.op == BNN_OP_RNET &&
			    !memcmp(&r->e[j].d.rnet, &net->d.rnet, sizeof(net->d.rnet)) &&
			    !strcmp(r->e[j].family, net->family))
				first = 0;
		if (first)
			print_blocks(r, net, f);
	}
	/* Network summaries. */
	int header = 0;
	for (size_t i = 0; i < r->n; i++) {
		const entry_t *e = &r->e[i];
		if (e->d.op != BNN_OP_RNET)
			continue;
		if (!header++)
			fprintf(f, "\nReActNet-A end to end (TOPS: 2 ops per binary MAC):\n"
				   "  %-24s %-30s %12s %10s %8s\n", "problem", "kernel", "latency ms",
				"images/s", "TOPS");
		fprintf(f, "  %-24s %-30s %12.2f %10.1f %8.4f", e->problem, e->kernel,
			e->median_ns / 1e6, (double)e->d.rnet.n / (e->median_ns * 1e-9), e->tops);
		/* Speedups of a kernel over every peer of the same problem. */
		for (size_t j = 0; j < r->n && !e->is_peer; j++) {
			const entry_t *q = &r->e[j];
			if (q->is_peer && q->d.op == BNN_OP_RNET &&
			    !memcmp(&q->d.rnet, &e->d.rnet, sizeof(e->d.rnet)))
				fprintf(f, "  %.1fx %s", q->median_ns / e->median_ns, q->kernel);
		}
		fprintf(f, "\n");
	}
	/* Op counts, once per network shape. */
	for (size_t i = 0; i < r->n; i++) {
		const entry_t *e = &r->e[i];
		int seen = 0;
		if (e->d.op != BNN_OP_RNET)
			continue;
		for (size_t j = 0; j < i; j++)
			seen |= r->e[j].d.op == BNN_OP_RNET && r->e[j].d.rnet.h == e->d.rnet.h &&
				r->e[j].d.rnet.w == e->d.rnet.w;
		if (seen)
			continue;
		bnn_rnet_counts_t c;
		bnn_rnet_counts(&e->d.rnet, &c);
		fprintf(f, "  per %lldx%lld image: BOPs %.4g (binary MACs), FLOPs %.4g (real MACs), "
			   "OPs = BOPs/64 + FLOPs = %.4g; %.0f binary weights\n",
			(long long)e->d.rnet.h, (long long)e->d.rnet.w, c.bops, c.flops, c.ops,
			c.binary_weights);
	}
}

int bnn_netreport_store(const bnn_netreport_t *r, bnn_store_t *store)
{
	if (!r)
		return 0;
	for (size_t i = 0; i < r->n; i++) {
		const entry_t *net = &r->e[i];
		bnn_network_block_t rows[BNN_RNET_BLOCKS];
		size_t n = 0;
		if (net->d.op != BNN_OP_RNET || net->result_id <= 0)
			continue;
		for (int b = 0; b < BNN_RNET_BLOCKS; b++) {
			bnn_rblock_shape_t shape = bnn_rnet_block(&net->d.rnet, b);
			const entry_t *e = find_block(r, net->family, &shape);
			if (e && e->result_id > 0)
				rows[n++] = (bnn_network_block_t){ b + 1, e->result_id,
								   e->median_ns / net->median_ns };
		}
		int rc = n ? bnn_store_network_blocks(store, net->result_id, rows, n) : 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}
