/*
 * fuzz.h: the contract of a fuzz target (libFuzzer's): bnn_fuzz_one takes
 * one input of any bytes and must return 0 without crashing, leaking past
 * its return, or tripping a sanitizer; bad input is refused by the code
 * under test, never by the target. Built with driver.c, a target runs each
 * file named on its command line (make check's corpus regression); built
 * with clang -fsanitize=fuzzer (tools/fuzz.sh), libFuzzer drives it.
 */
#ifndef BNN_FUZZ_H
#define BNN_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Writes data to a scratch file of this process (created once, truncated
 * each time) and returns its path, or NULL when that fails: the readers
 * under test take paths.
 */
const char *bnn_fuzz_file(const uint8_t *data, size_t size, const char *suffix);

#endif
