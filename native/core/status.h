// The core's error value. The core never throws (it is built without exceptions); every fallible
// call returns a Status that the binding turns into a JavaScript StorageError.
#pragma once

#include <string>
#include <utility>

namespace rivulet {

// Mirrors StorageErrorCodes in src/log/storage-error.ts, in the same order; a test asserts the
// native list (StorageErrorCodeNames) equals the TypeScript one.
enum class ErrorCode {
  kOk = 0,
  kCorrupt,   // ECORRUPT: a batch failed validation; nothing of the input was appended
  kNoSpace,   // ENOSPC: the disk is full; the write was refused, reads go on
  kInvalid,   // EINVAL: an argument the storage engine cannot honour
  kClosed,    // ECLOSED: the segment was sealed (for appends) or closed
  kIo,        // EIO: any other operating-system failure
  kTooLarge,  // ETOOLARGE: a batch larger than a whole segment
  kFenced,    // EFENCED: a previous write failed; appends are refused until reopened
  kLocked,    // ELOCKED: the directory's lock is held by another process (core/dir_lock.h)
};

constexpr const char* kStorageErrorCodeNames[] = {
    "ECORRUPT", "ENOSPC", "EINVAL", "ECLOSED", "EIO", "ETOOLARGE", "EFENCED", "ELOCKED",
};
constexpr int kStorageErrorCodeCount = sizeof(kStorageErrorCodeNames) / sizeof(kStorageErrorCodeNames[0]);

class Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message, int sysErrno = 0, std::string path = {})
      : code_(code), message_(std::move(message)), errno_(sysErrno), path_(std::move(path)) {}

  static Status Ok() { return Status(); }
  // An operating-system failure: ENOSPC/EDQUOT become kNoSpace, everything else kIo. The message
  // names the operation, the path and strerror, so it is actionable without the errno table.
  static Status FromErrno(int sysErrno, const char* operation, const std::string& path);

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const char* codeName() const;
  const std::string& message() const { return message_; }
  int sysErrno() const { return errno_; }
  const std::string& path() const { return path_; }

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
  int errno_ = 0;
  std::string path_;
};

}  // namespace rivulet
