// Spare files: a directory's next segment, created and preallocated ahead of time on a worker
// thread so that rolling to a new segment on the event loop is three renames, never a
// posix_fallocate. The spare `.log` holds a segment's first growth step (core/limits.h), not the
// whole `segment.bytes`: the write-ahead grows the file from there. The spare `.index` and
// `.timeindex` likewise hold one index step (kIndexGrowStepBytes), not `segment.index.bytes`.
//
// Names (in the partition directory), chosen so nothing can take them for a segment: they start
// with a dot and end in `.tmp`, never in `.log`, `.index` or `.timeindex`:
//   .spare-log.tmp  .spare-index.tmp  .spare-timeindex.tmp     complete, all zeros, reusable
//   <one of those>.partial                                        being preallocated
//
// Who cleans what:
//   - spares are owned by the addon: a complete spare is reused by the next Segment::Create even
//     after a restart (it holds nothing but zeros), and a `.partial` left by a crash is simply
//     overwritten by the next PrepareSpareFiles; the partition log must ignore every name that is
//     not `<20 digits>.log|.index|.timeindex`;
//   - `*.deleted` files are renamed by Segment::Destroy and unlinked by the addon once no view
//     maps them any more; those a crash leaves behind are removed by the partition log when it
//     opens the directory.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace rivulet {

enum class SegmentFileKind { kLog, kIndex, kTimeIndex };

std::string SparePath(const std::string& dir, SegmentFileKind kind);

// Makes sure the directory holds a complete spare of each kind, at least as large as asked.
// Blocking (posix_fallocate): call it on a worker thread.
Status PrepareSpareFiles(const std::string& dir, uint64_t segmentBytes, uint64_t indexBytes);

// Creates `target` (which must not exist) with exactly `bytes` bytes allocated: by renaming the
// directory's spare of that kind when there is one, else by creating and preallocating it here.
Status PlaceSegmentFile(const std::string& dir, SegmentFileKind kind, const std::string& target, uint64_t bytes);

}  // namespace rivulet
