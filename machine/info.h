/* info.h: `bnnbench info`: the machine record, the counters that can be
 * read here (and why the others cannot), and the kernels this machine can
 * run, as text or as one JSON object. Needs no database. */
#ifndef BNN_INFO_H
#define BNN_INFO_H

#include <stdio.h>
#include "counters.h"
#include "bnn_cupti.h"
#include "machine.h"

/* Prints the report to f; json selects one JSON object (for scripts).
 * Returns 0, or -ENOMEM / -EIO (JSON could not be built or written). */
int bnn_info_print(FILE *f, const bnn_machine_t *m, const bnn_counters_t *c, int json);

/* The CUPTI session whose state (kernel records, metrics, the metric names
 * the chip offers) bnn_info_print reports in a "gpu counters" section;
 * NULL (the default) leaves the section out. c must outlive the print. */
void bnn_info_set_cupti(const bnn_cupti_t *c);

#endif
