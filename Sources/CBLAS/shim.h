/* OpenBLAS's CBLAS interface (cblas_sgemm, ...) plus its thread-count extensions. */
#include <cblas.h>
/* glibc's mallopt, to keep the engine's large, short-lived buffers in the heap (see ComputeThreads). */
#include <malloc.h>

/* Raw CPUID and XGETBV for BLASCore's kernel check (Swift has no intrinsics for them). On other
   architectures both report "nothing": mtk_cpuid returns 0 and mtk_xgetbv0 is never reached. */
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

/* CPUID leaf/subleaf into regs[0..3] = eax, ebx, ecx, edx; 0 if the leaf is not supported. */
static inline int mtk_cpuid(unsigned leaf, unsigned subleaf, unsigned regs[4]) {
    return __get_cpuid_count(leaf, subleaf, &regs[0], &regs[1], &regs[2], &regs[3]);
}

/* XCR0: the register states the OS saves. Only call when CPUID.1:ECX.OSXSAVE is set (else #UD). */
static inline unsigned long long mtk_xgetbv0(void) {
    unsigned eax, edx;
    __asm__ __volatile__("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
    return ((unsigned long long)edx << 32) | eax;
}
#else
static inline int mtk_cpuid(unsigned leaf, unsigned subleaf, unsigned regs[4]) {
    (void)leaf; (void)subleaf; regs[0] = regs[1] = regs[2] = regs[3] = 0; return 0;
}
static inline unsigned long long mtk_xgetbv0(void) { return 0; }
#endif
