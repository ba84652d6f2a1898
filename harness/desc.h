/*
 * desc.h: problem descriptors, one line each:
 *
 *   OP key=value ...
 *
 * OP is gemm, conv, bwn or xnor; keys are listed in doc/descriptors-and-suites.md
 * ("Descriptor syntax"). Missing keys take their defaults; the canonical form prints every
 * key in a fixed order and is the problem's identity (database, repro lines).
 */
#ifndef BNN_DESC_H
#define BNN_DESC_H

#include <stddef.h>
#include <stdint.h>
#include "bnn_shape.h"

typedef struct {
	bnn_op_desc_t d;
	char name[128];        /* stable name: name= or derived from the shape */
	char canonical[320];   /* canonical descriptor */
	char origin[300];      /* "file:line" or "command line", for messages */
} bnn_problem_t;

/*
 * Parses one descriptor line (no comment, not blank). origin is used as the
 * prefix of error messages ("suites/x.suite:12"). Returns 0, or -1 with a
 * message naming the origin and the field in err.
 */
int bnn_problem_parse(const char *line, const char *origin, bnn_problem_t *p, char *err,
		      size_t errlen);

/*
 * Bytes a run of p needs at most (inputs, reference, outputs, packed copies,
 * workspaces). Returns 0 and *bytes, or -1 when the sizes overflow size_t
 * (err names the problem).
 */
int bnn_problem_bytes(const bnn_problem_t *p, uint64_t *bytes, char *err, size_t errlen);

#endif
