#include "core/spare_files.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <mutex>
#include <vector>

#include "core/limits.h"

namespace rivulet {

namespace {

constexpr mode_t kFileMode = 0644;
// How much of a spare `.log` is read into the page cache ahead of time (WarmHead).
constexpr uint64_t kSpareWarmBytes = 4u << 20;
constexpr const char* kPartialSuffix = ".partial";
// How much of a retired `.log` must still be in the page cache for it to be recycled.
constexpr uint64_t kRecycleResidentPercent = 90;
#ifndef RENAME_NOREPLACE
constexpr unsigned kRenameNoReplace = 1;  // <linux/fs.h>
#else
constexpr unsigned kRenameNoReplace = RENAME_NOREPLACE;
#endif

// rename() that fails with EEXIST instead of replacing `to`: taking a spare must never clobber a
// segment. renameat2 where the kernel and filesystem have it, else check-then-rename (Rivulet has
// a single writer per directory, so the window is only against other programs).
int RenameNoReplace(const std::string& from, const std::string& to) {
#if defined(SYS_renameat2)
  if (syscall(SYS_renameat2, AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), kRenameNoReplace) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
#endif
  struct stat st;
  if (lstat(to.c_str(), &st) == 0) {
    errno = EEXIST;
    return -1;
  }
  return rename(from.c_str(), to.c_str());
}

int Allocate(int fd, uint64_t bytes) {
  int err;
  do {
    err = posix_fallocate(fd, 0, static_cast<off_t>(bytes));
  } while (err == EINTR);
  return err;
}

// Serialises PrepareSpareFiles calls of this process (they share the `.partial` names). Never
// destroyed, so a worker still holding it at exit is harmless.
std::mutex& PrepareMutex() {
  static std::mutex* mutex = new std::mutex();
  return *mutex;
}

Status CreateAllocated(const std::string& path, int extraFlags, uint64_t bytes) {
  int fd;
  do {
    fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | extraFlags, kFileMode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    if (errno == EEXIST) return Status(ErrorCode::kInvalid, path + " already exists", EEXIST, path);
    return Status::FromErrno(errno, "create", path);
  }
  const int err = Allocate(fd, bytes);
  close(fd);
  if (err != 0) {
    unlink(path.c_str());
    return Status::FromErrno(err, "posix_fallocate", path);
  }
  return Status::Ok();
}

// Reads the head of a spare `.log` into the page cache: its blocks are unwritten, so that is the
// kernel allocating and zeroing pages, with no disk I/O. The pages are clean (nothing to write
// back, reclaimable at will) and survive the rename into a segment, so the segment's first
// appends, and its write-ahead's first faults, do not wait for page zeroing on a new segment.
// Best effort: a failure only leaves that work to the write-ahead.
void WarmHead(const std::string& path, uint64_t fileBytes) {
#if defined(POSIX_FADV_WILLNEED)
  int fd;
  do {
    fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return;
  const uint64_t bytes = fileBytes < kSpareWarmBytes ? fileBytes : kSpareWarmBytes;
  posix_fadvise(fd, 0, static_cast<off_t>(bytes), POSIX_FADV_WILLNEED);
  close(fd);
#else
  (void)path;
  (void)fileBytes;
#endif
}

}  // namespace

std::string RecycledLogPath(const std::string& dir) { return dir + "/.recycled-log.tmp"; }

bool RecycleIfResident(const std::string& path, const std::string& recyclePath, const uint8_t* mapping,
                       uint64_t fileBytes) {
  const long pageSize = sysconf(_SC_PAGESIZE);
  if (mapping == nullptr || fileBytes == 0 || pageSize <= 0) return false;
  const uint64_t page = static_cast<uint64_t>(pageSize);
  const uint64_t pages = (fileBytes + page - 1) / page;
  std::vector<unsigned char> resident(pages);
  if (mincore(const_cast<uint8_t*>(mapping), pages * page, resident.data()) != 0) return false;
  uint64_t inCache = 0;
  for (unsigned char r : resident) inCache += r & 1;
  if (inCache * 100 < pages * kRecycleResidentPercent) return false;
  return RenameNoReplace(path, recyclePath) == 0;
}

bool TakeRecycledLog(const std::string& dir, const std::string& target, uint64_t maxBytes) {
  const std::string recycled = RecycledLogPath(dir);
  if (RenameNoReplace(recycled, target) != 0) return false;
  // Written for a larger segment.bytes: cut to this one's (the mapping is sized by the file).
  struct stat st;
  if (stat(target.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) > maxBytes &&
      truncate(target.c_str(), static_cast<off_t>(maxBytes)) != 0) {
    unlink(target.c_str());
    return false;
  }
  return true;
}

std::string SparePath(const std::string& dir, SegmentFileKind kind) {
  switch (kind) {
    case SegmentFileKind::kLog:
      return dir + "/.spare-log.tmp";
    case SegmentFileKind::kIndex:
      return dir + "/.spare-index.tmp";
    case SegmentFileKind::kTimeIndex:
      return dir + "/.spare-timeindex.tmp";
  }
  return dir + "/.spare-unknown.tmp";
}

Status PrepareSpareFiles(const std::string& dir, uint64_t segmentBytes, uint64_t indexBytes) {
  std::lock_guard<std::mutex> lock(PrepareMutex());
  const struct {
    SegmentFileKind kind;
    uint64_t bytes;
  } wanted[] = {
      // A segment's `.log` grows in steps: its spare holds the first step only.
      {SegmentFileKind::kLog, GrowTargetBytes(0, GrowStepBytes(segmentBytes), segmentBytes)},
      // The indexes too: their first step only (core/limits.h, kIndexGrowStepBytes).
      {SegmentFileKind::kIndex, IndexGrowTargetBytes(0, indexBytes)},
      {SegmentFileKind::kTimeIndex, IndexGrowTargetBytes(0, indexBytes)},
  };
  for (const auto& w : wanted) {
    const std::string spare = SparePath(dir, w.kind);
    struct stat st;
    if (stat(spare.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) > w.bytes) {
      // A larger spare (made whole before the files grew in steps, or for larger sizes)
      // is trimmed here, on the worker thread, rather than by Segment::Create on the event loop.
      if (truncate(spare.c_str(), static_cast<off_t>(w.bytes)) != 0) unlink(spare.c_str());
    }
    if (stat(spare.c_str(), &st) == 0 && static_cast<uint64_t>(st.st_size) >= w.bytes) {
      if (w.kind == SegmentFileKind::kLog) WarmHead(spare, w.bytes);
      continue;
    }
    // Preallocate under another name and rename when complete: Segment::Create, on the event
    // loop, may take the spare at any moment and must never get a half-allocated file.
    const std::string partial = spare + kPartialSuffix;
    Status status = CreateAllocated(partial, O_TRUNC, w.bytes);
    if (!status.ok()) return status;
    if (rename(partial.c_str(), spare.c_str()) != 0) {
      const int err = errno;
      unlink(partial.c_str());
      return Status::FromErrno(err, "rename", partial);
    }
    if (w.kind == SegmentFileKind::kLog) WarmHead(spare, w.bytes);
  }
  return Status::Ok();
}

Status PlaceSegmentFile(const std::string& dir, SegmentFileKind kind, const std::string& target, uint64_t bytes) {
  const std::string spare = SparePath(dir, kind);
  if (RenameNoReplace(spare, target) != 0) {
    if (errno == EEXIST) return Status(ErrorCode::kInvalid, target + " already exists", EEXIST, target);
    if (errno != ENOENT) return Status::FromErrno(errno, "rename", spare);
    return CreateAllocated(target, O_EXCL, bytes);  // no spare: preallocate on this thread
  }
  // A spare made for other sizes is fitted: trimmed, or grown here.
  int fd;
  do {
    fd = open(target.c_str(), O_RDWR | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Status::FromErrno(errno, "open", target);
  struct stat st;
  Status status;
  if (fstat(fd, &st) != 0) {
    status = Status::FromErrno(errno, "fstat", target);
  } else if (static_cast<uint64_t>(st.st_size) > bytes) {
    if (ftruncate(fd, static_cast<off_t>(bytes)) != 0) status = Status::FromErrno(errno, "ftruncate", target);
  } else if (static_cast<uint64_t>(st.st_size) < bytes) {
    const int err = Allocate(fd, bytes);
    if (err != 0) status = Status::FromErrno(err, "posix_fallocate", target);
  }
  close(fd);
  if (!status.ok()) unlink(target.c_str());
  return status;
}

}  // namespace rivulet
