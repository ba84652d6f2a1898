/*
 * netreport.h: the ReActNet tables printed at the end of a run. The run's
 * block (rblock) and network (reactnet) results are collected as they
 * finish; then, per kernel and network shape, a table of the 13 blocks of
 * ReActNet-A timed at the network's batch (time, TOPS and share of the
 * network's time, a block shape counted as often as the network has it) and a summary per network problem: latency, images/s,
 * op counts and the speedup over each peer timed in the same run.
 */
#ifndef BNN_NETREPORT_H
#define BNN_NETREPORT_H

#include <stdio.h>
#include "runner.h"
#include "store.h"

typedef struct bnn_netreport bnn_netreport_t;

/* A new, empty report, or NULL when out of memory (reports are optional). */
bnn_netreport_t *bnn_netreport_new(void);
/* Keeps what the tables need of a finished outcome (stored as result_id, 0
 * when not stored, negative while it waits in the run's spool); ignores
 * other ops. */
void bnn_netreport_add(bnn_netreport_t *r, const bnn_problem_t *p, const bnn_outcome_t *o,
		       int64_t result_id);
/* A spooled outcome added with result_id pending (< 0) was stored as
 * result_id. */
void bnn_netreport_resolve(bnn_netreport_t *r, int64_t pending, int64_t result_id);
/* Prints the tables to f (nothing when no ReActNet result was timed). */
void bnn_netreport_print(const bnn_netreport_t *r, FILE *f);
/* Stores the per-block shares of each network result, from the blocks
 * timed at its batch and image size, in the network_block table; returns 0
 * or the store's error. */
int bnn_netreport_store(const bnn_netreport_t *r, bnn_store_t *store);
void bnn_netreport_free(bnn_netreport_t *r);

#endif
