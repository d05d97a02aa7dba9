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
// file grows inside it with posix_fallocate. Touching a page past end of file raises SIGBUS, so
// callers only access [0, fileBytes()); allocating blocks up front (not a sparse file) is what
// keeps a write into the mapping from faulting when the disk fills up: ENOSPC surfaces from
// Reserve() instead. (Copy-on-write filesystems such as btrfs or ZFS can still fail at write-back;
// Rivulet expects ext4 or XFS.)
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"

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
  // The file's size as this object last set or observed it (only the owning thread changes it).
  uint64_t fileBytes() const { return fileBytes_; }
  const std::string& path() const { return path_; }
  int fd() const { return fd_; }

  // Allocates blocks so the file is at least `bytes` long (at most mapBytes()).
  Status Reserve(uint64_t bytes);
  // Sets the file size; shrinking frees blocks, growing makes a hole (use Reserve to allocate).
  Status Truncate(uint64_t bytes);
  Status Rename(const std::string& newPath);
  // From now on the last reference also unlinks the file (see the class comment).
  void DeleteOnRelease() { deleteOnRelease_.store(true); }

  // A background thread's reference held for one call (core/write_ahead.h), which is no view:
  // pinned after taking the reference, unpinned before dropping it.
  void Pin();
  void Unpin();
  // References on this file besides `holder` (one of them) and pinned ones: the views and flushes
  // that hold it. Never too low; momentarily one too high while a pinned reference is dropped.
  long ReferencesBesides(const std::shared_ptr<MappedFile>& holder) const;

  // fdatasync, retried on EINTR. Static and descriptor-based so a worker thread can call it while
  // the owning thread goes on using the object; `path` is only used in the error message.
  static Status SyncFd(int fd, const std::string& path);

 private:
  MappedFile(std::string path, int fd, uint64_t fileBytes, uint64_t mapBytes, uint8_t* rw, uint8_t* ro)
      : path_(std::move(path)), fd_(fd), fileBytes_(fileBytes), mapBytes_(mapBytes), rw_(rw), ro_(ro) {}

  std::string path_;
  int fd_;
  uint64_t fileBytes_;
  uint64_t mapBytes_;
  uint8_t* rw_;
  uint8_t* ro_;
  std::atomic<bool> deleteOnRelease_{false};
  mutable std::mutex pinMutex_;
  long pins_ = 0;
};

}  // namespace rivulet
