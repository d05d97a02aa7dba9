// Segment: one `.log` file of RecordBatch v2 batches plus its `.index` and `.timeindex`, the
// bottom of the four storage layers (segment → segments → partition log → log manager; Kafka's
// LogSegment). Single writer, single thread: every method runs on the event loop except
// FlushJob::Run, which touches nothing but descriptors it holds references to.
//
// Invariants
//   - [0, size) of the `.log` holds whole, validated batches whose baseOffsets run without gaps
//     from baseOffset to nextOffset; nothing is ever served from [size, end of file).
//   - Index entries (both files, entry i naming the same batch) point at batch starts in
//     [0, size); slots past the used entries are zero.
//   - Every offset and timestamp handed out is <= 2^53 - 1; relative offsets fit uint32.
//   - The `.log` is mapped at segmentBytes, but its file grows in steps (core/limits.h): an active
//     segment's file is allocated (not sparse) at least up to where it writes next, so writing
//     into the mapping cannot fail, and Append grows it first when it must (ENOSPC refuses that
//     append only). A sealed segment's files are cut to their used length.
//   - While a segment is appended to, a WriteAhead (core/write_ahead.h) grows the file ahead of
//     size and, unless the segment is flushed often, keeps the pages ahead of size faulted in, off
//     the writer's thread; it never changes a byte, and it is stopped (any growth in flight
//     finished) before the file shrinks or is released.
//   - Appends reach the file through the mapping, or, while the segment is flushed often, by
//     pwritev of the validated input (a validated copy when the input is shared memory;
//     WritesByCopy); both write only past size and within the allocated file, and size moves
//     only once the bytes are there.
//
// Guarantees
//   - Append: when it returns, the batches are in the page cache (they survive a process crash,
//     not a power loss) and visible to Read. All batches of a call are appended, or none.
//   - Flush: when its job completes, every batch appended before PrepareFlush is on disk; so are
//     the indexes and the cut to size of a sealed segment (an active one's index entries are
//     rebuilt from the log on Open, so its flush syncs the `.log` alone).
//   - Reopening a segment never serves a partial or corrupt batch: the scan from the last index
//     entry stops at the first invalid one (see Open and Recover).
//   - Errors while writing (a failed flush, truncation or seal) fence the segment: appends are
//     refused until it is reopened. Read errors are not sticky. ENOSPC while reserving room for
//     an append refuses that append only (nothing was written).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/mapped_file.h"
#include "core/offset_index.h"
#include "core/record_batch.h"
#include "core/status.h"
#include "core/time_index.h"
#include "core/write_ahead.h"

namespace rivulet {

struct SegmentConfig {
  std::string dir;
  int64_t baseOffset = 0;
  uint64_t segmentBytes = 0;
  uint64_t indexIntervalBytes = 0;
  uint64_t indexBytes = 0;
  // cache.tail.bytes: how much of the newest data stays in the page cache while the segment is
  // written; older data leaves it (core/write_ahead.h). Negative: the kernel decides.
  int64_t cacheTailBytes = -1;
};

struct RecoveryReport {
  uint64_t validBytes = 0;
  uint64_t truncatedBytes = 0;
  int64_t nextOffset = 0;
  bool stoppedEarly = false;  // false: reason is null
  std::string reason;
};

// Whole batches of a segment, as addresses inside the read-only mapping. `file` keeps that
// mapping alive; hand it to whoever holds the bytes (the JavaScript Buffer's finalizer).
struct SegmentView {
  std::shared_ptr<MappedFile> file;
  const uint8_t* data = nullptr;
  uint64_t length = 0;
};

// What a flush needs, detached from the Segment so a worker thread can run it while the segment
// is appended to, closed or destroyed: references on the three files keep their descriptors open.
class FlushJob {
 public:
  Status Run() const;

