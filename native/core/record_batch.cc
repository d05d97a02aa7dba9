#include "core/record_batch.h"

#include <cstdio>

#include "core/crc32c.h"
#include "core/endian.h"

namespace rivulet {

namespace {

std::string Hex32(uint32_t v) {
  char text[16];
  std::snprintf(text, sizeof text, "0x%08x", v);
  return text;
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
  const uint8_t magic = p[batch::kMagic];
  if (magic != batch::kMagicV2) {
    *why = "magic " + std::to_string(magic) + ", expected " + std::to_string(batch::kMagicV2);
    return false;
  }
  const uint32_t stored = LoadBE32(p + batch::kCrc);
  const uint32_t computed = Crc32c(0, p + batch::kCrcStart, total - batch::kCrcStart);
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

BatchInfo ReadBatchHeader(const uint8_t* p) {
  BatchInfo info;
  info.totalBytes = batch::kLogOverhead + static_cast<uint32_t>(LoadBE32(p + batch::kBatchLength));
  info.baseOffset = static_cast<int64_t>(LoadBE64(p + batch::kBaseOffset));
  info.lastOffsetDelta = static_cast<int32_t>(LoadBE32(p + batch::kLastOffsetDelta));
  info.maxTimestamp = static_cast<int64_t>(LoadBE64(p + batch::kMaxTimestamp));
  return info;
}

}  // namespace rivulet
