// One file of a segment, open and memory mapped twice over the same pages: read-write for the
// single writer, read-only for zero-copy views (a stray write into a JavaScript view faults
// instead of silently corrupting the log).
//
// Lifetime: always held by std::shared_ptr. The segment holds one reference, every zero-copy view
// and every in-flight flush holds another, so the mapping and descriptor outlive close() and
// destroy() for as long as anybody can still touch them. The last reference unmaps and closes;
// if the file was destroyed, that and the unlink happen on the background thread.
//
// The mapping is reserved once at its full length (max(file size, the configured limit)) and the
// file grows inside it with posix_fallocate, in steps (core/limits.h). Touching a page past end of
// file raises SIGBUS, so nobody writes or prefaults outside [0, fileBytes()); allocating blocks
// before they are written (not a sparse file) is what keeps a write into the mapping from faulting
// when the disk fills up: ENOSPC surfaces from Reserve() instead. (Copy-on-write filesystems such
// as btrfs or ZFS can still fail at write-back; Rivulet expects ext4 or XFS.)
//
// Threads: the owner (the event loop) and the write-ahead thread may both grow the file (Reserve);
// only the owner shrinks it (Truncate). Resizes are serialised by a mutex, and fileBytes() is
// published only once the blocks are allocated and the read-only pages map the file again, so a
// size read on any thread is always safe to write up to.
//
// A file whose read-only mapping is handed out whole (ZeroFillPastEnd: the `.log`, whose zero-copy
// views are slices of one JavaScript ArrayBuffer over it) keeps that mapping readable over its
// full length: the pages past the end of the file are replaced by anonymous zero pages, and put
// back when the file grows. A view of bytes that a truncation cut off then reads zeros, never
// SIGBUS, however the file is cut.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"

struct iovec;

namespace rivulet {

class MappedFile {
 public:
  enum class Mode { kOpenExisting, kOpenOrCreate };

  // Opens `path` and maps max(its size, minMapBytes) bytes.
  static Status Open(const std::string& path, Mode mode, uint64_t minMapBytes, std::shared_ptr<MappedFile>* out);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  uint8_t* writable() const { return rw_; }
  const uint8_t* readable() const { return ro_; }
  uint64_t mapBytes() const { return mapBytes_; }
  // The file's size as this object last set or observed it: allocated up to there.
  uint64_t fileBytes() const { return fileBytes_.load(std::memory_order_acquire); }
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

  // Allocates blocks so the file is at least `bytes` long (at most mapBytes()). With `cancel`, does
  // nothing once *cancel is set (checked under the resize lock: see WaitForResize).
  Status Reserve(uint64_t bytes, const std::atomic<bool>* cancel = nullptr);
  // Returns once no Reserve is in flight: after `*cancel = true; WaitForResize()`, no Reserve
  // given that `cancel` grows the file any more.
  void WaitForResize() { std::lock_guard<std::mutex> lock(resizeMutex_); }
  // Sets the file size; shrinking frees blocks, growing makes a hole (use Reserve to allocate).
  Status Truncate(uint64_t bytes);
  // From now on the read-only mapping reads zeros past the end of the file instead of faulting
  // (see the class comment). Owner thread only, like Reserve and Truncate.
  Status ZeroFillPastEnd();
  Status Rename(const std::string& newPath);
  // From now on the last reference also unlinks the file (see the class comment).
  void DeleteOnRelease() { deleteOnRelease_.store(true); }
  // Like DeleteOnRelease, but the last reference first offers the file for reuse: when most of
  // its pages are still in the page cache, it is renamed to `recyclePath` (unless a file is
  // already there) instead of unlinked. See RecycleOrUnlink in spare_files.h.
  void RecycleOnRelease(const std::string& recyclePath) {
    recyclePath_ = recyclePath;
    deleteOnRelease_.store(true);
  }

  // Drops this process's page-table entries for [from, to) of the file (whole pages, within the
  // file) in both mappings: the pages stay in the page cache, dirty ones are still written back,
  // and the next access maps them again (a minor fault). Nothing anybody reads changes; what goes
  // is the pages' share of the process's RSS. Any thread.
  void ReleasePages(uint64_t from, uint64_t to) const;
  // The same for the read-write mapping only (readers keep theirs).
  void ReleaseWritablePages(uint64_t from, uint64_t to) const;
  // Asks the kernel to drop [from, to) of the file from the page cache (whole pages, within the
  // file): clean pages that no process maps are freed, dirty ones are queued for writeback and
  // stay. Nothing anybody reads changes; a later read takes it from disk again. Any thread.
  void DropCache(uint64_t from, uint64_t to) const;

  // Writes data[0, length) at `position` with pwrite (retried on EINTR and short writes), within
  // the allocated file: the write path's copy into the page cache, for when writing through the
  // mapping would fault on every page (see Segment::Append). Owner thread.
  Status WriteAt(const uint8_t* data, uint64_t length, uint64_t position) const;
  // The same for the pieces iov[0, count) one after the other, with pwritev (count at most
  // IOV_MAX). Moves iov's bases and lengths as it goes.
  Status WriteAt(struct iovec* iov, int count, uint64_t position) const;

  // fdatasync, retried on EINTR. Static and descriptor-based so a worker thread can call it while
  // the owning thread goes on using the object; `path` is only used in the error message.
  static Status SyncFd(int fd, const std::string& path);

 private:
  MappedFile(std::string path, int fd, uint64_t fileBytes, uint64_t mapBytes, uint8_t* rw, uint8_t* ro)
      : path_(std::move(path)), fd_(fd), fileBytes_(fileBytes), mapBytes_(mapBytes), rw_(rw), ro_(ro) {}

  std::string path_;
  int fd_;
  std::atomic<uint64_t> fileBytes_;
  uint64_t mapBytes_;
  uint8_t* rw_;
  uint8_t* ro_;
  // Maps the read-only pages of [from, to) (rounded out to whole pages, within the mapping) to
  // the file again, or to anonymous zeros.
  Status MapReadOnly(uint64_t from, uint64_t to, bool toFile);

  std::atomic<bool> deleteOnRelease_{false};
  std::string recyclePath_;  // set before deleteOnRelease_, read by the destructor only
  // Held by Reserve, Truncate and ZeroFillPastEnd: one resize at a time.
  std::mutex resizeMutex_;
  bool zeroFillPastEnd_ = false;  // under resizeMutex_
};

}  // namespace rivulet
