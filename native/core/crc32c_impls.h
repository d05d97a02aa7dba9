// Internal to the CRC-32C implementations (crc32c.cc, crc32c_fold.cc): what one file's code
// calls in the other's. Everything here works on the inverted CRC register, like the update
// functions in crc32c.cc; the public functions are in crc32c.h.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rivulet::crc32c_impls {

constexpr uint32_t kPoly = 0x82f63b78u;  // CRC-32C, bit-reflected

#if defined(__x86_64__)
// The SSE4.2 three-stream loop (crc32c.cc); the folding code finishes heads and tails with it.
uint32_t Sse42Update(uint32_t crc, const uint8_t* p, size_t n);

// AVX-512 VPCLMULQDQ folding (crc32c_fold.cc), for CPUs where CpuHasFold() is true.
bool CpuHasFold();
uint32_t FoldUpdate(uint32_t crc, const uint8_t* p, size_t n);
// Copies src[0, n) to dst while folding; long destinations get streaming stores when `stream`.
uint32_t FoldCopy(uint32_t crc, uint8_t* dst, const uint8_t* src, size_t n, bool stream);
#endif

}  // namespace rivulet::crc32c_impls
