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
//   .recycled-log.tmp                                             a retired `.log`, see below
//
// Recycling. Writing into a fresh `.log` costs more than the copy itself: every page is a fault in
// which the kernel allocates a page-cache page and zeroes it (and, on a VM, often faults in the
// host too). A `.log` deleted by retention whose pages are still in the page cache has none of
// that to pay: its pages are allocated, mapped and resident. So the last reference to such a
// file renames it `.recycled-log.tmp` (at most one per directory) instead of unlinking it, and
// the next Segment::Create takes it before the zeroed spare, as PostgreSQL recycles WAL segments.
// Only files whose pages are mostly resident are kept: overwriting an evicted page of a written
// file would read it from disk first, worse than zeroing a new one.
// Safety: the recycled file still holds the retired segment's batches, but no reader can reach
// them (nothing past a segment's size is served) and neither can recovery: it accepts a batch
// only if its baseOffset is the next expected one, and a retired segment's offsets are all below
// the log start offset, below every offset the new segment can hold. That is why only retention
// (and the log start moving up) recycles; truncation, which drops offsets that may be written
// again, and topic deletion delete. A file is recycled only once no view maps it any more.
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

std::string RecycledLogPath(const std::string& dir);

// Called by the last reference to a retired `.log` (`path`, mapped read-only at `mapping` over
// `fileBytes`): renames it to `recyclePath` when at least kRecycleResidentPercent of its pages are
// in the page cache and nothing is there yet. True when it did; otherwise the caller unlinks it.
bool RecycleIfResident(const std::string& path, const std::string& recyclePath, const uint8_t* mapping,
                       uint64_t fileBytes);

// Moves the directory's recycled `.log` to `target` (which must not exist), cut to at most
// `maxBytes`. False, with nothing changed, when there is none.
bool TakeRecycledLog(const std::string& dir, const std::string& target, uint64_t maxBytes);

}  // namespace rivulet
