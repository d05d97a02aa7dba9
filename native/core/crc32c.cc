// CRC-32C with three implementations, picked once at run time:
//  - x86-64 SSE4.2 `crc32` instruction, three independent streams per block so the instruction's
//    3-cycle latency is hidden, streams merged with "append N zero bytes" operator tables
//    (the technique of Mark Adler's crc32c.c);
//  - ARMv8 CRC32 instructions (one stream);
//  - portable slicing-by-8, the same algorithm as src/protocol/crc32c.ts.
// All of them keep the CRC register inverted internally and take/return the plain CRC, which is
// what makes `initial` chain exactly like the TypeScript version.
#include "core/crc32c.h"

#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#define RIVULET_CRC_X86 1
#elif defined(__aarch64__)
#include <arm_acle.h>
#if defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif
#define RIVULET_CRC_ARM 1
#endif

namespace rivulet {
namespace {

constexpr uint32_t kPoly = 0x82f63b78u;  // CRC-32C, bit-reflected

// ---- portable: slicing-by-8 -------------------------------------------------------------------

struct SliceTables {
  uint32_t t[8][256];
};

constexpr SliceTables MakeSliceTables() {
  SliceTables tables{};
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = n;
    for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ kPoly : c >> 1;
    tables.t[0][n] = c;
  }
  for (uint32_t n = 0; n < 256; n++) {
    uint32_t c = tables.t[0][n];
    for (int k = 1; k < 8; k++) {
      c = tables.t[0][c & 0xff] ^ (c >> 8);
      tables.t[k][n] = c;
    }
  }
  return tables;
}

constexpr SliceTables kSlice = MakeSliceTables();

inline uint32_t LoadLE32(const uint8_t* p) {
  return uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 24;
}

uint32_t PortableUpdate(uint32_t crc, const uint8_t* p, size_t n) {
  const auto& t = kSlice.t;
  while (n >= 8) {
    const uint32_t lo = crc ^ LoadLE32(p);
    const uint32_t hi = LoadLE32(p + 4);
    crc = t[7][lo & 0xff] ^ t[6][(lo >> 8) & 0xff] ^ t[5][(lo >> 16) & 0xff] ^ t[4][lo >> 24] ^ t[3][hi & 0xff] ^
          t[2][(hi >> 8) & 0xff] ^ t[1][(hi >> 16) & 0xff] ^ t[0][hi >> 24];
    p += 8;
    n -= 8;
  }
  while (n--) crc = t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

#if defined(RIVULET_CRC_X86)

// ---- x86-64 SSE4.2, three streams --------------------------------------------------------------

// Block sizes of the three-stream loops: long blocks amortise the merge, short ones catch
// mid-sized inputs. Each merge costs four table lookups per stream.
constexpr size_t kLongBlock = 8192;
constexpr size_t kShortBlock = 256;

// GF(2) 32x32 matrices, one uint32 column per input bit: the linear map "feed N zero bytes"
// applied to the (inverted) CRC register.
constexpr uint32_t MatrixTimes(const uint32_t* mat, uint32_t vec) {
  uint32_t sum = 0;
  while (vec) {
    if (vec & 1) sum ^= *mat;
    vec >>= 1;
    mat++;
  }
  return sum;
}

struct Matrix {
  uint32_t m[32];
};

constexpr Matrix MatrixSquare(const Matrix& mat) {
  Matrix square{};
  for (int n = 0; n < 32; n++) square.m[n] = MatrixTimes(mat.m, mat.m[n]);
  return square;
}

// Operator for `len` zero bytes, len a power of two.
constexpr Matrix ZerosOperator(size_t len) {
  Matrix op{};  // one zero bit
  op.m[0] = kPoly;
  uint32_t row = 1;
  for (int n = 1; n < 32; n++) {
    op.m[n] = row;
    row <<= 1;
  }
  op = MatrixSquare(op);  // two bits
  op = MatrixSquare(op);  // four bits
  op = MatrixSquare(op);  // one byte
  while (len > 1) {
    op = MatrixSquare(op);
    len >>= 1;
  }
  return op;
}

struct ShiftTables {
  uint32_t t[4][256];
};

// Byte-wise tables for applying a zeros operator with four lookups.
constexpr ShiftTables MakeShiftTables(size_t len) {
  const Matrix op = ZerosOperator(len);
  ShiftTables tables{};
  for (uint32_t n = 0; n < 256; n++) {
    tables.t[0][n] = MatrixTimes(op.m, n);
    tables.t[1][n] = MatrixTimes(op.m, n << 8);
    tables.t[2][n] = MatrixTimes(op.m, n << 16);
    tables.t[3][n] = MatrixTimes(op.m, n << 24);
  }
  return tables;
}

constexpr ShiftTables kShiftLong = MakeShiftTables(kLongBlock);
constexpr ShiftTables kShiftShort = MakeShiftTables(kShortBlock);

inline uint32_t Shift(const ShiftTables& z, uint32_t crc) {
  return z.t[0][crc & 0xff] ^ z.t[1][(crc >> 8) & 0xff] ^ z.t[2][(crc >> 16) & 0xff] ^ z.t[3][crc >> 24];
}

inline uint64_t Load64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

__attribute__((target("sse4.2"))) uint32_t Sse42Update(uint32_t crc, const uint8_t* p, size_t n) {
  uint64_t crc0 = crc;
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    crc0 = _mm_crc32_u8(static_cast<uint32_t>(crc0), *p++);
    n--;
  }
  // The CRC register is linear: crc(A ++ B) from s == shift_|B|(crc(A) from s) ^ crc(B) from 0.
  while (n >= 3 * kLongBlock) {
    uint64_t crc1 = 0;
    uint64_t crc2 = 0;
    const uint8_t* end = p + kLongBlock;
    do {
      crc0 = _mm_crc32_u64(crc0, Load64(p));
      crc1 = _mm_crc32_u64(crc1, Load64(p + kLongBlock));
      crc2 = _mm_crc32_u64(crc2, Load64(p + 2 * kLongBlock));
      p += 8;
    } while (p < end);
    crc0 = Shift(kShiftLong, static_cast<uint32_t>(crc0)) ^ crc1;
    crc0 = Shift(kShiftLong, static_cast<uint32_t>(crc0)) ^ crc2;
    p += 2 * kLongBlock;
    n -= 3 * kLongBlock;
  }
  while (n >= 3 * kShortBlock) {
    uint64_t crc1 = 0;
    uint64_t crc2 = 0;
    const uint8_t* end = p + kShortBlock;
    do {
      crc0 = _mm_crc32_u64(crc0, Load64(p));
      crc1 = _mm_crc32_u64(crc1, Load64(p + kShortBlock));
      crc2 = _mm_crc32_u64(crc2, Load64(p + 2 * kShortBlock));
      p += 8;
    } while (p < end);
    crc0 = Shift(kShiftShort, static_cast<uint32_t>(crc0)) ^ crc1;
    crc0 = Shift(kShiftShort, static_cast<uint32_t>(crc0)) ^ crc2;
    p += 2 * kShortBlock;
    n -= 3 * kShortBlock;
  }
  while (n >= 8) {
    crc0 = _mm_crc32_u64(crc0, Load64(p));
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc0 = _mm_crc32_u8(static_cast<uint32_t>(crc0), *p++);
    n--;
  }
  return static_cast<uint32_t>(crc0);
}

bool CpuHasSse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
}

