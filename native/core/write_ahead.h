// WriteAhead: keeps the file allocated and the pages just ahead of an active segment's write
// position faulted in, on the kWriteAhead background thread (one for the process, shared by every
// active segment).
//
// Growing. A `.log` file is allocated in steps (core/limits.h, GrowStepBytes), not whole. Before
// prefaulting, the worker extends the file (posix_fallocate, which also sets its size) to
// GrowTargetBytes of the write position, at least half a step ahead of the writer, so the writer
// normally finds the room allocated; where it outruns the worker, Segment::Append grows the file
// on its own thread. A failed growth here (ENOSPC) is left for the writer to meet and report.
//
// Why. The first write into a page of a fresh, allocated `.log` faults: the kernel allocates
// page-cache pages and zeroes them (an unwritten extent reads as zeros; a fault reads a whole
// readahead window around the page, up to the device's read_ahead_kb), calls the filesystem's
// page_mkwrite and, once many dirty pages pile up, may put the faulting thread to sleep in
// balance_dirty_pages. Done by the writer, that is most of an append's cost and all of its tail
// (single appends of milliseconds, tens under memory pressure). Here MADV_POPULATE_WRITE (Linux
// 5.14+) takes exactly those write faults, a window ahead of the writer (see kPrefaultBytes), so
// the writer finds the pages mapped, writable and already dirty: no fault, and no dirty
// throttling, which is charged to whoever dirties a page. While the segment is flushed often
// (acks=all; see kFlushingNs) nothing is prefaulted: the segment's appends are then written with
// pwrite (Segment::WritesByCopy), which allocates the pages itself. Where MADV_POPULATE_WRITE is
// missing (older kernels, other systems) MADV_WILLNEED at least reads the pages into the page
// cache, so the writer's faults are minor ones. The writer still faults where it outruns this
// thread (a tight loop of large appends can: zeroing pages is bound by memory bandwidth), and then
// it is no worse off than without.
//
// Dropping behind (cache.tail.bytes, off unless set). Once the writer is more than the tail and
// a step (kReleaseStepBytes) past the last drop, what lies further back than the tail is dropped
// from the page cache (posix_fadvise DONTNEED): clean pages nobody maps are freed at once; dirty
// ones are queued for writeback and asked again one step later. Why: a log written at full speed
// otherwise takes a new page-cache page for every 4 KiB it writes, until memory is full and
// reclaim starts (the kernel's uncached buffered writes, RWF_DONTCACHE, exist for this). Freed
// pages are what the next writes get, still warm; on a virtual machine whose balloon reports free
// memory to the host, a page new to the guest costs a fault in the host on first touch, most of a
// write's cost (BENCHMARKS.md, round nine). The price: a consumer that lags further behind than
// the tail reads from disk.
//
// Not done: starting writeback behind the writer (sync_file_range(SYNC_FILE_RANGE_WRITE), as
// Kafka-style engines that write with write(2) do). Cleaning a page that is mapped writable means
// write-protecting it in every CPU's TLB (an IPI to the writer's CPU per batch of pages), and in
// measurements that cost the writer more than the dirty throttling it avoids; the kernel's own
// flusher and Segment flushes (fdatasync) write the pages back.
//
// Safety.
//   - Contents: neither madvise call changes a byte. A prefaulted page the writer never reaches
//     holds zeros, exactly what an unwritten extent reads as, so readers (which stop at the
//     segment's size) and recovery after a crash (which stops at the first invalid batch, and
//     zeros are one) see what they would have seen without it.
//   - Lifetime: the worker holds only a weak reference to the file, made strong for the length
//     of one madvise call, so the mapping cannot go while it is used.
//   - End of file: the worker never asks for a page past the file's size (MappedFile publishes a
//     size only once it is allocated), and the owner stops it before it shrinks the file. Stop
//     waits for a growth in flight and no growth starts after it (MappedFile::Reserve with the
//     cancel flag, under the file's resize lock), so a shrink can never be undone by the worker.
//     A call already in flight over pages a shrink removes cannot raise SIGBUS:
//     MADV_POPULATE_WRITE reports the would-be SIGBUS as EFAULT, and MADV_WILLNEED's readahead
//     stops at the file size.
//
// Threads: Start, Advance and Stop run on the owner's thread (the event loop); Work runs on the
// background thread, one call at a time per object.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

#include "core/mapped_file.h"

