// `.index`: the sparse map from offset to byte position in the `.log` (Kafka's OffsetIndex).
//
// Entry, 8 bytes, big-endian:
//   byte  size  field
//      0     4  relativeOffset   baseOffset of a batch minus the segment's baseOffset
//      4     4  position         byte position of that batch in the `.log`
//
// An entry is written before appending a batch once at least `indexIntervalBytes` of log were
// written since the previous entry, so the batch at position 0 never has one and every valid
// entry has position > 0; both fields strictly increase. Lookup: binary search, then scan forward.
#pragma once

#include "core/index_file.h"

namespace rivulet {

class OffsetIndex : public IndexFile {
 public:
  static constexpr size_t kEntryBytes = 8;

  struct Entry {
    uint32_t relativeOffset;
    uint32_t position;
  };

  explicit OffsetIndex(uint64_t limitBytes) : IndexFile(kEntryBytes, limitBytes) {}

  Entry At(uint32_t i) const;
  // Writes entry `count()` (the caller reserved room with ReserveFor).
  void Append(uint32_t relativeOffset, uint32_t position);
  // The last entry whose relativeOffset <= relativeOffset, or -1 when there is none.
  int64_t FloorByOffset(uint32_t relativeOffset) const;
  // Reopening: counts the leading entries that are well formed (position > 0, both fields strictly
  // increasing, position < logBytes) and adopts that count. Zero or out-of-order data ends it.
  uint32_t LoadWellFormed(uint64_t logBytes);
  // Like DropFrom, keeping the entries with position < `position`.
  void DropFromPosition(uint64_t position);
};

}  // namespace rivulet
