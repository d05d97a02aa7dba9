#include "core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "core/background.h"
#include "core/spare_files.h"

namespace rivulet {

namespace {

constexpr mode_t kFileMode = 0644;

void Unmap(uint8_t* rw, uint8_t* ro, uint64_t bytes, int fd) {
  if (rw != nullptr) munmap(rw, bytes);
  if (ro != nullptr) munmap(ro, bytes);
  if (fd >= 0) close(fd);
}

}  // namespace

Status MappedFile::Open(const std::string& path, Mode mode, uint64_t minMapBytes, std::shared_ptr<MappedFile>* out) {
  const int flags = O_RDWR | O_CLOEXEC | (mode == Mode::kOpenOrCreate ? O_CREAT : 0);
  int fd;
  do {
    fd = open(path.c_str(), flags, kFileMode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Status::FromErrno(errno, "open", path);
  struct stat st;
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    close(fd);
    return Status::FromErrno(err, "fstat", path);
  }
  const uint64_t fileBytes = static_cast<uint64_t>(st.st_size);
  const uint64_t mapBytes = fileBytes > minMapBytes ? fileBytes : minMapBytes;
  if (mapBytes == 0 || mapBytes > SIZE_MAX) {
    close(fd);
    return Status(ErrorCode::kInvalid, "cannot map " + std::to_string(mapBytes) + " bytes of " + path, 0, path);
  }
  void* rw = mmap(nullptr, mapBytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (rw == MAP_FAILED) {
    const int err = errno;
    close(fd);
    return Status::FromErrno(err, "mmap", path);
  }
  void* ro = mmap(nullptr, mapBytes, PROT_READ, MAP_SHARED, fd, 0);
  if (ro == MAP_FAILED) {
    const int err = errno;
    munmap(rw, mapBytes);
    close(fd);
    return Status::FromErrno(err, "mmap", path);
  }
  out->reset(new MappedFile(path, fd, fileBytes, mapBytes, static_cast<uint8_t*>(rw), static_cast<uint8_t*>(ro)));
  return Status::Ok();
}

MappedFile::~MappedFile() {
  if (!deleteOnRelease_.load()) {
    Unmap(rw_, ro_, mapBytes_, fd_);
    return;
  }
  uint8_t* rw = rw_;
  uint8_t* ro = ro_;
  const uint64_t bytes = mapBytes_;
  const int fd = fd_;
  const uint64_t fileBytes = fileBytes_.load();
  std::string path = path_;
  std::string recyclePath = recyclePath_;
  // Unlinking by name is safe even if a newer destroyed segment took the same `.deleted` name:
  // that file is being deleted too, and its own unlink then finds nothing (ENOENT is ignored).
  RunInBackground([rw, ro, bytes, fd, fileBytes, path, recyclePath] {
    // Residency is read off the mapping, so before unmapping it.
    if (recyclePath.empty() || !RecycleIfResident(path, recyclePath, ro, fileBytes)) unlink(path.c_str());
    Unmap(rw, ro, bytes, fd);
  });
}

Status MappedFile::Reserve(uint64_t bytes, const std::atomic<bool>* cancel) {
  std::lock_guard<std::mutex> lock(resizeMutex_);
  if (cancel != nullptr && cancel->load()) return Status::Ok();
  const uint64_t before = fileBytes_.load(std::memory_order_relaxed);
  if (bytes <= before) return Status::Ok();
  if (bytes > mapBytes_) {
    return Status(ErrorCode::kInvalid,
                  "cannot grow " + path_ + " to " + std::to_string(bytes) + " bytes past its mapping of " +
                      std::to_string(mapBytes_),
                  0, path_);
  }
  int err;
  do {
    err = posix_fallocate(fd_, 0, static_cast<off_t>(bytes));
  } while (err == EINTR);
  if (err != 0) {
    // A failed posix_fallocate may still have extended the file; put the size back so that what
    // we believe about the file and what is on disk agree.
    if (ftruncate(fd_, static_cast<off_t>(before)) != 0) {
      // Nothing more to do: fileBytes_ stays the smaller, safe value.
    }
    return Status::FromErrno(err, "posix_fallocate", path_);
  }
  if (zeroFillPastEnd_) {
    // Until this succeeds, the new pages still read as zeros: nothing is lost by failing here,
    // and the next Reserve maps them again.
    Status status = MapReadOnly(before, bytes, true);
    if (!status.ok()) return status;
  }
  fileBytes_.store(bytes, std::memory_order_release);
  return Status::Ok();
}

Status MappedFile::Truncate(uint64_t bytes) {
  std::lock_guard<std::mutex> lock(resizeMutex_);
  const uint64_t before = fileBytes_.load(std::memory_order_relaxed);
  if (bytes > mapBytes_) {
    return Status(ErrorCode::kInvalid, "cannot size " + path_ + " past its mapping", 0, path_);
  }
  // Shrinking: zeros go under the read-only pages first, so no reader ever finds them past the
  // end of the file (a reader of bytes being cut off sees them turn to zeros, as they were).
  // The size goes down before the file does: a concurrent reader of fileBytes() never gets a
  // size the file no longer has.
  if (bytes < before) fileBytes_.store(bytes, std::memory_order_release);
  if (zeroFillPastEnd_ && bytes < before) {
    Status status = MapReadOnly(bytes, before, false);
    if (!status.ok()) {
      fileBytes_.store(before, std::memory_order_release);
      return status;
    }
  }
  int rc;
  do {
    rc = ftruncate(fd_, static_cast<off_t>(bytes));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    // Shrinking failed: the file keeps its size, but the pages past `bytes` now read zeros
    // through the read-only mapping; keep the smaller size, which is safe to write up to.
    return Status::FromErrno(err, "ftruncate", path_);
  }
  if (zeroFillPastEnd_ && bytes > before) {
    Status status = MapReadOnly(before, bytes, true);
    if (!status.ok()) {
      if (ftruncate(fd_, static_cast<off_t>(before)) != 0) {
        // The file stays longer than we say; the smaller size is the safe one.
      }
      return status;
    }
  }
  if (bytes > before) fileBytes_.store(bytes, std::memory_order_release);
  return Status::Ok();
}

Status MappedFile::ZeroFillPastEnd() {
  std::lock_guard<std::mutex> lock(resizeMutex_);
  if (zeroFillPastEnd_) return Status::Ok();
  Status status = MapReadOnly(fileBytes_.load(std::memory_order_relaxed), mapBytes_, false);
  if (status.ok()) zeroFillPastEnd_ = true;
  return status;
}

Status MappedFile::MapReadOnly(uint64_t from, uint64_t to, bool toFile) {
  static const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  // The page holding the end of the file stays file-backed (past the end, the kernel fills it
  // with zeros); whole pages after it are the ones that would fault.
  from = (from + page - 1) / page * page;
  to = (to + page - 1) / page * page;
  if (to > mapBytes_) to = mapBytes_;
  if (from >= to) return Status::Ok();
  void* at = ro_ + from;
  void* mapped = toFile
                     ? mmap(at, to - from, PROT_READ, MAP_SHARED | MAP_FIXED, fd_, static_cast<off_t>(from))
                     : mmap(at, to - from, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
  if (mapped == MAP_FAILED) return Status::FromErrno(errno, "mmap", path_);
  return Status::Ok();
}

Status MappedFile::Rename(const std::string& newPath) {
  if (rename(path_.c_str(), newPath.c_str()) != 0) return Status::FromErrno(errno, "rename", path_);
  path_ = newPath;
  return Status::Ok();
}

namespace {

// [from, to) cut to whole pages inside [0, limit); false when nothing is left.
bool PageRange(uint64_t limit, uint64_t* from, uint64_t* to) {
  const long pageSize = sysconf(_SC_PAGESIZE);
  const uint64_t page = pageSize > 0 ? static_cast<uint64_t>(pageSize) : 4096;
  if (*to > limit) *to = limit;
  *from = (*from + page - 1) / page * page;
  *to = *to / page * page;
  return *from < *to;
}

}  // namespace

void MappedFile::ReleasePages(uint64_t from, uint64_t to) const {
  if (!PageRange(fileBytes(), &from, &to)) return;
  // MADV_DONTNEED on a shared file mapping only unmaps: the page cache keeps the data. Past the
  // end of the file (a shrink racing this call) the read-only mapping holds anonymous zero pages,
  // for which dropping is just as harmless.
  madvise(rw_ + from, to - from, MADV_DONTNEED);
  madvise(ro_ + from, to - from, MADV_DONTNEED);
}

void MappedFile::ReleaseWritablePages(uint64_t from, uint64_t to) const {
  if (PageRange(fileBytes(), &from, &to)) madvise(rw_ + from, to - from, MADV_DONTNEED);
}

void MappedFile::DropCache(uint64_t from, uint64_t to) const {
#if defined(POSIX_FADV_DONTNEED)
  if (!PageRange(fileBytes(), &from, &to)) return;
  posix_fadvise(fd_, static_cast<off_t>(from), static_cast<off_t>(to - from), POSIX_FADV_DONTNEED);
#else
  (void)from;
  (void)to;
#endif
}

Status MappedFile::WriteAt(const uint8_t* data, uint64_t length, uint64_t position) const {
  struct iovec one = {const_cast<uint8_t*>(data), length};  // pwritev only reads it
  return WriteAt(&one, 1, position);
}

Status MappedFile::WriteAt(struct iovec* iov, int count, uint64_t position) const {
  uint64_t length = 0;
  for (int i = 0; i < count; i++) length += iov[i].iov_len;
  if (position + length > fileBytes()) {
    return Status(ErrorCode::kInvalid, "write past the allocated end of " + path_, 0, path_);
  }
  while (count > 0) {
    const ssize_t n = pwritev(fd_, iov, count, static_cast<off_t>(position));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::FromErrno(errno, "pwritev", path_);
    if (n == 0) return Status::FromErrno(EIO, "pwritev", path_);
    position += static_cast<uint64_t>(n);
    // A short write: go on from the first byte not written.
    size_t left = static_cast<size_t>(n);
    while (count > 0 && left >= iov->iov_len) {
      left -= iov->iov_len;
      ++iov;
      --count;
    }
    if (count > 0) {
      iov->iov_base = static_cast<uint8_t*>(iov->iov_base) + left;
      iov->iov_len -= left;
    }
  }
  return Status::Ok();
}

Status MappedFile::SyncFd(int fd, const std::string& path) {
  int rc;
  do {
    rc = fdatasync(fd);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return Status::FromErrno(errno, "fdatasync", path);
  return Status::Ok();
}

}  // namespace rivulet
