#include "core/record_batch.h"

#include <cstdio>
#include <cstring>

#include "core/crc32c.h"
#include "core/endian.h"

namespace rivulet {

namespace {

std::string Hex32(uint32_t v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", v);
  return text;
}

// ValidateBatch after framing; `computed` is the CRC-32C of bytes [kCrcStart, end of batch).
bool CheckHeader(const uint8_t* p, uint32_t computed, BatchInfo* info, std::string* why) {
  const uint8_t magic = p[batch::kMagic];
  if (magic != batch::kMagicV2) {
    *why = "magic " + std::to_string(magic) + ", expected " + std::to_string(batch::kMagicV2);
    return false;
  }
  const uint32_t stored = LoadBE32(p + batch::kCrc);
  if (stored != computed) {
    *why = "CRC-32C mismatch: stored " + Hex32(stored) + ", computed " + Hex32(computed);
    return false;
  }
  const int32_t lastOffsetDelta = static_cast<int32_t>(LoadBE32(p + batch::kLastOffsetDelta));
  if (lastOffsetDelta < 0) {
    *why = "lastOffsetDelta " + std::to_string(lastOffsetDelta) + " is negative";
    return false;
  }
  // Every record has a distinct offsetDelta in [0, lastOffsetDelta], so there cannot be more.
  const int32_t recordCount = static_cast<int32_t>(LoadBE32(p + batch::kRecordCount));
  if (recordCount < 0 || static_cast<int64_t>(recordCount) > int64_t{lastOffsetDelta} + 1) {
    *why = "recordCount " + std::to_string(recordCount) + " does not fit lastOffsetDelta " +
           std::to_string(lastOffsetDelta);
    return false;
  }
  *info = ReadBatchHeader(p);
  return true;
}

}  // namespace

bool CheckFraming(const uint8_t* p, size_t available, uint64_t* totalBytes, std::string* why) {
  if (available < batch::kLogOverhead) {
    *why = "only " + std::to_string(available) + " bytes left, a batch header needs " +
           std::to_string(batch::kLogOverhead) + " to give its length";
    return false;
  }
  const int64_t batchLength = static_cast<int32_t>(LoadBE32(p + batch::kBatchLength));
  if (batchLength < batch::kMinBatchLength) {
    *why = "batchLength " + std::to_string(batchLength) + " is below the minimum " +
           std::to_string(batch::kMinBatchLength);
    return false;
  }
  const uint64_t total = batch::kLogOverhead + static_cast<uint64_t>(batchLength);
  if (total > available) {
    *why = "batch of " + std::to_string(total) + " bytes (batchLength " + std::to_string(batchLength) +
           ") overruns the " + std::to_string(available) + " bytes left";
    return false;
  }
  *totalBytes = total;
  return true;
}

bool ValidateBatch(const uint8_t* p, size_t available, BatchInfo* info, std::string* why) {
  uint64_t total = 0;
  if (!CheckFraming(p, available, &total, why)) return false;
  return CheckHeader(p, Crc32c(0, p + batch::kCrcStart, total - batch::kCrcStart), info, why);
}

bool CopyBatch(uint8_t* dst, const uint8_t* src, uint64_t totalBytes, BatchInfo* info, std::string* why,
               bool stream) {
  std::memcpy(dst, src, batch::kCrcStart);
  // The rest of the header through the cache (it is read back below and stamped by the caller),
  // then the records.
  uint32_t crc = Crc32cCopy(0, dst + batch::kCrcStart, src + batch::kCrcStart, batch::kHeaderBytes - batch::kCrcStart);
  crc = Crc32cCopy(crc, dst + batch::kHeaderBytes, src + batch::kHeaderBytes, totalBytes - batch::kHeaderBytes, stream);
  uint64_t copied = 0;
  if (!CheckFraming(dst, totalBytes, &copied, why)) return false;
  if (copied != totalBytes) {
    *why = "batchLength changed while the batch was copied";
    return false;
  }
  return CheckHeader(dst, crc, info, why);
}

BatchInfo ReadBatchHeader(const uint8_t* p) {
  BatchInfo info;
  info.totalBytes = batch::kLogOverhead + static_cast<uint32_t>(LoadBE32(p + batch::kBatchLength));
  info.baseOffset = static_cast<int64_t>(LoadBE64(p + batch::kBaseOffset));
  info.lastOffsetDelta = static_cast<int32_t>(LoadBE32(p + batch::kLastOffsetDelta));
  info.maxTimestamp = static_cast<int64_t>(LoadBE64(p + batch::kMaxTimestamp));
  return info;
}

}  // namespace rivulet
