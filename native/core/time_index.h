// `.timeindex`: timestamp lookups (same byte layout as Kafka's TimeIndex).
//
// Entry, 12 bytes, big-endian:
//   byte  size  field
//      0     8  timestamp        largest maxTimestamp of all batches *before* the indexed batch
//      8     4  relativeOffset   the indexed batch, the same one as offset-index entry i
//
// Entries are written together with the offset index's, on the same rhythm, so entry i of both
// files names the same batch (a reopened pair that disagrees is cut where it stops agreeing).
// Storing the maximum of what comes *before* makes the lookup exact: if entry i's timestamp is
// below T, no batch before entry i's batch reaches T, so the scan for "first batch with
// maxTimestamp >= T" can start there; and since entry i+1's timestamp (if any) is >= T, the
// scan stops before entry i+1's batch. Timestamps are non-decreasing.
#pragma once

#include "core/index_file.h"
#include "core/offset_index.h"

namespace rivulet {

class TimeIndex : public IndexFile {
 public:
  static constexpr size_t kEntryBytes = 12;

  struct Entry {
    int64_t timestamp;
    uint32_t relativeOffset;
  };

  explicit TimeIndex(uint64_t limitBytes) : IndexFile(kEntryBytes, limitBytes) {}

  Entry At(uint32_t i) const;
  void Append(int64_t timestamp, uint32_t relativeOffset);
  // The last entry whose timestamp < timestamp, or -1 when there is none.
  int64_t LastBelow(int64_t timestamp) const;
  // Reopening: counts the leading entries (at most `offsets.count()`) whose relativeOffset matches
  // the offset index's entry and whose timestamps do not decrease, and adopts that count.
  uint32_t LoadMatching(const OffsetIndex& offsets);
};

}  // namespace rivulet