// ---- x86-64 AVX-512 VPCLMULQDQ: folding, fused with the copy ----------------------------------
//
// The message is folded 64 bytes (four 128-bit lanes) at a time with carry-less multiplications
// (Intel's "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ"), four registers wide
// in the main loop, then reduced to one 128-bit lane, whose CRC the crc32 instruction finishes.
// About four times the three-stream crc32 loop, and the bytes it reads are already in registers:
// CopyFold stores exactly those registers to the destination, so the CRC is of what was written.
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

#endif  // RIVULET_CRC_X86

#if defined(RIVULET_CRC_ARM)

// ---- ARMv8 CRC32 instructions -----------------------------------------------------------------

#if defined(__clang__)
#define RIVULET_TARGET_CRC __attribute__((target("crc")))
#else
#define RIVULET_TARGET_CRC __attribute__((target("+crc")))
#endif

RIVULET_TARGET_CRC uint32_t Armv8Update(uint32_t crc, const uint8_t* p, size_t n) {
  while (n > 0 && (reinterpret_cast<uintptr_t>(p) & 7) != 0) {
    crc = __crc32cb(crc, *p++);
    n--;
  }
  while (n >= 8) {
    uint64_t v;
    std::memcpy(&v, p, sizeof v);
    crc = __crc32cd(crc, v);
    p += 8;
    n -= 8;
  }
  while (n > 0) {
    crc = __crc32cb(crc, *p++);
    n--;
  }
  return crc;
}

