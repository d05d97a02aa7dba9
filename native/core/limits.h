// Sizes and limits shared by the storage core. Every bound the core enforces is named here, so a
// reader can check the arithmetic of one place instead of hunting literals.
#pragma once

#include <cstdint>

namespace rivulet {

// Offsets and timestamps leave the core as JavaScript numbers: above 2^53 - 1 they would silently
// lose precision, so the core refuses to create one (DESIGN.md, "Offsets").
constexpr int64_t kMaxSafeInteger = (int64_t{1} << 53) - 1;

// A segment's positions are stored as uint32 in the offset index; Kafka caps `segment.bytes` at
// Integer.MAX_VALUE and so do we, which also keeps every position a small JS integer.
constexpr uint64_t kMaxSegmentBytes = 0x7fffffffu;
// The smallest segment that can hold one batch (RecordBatch v2 header without records).
constexpr uint64_t kMinSegmentBytes = 61;

// Index files: at least one entry of the larger (time) index, at most what positions can address.
constexpr uint64_t kMinIndexBytes = 12;
constexpr uint64_t kMaxIndexBytes = 0x7fffffffu;
constexpr uint64_t kMinIndexIntervalBytes = 1;
constexpr uint64_t kMaxIndexIntervalBytes = 0x7fffffffu;

// Relative offsets are uint32 in both indexes: a segment spans at most 2^32 offsets.
constexpr int64_t kMaxRelativeOffset = 0xffffffffll;

// Page granularity used when measuring how much non-zero garbage follows a cut (recovery report).
constexpr uint64_t kScanPageBytes = 4096;

}  // namespace rivulet
