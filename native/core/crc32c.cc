// CRC-32C with four implementations, picked once at run time:
//  - x86-64 AVX-512 VPCLMULQDQ folding, fused with the copy of appended batches (crc32c_fold.cc);
//  - x86-64 SSE4.2 `crc32` instruction, three independent streams per block so the instruction's
//    3-cycle latency is hidden, streams merged with "append N zero bytes" operator tables
//    (the technique of Mark Adler's crc32c.c);
//  - ARMv8 CRC32 instructions (one stream);
//  - portable slicing-by-8, the same algorithm as src/protocol/crc32c.ts.
// All of them keep the CRC register inverted internally and take/return the plain CRC, which is
// what makes `initial` chain exactly like the TypeScript version.
#include "core/crc32c.h"
#include "core/crc32c_impls.h"

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

using crc32c_impls::kPoly;

namespace {

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

}  // namespace

namespace crc32c_impls {

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

}  // namespace crc32c_impls

namespace {

using crc32c_impls::Sse42Update;

bool CpuHasSse42() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("sse4.2");
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
  if (crc32c_impls::CpuHasFold()) {
    impls.push_back({crc32c_impls::FoldUpdate, crc32c_impls::FoldCopy, "avx512-vpclmulqdq"});
  }
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
