/* The machine record and its fingerprint: see machine.h. */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "bnn_rand.h"
#include "bnn_kernels.h"
#include "cuda/bnn_cuda.h"   /* declarations only; used when BNN_HAVE_CUDA */
#include "cuda/bnn_cuda_info.h"   /* the same: the GPU record */
#include "config.h"
#include "counters.h"
#include "machine.h"
#include "peers.h"

#ifndef BNN_GIT_VERSION
#define BNN_GIT_VERSION PACKAGE_VERSION
#endif
#ifndef BNN_CFLAGS
#define BNN_CFLAGS "unknown"
#endif

unsigned long long bnn_phys_mem(void)
{
	long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
	return pages > 0 && size > 0 ? (unsigned long long)pages * (unsigned long long)size : 0;
}

/* The value after "key<spaces>:" of the first /proc/cpuinfo line starting
 * with key, or "" (x86 has "model name" and "cpu MHz"). */
static void cpuinfo(const char *key, char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");
	buf[0] = 0;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, strlen(key)) == 0) {
			char *v = strchr(line, ':');
			if (v) {
				v += 1 + (v[1] == ' ');
				v[strcspn(v, "\n")] = 0;
				snprintf(buf, len, "%s", v);
			}
			break;
		}
	fclose(f);
}

/* First line of a small file, without its newline; 0 or -1. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	buf[0] = 0;
	if (!f)
		return -1;
	int ok = fgets(buf, (int)len, f) != NULL;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return ok && buf[0] ? 0 : -1;
}

/* Governor and current frequency of CPU 0: cpufreq when the kernel has it,
 * else /proc/cpuinfo's "cpu MHz" (what a VM usually offers). */
static void frequency(bnn_machine_t *m)
{
	char buf[128];
	m->cpu_mhz = NAN;
	if (read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf,
		      sizeof(buf)) == 0)
		snprintf(m->governor, sizeof(m->governor), "%s", buf);
	if (read_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_cur_freq", buf,
		      sizeof(buf)) == 0) {
		m->cpu_mhz = strtod(buf, NULL) / 1000.0;
		snprintf(m->mhz_source, sizeof(m->mhz_source), "cpufreq scaling_cur_freq");
		return;
	}
	cpuinfo("cpu MHz", buf, sizeof(buf));
	if (buf[0]) {
		m->cpu_mhz = strtod(buf, NULL);
		snprintf(m->mhz_source, sizeof(m->mhz_source), "/proc/cpuinfo cpu MHz");
	}
}

/* A number, or JSON null for an unknown (negative or NaN) one. */
static json_t *jint(int64_t v)
{
	return v >= 0 ? json_integer(v) : json_null();
}

