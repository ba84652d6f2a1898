/*
 * bnn_kernels.h: the kernel table.
 *
 * One list of kernels (kernels/table.c), each entry naming the operation it
 * implements and the ISA it needs. That one list drives dispatch, the
 * conformance checks and the benchmarks: a kernel in the list is checked and
 * timed everywhere without being registered twice (doc/STYLE.md, "Kernels").
 * The list is filled reference-first: every operation has a generic entry,
 * and ISA folders add entries beside it.
 *
 * A kernel knows nothing about the harness: it gets a shape and float inputs,
 * prepares its own packed state (untimed: weight packing, workspaces), then
 * runs (timed) as often as the harness asks.
 */
#ifndef BNN_KERNELS_H
#define BNN_KERNELS_H

#include <stddef.h>
#include "bnn_shape.h"

typedef enum {
	BNN_ISA_GENERIC = 0,
	BNN_ISA_AVX2,
	BNN_ISA_AVX512,   /* AVX-512F/BW + VPOPCNTDQ */
	BNN_ISA_CUDA,
	BNN_ISA_COUNT
} bnn_isa_t;

/*
 * Inputs, always float tensors as the user would hold them:
 *   GEMM:        a = A [m][k], b = B [n][k]
 *   CONV:        a = x NHWC, b = w OHWI
 *   BWN, XNOR:   as CONV, plus alpha[k] (mean |w| per filter, computed by
 *                the caller as the weights' owner would, offline)
 *   RBLOCK:      a = x NHWC, params = bnn_rblock_params_t (bnn_reactnet.h)
 *   RNET:        a = images NCHW, params = bnn_rnet_params_t
 * rsign (CONV and XNOR only, optional): a per-input-channel RSign shift
 * fused into packing, so the conv binarizes sign(x + rsign[c]) instead of
 * sign(x) (doc/bnn-math.md section 6); NULL means plain sign. The harness passes NULL;
 * the ReActNet block kernels, which compose conv kernels, set it.
 */
typedef struct {
	const float *a;
	const float *b;
	const float *alpha;
	const float *rsign;
	const void *params;
} bnn_inputs_t;

/*
 * Output element type of an op: int32 for the exact binary ops (GEMM, CONV),
 * float for the scaled ones (BWN, XNOR).
 */
static inline int bnn_op_output_is_int(bnn_op_t op)
{
	return op == BNN_OP_GEMM || op == BNN_OP_CONV;
}

typedef struct bnn_kernel {
	const char *name;     /* what, then how: bgemm_xor_popc__generic */
	bnn_op_t op;
	bnn_isa_t isa;        /* the ISA this kernel needs */
	const char *summary;  /* one line for `bnnbench list` */
	/*
	 * Optional: 0 if the kernel handles this shape, else -1 with the reason
	 * in why (reported as SKIP). NULL means every valid shape.
	 */
	int (*supports)(const bnn_op_desc_t *d, char *why, size_t whylen);
	/*
	 * Untimed: takes the inputs (which stay valid and unchanged until
	 * release), packs what a deployment would pack ahead of time, and
	 * allocates workspace. Returns 0 and *state, or a negative errno.
	 */
	int (*prepare)(const bnn_op_desc_t *d, const bnn_inputs_t *in, void **state);
	/*
	 * Timed: computes the whole output into out (int32_t or float, see
	 * bnn_op_output_is_int), [m][n] or NHWC [n][oh][ow][k]. Repeatable.
	 */
	int (*run)(void *state, void *out);
	/* Frees what prepare took; state may be NULL. */
	void (*release)(void *state);
	/*
	 * Optional, device kernels (the GPU): when set, run leaves its output
	 * in device memory and returns once the device work is done, so the
	 * timed region is the device's work on device-resident data, as in a
	 * deployment; fetch copies the last run's output into out (untimed)
	 * for the checks. Such a kernel's prepare copies the inputs to the
	 * device and fills the device output with a poison pattern, and its
	 * run launches on the default stream (the harness's CUDA events are
	 * recorded there). NULL: run writes out itself. Returns 0 or -errno.
	 */
	int (*fetch)(void *state, void *out);
	/*
	 * Optional, network kernels: the output of stage i (0: the stem, then
	 * one per block) of the last run, NHWC with its sizes in dims; NULL
	 * past the last stage. Owned by the state. For --dump-blocks.
	 */
	const float *(*stage)(void *state, int i, int64_t dims[4]);
	/*
	 * Optional, network kernels: runs the op once more as run does (same
	 * output), timing its stages in order: the stem, each block, then the
	 * head (pool and FC); writes stage i's time in ns to ns[i] and returns
	 * the number of stages (at most max), or -errno. A GPU kernel times
	 * them with events on the device, a CPU kernel with the host clock.
	 * Untimed by the harness: it runs after the samples, for the
	 * per-block times inside the network.
	 */
	int (*profile)(void *state, double *ns, int max);
} bnn_kernel_t;

/* The stages a network kernel's profile hook times: stem, 13 blocks, head. */
#define BNN_PROFILE_MAX 15

/* The table of real kernels. */
extern const bnn_kernel_t bnn_kernels[];
extern const size_t bnn_kernel_count;

/*
 * Deliberately wrong kernels for `bnnbench selftest` only (kernels/mutants.c).
 * Nothing else may iterate this list: a normal run never reaches a mutant
 * (only a run with BNNBENCH_TEST_MUTANTS=1 in its environment, which the
 * tests set to see a FAIL end to end; harness/main.c).
 */
extern const bnn_kernel_t bnn_mutants[];
extern const size_t bnn_mutant_count;
/* bnn_mutant_rules[i]: how bnn_mutants[i] must fail: reason, a text every
 * failure must contain (naming the check meant to catch it); every, whether
 * every problem of its op must fail. */
typedef struct {
	const char *reason;
	int every;
} bnn_mutant_rule_t;
extern const bnn_mutant_rule_t bnn_mutant_rules[];

/*
 * The AVX-512 kernels built against SIMDe (end of kernels/table.c; none without
 * SIMDe): checked by tests/test_emulated, never timed. Only that test, and
 * the ReActNet templates looking up the conv kernel an emulated block
 * names, read this list; no run, benchmark or `bnnbench list` reaches it.
 */
extern const bnn_kernel_t *const bnn_emulated;
extern const size_t bnn_emulated_count;

/* "generic", "avx2", "avx512", "cuda". */
const char *bnn_isa_name(bnn_isa_t isa);

/* Parses an ISA name (as above); returns -1 when unknown. */
int bnn_isa_parse(const char *s, bnn_isa_t *isa);

/* "gemm", "conv", "bwn", "xnor". */
const char *bnn_op_name(bnn_op_t op);

/*
 * ISA detection, done once: what the CPU reports (CPUID through the
 * compiler's builtins), then capped by the environment variable
 * BNNBENCH_ISA=<name> (forces at most that ISA: generic, avx2 or avx512).
 * bnn_isa_available() says whether kernels needing isa may run here;
 * when not, why gets the reason. bnn_isa_report() describes the choice.
 */
int bnn_isa_available(bnn_isa_t isa, char *why, size_t whylen);
void bnn_isa_report(char *buf, size_t len);
/* The CPU's own features as detected (before the cap), space separated. */
const char *bnn_cpu_features(void);

#endif