 private:
  friend class Segment;
  static constexpr int kFiles = 3;
  std::shared_ptr<MappedFile> files_[kFiles];
  std::string paths_[kFiles];
  std::string dir_;
  bool syncDir_ = false;
  // The indexes are synced only once the segment is sealed: an active segment's index entries
  // are rebuilt from the log by Open (ScanFromLastEntry) whatever of them reached the disk, so
  // the `.log` alone makes acknowledged batches durable, and each acks=all answer waits for
  // one fdatasync instead of three.
  bool syncIndexes_ = true;
  // [unmapFrom_, unmapTo_) of the `.log`: whole pages written since the last flush, unmapped from
  // the writer's mapping just before the fdatasync (see Run).
  uint64_t unmapFrom_ = 0;
  uint64_t unmapTo_ = 0;
};

// `<dir>/<20-digit baseOffset><suffix>`, as Kafka names segment files.
std::string SegmentFilePath(const std::string& dir, int64_t baseOffset, const char* suffix);

class Segment {
 public:
  static constexpr const char* kLogSuffix = ".log";
  static constexpr const char* kIndexSuffix = ".index";
  static constexpr const char* kTimeIndexSuffix = ".timeindex";
  static constexpr const char* kDeletedSuffix = ".deleted";

  // Creates the three files (from the directory's spares when prepared) and maps them.
  static Status Create(const SegmentConfig& config, std::shared_ptr<Segment>* out);
  // Opens existing files: loads and checks the indexes, then validates batches from the last
  // index entry on to find the end of valid data, rebuilding the index tail. Bytes past that end
  // are not served; Recover() (or the first append or truncation) removes them from the file.
  static Status Open(const SegmentConfig& config, std::shared_ptr<Segment>* out);

  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  int64_t baseOffset() const { return config_.baseOffset; }
  int64_t nextOffset() const { return nextOffset_; }
  uint64_t size() const { return size_; }
  int64_t maxTimestamp() const { return maxTimestamp_; }
  bool active() const { return active_ && !closed_; }

  // Scans from the last index entry, validates each batch, cuts at the first invalid one and
  // removes any torn or stale bytes after the data from the file; reports what it cut. With
  // `full` (an unclean shutdown, above the recovery point) every batch is validated from position
  // 0 and both indexes are rebuilt from scratch; a sealed segment that is cut has its files cut
  // to the new size again, as TruncateTo does.
  Status Recover(RecoveryReport* report, bool full = false);
  // Appends every batch of data[0, length). `inputOffset` is where data starts in the caller's
  // buffer (error messages name batches by their byte there). *nextOffset is the new nextOffset,
  // or -1 when the batches do not fit (segment, index or offset range full: the caller rolls).
  // `privateInput`: no other thread can write data[0, length) during the call (it is not shared
  // memory), so it may be checked where it is rather than copied first (see WritesByCopy).
  Status Append(const uint8_t* data, uint64_t length, uint64_t inputOffset, int64_t* nextOffset,
                bool privateInput = false);
  // Whole batches from the one holding `offset`, up to maxBytes (at least one batch); empty when
  // offset >= nextOffset.
  Status Read(int64_t offset, uint64_t maxBytes, SegmentView* view) const;
  // cache.tail.bytes changed: from the write-ahead's next step on (see core/write_ahead.h).
  void SetCacheTailBytes(int64_t bytes);
  // Position of the batch holding `offset`, -1 when offset >= nextOffset.
  Status PositionOf(int64_t offset, int64_t* position) const;
  // baseOffset of the first batch whose maxTimestamp >= timestamp, -1 when there is none.
  Status OffsetForTimestamp(int64_t timestamp, int64_t* offset) const;
  Status PrepareFlush(FlushJob* job);
  // Drops the batches at and after `offset` (a batch boundary, or >= nextOffset: nothing to do).
  // Dropped bytes are zeroed in place (views over them see zeros), so they cannot come back.
  Status TruncateTo(int64_t offset);
  Status Seal();
  // Releases the files; outstanding views keep their mapping. An active segment is sealed first.
  Status Close();
  // Close, then rename the files `.deleted`; they are unlinked once the last view is gone. With
  // `recycle` (retention only: see spare_files.h) the `.log` may be kept for the next segment
  // instead, when its pages are still in the page cache by then.
  Status Destroy(bool recycle = false);
  // Makes write errors sticky (called for failures detected outside, e.g. by a flush).
  void Fence(const Status& cause);

 private:
  explicit Segment(const SegmentConfig& config);

