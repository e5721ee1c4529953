/* attrs.h -- the few compiler attributes that shape the interposer's hot paths.
 *
 * Each checked API call runs between the program's flush and its next drain, where
 * every store the CPU retires waits behind the write-back (store buffer). Flattening
 * a call into one frame (NV_HOT, with -flto across files) removes the prologues and
 * spills of a dozen small functions; NV_COLD keeps the rare paths -- findings,
 * unwinding, growth, failure -- out of it.
 */
#ifndef NV_ATTRS_H
#define NV_ATTRS_H

#define NV_HOT __attribute__((flatten))
#define NV_COLD __attribute__((noinline, cold))
#define NV_INLINE static inline __attribute__((always_inline))

#endif
