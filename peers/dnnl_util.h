/*
 * dnnl_util.h: the oneDNN plumbing the peers share (peers.c and
 * peers_reactnet.c): a oneDNN status as the project's negative errno, and
 * the call-or-goto-out macro. Include after <oneapi/dnnl/dnnl.h>.
 */
#ifndef BNN_DNNL_UTIL_H
#define BNN_DNNL_UTIL_H

#include <errno.h>

/* A oneDNN status as a negative errno (0 for success). */
static inline int bnn_dnnl_errno(dnnl_status_t s)
{
	switch (s) {
	case dnnl_success:
		return 0;
	case dnnl_out_of_memory:
		return -ENOMEM;
	case dnnl_unimplemented:
		return -ENOTSUP;
	case dnnl_invalid_arguments:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Runs a oneDNN call; on failure sets rc and jumps to the caller's out:. */
#define BNN_DNNL_TRY(call)                           \
	do {                                         \
		dnnl_status_t s_ = (call);           \
		if (s_ != dnnl_success) {            \
			rc = bnn_dnnl_errno(s_);     \
			goto out;                    \
		}                                    \
	} while (0)

#endif
