// Segment: creating and opening, truncation, sealing, closing, destroying, flushing (recovery of a
// reopened segment is in segment_recovery.cc).
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

uint64_t Segment::GrowLimit() const {
  return config_.segmentBytes < log_->mapBytes() ? config_.segmentBytes : log_->mapBytes();
}

void Segment::StartWriteAhead() {
  ahead_ = WriteAhead::Start(log_, size_, GrowStepBytes(config_.segmentBytes), GrowLimit(), config_.cacheTailBytes);
}

void Segment::SetCacheTailBytes(int64_t bytes) {
  config_.cacheTailBytes = bytes;
  if (ahead_) ahead_->SetCacheTail(bytes);
}

void Segment::StopWriteAhead() {
  if (!ahead_) return;
  ahead_->Stop();
  ahead_.reset();
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
