#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <stdio.h>
#include <string.h>
#include "bind.h"
#include "parallel.h"
#ifdef HAVE_HWLOC
#include <hwloc.h>

static hwloc_topology_t topo;
static int ncores;
static int failed;
static int bound;   /* the pool's threads are bound */

/* Runs in each worker (and the caller, tid 0): bind to core tid % ncores. */
static void bind_thread(void *arg, int tid)
{
	(void)arg;
	hwloc_obj_t core = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, (unsigned)(tid % ncores));
	if (!core || hwloc_set_cpubind(topo, core->cpuset, HWLOC_CPUBIND_THREAD) != 0)
		failed = 1;
}
#endif

int bnn_bind_start(int nthreads, int bind, char *desc, size_t len)
{
#ifdef HAVE_HWLOC
	if (bind) {
		if (hwloc_topology_init(&topo) != 0 || hwloc_topology_load(topo) != 0) {
			snprintf(desc, len, "hwloc could not read the topology");
			return -1;
		}
		ncores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
		if (ncores < 1) {
			snprintf(desc, len, "hwloc found no cores");
			return -1;
		}
		failed = 0;
		bound = 1;
		if (bnn_parallel_init(nthreads, bind_thread, NULL) != 0) {
			snprintf(desc, len, "could not start %d threads", nthreads);
			return -1;
		}
		size_t n = (size_t)snprintf(desc, len, "hwloc: %d thread%s on core%s", nthreads,
					    nthreads > 1 ? "s" : "", nthreads > 1 ? "s" : "");
		for (int t = 0; t < nthreads && n < len; t++) {
			hwloc_obj_t c = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE,
							      (unsigned)(t % ncores));
			n += (size_t)snprintf(desc + n, len - n, "%s%u", t ? "," : " ", c->logical_index);
		}
		if (failed && n < len)
			snprintf(desc + n, len - n, " (binding refused by the OS: unbound)");
		if (nthreads > ncores && n < len)
			snprintf(desc + strlen(desc), len - strlen(desc),
				 " (more threads than the %d cores)", ncores);
		return 0;
	}
#endif
	if (bnn_parallel_init(nthreads, NULL, NULL) != 0) {
		snprintf(desc, len, "could not start %d threads", nthreads);
		return -1;
	}
#ifdef HAVE_HWLOC
	snprintf(desc, len, "none (--no-bind)");
#else
	snprintf(desc, len, "none (built without hwloc)");
	(void)bind;
#endif
	return 0;
}

void bnn_bind_caller_release(void)
{
#ifdef HAVE_HWLOC
	if (bound && topo)
		(void)hwloc_set_cpubind(topo, hwloc_topology_get_complete_cpuset(topo),
					HWLOC_CPUBIND_THREAD);
#endif
}

void bnn_bind_caller_restore(void)
{
#ifdef HAVE_HWLOC
	if (bound && topo)
		bind_thread(NULL, 0);
#endif
}

void bnn_bind_stop(void)
{
	bnn_parallel_shutdown();
#ifdef HAVE_HWLOC
	if (topo) {
		hwloc_topology_destroy(topo);
		topo = NULL;
	}
	bound = 0;
#endif
}