/* A string, or JSON null for an unknown (NULL or empty) one. */
static json_t *jstr(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

#ifdef BNN_HAVE_CUDA
/* A CUDA version number (13000) as "13.0", or null when unknown (0). */
static json_t *cuda_version(int v)
{
	char buf[32];
	if (v <= 0)
		return json_null();
	snprintf(buf, sizeof(buf), "%d.%d", v / 1000, v % 1000 / 10);
	return json_string(buf);
}
#endif

/*
 * The record's "gpu" object: device 0 (name, compute capability, SMs,
 * clocks, memory, L2) and the driver and runtime versions, or present
 * false with the reason (no device, or a build without CUDA).
 */
static json_t *gpu_record(void)
{
	json_t *g = json_object();
#ifdef BNN_HAVE_CUDA
	bnn_cuda_info_t ci;
	char cc[16];
	bnn_cuda_info(&ci);
	json_object_set_new(g, "present", json_boolean(ci.ok));
	json_object_set_new(g, "reason", ci.ok ? json_null() : json_string(ci.why));
	json_object_set_new(g, "driver_version", cuda_version(ci.driver_version));
	json_object_set_new(g, "runtime_version", cuda_version(ci.runtime_version));
	if (ci.ok) {
		snprintf(cc, sizeof(cc), "%d.%d", ci.cc_major, ci.cc_minor);
		json_object_set_new(g, "name", json_string(ci.name));
		json_object_set_new(g, "devices", json_integer(ci.device_count));
		json_object_set_new(g, "compute_capability", json_string(cc));
		json_object_set_new(g, "sms", json_integer(ci.sms));
		json_object_set_new(g, "sm_clock_mhz", ci.sm_clock_khz > 0 ?
				    json_integer(ci.sm_clock_khz / 1000) : json_null());
		json_object_set_new(g, "memory_clock_mhz", ci.mem_clock_khz > 0 ?
				    json_integer(ci.mem_clock_khz / 1000) : json_null());
		json_object_set_new(g, "memory_bytes", json_integer(ci.mem_bytes));
		json_object_set_new(g, "memory_bus_bits", json_integer(ci.bus_width_bits));
		json_object_set_new(g, "l2_bytes", json_integer(ci.l2_bytes));
	}
#else
	json_object_set_new(g, "present", json_false());
	json_object_set_new(g, "reason", json_string("built without CUDA"));
#endif
	return g;
}

/* The record as JSON text into m->record_json (jansson escapes it). */
static void make_record(bnn_machine_t *m)
{
	char isa[300];
	bnn_build_info_t b;
	bnn_build_info(&b);
	bnn_isa_report(isa, sizeof(isa));
	const bnn_topo_t *t = &m->topo;
	json_t *o = json_object();
	json_object_set_new(o, "fingerprint", json_string(m->fingerprint));
	json_object_set_new(o, "hostname", json_string(m->hostname));
	json_object_set_new(o, "cpu_model", json_string(m->cpu_model));
	json_object_set_new(o, "isa_features", json_string(m->features));
	json_object_set_new(o, "dispatch", json_string(isa));
	json_object_set_new(o, "cores", json_integer(m->cores));
	json_object_set_new(o, "memory_bytes", json_integer((json_int_t)bnn_phys_mem()));
	json_object_set_new(o, "governor", jstr(m->governor));
	json_object_set_new(o, "cpu_mhz", isnan(m->cpu_mhz) ? json_null() : json_real(m->cpu_mhz));
	json_object_set_new(o, "cpu_mhz_source", jstr(m->mhz_source));
	json_object_set_new(o, "kernel", json_string(m->kernel));
	json_t *bo = json_object();
	json_object_set_new(bo, "version", json_string(b.version));
	json_object_set_new(bo, "compiler", json_string(b.compiler));
	json_object_set_new(bo, "cflags", json_string(b.cflags));
	json_object_set_new(o, "build", bo);
	json_t *lib = json_object();
	json_object_set_new(lib, "sqlite", json_string(sqlite3_libversion()));
	json_object_set_new(lib, "papi", json_string(bnn_counters_papi_version()));
	json_object_set_new(lib, "hwloc", json_string(bnn_topo_hwloc_version()));
	json_object_set_new(lib, "jansson", json_string(jansson_version_str()));
	json_object_set_new(lib, "peers", json_string(bnn_peers_versions()));
#ifdef BNN_HAVE_CUDA
	json_object_set_new(lib, "cuda", json_string(bnn_cuda_describe()));
#else
	json_object_set_new(lib, "cuda", json_string("not built in"));
#endif
	json_object_set_new(o, "libraries", lib);
	json_object_set_new(o, "gpu", gpu_record());
	json_t *to = json_object();
	json_object_set_new(to, "source", json_string(t->source));
	json_object_set_new(to, "packages", jint(t->packages));
	json_object_set_new(to, "cores", jint(t->cores));
	json_object_set_new(to, "pus", jint(t->pus));
	json_object_set_new(to, "numa_nodes", jint(t->numa_nodes));
	json_object_set_new(to, "l1d_bytes", jint(t->l1d_bytes));
	json_object_set_new(to, "l2_bytes", jint(t->l2_bytes));
	json_object_set_new(to, "l3_bytes", jint(t->l3_bytes));
	json_object_set_new(to, "l3_caches", jint(t->l3_caches));
	json_object_set_new(to, "error", jstr(t->error));
	json_object_set_new(o, "topology", to);
	char *txt = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	snprintf(m->record_json, sizeof(m->record_json), "%s", txt ? txt : "{}");
	free(txt);
	json_decref(o);
}

void bnn_machine_read(bnn_machine_t *m)
{
	memset(m, 0, sizeof(*m));
	if (gethostname(m->hostname, sizeof(m->hostname) - 1) != 0)
		snprintf(m->hostname, sizeof(m->hostname), "unknown");
	/* The CPU model as hwloc names it (on Linux it reads the same
	 * "model name" line); /proc/cpuinfo only when hwloc cannot tell. */
	bnn_topo_read(&m->topo);
	snprintf(m->cpu_model, sizeof(m->cpu_model), "%s", m->topo.cpu_model);
	if (!m->cpu_model[0])
		cpuinfo("model name", m->cpu_model, sizeof(m->cpu_model));
	if (!m->cpu_model[0])
		snprintf(m->cpu_model, sizeof(m->cpu_model), "unknown");
	snprintf(m->features, sizeof(m->features), "%s", bnn_cpu_features());
	m->cores = sysconf(_SC_NPROCESSORS_ONLN);

	/* The fingerprint leaves out the host name, which VMs change freely,
	 * and everything that moves between runs (frequency, kernel, library
	 * versions): runs of one machine group together across upgrades.
	 * It is the same key as schema version 1 used, so old runs keep their
	 * machine. */
	char key[800];
	snprintf(key, sizeof(key), "%s|%s|%ld|%llu", m->cpu_model, m->features, m->cores,
		 bnn_phys_mem() >> 30);
#ifdef BNN_HAVE_CUDA
	/* A GPU host also keys on its device 0: cloud hosts with the same CPU
	 * and memory carry different GPUs, whose results must not be compared
	 * as one machine's. Without a device the key is the CPU one above, so
	 * the runs of machines without a GPU keep their fingerprint. */
	{
		bnn_cuda_info_t ci;
		bnn_cuda_info(&ci);
		if (ci.ok)
			snprintf(key + strlen(key), sizeof(key) - strlen(key), "|%s|%d", ci.name,
				 ci.sms);
	}
#endif
	uint64_t h = bnn_fnv1a_str(BNN_FNV1A_INIT, key);
	snprintf(m->fingerprint, sizeof(m->fingerprint), "%016" PRIx64, h);

	frequency(m);
	struct utsname u;
	if (uname(&u) == 0)
		snprintf(m->kernel, sizeof(m->kernel), "%s %s %s %s", u.sysname, u.release,
			 u.version, u.machine);
	else
		snprintf(m->kernel, sizeof(m->kernel), "unknown");
	make_record(m);
}

void bnn_machine_free(bnn_machine_t *m)
{
	bnn_topo_free(&m->topo);
}

void bnn_machine_info(const bnn_machine_t *m, bnn_machine_info_t *info)
{
	memset(info, 0, sizeof(*info));
	info->fingerprint = m->fingerprint;
	info->hostname = m->hostname;
	info->cpu_model = m->cpu_model;
	info->isa_features = m->features;
	info->cores = m->cores;
	info->record_json = m->record_json;
	info->topology_xml = m->topo.xml;
	info->packages = m->topo.packages;
	info->physical_cores = m->topo.cores;
	info->pus = m->topo.pus;
	info->numa_nodes = m->topo.numa_nodes;
	info->l1d_bytes = m->topo.l1d_bytes;
	info->l2_bytes = m->topo.l2_bytes;
	info->l3_bytes = m->topo.l3_bytes;
	info->l3_caches = m->topo.l3_caches;
}

void bnn_build_info(bnn_build_info_t *b)
{
	b->version = BNN_GIT_VERSION;
#ifndef BNN_CC
#define BNN_CC "cc"
#endif
#ifdef __VERSION__
	b->compiler = BNN_CC " " __VERSION__;
#else
	b->compiler = "unknown";
#endif
	b->cflags = BNN_CFLAGS;
}
