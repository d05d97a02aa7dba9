// What the standalone tests of native/core share (see core_test.cc): a failure count, the
// CHECK macros, batches built by hand, temp dirs and a small segment config.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/crc32c.h"
#include "core/endian.h"
#include "core/record_batch.h"
#include "core/segment.h"

namespace rivulet::test {

inline int failures = 0;

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                                   \
    }                                                                               \
  } while (0)

#define CHECK_OK(expr)                                                                            \
  do {                                                                                            \
    const Status s_ = (expr);                                                                     \
    if (!s_.ok()) {                                                                               \
      std::fprintf(stderr, "%s:%d: %s failed: %s %s\n", __FILE__, __LINE__, #expr, s_.codeName(), \
                   s_.message().c_str());                                                         \
      failures++;                                                                                 \
    }                                                                                             \
  } while (0)

inline constexpr size_t kRecordsBytes = 40;

inline std::vector<uint8_t> MakeBatch(int32_t lastOffsetDelta, int64_t maxTimestamp, size_t payload = kRecordsBytes) {
  std::vector<uint8_t> b(batch::kHeaderBytes + payload, 0);
  StoreBE32(&b[batch::kBatchLength], static_cast<uint32_t>(b.size() - batch::kLogOverhead));
  b[batch::kMagic] = batch::kMagicV2;
  StoreBE32(&b[batch::kLastOffsetDelta], static_cast<uint32_t>(lastOffsetDelta));
  StoreBE64(&b[batch::kMaxTimestamp], static_cast<uint64_t>(maxTimestamp));
  StoreBE32(&b[batch::kRecordCount], static_cast<uint32_t>(lastOffsetDelta + 1));
  for (size_t i = batch::kHeaderBytes; i < b.size(); i++) b[i] = static_cast<uint8_t>(i * 31 + lastOffsetDelta);
  StoreBE32(&b[batch::kCrc], Crc32c(0, &b[batch::kCrcStart], b.size() - batch::kCrcStart));
  return b;
}

inline std::string TempDir() {
  char pattern[] = "/tmp/rivulet-core-XXXXXX";
  const char* dir = mkdtemp(pattern);
  if (dir == nullptr) std::abort();
  return dir;
}

inline void RemoveTree(const std::string& dir) {
  const std::string command = "rm -rf '" + dir + "'";
  if (std::system(command.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", dir.c_str());
}

inline SegmentConfig Config(const std::string& dir) {
  SegmentConfig c;
  c.dir = dir;
  c.baseOffset = 0;
  c.segmentBytes = 1 << 20;
  c.indexIntervalBytes = 256;
  c.indexBytes = 4096;
  return c;
}

// Defined in append_test.cc.
void TestAppendReadRecover();
void TestAppendFlushedOften();
// Defined in cache_tail_test.cc.
void TestCacheTail();

}  // namespace rivulet::test
