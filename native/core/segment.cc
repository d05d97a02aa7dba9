// Segment: the hot path (append, read, lookups). Opening, recovery and the rest of the lifecycle
// are in segment_lifecycle.cc.
#include <sys/uio.h>

#include <cstring>
#include <memory>

#include "core/endian.h"
#include "core/limits.h"
#include "core/segment.h"

namespace rivulet {

std::string Segment::Name() const { return paths_[0]; }

Status Segment::Writable() const {
  if (closed_) return Status(ErrorCode::kClosed, "segment " + Name() + " is closed", 0, Name());
  if (!fence_.ok()) {
    return Status(ErrorCode::kFenced,
                  "segment " + Name() + " refuses writes after a failed write (" + fence_.message() + "); reopen it",
                  fence_.sysErrno(), Name());
  }
  return Status::Ok();
}

Status Segment::PlanAppend(const uint8_t* data, uint64_t length, uint64_t inputOffset, uint8_t* copyTo,
                           AppendPlan* plan, bool stream, bool validate) const {
  uint64_t position = 0;
  uint64_t bytesSinceEntry = bytesSinceIndexEntry_;
  std::string why;
  while (position < length) {
    const uint8_t* p = data + position;
    const uint64_t available = length - position;
    uint64_t total = 0;
    int64_t lastOffsetDelta = 0;
    bool ok;
    if (copyTo != nullptr) {
      // The input's framing says how much to copy; everything else is checked on the copy.
      BatchInfo info;
      ok = CheckFraming(p, available, &total, &why) && CopyBatch(copyTo + position, p, total, &info, &why, stream);
      total = info.totalBytes;
      lastOffsetDelta = info.lastOffsetDelta;
    } else if (validate) {
      BatchInfo info;
      ok = ValidateBatch(p, available, &info, &why);
      total = info.totalBytes;
      lastOffsetDelta = info.lastOffsetDelta;
    } else {
      ok = CheckFraming(p, available, &total, &why);
      if (ok) {  // framing guarantees a whole header is there to read
        lastOffsetDelta = static_cast<int32_t>(LoadBE32(p + batch::kLastOffsetDelta));
        if (lastOffsetDelta < 0) {
          why = "lastOffsetDelta " + std::to_string(lastOffsetDelta) + " is negative";
          ok = false;
        }
      }
    }
    if (!ok) {
      return Status(ErrorCode::kCorrupt, "batch #" + std::to_string(plan->batches) + " at byte " +
                                             std::to_string(inputOffset + position) + " of the input: " + why +
                                             "; nothing was appended");
    }
    if (total > config_.segmentBytes) {
      return Status(ErrorCode::kTooLarge, "batch #" + std::to_string(plan->batches) + " at byte " +
                                              std::to_string(inputOffset + position) + " is " + std::to_string(total) +
                                              " bytes, more than a whole segment (" +
                                              std::to_string(config_.segmentBytes) + " bytes)");
    }
    // The same rule as the commit loop in Append: an entry before a batch once at least
    // indexIntervalBytes were written since the previous entry; never for position 0.
    if (size_ + position > 0 && bytesSinceEntry >= config_.indexIntervalBytes) {
      plan->indexEntries++;
      bytesSinceEntry = 0;
    }
    bytesSinceEntry += total;
    plan->offsets += lastOffsetDelta + 1;
    plan->batches++;
    position += total;
  }
  return Status::Ok();
}

Status Segment::Append(const uint8_t* data, uint64_t length, uint64_t inputOffset, int64_t* nextOffset,
                       bool privateInput) {
  Status status = Writable();
  if (!status.ok()) return status;
  if (!active_)
    return Status(ErrorCode::kClosed, "segment " + Name() + " is sealed: appends go to the active segment", 0, Name());
  *nextOffset = nextOffset_;
  if (length == 0) return Status::Ok();

  // 1. Framing of the caller's bytes: enough to know sizes, offsets and index entries.
  AppendPlan plan;
  status = PlanAppend(data, length, inputOffset, nullptr, &plan);
  if (!status.ok()) return status;

  // 2. Does it fit? Anything that a new segment would fix answers -1 (the caller rolls).
  const int64_t newNext = nextOffset_ + plan.offsets;  // no overflow: both are below 2^53 + 2^31 * 2^31
  if (size_ + length > config_.segmentBytes) {
    *nextOffset = -1;
    return Status::Ok();
  }
  if (offsets_.count() + plan.indexEntries > offsets_.capacity() ||
      times_.count() + plan.indexEntries > times_.capacity() || newNext - 1 - config_.baseOffset > kMaxRelativeOffset) {
    *nextOffset = -1;
    return Status::Ok();
  }
  if (newNext > kMaxSafeInteger) {
    return Status(ErrorCode::kInvalid, "appending would take offsets past 2^53 - 1 in " + Name(), 0, Name());
  }

  // 3. Room on disk. A reopened segment first loses whatever stale tail followed its data.
  status = DiscardUncleanTail();
  if (!status.ok()) return status;
  // The write-ahead normally grew the file ahead of us; when it has not got there, grow it here
  // (the same fallocate, on this thread). Never write past the file's size: that is a SIGBUS.
  if (size_ + length > log_->fileBytes()) {
    status = log_->Reserve(GrowTargetBytes(size_ + length, GrowStepBytes(config_.segmentBytes), GrowLimit()));
    if (!status.ok()) return status;  // ENOSPC: nothing written, not fenced; a later append may fit
  }
  status = offsets_.ReserveFor(static_cast<uint32_t>(offsets_.count() + plan.indexEntries));
  if (status.ok()) status = times_.ReserveFor(static_cast<uint32_t>(times_.count() + plan.indexEntries));
  if (!status.ok()) return status;

  // 4. Copy and validate the copy (CRC-32C computed on the way): what is checked is exactly what
  // is stored, even if the caller's memory changes under us (a SharedArrayBuffer written by
  // another thread). Past size_ the bytes are not part of the log yet; on failure they are
  // zeroed back. The copy goes straight into the mapping, or, while the segment is flushed often,
  // into a scratch buffer that is then written with pwrite (see WritesByCopy). There, an input
  // that nobody else can write is validated where it is and written from there (step 5): what
  // was checked is still what gets stored, with one copy of the bytes fewer.
  const bool viaWrite = WritesByCopy(length);
  const bool inPlace = viaWrite && privateInput;
  uint8_t* dst = inPlace ? nullptr : viaWrite ? WriteScratch(length) : log_->writable() + size_;
  AppendPlan checked;
  // The scratch is read again at once, by pwritev: through the cache. The mapping is not.
  status = PlanAppend(data, length, inputOffset, dst, &checked, !viaWrite, inPlace);
  if (status.ok() && (checked.batches != plan.batches || checked.offsets != plan.offsets ||
                      checked.indexEntries != plan.indexEntries)) {
    status = Status(ErrorCode::kCorrupt, "the input changed while it was being appended; nothing was appended");
  }
  if (!status.ok()) {
    if (!viaWrite) std::memset(dst, 0, length);
    return status;
  }

  // 5. Written with pwritev before anything is committed, so a failed write leaves the segment as
  // it was: each batch's baseOffset from a stamped piece beside it (outside the CRC, so nothing to
  // recompute), the rest from the checked bytes, the input or its copy, which stay unchanged. The
  // mapping is stamped by the commit loop below.
  if (viaWrite) {
    status = WriteStamped(inPlace ? data : dst, length);
    if (!status.ok()) {
      // Whatever landed is past size_; zero it so recovery can never take it for data.
      std::memset(log_->writable() + size_, 0, length);
      if (status.code() != ErrorCode::kNoSpace) Fence(status);
      return status;
    }
  }

  // 6. Commit: stamp (the mapping), index, advance.
  uint64_t position = 0;
  int64_t next = nextOffset_;
  const uint8_t* stored = inPlace ? data : dst;
  while (position < length) {
    const BatchInfo info = ReadBatchHeader(stored + position);
    if (size_ + position > 0 && bytesSinceIndexEntry_ >= config_.indexIntervalBytes) {
      AddIndexEntry(next, size_ + position, maxTimestamp_);
    }
    if (!viaWrite) StoreBE64(dst + position + batch::kBaseOffset, static_cast<uint64_t>(next));
    bytesSinceIndexEntry_ += info.totalBytes;
    if (info.maxTimestamp > maxTimestamp_) maxTimestamp_ = info.maxTimestamp;
    next += int64_t{info.lastOffsetDelta} + 1;
    position += info.totalBytes;
  }
  size_ += length;
  nextOffset_ = next;
  *nextOffset = next;
  if (ahead_) {
    ahead_->Advance(size_, log_->fileBytes());
  } else {
    StartWriteAhead();
  }
  return Status::Ok();
}

bool Segment::WritesByCopy(uint64_t length) const {
  // Each fdatasync write-protects the pages it cleans; an append through the mapping then takes a
  // fault per 4 KiB page it touches (page_mkwrite, and the TLB shootdown when the page is cleaned
  // again). pwrite takes the same bytes into the page cache a folio at a time, with no fault and
  // no mapping to clean. Measured (BENCHMARKS.md): 1 KiB records with acks=all, +27–30 % MB/s and
  // 38 % less broker CPU per byte. Without flushes the write-ahead keeps the pages ahead mapped
  // writable and dirty, and the copy into the mapping is cheaper than a system call.
  return ahead_ != nullptr && length <= kWriteScratchBytes && ahead_->Flushing();
}

uint8_t* Segment::WriteScratch(uint64_t length) {
  // One per thread (appends run on the owner's thread), kept for the next append: at most
  // kWriteScratchBytes for the process's event loop, however many segments it writes.
  thread_local std::unique_ptr<uint8_t[]> scratch;
  thread_local uint64_t capacity = 0;
  if (capacity < length) {
    scratch.reset(new uint8_t[length]);
    capacity = length;
  }
  return scratch.get();
}

Status Segment::WriteStamped(const uint8_t* batches, uint64_t length) const {
  // pwritev takes up to IOV_MAX (1024 on Linux) pieces a call: two per batch.
  constexpr int kPieces = 1024;
  constexpr uint64_t kStampBytes = batch::kBatchLength;  // baseOffset, the field before batchLength
  struct iovec pieces[kPieces];
  uint8_t stamps[kPieces / 2][8];
  uint64_t position = 0;
  int64_t next = nextOffset_;
  while (position < length) {
    const uint64_t from = position;
    int count = 0;
    while (position < length && count < kPieces) {
      const BatchInfo info = ReadBatchHeader(batches + position);
      uint8_t* stamp = stamps[count / 2];
      StoreBE64(stamp, static_cast<uint64_t>(next));
      pieces[count++] = {stamp, kStampBytes};
      // pwritev only reads the pieces.
      pieces[count++] = {const_cast<uint8_t*>(batches + position + kStampBytes), info.totalBytes - kStampBytes};
      next += int64_t{info.lastOffsetDelta} + 1;
      position += info.totalBytes;
    }
    const Status status = log_->WriteAt(pieces, count, size_ + from);
    if (!status.ok()) return status;
  }
  return Status::Ok();
}

void Segment::AddIndexEntry(int64_t offset, uint64_t position, int64_t maxTimestampBefore) {
  const uint32_t relative = static_cast<uint32_t>(offset - config_.baseOffset);
  offsets_.Append(relative, static_cast<uint32_t>(position));
  times_.Append(maxTimestampBefore, relative);
  bytesSinceIndexEntry_ = 0;
}

Status Segment::HeaderAt(uint64_t position, BatchInfo* info) const {
  // Batches in [0, size_) were validated when written or reopened; these checks only keep a
  // file changed behind our back (another process) from sending a lookup out of bounds.
  if (position + batch::kHeaderBytes > size_) {
    return Status(ErrorCode::kCorrupt, "segment " + Name() + " is damaged at position " + std::to_string(position), 0,
                  Name());
  }
  *info = ReadBatchHeader(log_->readable() + position);
  if (info->totalBytes < batch::kHeaderBytes || position + info->totalBytes > size_ || info->lastOffsetDelta < 0) {
    return Status(ErrorCode::kCorrupt, "segment " + Name() + " is damaged at position " + std::to_string(position), 0,
                  Name());
  }
  return Status::Ok();
}

Status Segment::LocateBatch(int64_t offset, uint64_t* position, BatchInfo* info) const {
  const uint32_t relative = static_cast<uint32_t>(offset - config_.baseOffset);
  const int64_t entry = offsets_.FloorByOffset(relative);
  uint64_t pos = entry >= 0 ? offsets_.At(static_cast<uint32_t>(entry)).position : 0;
  for (;;) {
    Status status = HeaderAt(pos, info);
    if (!status.ok()) return status;
    if (offset <= info->baseOffset + info->lastOffsetDelta) {
      if (offset < info->baseOffset) {  // the index pointed past the offset
        return Status(ErrorCode::kCorrupt,
                      "index of segment " + Name() + " is damaged near offset " + std::to_string(offset), 0, Name());
      }
      *position = pos;
      return Status::Ok();
    }
    pos += info->totalBytes;
  }
}

Status Segment::Read(int64_t offset, uint64_t maxBytes, SegmentView* view) const {
  if (closed_) return Status(ErrorCode::kClosed, "segment " + Name() + " is closed", 0, Name());
  if (offset < config_.baseOffset) {
    return Status(ErrorCode::kInvalid, "offset " + std::to_string(offset) + " is before segment " + Name(), 0, Name());
  }
  view->file = log_;
  view->data = log_->readable();
  view->length = 0;
  if (offset >= nextOffset_) return Status::Ok();
  uint64_t start = 0;
  BatchInfo info;
  Status status = LocateBatch(offset, &start, &info);
  if (!status.ok()) return status;
  uint64_t end = start + info.totalBytes;  // at least one batch, even past maxBytes
  while (end < size_) {
    status = HeaderAt(end, &info);
    if (!status.ok()) return status;
    if (end + info.totalBytes - start > maxBytes) break;
    end += info.totalBytes;
  }
  view->data = log_->readable() + start;
  view->length = end - start;
  return Status::Ok();
}

Status Segment::PositionOf(int64_t offset, int64_t* position) const {
  if (closed_) return Status(ErrorCode::kClosed, "segment " + Name() + " is closed", 0, Name());
  if (offset < config_.baseOffset) {
    return Status(ErrorCode::kInvalid, "offset " + std::to_string(offset) + " is before segment " + Name(), 0, Name());
  }
  *position = -1;
  if (offset >= nextOffset_) return Status::Ok();
  uint64_t pos = 0;
  BatchInfo info;
  Status status = LocateBatch(offset, &pos, &info);
  if (status.ok()) *position = static_cast<int64_t>(pos);
  return status;
}

Status Segment::OffsetForTimestamp(int64_t timestamp, int64_t* offset) const {
  if (closed_) return Status(ErrorCode::kClosed, "segment " + Name() + " is closed", 0, Name());
  *offset = -1;
  if (size_ == 0 || maxTimestamp_ < timestamp) return Status::Ok();
  const int64_t entry = times_.LastBelow(timestamp);
  uint64_t pos = entry >= 0 ? offsets_.At(static_cast<uint32_t>(entry)).position : 0;
  while (pos < size_) {
    BatchInfo info;
    Status status = HeaderAt(pos, &info);
    if (!status.ok()) return status;
    if (info.maxTimestamp >= timestamp) {
      *offset = info.baseOffset;
      return Status::Ok();
    }
    pos += info.totalBytes;
  }
  return Status::Ok();
}

}  // namespace rivulet
