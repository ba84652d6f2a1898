/*
 * reactnet.h: the harness side of the ReActNet ops: synthetic weights shaped
 * like trained ones, the block's error bound, the network's check, and the
 * op counts of ReActNet-A (doc/bnn-math.md section 6).
 */
#ifndef BNN_HARNESS_REACTNET_H
#define BNN_HARNESS_REACTNET_H

#include <stddef.h>
#include "bnn_ref.h"
#include "check.h"
#include "gen.h"

/* Parameters and the one allocation that holds all their arrays. */
typedef struct bnn_weights_s {
	bnn_rblock_params_t block;   /* BNN_OP_RBLOCK */
	bnn_rnet_params_t net;       /* BNN_OP_RNET */
	float *arena;
	size_t used, cap;            /* floats */
} bnn_weights_t;

/*
 * Seeded synthetic parameters for block b or network r, shaped like trained
 * ones: weights uniform around 0 with exact +-0.0 mixed in, BN running
 * statistics that normalize the conv outputs they follow, RPReLU slopes near
 * 0.25 and small learnable shifts. Returns 0 or -ENOMEM (w then holds
 * nothing). bnn_weights_free releases either.
 */
int bnn_rblock_weights_synth(const bnn_rblock_shape_t *b, bnn_rng_t *rng, bnn_weights_t *w);
int bnn_rnet_weights_synth(const bnn_rnet_shape_t *r, bnn_rng_t *rng, bnn_weights_t *w);
void bnn_weights_free(bnn_weights_t *w);

/* The first block of network weights net whose c, k and stride are b's,
 * or NULL: the parameters of a block do not depend on its input size. */
const bnn_rblock_params_t *bnn_rnet_find_block(const bnn_rnet_params_t *net,
					       const bnn_rblock_shape_t *b);

/*
 * Block input: values of x uniform in [-1, 1) with the activation ties of
 * bnn_fill_activations, and about 1 in 32 set to exactly -rsign1[c], the
 * RSign threshold, where the suite's rule packs +1.
 */
void bnn_rblock_fill_input(bnn_rng_t *rng, const bnn_rblock_shape_t *b,
			   const bnn_rblock_params_t *p, float *x);

/*
 * The per-element bound of a block's output against bnn_ref_rblock, from
 * the reference's trace (doc/bnn-math.md section 3's way: the rounding of each step
 * relative to the magnitudes it adds, carried through RPReLU's slope). Where
 * the second RSign's input lies within the error already made of its
 * threshold, a kernel may binarize it either way: each such channel adds
 * 2*|m2| to every output of its pixel. Returns how many inputs of the 1x1
 * conv were such ties (usually none), or -1 when out of memory.
 */
int64_t bnn_rblock_bound(const bnn_rblock_shape_t *b, const bnn_rblock_params_t *p,
			 const float *x, const bnn_ref_rblock_trace_t *t, float *bound);

/*
 * The network's logits bound: a sign that flips in one block moves later
 * values by a whole binary step, so no rounding bound carries through 13
 * blocks. The stated bound is BNN_RNET_LOGIT_TOL times the largest |logit|
 * of the image, per element.
 */
#define BNN_RNET_LOGIT_TOL (1.0 / 1024)
void bnn_rnet_bound(const bnn_rnet_shape_t *r, const float *ref, float *bound);

/*
 * The classes check: per image, the kernel's top-1 and top-5 classes must
 * be the reference's, where classes whose reference logits lie within the
 * bound of the 1st (or 5th) are interchangeable. Returns 0, or -1 with the
 * first image that differs described in why.
 */
int bnn_rnet_check_topk(const bnn_rnet_shape_t *r, const float *ref, const float *out,
			const float *bound, char *why, size_t whylen);

/*
 * The network's whole check of logits out against ref, as the harness
 * runs it: every logit within its bound (bnn_check_float, into c), and the
 * classes (bnn_rnet_check_topk): when they differ, c becomes FAIL and its
 * reason names the classes first (what a user of the network sees), then
 * the logits' failure if they failed too. Logits within their bound imply
 * the classes check (the tolerance is twice the bound), so classes that
 * differ always come with logits out of bound; the classes' reason says
 * what that did.
 */
void bnn_rnet_check(const bnn_rnet_shape_t *r, const float *ref, const float *out,
		    const float *bound, bnn_check_t *c);

/* ReActNet-A's op counts (doc/bnn-math.md sections 6 and 7) for one image. */
typedef struct {
	double bops;            /* binary MACs */
	double flops;           /* real MACs: stem conv and FC */
	double ops;             /* bops / 64 + flops */
	double binary_weights;
} bnn_rnet_counts_t;
void bnn_rnet_counts(const bnn_rnet_shape_t *r, bnn_rnet_counts_t *c);

#endif
