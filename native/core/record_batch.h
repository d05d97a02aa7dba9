// Kafka RecordBatch v2 (magic 2), the unit the log stores. The broker never decodes records: it
// checks framing, magic and CRC, stamps baseOffset and copies the bytes (DESIGN.md, "Disk format").
//
// Header, big-endian (Kafka's DefaultRecordBatch):
//   byte  size  field
//      0     8  baseOffset            stamped by the log on append; outside the CRC
//      8     4  batchLength           bytes after this field: a batch is 12 + batchLength bytes
//     12     4  partitionLeaderEpoch
//     16     1  magic                 always 2
//     17     4  crc                   CRC-32C of bytes [21, end of batch)
//     21     2  attributes            bits 0-2 compression, 3 timestamp type, 4 transactional, 5 control
//     23     4  lastOffsetDelta       the batch holds offsets [baseOffset, baseOffset + lastOffsetDelta]
//     27     8  baseTimestamp
//     35     8  maxTimestamp
//     43     8  producerId
//     51     2  producerEpoch
//     53     4  baseSequence
//     57     4  recordCount
//     61     …  records (possibly compressed as a whole)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace rivulet {

namespace batch {
constexpr size_t kBaseOffset = 0;
constexpr size_t kBatchLength = 8;
constexpr size_t kMagic = 16;
constexpr size_t kCrc = 17;
constexpr size_t kCrcStart = 21;  // first byte the CRC covers (attributes)
constexpr size_t kLastOffsetDelta = 23;
constexpr size_t kMaxTimestamp = 35;
constexpr size_t kRecordCount = 57;

// baseOffset + batchLength: what must be read to learn a batch's size.
constexpr size_t kLogOverhead = 12;
// The whole fixed header; the smallest possible batch (no records).
constexpr size_t kHeaderBytes = 61;
constexpr int64_t kMinBatchLength = static_cast<int64_t>(kHeaderBytes - kLogOverhead);
constexpr uint8_t kMagicV2 = 2;
}  // namespace batch

struct BatchInfo {
  uint64_t totalBytes = 0;  // 12 + batchLength
  int64_t baseOffset = 0;
  int32_t lastOffsetDelta = 0;
  int64_t maxTimestamp = 0;
};

// Framing only: is there a whole batch of sane length at `p` within `available` bytes? Sets
// `totalBytes`. On failure `why` says what is wrong (no position: the caller knows it).
bool CheckFraming(const uint8_t* p, size_t available, uint64_t* totalBytes, std::string* why);

// Framing, magic, CRC-32C and header consistency (lastOffsetDelta >= 0, 0 <= recordCount <=
// lastOffsetDelta + 1). Fills `info` on success.
bool ValidateBatch(const uint8_t* p, size_t available, BatchInfo* info, std::string* why);

// Copies the batch of `totalBytes` bytes at `src` (whose framing said so) to `dst`, then validates
// the copy as ValidateBatch does, with the CRC-32C computed during the copy from the bytes as
// stored: what is checked is exactly what is stored, even if `src` changes meanwhile. The records
// may be written around the CPU caches (Crc32cCopy, with `stream`); the header is left in them.
bool CopyBatch(uint8_t* dst, const uint8_t* src, uint64_t totalBytes, BatchInfo* info, std::string* why,
               bool stream = true);

// Header fields of a batch already known to be valid (no checks).
BatchInfo ReadBatchHeader(const uint8_t* p);

}  // namespace rivulet
