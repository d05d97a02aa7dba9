// An exclusive lock on a data directory, as Kafka takes on each log dir: `<dir>/.lock`, locked with
// flock(LOCK_EX | LOCK_NB). A second process (or a second lock in this one: flock locks belong to
// the open file description, not to the process) that tries the same directory gets ELOCKED at
// once instead of two writers corrupting each other's segments.
//
// The lock lives exactly as long as the file descriptor: Release(), the destructor, or the death
// of the process (the kernel drops flock locks with the last descriptor, so a crashed broker never
// leaves a stale lock). The descriptor is O_CLOEXEC, so a spawned program does not inherit it. The
// `.lock` file itself is left in place (empty, reused by the next owner): deleting it on release
// would race with a process that has opened it but not locked it yet.
//
// flock is advisory and, on NFS, emulated with byte-range locks; the data dir is expected to be
// local, as for Kafka.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"

namespace rivulet {

// The name of the lock file inside a data directory. Anything that lists the directory must skip it.
constexpr const char* kDirLockFileName = ".lock";

class DirLock {
 public:
  // Opens (creating if needed) `<dir>/.lock` and takes the lock without waiting. `dir` must exist.
  // ELOCKED when another open file description holds it (errno EWOULDBLOCK, path the lock file);
  // EIO (or ENOSPC) when the file cannot be opened or locked.
  static Status Acquire(const std::string& dir, std::unique_ptr<DirLock>* out);

  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock();

  // Drops the lock and closes the file. Idempotent.
  void Release();
  bool held() const { return fd_ >= 0; }
  // `<dir>/.lock`.
  const std::string& path() const { return path_; }

 private:
  DirLock(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}

  int fd_;
  std::string path_;
};

}  // namespace rivulet
