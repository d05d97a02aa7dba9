// CRC-32C by AVX-512 VPCLMULQDQ folding, fused with the copy of appended batches: the fastest of
// the implementations crc32c.cc picks from, where the CPU has it.
#include "core/crc32c_impls.h"

#if defined(__x86_64__)

#include <immintrin.h>

#include <cstring>

namespace rivulet::crc32c_impls {
namespace {

// ---- x86-64 AVX-512 VPCLMULQDQ: folding, fused with the copy ----------------------------------
//
// The message is folded 64 bytes (four 128-bit lanes) at a time with carry-less multiplications
// (Intel's "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ"), four registers wide
// in the main loop, then reduced to one 128-bit lane, whose CRC the crc32 instruction finishes.
// About four times the three-stream crc32 loop, and the bytes it reads are already in registers:
// FoldCopy stores exactly those registers to the destination, so the CRC is of what was written.
//
// Conventions (reflected, like the CRC register): in a 128-bit lane loaded from memory, bit k is
// the coefficient of x^(127-k), so the low qword h0 holds the earlier bytes: lane = h0·x^64 + h1.
// Moving a lane D bits further down the message multiplies it by x^D. A 64x64 carry-less product
// of a reflected qword and a constant c whose bit j is the coefficient of x^(63-j) lands in a
// lane as x·h·c, so folding uses c0 = x^(D+63) mod P for h0 and c1 = x^(D-1) mod P for h1; their
// sum (degree < 96) is congruent to the lane times x^D and is xored into the lane D bits later.

// x^n mod P, reflected (bit i is the coefficient of x^(31-i)).
constexpr uint32_t XPowModP(uint64_t n) {
  uint32_t v = 0x80000000u;  // x^0
  while (n-- > 0) v = (v >> 1) ^ ((v & 1) ? kPoly : 0);
  return v;
}

struct FoldConstants {
  uint64_t early;  // c0, for the lane's low qword
  uint64_t late;   // c1, for its high qword
};

constexpr FoldConstants FoldBy(uint64_t bits) {
  return {uint64_t{XPowModP(bits + 63)} << 32, uint64_t{XPowModP(bits - 1)} << 32};
}

constexpr FoldConstants kFold2048 = FoldBy(2048);  // four registers ahead (256 bytes)
constexpr FoldConstants kFold512 = FoldBy(512);    // one register ahead (64 bytes)
constexpr FoldConstants kFold384 = FoldBy(384);    // the four lanes of a register into its last
constexpr FoldConstants kFold256 = FoldBy(256);
constexpr FoldConstants kFold128 = FoldBy(128);

// Bytes below which folding does not pay for its setup and final reduction.
constexpr size_t kFoldMinBytes = 256;

#define RIVULET_TARGET_FOLD __attribute__((target("avx512f,avx512bw,avx512vl,vpclmulqdq,pclmul,sse4.2")))

RIVULET_TARGET_FOLD inline __m512i Broadcast(const FoldConstants& k) {
  const auto early = static_cast<long long>(k.early);
  const auto late = static_cast<long long>(k.late);
  return _mm512_set_epi64(late, early, late, early, late, early, late, early);
}

// lane·x^D (mod P, for each 128-bit lane) ^ next.
RIVULET_TARGET_FOLD inline __m512i Fold(__m512i lanes, __m512i k, __m512i next) {
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(lanes, k, 0x00), _mm512_clmulepi64_epi128(lanes, k, 0x11),
                                   next, 0x96);
}

RIVULET_TARGET_FOLD inline __m128i Fold128(__m128i lane, const FoldConstants& k) {
  const __m128i kk = _mm_set_epi64x(static_cast<long long>(k.late), static_cast<long long>(k.early));
  return _mm_xor_si128(_mm_clmulepi64_si128(lane, kk, 0x00), _mm_clmulepi64_si128(lane, kk, 0x11));
}

template <bool kCopy, bool kStream>
RIVULET_TARGET_FOLD inline void Put(uint8_t* dst, __m512i v) {
  if (!kCopy) return;
  if (kStream) {
    _mm512_stream_si512(reinterpret_cast<__m512i*>(dst), v);
  } else {
    _mm512_storeu_si512(dst, v);
  }
}

// Folds src[0, n) (n >= kFoldMinBytes, a multiple of 64) from CRC register `crc`; with kCopy,
// also stores it to dst (64-byte aligned when kStream).
template <bool kCopy, bool kStream>
RIVULET_TARGET_FOLD uint32_t FoldBlocks(uint32_t crc, uint8_t* dst, const uint8_t* p, size_t n) {
  __m512i x0 = _mm512_loadu_si512(p);
  __m512i x1 = _mm512_loadu_si512(p + 64);
  __m512i x2 = _mm512_loadu_si512(p + 128);
  __m512i x3 = _mm512_loadu_si512(p + 192);
  Put<kCopy, kStream>(dst, x0);
  Put<kCopy, kStream>(dst + 64, x1);
  Put<kCopy, kStream>(dst + 128, x2);
  Put<kCopy, kStream>(dst + 192, x3);
  // The register so far enters as if xored into the first four message bytes.
  x0 = _mm512_xor_si512(x0, _mm512_castsi128_si512(_mm_cvtsi32_si128(static_cast<int>(crc))));
  p += 256;
  dst += 256;
  n -= 256;
  const __m512i k2048 = Broadcast(kFold2048);
  while (n >= 256) {
    const __m512i y0 = _mm512_loadu_si512(p);
    const __m512i y1 = _mm512_loadu_si512(p + 64);
    const __m512i y2 = _mm512_loadu_si512(p + 128);
    const __m512i y3 = _mm512_loadu_si512(p + 192);
    Put<kCopy, kStream>(dst, y0);
    Put<kCopy, kStream>(dst + 64, y1);
    Put<kCopy, kStream>(dst + 128, y2);
    Put<kCopy, kStream>(dst + 192, y3);
    x0 = Fold(x0, k2048, y0);
    x1 = Fold(x1, k2048, y1);
    x2 = Fold(x2, k2048, y2);
    x3 = Fold(x3, k2048, y3);
    p += 256;
    dst += 256;
    n -= 256;
  }
  const __m512i k512 = Broadcast(kFold512);
  __m512i x = Fold(x0, k512, x1);
  x = Fold(x, k512, x2);
  x = Fold(x, k512, x3);
  while (n >= 64) {
    const __m512i y = _mm512_loadu_si512(p);
    Put<kCopy, kStream>(dst, y);
    x = Fold(x, k512, y);
    p += 64;
    dst += 64;
    n -= 64;
  }
  // (The maskz forms: GCC 12 warns about the undefined fill of the plain ones.)
  __m128i lane = _mm512_maskz_extracti32x4_epi32(0xf, x, 3);
  lane = _mm_xor_si128(lane, Fold128(_mm512_maskz_extracti32x4_epi32(0xf, x, 0), kFold384));
  lane = _mm_xor_si128(lane, Fold128(_mm512_maskz_extracti32x4_epi32(0xf, x, 1), kFold256));
  lane = _mm_xor_si128(lane, Fold128(_mm512_maskz_extracti32x4_epi32(0xf, x, 2), kFold128));
  // The lane is congruent to the whole message; its CRC from a zero register is the message's.
  uint64_t r = _mm_crc32_u64(0, static_cast<uint64_t>(_mm_cvtsi128_si64(lane)));
  r = _mm_crc32_u64(r, static_cast<uint64_t>(_mm_extract_epi64(lane, 1)));
  return static_cast<uint32_t>(r);
}

}  // namespace