namespace rivulet {

class WriteAhead : public std::enable_shared_from_this<WriteAhead> {
 public:
  // How far ahead of the write position pages are kept faulted in: from kMinPrefaultBytes,
  // doubled each time the writer gets within half of it, up to kPrefaultBytes. A partition
  // written slowly keeps little mapped ahead (1,024 partitions at 8 MiB each held 8 GiB).
  static constexpr uint64_t kPrefaultBytes = 8u << 20;
  static constexpr uint64_t kMinPrefaultBytes = 512u << 10;
  // While the segment is flushed at least this often (acks=all traffic), nothing is prefaulted
  // and appends use pwrite (Segment::WritesByCopy): a page faulted for writing is dirty, so a
  // flush before the writer reaches it would write its zeros to disk and write-protect it (a TLB
  // shootdown), and the writer would then fault on it again. Without flushes, faulting for
  // writing spares the writer every fault.
  static constexpr int64_t kFlushingNs = 1'000'000'000;
  // The owner wakes the worker each time the write position has moved this far.
  static constexpr uint64_t kKickBytes = 256u << 10;
  // Behind the writer, pages are unmapped (MappedFile::ReleasePages) once this far behind, this
  // much at a time: the writer never comes back to them, and readers that do map them again.
  // Without it an active segment's whole written length counts in the broker's RSS.
  static constexpr uint64_t kReleaseBehindBytes = 16u << 20;
  static constexpr uint64_t kReleaseStepBytes = 32u << 20;
  // One madvise call covers at most this much, so Stop takes effect quickly.
  static constexpr uint64_t kChunkBytes = 256u << 10;

  // Starts keeping `file` ready from `position` on, growing it in steps of `growStepBytes` up to
  // `growLimitBytes` (0: never grow it); `file` must stay mapped at its current address
  // (MappedFile never remaps).
  // `cacheTailBytes` < 0 leaves the page cache alone; otherwise see "Dropping behind" above.
  static std::shared_ptr<WriteAhead> Start(const std::shared_ptr<MappedFile>& file, uint64_t position,
                                           uint64_t growStepBytes = 0, uint64_t growLimitBytes = 0,
                                           int64_t cacheTailBytes = -1);

  WriteAhead(const WriteAhead&) = delete;
  WriteAhead& operator=(const WriteAhead&) = delete;

  // The writer moved forward to `position`; the file is `fileBytes` long. Cheap unless the
  // position crossed the next kick point or the file size changed.
  void Advance(uint64_t position, uint64_t fileBytes) {
    if (position >= nextKick_ || fileBytes != fileBytesSeen_) Kick(position, fileBytes);
  }
  // No new madvise call starts on the file, ever, and the file no longer grows: a growth in
  // flight is waited for (call this before the file shrinks or the write position moves back,
  // and before releasing the file; start a new WriteAhead to go on). Does not wait for an
  // madvise call in flight.
  void Stop();
  // The segment is being flushed (owner thread): see kFlushingNs.
  void NoteFlush();
  // Flushed within the last kFlushingNs (any thread).
  bool Flushing() const;
  // A new cache.tail.bytes, from the next step on (any thread).
  void SetCacheTail(int64_t bytes) { cacheTailBytes_.store(bytes, std::memory_order_relaxed); }

 private:
  WriteAhead(const std::shared_ptr<MappedFile>& file, uint64_t growStepBytes, uint64_t growLimitBytes,
             int64_t cacheTailBytes)
      : file_(file), growStepBytes_(growStepBytes), growLimitBytes_(growLimitBytes), cacheTailBytes_(cacheTailBytes) {}

  void Kick(uint64_t position, uint64_t fileBytes);
  void Work();
  // A strong reference for one call, unless stopped or gone.
  std::shared_ptr<MappedFile> Hold();
  void Prefault(uint64_t position, uint64_t fileBytes);
  // Bytes to keep prefaulted ahead of `position` (background thread).
  uint64_t Window(uint64_t position);

  const std::weak_ptr<MappedFile> file_;
  const uint64_t growStepBytes_;
  const uint64_t growLimitBytes_;
  std::atomic<int64_t> cacheTailBytes_;
  // Set by Stop; MappedFile::Reserve checks it under the file's resize lock.
  std::atomic<bool> cancelGrowth_{false};
  // Steady-clock time of the last flush (NoteFlush), read by the background thread.
  std::atomic<int64_t> lastFlushNs_{INT64_MIN / 2};

  // Owner thread only.
  uint64_t nextKick_ = 0;
  uint64_t fileBytesSeen_ = 0;

  // Shared, under mutex_.
  std::mutex mutex_;
  uint64_t position_ = 0;
  uint64_t fileBytes_ = 0;
  bool stopped_ = false;
  bool queued_ = false;  // Work is queued or running

  // Background thread only (Work never runs twice at once for one object).
  uint64_t prefaultedTo_ = 0;
  // Asked to leave the page cache: [droppedFrom_, droppedTo_) last time, all below it before
  // (both start at the position Start was given, set before the first Work).
  uint64_t droppedFrom_ = 0;
  uint64_t droppedTo_ = 0;
  uint64_t releasedTo_ = 0;
  uint64_t window_ = 0;
};

}  // namespace rivulet
