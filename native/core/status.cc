#include "core/status.h"

#include <cerrno>
#include <cstring>

namespace rivulet {

namespace {

// strerror is not thread-safe and Statuses are built on worker threads too. strerror_r comes in a
// GNU flavour (returns the text) and an XSI one (returns 0 and fills the buffer); overloads pick.
[[maybe_unused]] const char* PickMessage(const char* gnuResult, const char*) { return gnuResult; }
[[maybe_unused]] const char* PickMessage(int xsiResult, const char* buffer) {
  return xsiResult == 0 ? buffer : "unknown error";
}

constexpr size_t kErrorTextBytes = 128;

}  // namespace

Status Status::FromErrno(int sysErrno, const char* operation, const std::string& path) {
  const ErrorCode code = (sysErrno == ENOSPC || sysErrno == EDQUOT) ? ErrorCode::kNoSpace : ErrorCode::kIo;
  char buffer[kErrorTextBytes] = {0};
  const char* text = PickMessage(strerror_r(sysErrno, buffer, sizeof buffer), buffer);
  std::string message = std::string(operation) + " " + path + ": " + text;
  return Status(code, std::move(message), sysErrno, path);
}

const char* Status::codeName() const {
  const int index = static_cast<int>(code_) - 1;
  if (index < 0 || index >= kStorageErrorCodeCount) return "OK";
  return kStorageErrorCodeNames[index];
}

}  // namespace rivulet
