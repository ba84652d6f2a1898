/*
 * check.h: comparing a kernel's output with the reference (doc/harness-design.md,
 * "Tolerance"). Integer results of +-1 arithmetic must be equal exactly;
 * float results must lie within a bound derived from the arithmetic, given
 * per element by the caller.
 */
#ifndef BNN_CHECK_H
#define BNN_CHECK_H

#include <stddef.h>
#include <stdint.h>

typedef enum { BNN_PASS = 0, BNN_FAIL, BNN_SKIP, BNN_MISTRUSTED } bnn_status_t;

const char *bnn_status_name(bnn_status_t s);

typedef struct {
	bnn_status_t status;
	char reason[256];
	double max_abs_err, max_rel_err, bound; /* bound: the largest per-element bound */
} bnn_check_t;

/* The sentinels outputs are poisoned with before each run: an element a
 * kernel does not write shows up as a failure. The float one is a quiet NaN
 * with its own payload, so that the checker tells an element never written
 * from a NaN a kernel computed. */
#define BNN_POISON_INT INT32_MIN
#define BNN_POISON_FLOAT_BITS 0x7fc05eedu
void bnn_poison(void *out, size_t n, int is_int);

/* Exact comparison of int32 out against the integer-valued float ref. */
void bnn_check_int(const float *ref, const int32_t *out, size_t n, bnn_check_t *r);

/* |out - ref| <= bound[i] for every element; NaN fails. */
void bnn_check_float(const float *ref, const float *out, const float *bound, size_t n,
		     bnn_check_t *r);

/* gamma_n = n*u / (1 - n*u), u = 2^-24 (doc/bnn-math.md section 3). */
double bnn_gamma(double n);

/*
 * The input rule, one for every value a problem is given (--input images,
 * --weights tensors, generated data): finite and |v| <= BNN_INPUT_MAX.
 * NaN has no sign (spec bnn-math.md section 1: a NaN input is an error the
 * harness reports), an infinity none of the float bounds can hold, and past
 * 2^40 a product with a weight summed over up to 2^24 terms could overflow
 * float32 (2^40 * 2^40 * 2^24 < 2^128).
 */
#define BNN_INPUT_MAX 0x1p40

/*
 * Index of the first of x[0..n) that breaks the input rule, or n when none
 * does; *why (may be NULL) then names the fault: "NaN", "infinite" or
 * "larger in magnitude than 2^40".
 */
size_t bnn_first_bad_input(const float *x, size_t n, const char **why);

#endif