bool CpuHasArmCrc() {
#if defined(__linux__) && defined(HWCAP_CRC32)
  return (getauxval(AT_HWCAP) & HWCAP_CRC32) != 0;
#elif defined(__APPLE__)
  return true;  // every Apple arm64 core implements the CRC32 extension
#else
  return false;
#endif
}

#endif  // RIVULET_CRC_ARM

using UpdateFn = uint32_t (*)(uint32_t, const uint8_t*, size_t);
using CopyFn = uint32_t (*)(uint32_t, uint8_t*, const uint8_t*, size_t, bool);

struct Impl {
  UpdateFn update;
  CopyFn copy;  // null: memcpy, then update over the destination
  const char* name;
};

// Every implementation this CPU runs, fastest first; the last is always the portable one.
std::vector<Impl> AvailableImpls() {
  std::vector<Impl> impls;
#if defined(RIVULET_CRC_X86)
  if (CpuHasFold()) impls.push_back({FoldUpdate, FoldCopy, "avx512-vpclmulqdq"});
  if (CpuHasSse42()) impls.push_back({Sse42Update, nullptr, "sse4.2"});
#elif defined(RIVULET_CRC_ARM)
  if (CpuHasArmCrc()) impls.push_back({Armv8Update, nullptr, "armv8"});
#endif
  impls.push_back({PortableUpdate, nullptr, "portable"});
  return impls;
}

const std::vector<Impl>& Impls() {
  static const std::vector<Impl> impls = AvailableImpls();  // thread-safe one-time initialisation
  return impls;
}

const Impl& SelectedImpl() {
  static const Impl& impl = Impls().front();
  return impl;
}

}  // namespace

uint32_t Crc32c(uint32_t initial, const void* data, size_t length) {
  return ~SelectedImpl().update(~initial, static_cast<const uint8_t*>(data), length);
}

uint32_t Crc32cCopy(uint32_t initial, void* dst, const void* src, size_t length, bool stream) {
  const Impl& impl = SelectedImpl();
  auto* to = static_cast<uint8_t*>(dst);
  if (impl.copy != nullptr) return ~impl.copy(~initial, to, static_cast<const uint8_t*>(src), length, stream);
  std::memcpy(to, src, length);
  return ~impl.update(~initial, to, length);  // the CRC of the copy: what is checked is what is stored
}

const char* Crc32cImplName() { return SelectedImpl().name; }

std::vector<const char*> Crc32cImplNames() {
  std::vector<const char*> names;
  for (const Impl& impl : Impls()) names.push_back(impl.name);
  return names;
}

uint32_t Crc32cUsing(size_t index, uint32_t initial, const void* data, size_t length) {
  return ~Impls().at(index).update(~initial, static_cast<const uint8_t*>(data), length);
}

uint32_t Crc32cPortable(uint32_t initial, const void* data, size_t length) {
  return ~PortableUpdate(~initial, static_cast<const uint8_t*>(data), length);
}

}  // namespace rivulet