  struct ScanResult {
    uint64_t end = 0;
    int64_t nextOffset = 0;
    int64_t maxTimestamp = -1;
    uint64_t bytesSinceIndexEntry = 0;
    std::string reason;  // empty when the scan reached its limit
  };
  struct AppendPlan {
    uint64_t batches = 0;
    int64_t offsets = 0;        // sum of lastOffsetDelta + 1
    uint64_t indexEntries = 0;  // entries this append adds to each index
  };

  Status Writable() const;
  Status OpenFiles();
  void VerifyIndexTail();
  // Empty when the bytes at `position` (up to `limit`) are a valid batch with `expectedOffset` as
  // its baseOffset and offsets inside the segment's range; else why not.
  std::string CheckBatchAt(uint64_t position, uint64_t limit, int64_t expectedOffset, BatchInfo* info) const;
  ScanResult ScanFromLastEntry(uint64_t limit);
  void Release();
  void AddIndexEntry(int64_t offset, uint64_t position, int64_t maxTimestampBefore);
  // Walks the batches of data[0, length): framing only; with `copyTo`, copying each batch there
  // (around the caches with `stream`, see CopyBatch) and fully validating the copy; with `validate`
  // and no `copyTo`, fully validating each batch where it is.
  Status PlanAppend(const uint8_t* data, uint64_t length, uint64_t inputOffset, uint8_t* copyTo,
                    AppendPlan* plan, bool stream = true, bool validate = false) const;
  // Appends of up to this many bytes may go through pwritev (see WritesByCopy), and through
  // WriteScratch when the input is shared: the client's largest request by default.
  static constexpr uint64_t kWriteScratchBytes = 4u << 20;
  // Whether an append of `length` bytes is written with pwritev (from the input, or from a scratch
  // copy of shared input) rather than copied into the mapping: while the segment is flushed often.
  bool WritesByCopy(uint64_t length) const;
  static uint8_t* WriteScratch(uint64_t length);
  // Writes validated batches[0, length) at size_ with pwritev, each batch's baseOffset (from
  // nextOffset_ on) from a stamped copy of it and the rest from `batches`, which is not changed.
  Status WriteStamped(const uint8_t* batches, uint64_t length) const;
  Status LocateBatch(int64_t offset, uint64_t* position, BatchInfo* info) const;
  Status HeaderAt(uint64_t position, BatchInfo* info) const;
  void DropBytesFrom(uint64_t position, int64_t nextOffset);
  uint64_t NonZeroBytesAfter(uint64_t position) const;
  Status DiscardUncleanTail();
  // Stops the write-ahead (before the file shrinks or is released); Append starts it again.
  void StopWriteAhead();
  void StartWriteAhead();
  // The most the `.log` file grows to: segmentBytes, within the mapping.
  uint64_t GrowLimit() const;
  // True when the `.log` file looks grown ahead of the writer (it ends at a step boundary, in
  // zeros) rather than cut to its data: what follows the data is allocated room, not garbage.
  bool LooksGrown() const;
  std::string Name() const;

  SegmentConfig config_;
  std::string paths_[3];  // .log, .index, .timeindex
  std::shared_ptr<MappedFile> log_;
  std::shared_ptr<WriteAhead> ahead_;  // null until the first append, and once stopped
  OffsetIndex offsets_;
  TimeIndex times_;
  std::weak_ptr<MappedFile> released_[3];  // after Close, for Destroy

  uint64_t size_ = 0;
  int64_t nextOffset_ = 0;
  int64_t maxTimestamp_ = -1;
  uint64_t bytesSinceIndexEntry_ = 0;
  // Whole pages below it are no longer mapped writable (FlushJob unmapped them before syncing).
  uint64_t unmappedTo_ = 0;
  bool active_ = true;
  bool closed_ = false;
  bool destroyed_ = false;
  // False when bytes after size_ may hold a torn or stale tail (a segment reopened after a crash):
  // they must be removed before anything is written after size_.
  bool cleanTail_ = true;
  // A file was created since the last flush: the flush also syncs the directory.
  bool dirDirty_ = false;
  Status fence_;  // ok() unless a write failed
};

}  // namespace rivulet
