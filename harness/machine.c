#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "bnn_kernels.h"
#include "config.h"
#include "machine.h"

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

/* The "model name" line of /proc/cpuinfo (x86) or "unknown". */
static void cpu_model(char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/cpuinfo", "r");
	snprintf(buf, len, "unknown");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "model name", 10) == 0) {
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

/* JSON string body: escapes quotes, backslashes and control characters. */
static void json_escape(const char *s, char *out, size_t len)
{
	size_t n = 0;
	for (; *s && n + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			n += (size_t)snprintf(out + n, len - n, "\\%c", c);
		else if (c < 0x20)
			n += (size_t)snprintf(out + n, len - n, "\\u%04x", c);
		else
			out[n++] = (char)c;
	}
	out[n] = 0;
}

void bnn_machine_read(bnn_machine_t *m)
{
	memset(m, 0, sizeof(*m));
	if (gethostname(m->hostname, sizeof(m->hostname) - 1) != 0)
		snprintf(m->hostname, sizeof(m->hostname), "unknown");
	cpu_model(m->cpu_model, sizeof(m->cpu_model));
	snprintf(m->features, sizeof(m->features), "%s", bnn_cpu_features());
	m->cores = sysconf(_SC_NPROCESSORS_ONLN);

	/* The fingerprint leaves out the host name, which VMs change freely. */
	char key[800];
	snprintf(key, sizeof(key), "%s|%s|%ld|%llu", m->cpu_model, m->features, m->cores,
		 bnn_phys_mem() >> 30);
	uint64_t h = 1469598103934665603ull;
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 1099511628211ull;
	snprintf(m->fingerprint, sizeof(m->fingerprint), "%016" PRIx64, h);

	char model[300], host[300];
	json_escape(m->cpu_model, model, sizeof(model));
	json_escape(m->hostname, host, sizeof(host));
	snprintf(m->record_json, sizeof(m->record_json),
		 "{\"hostname\": \"%s\", \"cpu_model\": \"%s\", \"isa_features\": \"%s\", "
		 "\"cores\": %ld, \"memory_bytes\": %llu}",
		 host, model, m->features, m->cores, bnn_phys_mem());
}

void bnn_machine_info(const bnn_machine_t *m, bnn_machine_info_t *info)
{
	info->fingerprint = m->fingerprint;
	info->hostname = m->hostname;
	info->cpu_model = m->cpu_model;
	info->isa_features = m->features;
	info->cores = m->cores;
	info->record_json = m->record_json;
}

void bnn_build_info(bnn_build_info_t *b)
{
	b->version = BNN_GIT_VERSION;
#ifdef __VERSION__
	b->compiler = "cc " __VERSION__;
#else
	b->compiler = "unknown";
#endif
	b->cflags = BNN_CFLAGS;
}
