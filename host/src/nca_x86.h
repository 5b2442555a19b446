/* SPDX-License-Identifier: Apache-2.0 */
/* nca_x86.h - the x86 switch of the step's SIMD kernels (nca_step.c, nca_mlp_fast.c). Where
 * the compiler is GCC-compatible and targets x86, NCA_X86 is 1, <immintrin.h> is in and each
 * kernel is compiled for its own instruction set with the attributes below (nca_cpu_simd()
 * picks one at run time); elsewhere NCA_X86 is 0 and only the portable code is built. */
#ifndef NCA_X86_H
#define NCA_X86_H

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define NCA_X86 1
#include <immintrin.h>
#define NCA_TARGET_AVX2 __attribute__((target("avx2")))
/* AVX-512 foundation, byte / word and vector-length ops: perception and the update */
#define NCA_TARGET_512 __attribute__((target("avx512f,avx512bw,avx512vl")))
/* the same with VNNI (vpdpwssd, vpdpbusd): the MLP */
#define NCA_TARGET_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#else
#define NCA_X86 0
#endif

#endif
