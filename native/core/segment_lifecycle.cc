// Segment: creating, opening and recovering, truncation, sealing, closing, destroying, flushing.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "core/background.h"
#include "core/limits.h"
#include "core/segment.h"
#include "core/spare_files.h"

namespace rivulet {

namespace {

// Kafka names segment files by their base offset, zero-padded so they sort by name.
constexpr int kBaseOffsetDigits = 20;
// How far NonZeroBytesAfter reads to measure a tail of garbage before counting the rest unread.
constexpr uint64_t kMaxGarbageScanBytes = 64u << 20;

Status CheckConfig(const SegmentConfig& c) {
  if (c.baseOffset < 0 || c.baseOffset > kMaxSafeInteger) return Status(ErrorCode::kInvalid, "baseOffset out of range");
  if (c.segmentBytes < kMinSegmentBytes || c.segmentBytes > kMaxSegmentBytes) {
    return Status(ErrorCode::kInvalid, "segmentBytes out of range");
  }
  if (c.indexIntervalBytes < kMinIndexIntervalBytes || c.indexIntervalBytes > kMaxIndexIntervalBytes) {
    return Status(ErrorCode::kInvalid, "indexIntervalBytes out of range");
  }
  if (c.indexBytes < kMinIndexBytes || c.indexBytes > kMaxIndexBytes)
    return Status(ErrorCode::kInvalid, "indexBytes out of range");
  if (c.dir.empty()) return Status(ErrorCode::kInvalid, "dir is empty");
  return Status::Ok();
}

}  // namespace

std::string SegmentFilePath(const std::string& dir, int64_t baseOffset, const char* suffix) {
  char name[kBaseOffsetDigits + 1];
  std::snprintf(name, sizeof name, "%020" PRId64, baseOffset);
  return dir + "/" + name + suffix;
}

Segment::Segment(const SegmentConfig& config)
    : config_(config), offsets_(config.indexBytes), times_(config.indexBytes), nextOffset_(config.baseOffset) {
  paths_[0] = SegmentFilePath(config.dir, config.baseOffset, kLogSuffix);
  paths_[1] = SegmentFilePath(config.dir, config.baseOffset, kIndexSuffix);
  paths_[2] = SegmentFilePath(config.dir, config.baseOffset, kTimeIndexSuffix);
}

Status Segment::OpenFiles() {
  Status status = MappedFile::Open(paths_[0], MappedFile::Mode::kOpenExisting, config_.segmentBytes, &log_);
  // Views are slices of the whole read-only mapping: it must read zeros past the end of the file.
  if (status.ok()) status = log_->ZeroFillPastEnd();
  if (status.ok()) status = offsets_.Open(paths_[1]);
  if (status.ok()) status = times_.Open(paths_[2]);
  return status;
}

Status Segment::Create(const SegmentConfig& config, std::shared_ptr<Segment>* out) {
  Status status = CheckConfig(config);
  if (!status.ok()) return status;
  std::shared_ptr<Segment> segment(new Segment(config));
  const struct {
    SegmentFileKind kind;
    uint64_t bytes;
  } files[] = {
      // The `.log` starts with its first step allocated; the write-ahead grows it from there.
      {SegmentFileKind::kLog, GrowTargetBytes(0, GrowStepBytes(config.segmentBytes), config.segmentBytes)},
      // So do the indexes: one small step each, grown by appends as entries need it.
      {SegmentFileKind::kIndex, IndexGrowTargetBytes(0, config.indexBytes)},
      {SegmentFileKind::kTimeIndex, IndexGrowTargetBytes(0, config.indexBytes)},
  };
  for (int i = 0; i < 3; i++) {
    // A recycled `.log` (spare_files.h) before the zeroed spare: its pages are already in memory.
    if (i == 0 && TakeRecycledLog(config.dir, segment->paths_[0], config.segmentBytes)) continue;
    status = PlaceSegmentFile(config.dir, files[i].kind, segment->paths_[i], files[i].bytes);
    if (!status.ok()) {
      for (int j = 0; j < i; j++) unlink(segment->paths_[j].c_str());  // ours, and still empty
      return status;
    }
  }
  status = segment->OpenFiles();
  if (!status.ok()) {
    for (const std::string& path : segment->paths_) unlink(path.c_str());
    return status;
  }
  segment->dirDirty_ = true;
  // A new segment is about to be appended to: prepare its first pages now.
  segment->StartWriteAhead();
  *out = std::move(segment);
  return Status::Ok();
}

Status Segment::Open(const SegmentConfig& config, std::shared_ptr<Segment>* out) {
  Status status = CheckConfig(config);
  if (!status.ok()) return status;
  std::shared_ptr<Segment> segment(new Segment(config));
  status = segment->OpenFiles();
  if (!status.ok()) return status;
  Segment& s = *segment;
  // Index entries are trusted only as far as they are well formed, agree with each other and
  // point at real batches; whatever follows them in the files is cleared.
  s.offsets_.LoadWellFormed(s.log_->fileBytes());
  s.times_.LoadMatching(s.offsets_);
  s.offsets_.DropFrom(s.times_.count());
  s.VerifyIndexTail();
  s.offsets_.ClearTail();
  s.times_.ClearTail();
  const ScanResult scan = s.ScanFromLastEntry(s.log_->fileBytes());
  s.size_ = scan.end;
  s.nextOffset_ = scan.nextOffset;
  s.maxTimestamp_ = scan.maxTimestamp;
  s.bytesSinceIndexEntry_ = scan.bytesSinceIndexEntry;
  s.cleanTail_ = s.size_ == s.log_->fileBytes();
  *out = std::move(segment);
  return Status::Ok();
}

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

uint64_t Segment::GrowLimit() const {
  return config_.segmentBytes < log_->mapBytes() ? config_.segmentBytes : log_->mapBytes();
}

bool Segment::LooksGrown() const {
  const uint64_t bytes = log_->fileBytes();
  if (bytes >= config_.segmentBytes) return true;  // allocated whole (as files were before growing in steps)
  // Grown files end at a step boundary, and in zeros (the allocated room the writer had not
  // reached). A file cut to its data ends wherever its last batch (or garbage) did.
  return bytes > 0 && bytes % GrowStepBytes(config_.segmentBytes) == 0 && log_->readable()[bytes - 1] == 0;
}

void Segment::StartWriteAhead() {
  ahead_ = WriteAhead::Start(log_, size_, GrowStepBytes(config_.segmentBytes), GrowLimit());
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

void Segment::StopWriteAhead() {
  if (!ahead_) return;
  ahead_->Stop();
  ahead_.reset();
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

Status Segment::Recover(RecoveryReport* report) {
  if (closed_) return Status(ErrorCode::kClosed, "segment " + Name() + " is closed", 0, Name());
  // Re-validate the served data from the last index entry (it may have gone bad in place: a disk
  // error, another process writing the file), then look at what follows it.
  const ScanResult scan = ScanFromLastEntry(size_);
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
  return DiscardUncleanTail();
}

void Segment::DropBytesFrom(uint64_t position, int64_t nextOffset) {
  StopWriteAhead();  // the write position moves back; the next append starts it over from there
  std::memset(log_->writable() + position, 0, size_ - position);
  offsets_.DropFromPosition(position);
  times_.DropFrom(offsets_.count());
  size_ = position;
  nextOffset_ = nextOffset;
  // Recompute what depended on the dropped batches from the last remaining index entry.
  uint64_t from = 0;
  int64_t maxTimestamp = -1;
  if (offsets_.count() > 0) {
    from = offsets_.At(offsets_.count() - 1).position;
    maxTimestamp = times_.At(times_.count() - 1).timestamp;
  }
  for (uint64_t pos = from; pos < size_;) {
    BatchInfo info;
    if (!HeaderAt(pos, &info).ok()) break;
    if (info.maxTimestamp > maxTimestamp) maxTimestamp = info.maxTimestamp;
    pos += info.totalBytes;
  }
  maxTimestamp_ = maxTimestamp;
  bytesSinceIndexEntry_ = size_ - from;
}

Status Segment::TruncateTo(int64_t offset) {
  Status status = Writable();
  if (!status.ok()) return status;
  if (offset < config_.baseOffset) {
    return Status(ErrorCode::kInvalid, "offset " + std::to_string(offset) + " is before segment " + Name(), 0, Name());
  }
  if (offset >= nextOffset_) return Status::Ok();
  uint64_t position = 0;
  BatchInfo info;
  status = LocateBatch(offset, &position, &info);
  if (!status.ok()) return status;
  if (info.baseOffset != offset) {
    return Status(ErrorCode::kInvalid,
                  "offset " + std::to_string(offset) + " is inside the batch of offsets " +
                      std::to_string(info.baseOffset) + ".." + std::to_string(info.baseOffset + info.lastOffsetDelta) +
                      "; truncate at a batch boundary",
                  0, Name());
  }
  status = DiscardUncleanTail();
  if (!status.ok()) return status;
  DropBytesFrom(position, offset);
  if (active_) return Status::Ok();
  // A sealed segment's files are cut to their used length again. Views of the dropped batches
  // read zeros either way (they were zeroed, and past the cut the mapping reads zeros).
  status = offsets_.Seal();
  if (status.ok()) status = times_.Seal();
  if (status.ok()) status = log_->Truncate(size_);
  if (!status.ok()) Fence(status);
  return status;
}

Status Segment::Seal() {
  if (closed_) return Status(ErrorCode::kClosed, "segment " + Name() + " is closed", 0, Name());
  if (!active_) return Status::Ok();
  StopWriteAhead();
  Status status = log_->Truncate(size_);
  if (status.ok()) status = offsets_.Seal();
  if (status.ok()) status = times_.Seal();
  if (!status.ok()) {
    Fence(status);
    return status;
  }
  cleanTail_ = true;
  active_ = false;
  // Written for good: its pages leave the broker's RSS (not the page cache), off this thread, as
  // the write-ahead did behind the writer (core/write_ahead.h). Readers map what they read again.
  RunInBackground([file = log_] { file->ReleasePages(0, file->fileBytes()); });
  return Status::Ok();
}

Status Segment::Close() {
  if (closed_) return Status::Ok();
  const Status status = active_ ? Seal() : Status::Ok();
  Release();
  return status;
}

void Segment::Release() {
  StopWriteAhead();
  released_[0] = log_;
  released_[1] = offsets_.file();
  released_[2] = times_.file();
  log_.reset();
  offsets_.Release();
  times_.Release();
  closed_ = true;
  active_ = false;
}

Status Segment::Destroy(bool recycle) {
  if (destroyed_) return Status::Ok();
  // Held across Release, so the files are marked before anybody lets go of them: whoever does
  // last (this function, a view, a flush) unmaps and unlinks, or recycles, on the background
  // thread. No sealing first: cutting an allocated file frees its blocks on this thread, and the
  // files are going anyway (or, recycled, are worth more whole).
  std::shared_ptr<MappedFile> files[3];
  if (!closed_) {
    files[0] = log_;
    files[1] = offsets_.file();
    files[2] = times_.file();
    Release();
  } else {
    for (int i = 0; i < 3; i++) files[i] = released_[i].lock();
  }
  destroyed_ = true;
  Status first;
  for (int i = 0; i < 3; i++) {
    const std::string deleted = paths_[i] + kDeletedSuffix;
    Status status;
    if (files[i]) {
      status = files[i]->Rename(deleted);
      if (status.ok()) {
        // Only the `.log` is worth recycling (see spare_files.h); the indexes are small.
        if (i == 0 && recycle) {
          files[i]->RecycleOnRelease(RecycledLogPath(config_.dir));
        } else {
          files[i]->DeleteOnRelease();
        }
      }
    } else if (rename(paths_[i].c_str(), deleted.c_str()) == 0) {
      RunInBackground([deleted] { unlink(deleted.c_str()); });
    } else if (errno != ENOENT) {
      status = Status::FromErrno(errno, "rename", paths_[i]);
    }
    if (!status.ok() && first.ok()) first = status;
  }
  return first;
}

void Segment::Fence(const Status& cause) {
  if (fence_.ok()) fence_ = Status(ErrorCode::kFenced, cause.message(), cause.sysErrno(), cause.path());
}

Status Segment::PrepareFlush(FlushJob* job) {
  Status status = Writable();
  if (!status.ok()) return status;
  job->files_[0] = log_;
  job->files_[1] = offsets_.file();
  job->files_[2] = times_.file();
  for (int i = 0; i < FlushJob::kFiles; i++) job->paths_[i] = job->files_[i]->path();
  job->dir_ = config_.dir;
  job->syncDir_ = dirDirty_;
  job->syncIndexes_ = !active_;
  if (active_) {
    if (ahead_) ahead_->NoteFlush();
    const uint64_t to = size_ - size_ % kScanPageBytes;
    if (unmappedTo_ > size_) unmappedTo_ = 0;  // truncated since: start over
    job->unmapFrom_ = unmappedTo_;
    job->unmapTo_ = to;
    if (to > unmappedTo_) unmappedTo_ = to;
  }
  dirDirty_ = false;
  return Status::Ok();
}

Status FlushJob::Run() const {
  // Writeback of a page mapped writable must write-protect it in every CPU's TLB (an IPI per
  // page or small batch: on a VM each one exits to the host), and that was most of the broker's
  // CPU under acks=all. The writer never comes back to pages it has written, so they are unmapped
  // first, in one call: the writeback then finds no writable mapping to clean.
  if (unmapTo_ > unmapFrom_) files_[0]->ReleaseWritablePages(unmapFrom_, unmapTo_);
  const int files = syncIndexes_ ? kFiles : 1;
  for (int i = 0; i < files; i++) {
    Status status = MappedFile::SyncFd(files_[i]->fd(), paths_[i]);
    if (!status.ok()) return status;
  }
  if (!syncDir_) return Status::Ok();
  // A new segment's directory entries are durable only once the directory itself is synced.
  const int fd = open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::FromErrno(errno, "open", dir_);
  int rc;
  do {
    rc = fsync(fd);
  } while (rc != 0 && errno == EINTR);
  const int err = errno;
  close(fd);
  if (rc != 0) return Status::FromErrno(err, "fsync", dir_);
  return Status::Ok();
}

}  // namespace rivulet
