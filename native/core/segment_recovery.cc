// Segment: validating what a reopened segment holds, and cutting what it must not serve (the
// index tail, torn or stale bytes after the data). Open calls the scan; Recover cuts.
#include <cstring>

#include "core/limits.h"
#include "core/segment.h"

namespace rivulet {

namespace {

// How far NonZeroBytesAfter reads to measure a tail of garbage before counting the rest unread.
constexpr uint64_t kMaxGarbageScanBytes = 64u << 20;

}  // namespace

void Segment::VerifyIndexTail() {
  // After a crash the index pages may have reached the disk while the log pages they point at
  // did not. Drop trailing entries until one names a valid batch with the expected offset.
  while (offsets_.count() > 0) {
    const OffsetIndex::Entry e = offsets_.At(offsets_.count() - 1);
    BatchInfo info;
    std::string why;
    if (e.position < log_->fileBytes() &&
        ValidateBatch(log_->readable() + e.position, log_->fileBytes() - e.position, &info, &why) &&
        info.baseOffset == config_.baseOffset + e.relativeOffset) {
      return;
    }
    offsets_.DropFrom(offsets_.count() - 1);
    times_.DropFrom(offsets_.count());
  }
}

std::string Segment::CheckBatchAt(uint64_t position, uint64_t limit, int64_t expectedOffset, BatchInfo* info) const {
  std::string why;
  if (position >= limit) return "no batch at position " + std::to_string(position) + " (end of file)";
  if (!ValidateBatch(log_->readable() + position, limit - position, info, &why)) {
    return "batch at position " + std::to_string(position) + ": " + why;
  }
  if (info->baseOffset != expectedOffset) {
    return "batch at position " + std::to_string(position) + " has baseOffset " + std::to_string(info->baseOffset) +
           ", expected " + std::to_string(expectedOffset);
  }
  const int64_t next = expectedOffset + info->lastOffsetDelta + 1;
  if (next - 1 - config_.baseOffset > kMaxRelativeOffset || next > kMaxSafeInteger) {
    return "batch at position " + std::to_string(position) + " has offsets beyond the segment's range";
  }
  return std::string();
}

Segment::ScanResult Segment::ScanFromLastEntry(uint64_t limit) {
  ScanResult r;
  uint64_t position = 0;
  r.nextOffset = config_.baseOffset;
  if (offsets_.count() > 0) {
    const uint32_t last = offsets_.count() - 1;
    position = offsets_.At(last).position;
    r.nextOffset = config_.baseOffset + offsets_.At(last).relativeOffset;
    r.maxTimestamp = times_.At(last).timestamp;
  }
  bytesSinceIndexEntry_ = 0;
  while (position < limit) {
    BatchInfo info;
    r.reason = CheckBatchAt(position, limit, r.nextOffset, &info);
    if (!r.reason.empty()) break;
    // Rebuild the index tail on the append rhythm. Failing to make room (index full, disk full)
    // only makes later lookups scan further; it loses nothing.
    if (position > 0 && bytesSinceIndexEntry_ >= config_.indexIntervalBytes && offsets_.count() < offsets_.capacity() &&
        times_.count() < times_.capacity() && offsets_.ReserveFor(offsets_.count() + 1).ok() &&
        times_.ReserveFor(times_.count() + 1).ok()) {
      AddIndexEntry(r.nextOffset, position, r.maxTimestamp);
    }
    bytesSinceIndexEntry_ += info.totalBytes;
    if (info.maxTimestamp > r.maxTimestamp) r.maxTimestamp = info.maxTimestamp;
    r.nextOffset += int64_t{info.lastOffsetDelta} + 1;
    position += info.totalBytes;
  }
  r.end = position < limit ? position : limit;
  r.bytesSinceIndexEntry = bytesSinceIndexEntry_;
  return r;
}

bool Segment::LooksGrown() const {
  const uint64_t bytes = log_->fileBytes();
  if (bytes >= config_.segmentBytes) return true;  // allocated whole (as files were before growing in steps)
  // Grown files end at a step boundary, and in zeros (the allocated room the writer had not
  // reached). A file cut to its data ends wherever its last batch (or garbage) did.
  return bytes > 0 && bytes % GrowStepBytes(config_.segmentBytes) == 0 && log_->readable()[bytes - 1] == 0;
}

uint64_t Segment::NonZeroBytesAfter(uint64_t position) const {
  // How much garbage follows the valid data. A file cut to its data (sealed) ends where its
  // garbage ends. A grown (or preallocated) file ends in zeros: there the garbage reaches the last
  // non-zero byte before the first page that is entirely zero (exact for the usual torn tail;
  // bytes past a zero page are not counted, though DiscardUncleanTail removes them all the same).
  // Either way, a tail of nothing but zeros is no garbage at all. A recycled file (spare_files.h)
  // holds old batches all the way: past kMaxGarbageScanBytes of them the rest counts as garbage
  // unread, so reopening it after a crash does not read a whole segment from disk.
  const uint64_t limit = log_->fileBytes();
  const uint8_t* base = log_->readable();
  uint64_t end = position;
  uint64_t pos = position;
  while (pos < limit) {
    if (pos - position >= kMaxGarbageScanBytes) return limit - position;
    uint64_t pageEnd = (pos / kScanPageBytes + 1) * kScanPageBytes;
    if (pageEnd > limit) pageEnd = limit;
    uint64_t last = pageEnd;
    while (last > pos && base[last - 1] == 0) last--;
    if (last == pos) break;
    end = last;
    pos = pageEnd;
  }
  if (end > position && !LooksGrown()) return limit - position;
  return end - position;
}

Status Segment::DiscardUncleanTail() {
  if (cleanTail_) return Status::Ok();
  StopWriteAhead();  // the file shrinks
  // Cut the file at the data and allocate it back: the stale bytes are gone for good (they could
  // otherwise line up with a future batch boundary and be mistaken for data after a crash), and
  // the space is allocated zeros again.
  const uint64_t before = log_->fileBytes();
  const bool grown = LooksGrown();
  Status status = log_->Truncate(size_);
  if (!status.ok()) {
    Fence(status);
    return status;
  }
  cleanTail_ = true;
  // A grown file gets its room back, so the file size is again where it is allocated to (on
  // ENOSPC the next append that needs it grows it, or reports it); one that was cut to its data
  // (sealed) stays cut until an append needs room.
  if (grown) log_->Reserve(before);
  return Status::Ok();
}

Status Segment::Recover(RecoveryReport* report, bool full) {
  if (closed_) return Status(ErrorCode::kClosed, "segment " + Name() + " is closed", 0, Name());
  // Re-validate the served data from the last index entry (it may have gone bad in place: a disk
  // error, another process writing the file), then look at what follows it. A full recovery
  // (writeback after a power loss need not go in order: a hole may sit anywhere in data that was
  // never flushed) forgets every index entry first, so the scan starts at position 0 and adds the
  // entries again on the append rhythm.
  if (full) {
    offsets_.DropFrom(0);
    times_.DropFrom(0);
  }
  const ScanResult scan = ScanFromLastEntry(size_);
  if (full) maxTimestamp_ = scan.maxTimestamp;
  uint64_t cut = 0;
  std::string reason;
  if (scan.end < size_) {
    // Views may still cover the bad part: drop it the way a truncation does.
    cut = size_ - scan.end;
    reason = scan.reason;
    DropBytesFrom(scan.end, scan.nextOffset);
  }
  if (!cleanTail_) {
    const uint64_t garbage = NonZeroBytesAfter(size_);
    if (garbage > 0 && reason.empty()) {
      BatchInfo info;
      reason = CheckBatchAt(size_, log_->fileBytes(), nextOffset_, &info);
    }
    cut += garbage;
  }
  report->validBytes = size_;
  report->truncatedBytes = cut;
  report->nextOffset = nextOffset_;
  report->stoppedEarly = cut > 0;
  report->reason = cut > 0 ? reason : std::string();
  Status status = DiscardUncleanTail();
  if (!status.ok() || active_ || !full) return status;
  // A sealed segment's files are cut to their used length again: the `.log` when batches were
  // dropped, the indexes always (rebuilding them may have grown their files by a step).
  if (log_->fileBytes() != size_) status = log_->Truncate(size_);
  if (status.ok()) status = offsets_.Seal();
  if (status.ok()) status = times_.Seal();
  if (!status.ok()) Fence(status);
  return status;
}

}  // namespace rivulet
