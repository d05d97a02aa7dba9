#include "core/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

namespace rivulet {

namespace {

constexpr mode_t kLockFileMode = 0644;

}  // namespace

Status DirLock::Acquire(const std::string& dir, std::unique_ptr<DirLock>* out) {
  if (dir.empty()) return Status(ErrorCode::kInvalid, "the directory to lock must not be empty");
  std::string path = dir;
  if (path.back() != '/') path += '/';
  path += kDirLockFileName;

  int fd;
  do {
    fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, kLockFileMode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return Status::FromErrno(errno, "open", path);

  int rc;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EWOULDBLOCK) {
      return Status(ErrorCode::kLocked, "directory " + dir + " is locked by another process (lock " + path + ")", err,
                    path);
    }
    return Status::FromErrno(err, "flock", path);
  }
  out->reset(new DirLock(fd, std::move(path)));
  return Status::Ok();
}

DirLock::~DirLock() { Release(); }

void DirLock::Release() {
  if (fd_ < 0) return;
  // Closing the only descriptor of this open file description drops the lock; an explicit
  // LOCK_UN first makes that true even if a descriptor was somehow duplicated.
  ::flock(fd_, LOCK_UN);
  ::close(fd_);
  fd_ = -1;
}

}  // namespace rivulet
