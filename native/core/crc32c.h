// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as Kafka's RecordBatch v2 uses it.
// The same function as src/protocol/crc32c.ts: `initial` is the CRC of the bytes before `data`
// (0 to start), so Crc32c(Crc32c(0, a), b) == Crc32c(0, a ++ b).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace rivulet {

// The fastest implementation this CPU supports, chosen once at first use.
uint32_t Crc32c(uint32_t initial, const void* data, size_t length);

// Copies src[0, length) to dst (they must not overlap) and returns the CRC-32C of the bytes
// copied, chained from `initial` like Crc32c. The CRC is of the bytes as written to dst, even if
// src changes meanwhile (another thread writing a SharedArrayBuffer). Long copies may bypass the
// CPU caches (non-temporal stores): meant for data written now and read later, if at all. Like
// any data, the copy reaches other threads through a synchronisation (a lock, a queue): streaming
// stores are weakly ordered, and this does not fence them. With `stream` false every store goes
// through the cache: for a destination that is read again at once (a buffer handed to write(2)).
uint32_t Crc32cCopy(uint32_t initial, void* dst, const void* src, size_t length, bool stream = true);

// The implementations this CPU runs, fastest first (the first is the one Crc32c uses, the last is
// "portable"): for tests, which hold each one against Crc32cPortable.
std::vector<const char*> Crc32cImplNames();
// Crc32c computed by implementation Crc32cImplNames()[index].
uint32_t Crc32cUsing(size_t index, uint32_t initial, const void* data, size_t length);

// Which implementation Crc32c uses: "avx512-vpclmulqdq", "sse4.2", "armv8" or "portable".
const char* Crc32cImplName();

// The table-driven implementation, always available; the hardware paths are checked against it.
uint32_t Crc32cPortable(uint32_t initial, const void* data, size_t length);

}  // namespace rivulet
