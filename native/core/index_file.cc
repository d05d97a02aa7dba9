#include "core/index_file.h"

#include <cstring>

namespace rivulet {

Status IndexFile::Open(const std::string& path) {
  return MappedFile::Open(path, MappedFile::Mode::kOpenOrCreate, limitBytes_, &file_);
}

void IndexFile::Adopt(std::shared_ptr<MappedFile> file) { file_ = std::move(file); }

uint32_t IndexFile::capacity() const {
  const uint64_t entries = file_->mapBytes() / entryBytes_;
  return entries > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(entries);
}

uint32_t IndexFile::entriesInFile() const {
  const uint64_t entries = file_->fileBytes() / entryBytes_;
  return entries > UINT32_MAX ? UINT32_MAX : static_cast<uint32_t>(entries);
}

Status IndexFile::ReserveFor(uint32_t entries) {
  const uint64_t needed = static_cast<uint64_t>(entries) * entryBytes_;
  if (needed <= file_->fileBytes()) return Status::Ok();
  // Grow to the whole configured size at once: one fallocate per segment, not one per entry.
  uint64_t target = limitBytes_ > needed ? limitBytes_ : needed;
  const uint64_t mappable = static_cast<uint64_t>(capacity()) * entryBytes_;
  if (target > mappable) target = mappable;
  return file_->Reserve(target);
}

void IndexFile::DropFrom(uint32_t n) {
  if (n >= count_) return;
  std::memset(WritableSlotAt(n), 0, static_cast<uint64_t>(count_ - n) * entryBytes_);
  count_ = n;
}

Status IndexFile::ClearTail() {
  const uint64_t used = static_cast<uint64_t>(count_) * entryBytes_;
  const uint64_t before = file_->fileBytes();
  if (before <= used) return Status::Ok();
  Status status = file_->Truncate(used);
  if (!status.ok()) return status;
  file_->Reserve(before);
  return Status::Ok();
}

Status IndexFile::Seal() { return file_->Truncate(static_cast<uint64_t>(count_) * entryBytes_); }

}  // namespace rivulet
