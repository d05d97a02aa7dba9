// cache.tail.bytes in the core alone (core/write_ahead.h, "Dropping behind"): with a tail set,
// flushed data far enough behind the writer leaves the page cache (mincore over the mapping
// reports the file's pages in the page cache) and still reads back; without, it stays.
#include <sys/mman.h>
#include <unistd.h>

#include "core_test_support.h"

namespace rivulet::test {

namespace {

constexpr uint64_t kMiB = 1 << 20;

uint64_t CachedBytes(const MappedFile& file, uint64_t from, uint64_t to) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> pages((to - from) / page);
  if (mincore(const_cast<uint8_t*>(file.readable()) + from, to - from, pages.data()) != 0) return ~uint64_t{0};
  uint64_t cached = 0;
  for (unsigned char p : pages) cached += (p & 1) * page;
  return cached;
}

// Writes 72 MiB of 64 KiB batches, flushed every 4 MiB, with cacheTailBytes set from the start
// or (`setLater`) after 8 MiB; returns the cached bytes of the first 32 MiB once the write-ahead
// has had up to 5 s to drop them (at once when nothing is dropped).
uint64_t CachedHeadAfterWriting(int64_t cacheTailBytes, bool setLater = false) {
  // Under the working directory: a tmpfs /tmp keeps pages the kernel cannot drop.
  char pattern[] = "./rivulet-core-cache-XXXXXX";
  const char* made = mkdtemp(pattern);
  if (made == nullptr) std::abort();
  const std::string dir = made;
  SegmentConfig config = Config(dir);
  config.segmentBytes = 128 * kMiB;
  config.indexIntervalBytes = 1 << 20;
  config.cacheTailBytes = setLater ? -1 : cacheTailBytes;
  std::shared_ptr<Segment> seg;
  CHECK_OK(Segment::Create(config, &seg));
  const std::vector<uint8_t> b = MakeBatch(0, 7, 64 * 1024 - batch::kHeaderBytes);
  int64_t next = 0;
  while (seg->size() < 72 * kMiB) {
    CHECK_OK(seg->Append(b.data(), b.size(), 0, &next));
    if (setLater && seg->size() == 8 * kMiB) seg->SetCacheTailBytes(cacheTailBytes);
    if (seg->size() % (4 * kMiB) == 0) {
      FlushJob job;
      CHECK_OK(seg->PrepareFlush(&job));
      CHECK_OK(job.Run());
    }
  }
  // The mapping, through the newest batch: reading the first would fault its pages back in, with
  // the device's whole readahead window around them.
  SegmentView last;
  CHECK_OK(seg->Read(next - 1, b.size(), &last));
  uint64_t cached = CachedBytes(*last.file, 0, 32 * kMiB);
  for (int i = 0; i < 250 && cacheTailBytes >= 0 && cached > 0; i++) {
    usleep(20000);
    cached = CachedBytes(*last.file, 0, 32 * kMiB);
  }
  // Dropped or not, the data reads back the same (from disk where it was dropped).
  SegmentView view;
  CHECK_OK(seg->Read(0, b.size(), &view));
  CHECK(view.length == b.size() && LoadBE64(view.data) == 0);
  CHECK(std::memcmp(view.data + 8, b.data() + 8, b.size() - 8) == 0);
  last = SegmentView();
  view = SegmentView();
  CHECK_OK(seg->Close());
  RemoveTree(dir);
  return cached;
}

}  // namespace

void TestCacheTail() {
  CHECK(CachedHeadAfterWriting(0) == 0);
  CHECK(CachedHeadAfterWriting(0, true) == 0);
  CHECK(CachedHeadAfterWriting(-1) == 32 * kMiB);
}

}  // namespace rivulet::test
