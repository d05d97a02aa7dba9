#include "core/write_ahead.h"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>

#include "core/background.h"
#include "core/limits.h"

#if defined(__linux__) && !defined(MADV_POPULATE_WRITE)
#define MADV_POPULATE_WRITE 23  // <asm-generic/mman-common.h>, Linux 5.14; older headers lack it
#endif

namespace rivulet {

namespace {

uint64_t PageBytes() {
  static const uint64_t bytes = [] {
    const long page = sysconf(_SC_PAGESIZE);
    return page > 0 ? static_cast<uint64_t>(page) : uint64_t{4096};
  }();
  return bytes;
}

uint64_t RoundDownToPage(uint64_t n) { return n - n % PageBytes(); }

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Cleared, for the whole process, the first time the kernel refuses MADV_POPULATE_WRITE.
std::atomic<bool> populateWriteWorks{true};

// Faults [p, p + bytes) in for writing (or at least into the page cache). False when the range
// could not be faulted now (the file shrank under the call, memory is short, a signal came): the
// next kick tries again, and meanwhile the writer takes its own faults, as without prefaulting.
bool Prefetch(uint8_t* p, uint64_t bytes) {
#if defined(__linux__)
  if (populateWriteWorks.load(std::memory_order_relaxed)) {
    if (madvise(p, bytes, MADV_POPULATE_WRITE) == 0) return true;
    if (errno != EINVAL) return false;
    populateWriteWorks.store(false, std::memory_order_relaxed);  // kernel older than 5.14
  }
#endif
  return madvise(p, bytes, MADV_WILLNEED) == 0;
}

}  // namespace

std::shared_ptr<WriteAhead> WriteAhead::Start(const std::shared_ptr<MappedFile>& file, uint64_t position,
                                              uint64_t growStepBytes, uint64_t growLimitBytes,
                                              int64_t cacheTailBytes) {
  std::shared_ptr<WriteAhead> ahead(new WriteAhead(file, growStepBytes, growLimitBytes, cacheTailBytes));
  // Nothing before the start position is this object's to drop: a reopened segment's older data
  // is whatever readers brought back in.
  ahead->droppedFrom_ = ahead->droppedTo_ = position;
  ahead->Kick(position, file->fileBytes());
  return ahead;
}

void WriteAhead::Kick(uint64_t position, uint64_t fileBytes) {
  nextKick_ = position + kKickBytes;
  fileBytesSeen_ = fileBytes;
  bool queue = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    position_ = position;
    fileBytes_ = fileBytes;
    if (!stopped_ && !queued_) {
      queued_ = true;
      queue = true;
    }
  }
  if (queue) RunInBackground(BackgroundLane::kWriteAhead, [self = shared_from_this()] { self->Work(); });
}

void WriteAhead::NoteFlush() { lastFlushNs_.store(NowNs(), std::memory_order_relaxed); }

bool WriteAhead::Flushing() const { return NowNs() - lastFlushNs_.load(std::memory_order_relaxed) < kFlushingNs; }

void WriteAhead::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopped_ = true;
  }
  cancelGrowth_.store(true);
  // A growth in flight holds a strong reference; if the file is gone, nothing can be growing it.
  if (const std::shared_ptr<MappedFile> file = file_.lock()) file->WaitForResize();
}

std::shared_ptr<MappedFile> WriteAhead::Hold() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopped_) return nullptr;
  }
  return file_.lock();
}

void WriteAhead::Work() {
  for (;;) {
    uint64_t position;
    uint64_t fileBytes;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_) {
        queued_ = false;
        return;
      }
      position = position_;
      fileBytes = fileBytes_;
    }
    Prefault(position, fileBytes);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopped_ || (position_ == position && fileBytes_ == fileBytes)) {
        queued_ = false;
        return;
      }
    }
  }
}

uint64_t WriteAhead::Window(uint64_t position) {
  // The writer came within half a window of the prefaulted edge since the last call: it writes
  // faster than this window covers, so double it. Never shrinks: a segment's writer keeps its pace.
  if (window_ == 0) {
    window_ = kMinPrefaultBytes;
  } else if (position + window_ / 2 > prefaultedTo_ && window_ < kPrefaultBytes) {
    window_ *= 2;
  }
  return window_;
}

void WriteAhead::Prefault(uint64_t position, uint64_t fileBytes) {
  if (growStepBytes_ > 0) {
    const std::shared_ptr<MappedFile> file = Hold();
    if (!file) return;
    const uint64_t target = GrowTargetBytes(position, growStepBytes_, growLimitBytes_);
    // Best effort: on failure (ENOSPC) the writer grows the file itself, and reports the error.
    if (target > file->fileBytes()) file->Reserve(target, &cancelGrowth_);
    fileBytes = file->fileBytes();
  }
  // Behind the writer, a step at a time: pages unmapped, and, with cache.tail.bytes, dropped from
  // the page cache (after the unmapping: the kernel keeps pages that are mapped). The range asked
  // to leave the cache last time is asked again: its dirty or still mapped pages stayed.
  const int64_t tailSetting = cacheTailBytes_.load(std::memory_order_relaxed);
  const uint64_t tail = static_cast<uint64_t>(tailSetting);
  const bool release = position >= releasedTo_ + kReleaseBehindBytes + kReleaseStepBytes;
  const bool drop = tailSetting >= 0 && position >= droppedTo_ + tail + kReleaseStepBytes;
  if (release || drop) {
    const std::shared_ptr<MappedFile> file = Hold();
    if (!file) return;
    if (release) {
      file->ReleasePages(releasedTo_, position - kReleaseBehindBytes);
      releasedTo_ = position - kReleaseBehindBytes;
    }
    if (drop) {
      file->DropCache(droppedFrom_, position - tail);
      droppedFrom_ = droppedTo_;
      droppedTo_ = position - tail;
    }
  }
  // While the segment is flushed often its appends are written with pwrite (Segment::WritesByCopy),
  // which allocates the pages itself: prefaulting them would only zero them first.
  if (Flushing()) return;
  const uint64_t window = Window(position);
  // Whole pages only, and none past the file: the last partial page is left to the writer.
  uint64_t end = position + window < fileBytes ? position + window : fileBytes;
  end = RoundDownToPage(end);
  uint64_t from = RoundDownToPage(position);
  if (prefaultedTo_ > from) from = prefaultedTo_;
  while (from < end) {
    const uint64_t bytes = end - from < kChunkBytes ? end - from : kChunkBytes;
    // If the owner lets go meanwhile, this is the last reference, and the file is unmapped (or
    // deleted) here, when the call is done.
    const std::shared_ptr<MappedFile> file = Hold();
    if (!file) return;
    if (!Prefetch(file->writable() + from, bytes)) return;
    from += bytes;
    prefaultedTo_ = from;
  }
}

}  // namespace rivulet
