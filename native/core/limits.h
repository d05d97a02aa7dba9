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

// A segment's `.log` is mapped at its full `segment.bytes` (address space only) but its file, and
// the blocks allocated to it, grow in steps ahead of the writer: preallocating the whole segment
// (plus a prepared spare of the same size) reserved 2 GiB of disk per partition at Kafka's default
// of 1 GiB, so a topic of 64 partitions took 128 GiB the moment it was created. A step is the
// smaller of 16 MiB and an eighth of the segment: large enough that growing is one fallocate per
// 16 MiB of appends (microseconds on ext4/XFS, done ahead of the writer by the write-ahead thread,
// core/write_ahead.h, and at least twice its prefault window), small enough that an idle partition
// holds little more than its data. Steps are whole pages, so the file always ends on a page
// boundary below the mapping's end (the read-only mapping's zero fill works in pages).
constexpr uint64_t kGrowStepBytes = 16u << 20;
constexpr uint64_t kGrowStepsPerSegment = 8;
constexpr uint64_t kGrowPageBytes = 4096;

constexpr uint64_t GrowStepBytes(uint64_t segmentBytes) {
  const uint64_t eighth = segmentBytes / kGrowStepsPerSegment;
  const uint64_t step = eighth < kGrowStepBytes ? eighth : kGrowStepBytes;
  return step < kGrowPageBytes ? kGrowPageBytes : (step + kGrowPageBytes - 1) / kGrowPageBytes * kGrowPageBytes;
}

// Where the file should end for a writer at `position`: the step boundary at least half a step
// past it (so the file stays half a step, at least, ahead of the writer), never past `limit`.
constexpr uint64_t GrowTargetBytes(uint64_t position, uint64_t step, uint64_t limit) {
  const uint64_t target = (position + step / 2 + step - 1) / step * step;
  return target < limit ? target : limit;
}

// Index files grow in steps too. `segment.index.bytes` (Kafka's default: 10 MiB each for `.index`
// and `.timeindex`) stays the limit of the mapping, but allocating it whole (plus the prepared
// spares) reserved ~40 MiB of disk per partition before any data. A 64 KiB step holds 8,192
// offset entries (5,461 time entries), so at the default one entry per 4 KiB of log it covers
// about 20-32 MiB of appends: growing is rare and a single small fallocate, cheap enough to do
// synchronously on the appending thread (before any log byte is written), while a new segment
// holds 128 KiB of index blocks (and its prepared spare as much).
constexpr uint64_t kIndexGrowStepBytes = 64u << 10;

// Where an index file should end to hold `neededBytes`: the next step boundary, never past `limit`.
constexpr uint64_t IndexGrowTargetBytes(uint64_t neededBytes, uint64_t limit) {
  const uint64_t target = (neededBytes + kIndexGrowStepBytes - 1) / kIndexGrowStepBytes * kIndexGrowStepBytes;
  const uint64_t atLeastOne = target == 0 ? kIndexGrowStepBytes : target;
  return atLeastOne < limit ? atLeastOne : limit;
}

// Page granularity used when measuring how much non-zero garbage follows a cut (recovery report).
constexpr uint64_t kScanPageBytes = 4096;

}  // namespace rivulet
