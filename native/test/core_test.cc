// Standalone test of native/core, with no Node.js: built and run under AddressSanitizer and
// UndefinedBehaviorSanitizer by scripts/test-asan.sh. The JavaScript tests in test/native cover
// the same ground through the addon; this one proves the core stands alone and lets the
// sanitizers see it without Node's own allocations in the way. Shared helpers are in
// core_test_support.h; the append tests in append_test.cc.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/crc32c.h"
#include "core/endian.h"
#include "core/limits.h"
#include "core/record_batch.h"
#include "core/segment.h"
#include "core/spare_files.h"
#include "test/core_test_support.h"

namespace rivulet::test {
namespace {

void TestCrc() {
  CHECK(Crc32c(0, "123456789", 9) == 0xe3069283u);
  const std::vector<uint8_t> zeros(32, 0);
  CHECK(Crc32c(0, zeros.data(), zeros.size()) == 0x8a9136aau);
  std::mt19937 rng(7);
  std::vector<uint8_t> data(100000);
  for (auto& byte : data) byte = static_cast<uint8_t>(rng());
  for (size_t length : {0, 1, 7, 8, 9, 255, 768, 769, 24576, 24577, 99990}) {
    for (size_t start = 0; start < 8; start++) {
      CHECK(Crc32c(42, data.data() + start, length) == Crc32cPortable(42, data.data() + start, length));
    }
  }
  const uint32_t whole = Crc32c(0, data.data(), data.size());
  CHECK(Crc32c(Crc32c(0, data.data(), 333), data.data() + 333, data.size() - 333) == whole);
  // Every implementation this CPU runs, not only the chosen one: the standard vector, then every
  // length 0..4096 at three alignments, and long inputs, against the portable one.
  const std::vector<const char*> names = Crc32cImplNames();
  CHECK(!names.empty() && std::strcmp(names.front(), Crc32cImplName()) == 0);
  CHECK(std::strcmp(names.back(), "portable") == 0);
  for (size_t impl = 0; impl < names.size(); impl++) {
    CHECK(Crc32cUsing(impl, 0, "123456789", 9) == 0xe3069283u);
    for (size_t length = 0; length <= 4096; length++) {
      for (size_t start : {0, 1, 5}) {
        CHECK(Crc32cUsing(impl, 42, data.data() + start, length) == Crc32cPortable(42, data.data() + start, length));
      }
    }
    for (size_t length : {24576, 24577, 99990}) {
      CHECK(Crc32cUsing(impl, 7, data.data() + 3, length) == Crc32cPortable(7, data.data() + 3, length));
    }
  }
  std::printf("crc32c implementations checked:");
  for (const char* name : names) std::printf(" %s", name);
  std::printf("\n");
}

void TestCrcCopy() {
  std::mt19937 rng(11);
  std::vector<uint8_t> src(200000);
  for (auto& byte : src) byte = static_cast<uint8_t>(rng());
  std::vector<uint8_t> dst(src.size() + 128);
  // Short, folded and streamed lengths, at every destination alignment within a cache line.
  for (size_t length : {0, 1, 40, 255, 256, 319, 320, 1000, 1087, 1088, 4096, 16323, 100001}) {
    for (size_t shift = 0; shift < 64; shift += 7) {
      for (bool stream : {true, false}) {  // around the caches, and through them
        std::fill(dst.begin(), dst.end(), 0xa5);
        const uint32_t crc = Crc32cCopy(42, dst.data() + shift, src.data() + 3, length, stream);
        CHECK(crc == Crc32cPortable(42, src.data() + 3, length));
        CHECK(std::memcmp(dst.data() + shift, src.data() + 3, length) == 0);
        CHECK(dst[shift + length] == 0xa5 && (shift == 0 || dst[shift - 1] == 0xa5));  // nothing else written
      }
    }
  }
}

void TestValidation() {
  std::vector<uint8_t> b = MakeBatch(2, 100);
  BatchInfo info;
  std::string why;
  CHECK(ValidateBatch(b.data(), b.size(), &info, &why));
  CHECK(info.totalBytes == b.size() && info.lastOffsetDelta == 2 && info.maxTimestamp == 100);
  CHECK(!ValidateBatch(b.data(), b.size() - 1, &info, &why));  // overruns
  CHECK(!ValidateBatch(b.data(), 5, &info, &why));             // no length
  b[batch::kHeaderBytes] ^= 1;
  CHECK(!ValidateBatch(b.data(), b.size(), &info, &why) && why.find("CRC") != std::string::npos);
}

void TestSparesAndDestroy() {
  const std::string dir = TempDir();
  SegmentConfig config = Config(dir);
  CHECK_OK(PrepareSpareFiles(dir, config.segmentBytes, config.indexBytes));
  struct stat st;
  // The spare `.log` holds the first growth step, not the whole segment.
  CHECK(stat(SparePath(dir, SegmentFileKind::kLog).c_str(), &st) == 0 &&
        static_cast<uint64_t>(st.st_size) == GrowStepBytes(config.segmentBytes));
  std::shared_ptr<Segment> seg;
  CHECK_OK(Segment::Create(config, &seg));
  CHECK(stat(SparePath(dir, SegmentFileKind::kLog).c_str(), &st) != 0);
  const std::vector<uint8_t> b = MakeBatch(0, 1);
  int64_t next = 0;
  CHECK_OK(seg->Append(b.data(), b.size(), 0, &next));
  SegmentView view;
  CHECK_OK(seg->Read(0, 100, &view));
  FlushJob job;
  CHECK_OK(seg->PrepareFlush(&job));
  CHECK_OK(seg->Destroy());
  CHECK_OK(job.Run());                                 // the job's references keep the files usable
  CHECK(view.data[batch::kMagic] == batch::kMagicV2);  // and the view's keeps the mapping
  view = SegmentView();
  job = FlushJob();
  RemoveTree(dir);
}

// Bytes of [from, to) of the file behind `file` that are in the page cache.
uint64_t ResidentBytes(const MappedFile& file, uint64_t from, uint64_t to) {
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  from = from / page * page;
  std::vector<unsigned char> pages((to - from + page - 1) / page);
  if (mincore(const_cast<uint8_t*>(file.readable()) + from, to - from, pages.data()) != 0) return 0;
  uint64_t resident = 0;
  for (unsigned char p : pages) resident += (p & 1) * page;
  return resident;
}

void TestWriteAhead() {
  const std::string dir = TempDir();
  SegmentConfig config = Config(dir);
  config.segmentBytes = 4 << 20;  // within one prefault window
  std::shared_ptr<Segment> seg;
  CHECK_OK(Segment::Create(config, &seg));
  int64_t next = 0;
  for (int i = 0; i < 20; i++) {
    const std::vector<uint8_t> b = MakeBatch(i % 4, 500 + i, 3000);
    CHECK_OK(seg->Append(b.data(), b.size(), 0, &next));
  }
  SegmentView view;
  CHECK_OK(seg->Read(0, 1 << 30, &view));
  CHECK(view.length == seg->size());
  // The file grows in steps ahead of the data, and the pages past the data, up to the end of the
  // file, get faulted in by the background thread.
  const uint64_t step = GrowStepBytes(config.segmentBytes);
  bool prefaulted = false;
  for (int i = 0; i < 500 && !prefaulted; i++) {
    const uint64_t fileBytes = view.file->fileBytes();
    prefaulted = fileBytes >= GrowTargetBytes(seg->size(), step, config.segmentBytes) &&
                 ResidentBytes(*view.file, seg->size(), fileBytes) >= fileBytes - seg->size() - 4096;
    if (!prefaulted) usleep(2000);
  }
  CHECK(prefaulted);
  CHECK(view.file->fileBytes() < config.segmentBytes && view.file->fileBytes() % step == 0);
  // Nothing of them shows: reads stop at the data, and they hold zeros.
  SegmentView past;
  CHECK_OK(seg->Read(next, 1 << 30, &past));
  CHECK(past.length == 0);
  for (uint64_t i = seg->size(); i < config.segmentBytes; i++) {
    if (view.file->readable()[i] != 0) {
      CHECK(view.file->readable()[i] == 0);
      break;
    }
  }
  // A crash now (no close): reopening finds the same end and nothing to cut.
  std::shared_ptr<Segment> reopened;
  CHECK_OK(Segment::Open(config, &reopened));
  CHECK(reopened->size() == seg->size() && reopened->nextOffset() == next);
  RecoveryReport report;
  CHECK_OK(reopened->Recover(&report));
  CHECK(report.truncatedBytes == 0 && !report.stoppedEarly && report.validBytes == seg->size());
  const std::vector<uint8_t> b = MakeBatch(0, 1);
  int64_t after = 0;
  CHECK_OK(reopened->Append(b.data(), b.size(), 0, &after));
  CHECK(after == next + 1);
  CHECK_OK(reopened->Close());
  struct stat st;
  CHECK(stat((dir + "/00000000000000000000.log").c_str(), &st) == 0 &&
        static_cast<uint64_t>(st.st_size) == reopened->size());
  view = SegmentView();
  seg.reset();
  RemoveTree(dir);
}

// The `.log`'s read-only mapping reads zeros past the end of the file, whatever cuts or grows it.
void TestZeroFillPastEnd() {
  const std::string dir = TempDir();
  const SegmentConfig config = Config(dir);
  const std::vector<uint8_t> b = MakeBatch(0, 1, 5000);
  int64_t next = 0;
  {
    std::shared_ptr<Segment> seg;
    CHECK_OK(Segment::Create(config, &seg));
    CHECK_OK(seg->Append(b.data(), b.size(), 0, &next));
    CHECK_OK(seg->Append(b.data(), b.size(), 0, &next));
    SegmentView view;
    CHECK_OK(seg->Read(0, 1 << 30, &view));
    CHECK_OK(seg->TruncateTo(1));
    CHECK_OK(seg->Seal());  // the file is cut right after batch 0
    const uint8_t* base = view.file->readable();
    uint64_t nonZero = 0;
    for (uint64_t i = seg->size(); i < view.file->mapBytes(); i++) nonZero += base[i] != 0;
    CHECK(nonZero == 0);
    CHECK(base[batch::kMagic] == batch::kMagicV2);
    CHECK_OK(seg->Close());
  }
  {
    std::shared_ptr<Segment> seg;  // a sealed file, shorter than its mapping
    CHECK_OK(Segment::Open(config, &seg));
    SegmentView view;
    CHECK_OK(seg->Read(0, 1 << 30, &view));
    CHECK(view.file->readable()[view.file->mapBytes() - 1] == 0);
    CHECK_OK(seg->Append(b.data(), b.size(), 0, &next));  // grows the file back under the mapping
    CHECK(next == 2);
    SegmentView grown;
    CHECK_OK(seg->Read(1, 1 << 30, &grown));
    CHECK(grown.file == view.file && grown.data[batch::kMagic] == batch::kMagicV2 && LoadBE64(grown.data) == 1);
    CHECK_OK(seg->Close());
  }
  RemoveTree(dir);
}

// Close, destroy, seal, truncation and recovery while the write-ahead is faulting pages in: for
// the sanitizers (a use of an unmapped file, a fault past the end of a cut file).
void TestWriteAheadRaces() {
  const std::string dir = TempDir();
  SegmentConfig config = Config(dir);
  config.segmentBytes = 2 << 20;
  std::mt19937 rng(3);
  for (int round = 0; round < 200; round++) {
    config.baseOffset = round * 1000;
    std::shared_ptr<Segment> seg;
    CHECK_OK(Segment::Create(config, &seg));
    int64_t next = 0;
    const int batches = static_cast<int>(rng() % 40);
    for (int i = 0; i < batches; i++) {
      const std::vector<uint8_t> b = MakeBatch(0, i, 1 + rng() % 20000);
      CHECK_OK(seg->Append(b.data(), b.size(), 0, &next));
    }
    SegmentView view;
    if (rng() % 2 == 0) CHECK_OK(seg->Read(config.baseOffset, 1 << 30, &view));
    switch (rng() % 5) {
      case 0:
        CHECK_OK(seg->Close());
        break;
      case 1:
        CHECK_OK(seg->Destroy());
        break;
      case 2:
        CHECK_OK(seg->Seal());
        CHECK_OK(seg->Destroy());
        break;
      case 3: {
        CHECK_OK(seg->TruncateTo(config.baseOffset));
        const std::vector<uint8_t> b = MakeBatch(0, 1, 50000);
        CHECK_OK(seg->Append(b.data(), b.size(), 0, &next));
        CHECK_OK(seg->Destroy());
        break;
      }
      default: {
        std::shared_ptr<Segment> reopened;  // as after a crash, while the first still runs
        CHECK_OK(Segment::Open(config, &reopened));
        RecoveryReport report;
        CHECK_OK(reopened->Recover(&report));
        CHECK(report.truncatedBytes == 0);
        CHECK_OK(reopened->Destroy());
        seg.reset();
        break;
      }
    }
    if (view.length > 0) CHECK(view.data[batch::kMagic] == batch::kMagicV2 || view.data[batch::kMagic] == 0);
  }
  RemoveTree(dir);
}

}  // namespace
}  // namespace rivulet::test

using namespace rivulet::test;

int main() {
  TestCrc();
  TestValidation();
  TestAppendReadRecover();
  TestSparesAndDestroy();
  TestAppendFlushedOften();
  TestCrcCopy();
  TestWriteAhead();
  TestCacheTail();
  TestWriteAheadRaces();
  TestZeroFillPastEnd();
  if (failures > 0) {
    std::fprintf(stderr, "core_test: %d failure(s)\n", failures);
    return 1;
  }
  std::printf("core_test: ok (crc32c: %s)\n", rivulet::Crc32cImplName());
  return 0;
}
