#include "core/index_file.h"

#include <cstring>

#include "core/limits.h"

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
  // Grow to the next step boundary (core/limits.h), never past what the mapping can hold: one
  // small fallocate per step of entries, not one per entry, and not the whole limit at once.
  const uint64_t mappable = static_cast<uint64_t>(capacity()) * entryBytes_;
  uint64_t target = IndexGrowTargetBytes(needed, mappable);
  if (target < needed) target = needed;  // past the mapping: Reserve refuses it
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
  // Allocated back to the step boundary past the entries (a file allocated whole before indexes
  // grew in steps gives its surplus back), never longer than it was.
  file_->Reserve(IndexGrowTargetBytes(used, before));
  return Status::Ok();
}

Status IndexFile::Seal() { return file_->Truncate(static_cast<uint64_t>(count_) * entryBytes_); }

}  // namespace rivulet
