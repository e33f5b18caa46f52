/*
 * The tests' fault kernels (fault_kernels.c): misbehaving on task 1 (crash,
 * exit, hang, wrong digest, wrong on its third run) and like noop on every
 * other task. Linking fault_kernels.c adds them to the kernel registry.
 */
#ifndef CB_FAULT_KERNELS_H
#define CB_FAULT_KERNELS_H

#include "kernels.h"

extern const struct cb_kernel cb_fault_kernels[];
extern const size_t cb_fault_kernel_count;

#endif
