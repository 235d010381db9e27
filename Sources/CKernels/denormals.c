// Denormal (subnormal) floats in the recursions of IIR filters: a biquad fed silence decays
// into the subnormal range, where every multiply and add takes a microcode assist (measured: a
// 3-band equaliser over 30 s of a click then silence, 404 ms instead of 12 ms). Audio code
// flushes them to zero for the duration of such loops, as JUCE's ScopedNoDenormals does.
#include "mm_kernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>

// MXCSR bit 15 flushes subnormal results to zero (FTZ), bit 6 reads subnormal inputs as zero (DAZ).
unsigned long mm_denormals_flush_begin(void) {
    unsigned int previous = _mm_getcsr();
    _mm_setcsr(previous | 0x8040u);
    return previous;
}

void mm_denormals_flush_end(unsigned long previous) { _mm_setcsr((unsigned int)previous); }

#elif defined(__aarch64__)

// FPCR bit 24 (FZ) flushes subnormal inputs and results to zero.
unsigned long mm_denormals_flush_begin(void) {
    unsigned long previous;
    __asm__ volatile("mrs %0, fpcr" : "=r"(previous));
    __asm__ volatile("msr fpcr, %0" : : "r"(previous | (1ul << 24)));
    return previous;
}

void mm_denormals_flush_end(unsigned long previous) { __asm__ volatile("msr fpcr, %0" : : "r"(previous)); }

#else

unsigned long mm_denormals_flush_begin(void) { return 0; }
void mm_denormals_flush_end(unsigned long previous) { (void)previous; }

#endif