RIVULET_TARGET_FOLD uint32_t FoldUpdate(uint32_t crc, const uint8_t* p, size_t n) {
  if (n < kFoldMinBytes) return Sse42Update(crc, p, n);
  const size_t blocks = n & ~size_t{63};
  crc = FoldBlocks<false, false>(crc, nullptr, p, blocks);
  return Sse42Update(crc, p + blocks, n - blocks);
}

// Destinations at least this long are written with non-temporal stores: appended data is read
// back later, if at all (a consumer's fetch), and streaming stores skip reading the destination
// lines in first, which is what a copy into freshly faulted pages mostly waits for.
constexpr size_t kStreamMinBytes = 1024;

RIVULET_TARGET_FOLD uint32_t FoldCopy(uint32_t crc, uint8_t* dst, const uint8_t* src, size_t n, bool stream) {
  // Up to a 64-byte boundary of the destination through the cache, then whole aligned blocks, the
  // tail through the cache again. Every CRC is of the bytes as stored: the head and tail are read
  // back from dst, the blocks are folded from the registers that were stored.
  const size_t head = (64 - (reinterpret_cast<uintptr_t>(dst) & 63)) & 63;
  if (n < head + kFoldMinBytes) {
    std::memcpy(dst, src, n);
    return Sse42Update(crc, dst, n);
  }
  std::memcpy(dst, src, head);
  crc = Sse42Update(crc, dst, head);
  dst += head;
  src += head;
  n -= head;
  const size_t blocks = n & ~size_t{63};
  if (stream && blocks >= kStreamMinBytes) {
    // No SFENCE after these streaming stores: waiting for them to drain here would cost about as
    // much as the copy itself. This thread sees them in order; any other thread or device only
    // looks after a synchronising event (taking a lock to hand work over, an interrupt such as a
    // TLB shootdown before writeback), and each of those drains the write-combining buffers.
    crc = FoldBlocks<true, true>(crc, dst, src, blocks);
  } else {
    crc = FoldBlocks<true, false>(crc, dst, src, blocks);
  }
  std::memcpy(dst + blocks, src + blocks, n - blocks);
  return Sse42Update(crc, dst + blocks, n - blocks);
}

bool CpuHasFold() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("vpclmulqdq") && __builtin_cpu_supports("pclmul");
}

}  // namespace rivulet::crc32c_impls

#endif  // __x86_64__
