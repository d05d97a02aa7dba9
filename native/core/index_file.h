// The part the offset index and the time index share: a memory-mapped array of fixed-width,
// big-endian entries (Kafka's AbstractIndex). The mapping covers the configured `indexBytes`, but
// the file starts with one small step allocated (kIndexGrowStepBytes, core/limits.h) and grows in
// steps as entries are added (ReserveFor, before anything is written); it is cut to its used
// length when the segment is sealed. A file's length may therefore be anything on reopen: only
// [0, fileBytes()) is ever touched (past the end of the file the mapping faults).
//
// Invariant: entries [0, count) are valid, and every slot in [count, capacity) that lies inside
// the file is zero. Dropped entries are zeroed, never just forgotten, so a reopened index can find
// its end (the first zero entry) without trusting any stale entry after it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/mapped_file.h"
#include "core/status.h"

namespace rivulet {

class IndexFile {
 public:
  IndexFile(size_t entryBytes, uint64_t limitBytes) : entryBytes_(entryBytes), limitBytes_(limitBytes) {}

  // Opens or creates the file; it is mapped at max(its size, limitBytes).
  Status Open(const std::string& path);
  // Takes an already-open file (a freshly created segment).
  void Adopt(std::shared_ptr<MappedFile> file);

  uint32_t count() const { return count_; }
  // Entries the mapping can hold.
  uint32_t capacity() const;
  // Entries that lie inside the file as it is now (the rest of the mapping must not be touched).
  uint32_t entriesInFile() const;
  const std::shared_ptr<MappedFile>& file() const { return file_; }

  // Makes sure `entries` entries fit in the file, growing it to the next step boundary (at most the
  // mapping) if not. Fails (ENOSPC, say) before anything is written.
  Status ReserveFor(uint32_t entries);
  // Zeroes entries [n, count) and forgets them.
  void DropFrom(uint32_t n);
  // Cuts the file to its used length (sealing); mapping and entries stay readable.
  Status Seal();
  // Reopening after a crash: whatever lies past the loaded entries (torn or stale entries from
  // before the crash) is discarded by cutting the file to its used length and allocating it back
  // to the step boundary past the entries (at most its former size), which leaves zeros. Failing
  // to allocate back is not an error here: the next append that needs room reports ENOSPC.
  Status ClearTail();
  // Forgets the file; the mapping lives on while other references (views, flushes) hold it.
  void Release() { file_.reset(); }

 protected:
  const uint8_t* SlotAt(uint32_t i) const { return file_->readable() + static_cast<uint64_t>(i) * entryBytes_; }
  uint8_t* WritableSlotAt(uint32_t i) { return file_->writable() + static_cast<uint64_t>(i) * entryBytes_; }
  void SetCount(uint32_t n) { count_ = n; }

 private:
  size_t entryBytes_;
  uint64_t limitBytes_;
  std::shared_ptr<MappedFile> file_;
  uint32_t count_ = 0;
};

}  // namespace rivulet
