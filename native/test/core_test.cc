// Standalone test of native/core, with no Node.js: built and run under AddressSanitizer and
// UndefinedBehaviorSanitizer by scripts/test-asan.sh. The JavaScript tests in test/native cover
// the same ground through the addon; this one proves the core stands alone and lets the
// sanitizers see it without Node's own allocations in the way.
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

using namespace rivulet;

namespace {

int failures = 0;

#define CHECK(cond)                                                                 \
  do {                                                                              \
    if (!(cond)) {                                                                  \
      std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                                   \
    }                                                                               \
  } while (0)

#define CHECK_OK(expr)                                                                            \
  do {                                                                                            \
    const Status s_ = (expr);                                                                     \
    if (!s_.ok()) {                                                                               \
      std::fprintf(stderr, "%s:%d: %s failed: %s %s\n", __FILE__, __LINE__, #expr, s_.codeName(), \
                   s_.message().c_str());                                                         \
      failures++;                                                                                 \
    }                                                                                             \
  } while (0)

constexpr size_t kRecordsBytes = 40;

std::vector<uint8_t> MakeBatch(int32_t lastOffsetDelta, int64_t maxTimestamp, size_t payload = kRecordsBytes) {
  std::vector<uint8_t> b(batch::kHeaderBytes + payload, 0);
  StoreBE32(&b[batch::kBatchLength], static_cast<uint32_t>(b.size() - batch::kLogOverhead));
  b[batch::kMagic] = batch::kMagicV2;
  StoreBE32(&b[batch::kLastOffsetDelta], static_cast<uint32_t>(lastOffsetDelta));
  StoreBE64(&b[batch::kMaxTimestamp], static_cast<uint64_t>(maxTimestamp));
  StoreBE32(&b[batch::kRecordCount], static_cast<uint32_t>(lastOffsetDelta + 1));
  for (size_t i = batch::kHeaderBytes; i < b.size(); i++) b[i] = static_cast<uint8_t>(i * 31 + lastOffsetDelta);
  StoreBE32(&b[batch::kCrc], Crc32c(0, &b[batch::kCrcStart], b.size() - batch::kCrcStart));
  return b;
}

std::string TempDir() {
  char pattern[] = "/tmp/rivulet-core-XXXXXX";
  const char* dir = mkdtemp(pattern);
  if (dir == nullptr) std::abort();
  return dir;
}

void RemoveTree(const std::string& dir) {
  const std::string command = "rm -rf '" + dir + "'";
  if (std::system(command.c_str()) != 0) std::fprintf(stderr, "could not remove %s\n", dir.c_str());
}

SegmentConfig Config(const std::string& dir) {
  SegmentConfig c;
  c.dir = dir;
  c.baseOffset = 0;
  c.segmentBytes = 1 << 20;
  c.indexIntervalBytes = 256;
  c.indexBytes = 4096;
  return c;
}

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

void TestAppendReadRecover() {
  const std::string dir = TempDir();
  const SegmentConfig config = Config(dir);
  std::vector<uint64_t> positions;
  {
    std::shared_ptr<Segment> seg;
    CHECK_OK(Segment::Create(config, &seg));
    int64_t next = 0;
    for (int i = 0; i < 200; i++) {
      positions.push_back(seg->size());
      const std::vector<uint8_t> b = MakeBatch(i % 3, 1000 + i);
      CHECK_OK(seg->Append(b.data(), b.size(), 0, &next));
    }
    CHECK(seg->nextOffset() == next && seg->maxTimestamp() == 1199);
    for (int64_t o = 0; o < next; o++) {
      int64_t pos = -1;
      CHECK_OK(seg->PositionOf(o, &pos));
    }
    SegmentView view;
    CHECK_OK(seg->Read(3, 1, &view));
    CHECK(view.length == MakeBatch(1, 0).size() && LoadBE64(view.data) == 3);
    // A short input must be refused without reading past its end (ASan watches this heap block).
    for (size_t length = 1; length < batch::kHeaderBytes; length++) {
      std::vector<uint8_t> header = MakeBatch(0, 1);
      header.resize(length);
      header.shrink_to_fit();
      int64_t unused = 0;
      CHECK(seg->Append(header.data(), header.size(), 0, &unused).code() == ErrorCode::kCorrupt);
    }
    std::vector<uint8_t> bad = MakeBatch(0, 1);
    bad[70] ^= 0x80;
    int64_t ignored = 0;
    CHECK(seg->Append(bad.data(), bad.size(), 0, &ignored).code() == ErrorCode::kCorrupt);
    CHECK(seg->nextOffset() == next);
    CHECK_OK(seg->TruncateTo(3));
    CHECK(seg->nextOffset() == 3 && seg->size() == positions[2]);
    for (int i = 2; i < 200; i++) {
      const std::vector<uint8_t> b = MakeBatch(i % 3, 1000 + i);
      CHECK_OK(seg->Append(b.data(), b.size(), 0, &next));
    }
    // No Close: the files stay preallocated, as after a crash. Garbage follows the data.
    const int fd = open((dir + "/00000000000000000000.log").c_str(), O_WRONLY);
    const std::vector<uint8_t> torn = MakeBatch(5, 5, 3000);
    CHECK(pwrite(fd, torn.data(), 1000, static_cast<off_t>(seg->size())) == 1000);
    close(fd);
    std::shared_ptr<Segment> reopened;
    CHECK_OK(Segment::Open(config, &reopened));
    CHECK(reopened->nextOffset() == next && reopened->size() == seg->size());
    RecoveryReport report;
    CHECK_OK(reopened->Recover(&report));
    CHECK(report.truncatedBytes == 1000 && report.stoppedEarly && report.validBytes == seg->size());
    CHECK_OK(reopened->Close());
    view = SegmentView();
  }
  RemoveTree(dir);
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

// A segment flushed often writes with pwritev: a private input checked where it is, a shared one
// through a checked copy (Segment::WritesByCopy). Both store the same, stamped; neither changes
// the input; a corrupt batch leaves nothing. 600 batches are more pieces than one pwritev takes.
void TestAppendFlushedOften() {
  const std::string dir = TempDir();
  SegmentConfig config = Config(dir);
  config.indexIntervalBytes = 4096;  // room in the index for both rounds
  std::shared_ptr<Segment> seg;
  CHECK_OK(Segment::Create(config, &seg));
  int64_t next = 0;
  const std::vector<uint8_t> first = MakeBatch(0, 1);
  CHECK_OK(seg->Append(first.data(), first.size(), 0, &next));
  for (const bool privateInput : {true, false}) {
    FlushJob job;
    CHECK_OK(seg->PrepareFlush(&job));
    CHECK_OK(job.Run());
    std::vector<uint8_t> input;
    std::vector<uint64_t> starts;
    for (int i = 0; i < 600; i++) {
      const std::vector<uint8_t> b = MakeBatch(i % 3, 2000 + i, 20 + (i * 37) % 200);
      starts.push_back(input.size());
      input.insert(input.end(), b.begin(), b.end());
    }
    const std::vector<uint8_t> before = input;
    const int64_t base = next;
    const uint64_t position = seg->size();
    CHECK_OK(seg->Append(input.data(), input.size(), 0, &next, privateInput));
    CHECK(next > base);  // appended, not "full: roll"
    CHECK(input == before);
    int64_t offset = base;
    for (size_t i = 0; i < starts.size(); i++) {
      SegmentView view;
      CHECK_OK(seg->Read(offset, 1, &view));
      const uint64_t size = (i + 1 < starts.size() ? starts[i + 1] : input.size()) - starts[i];
      CHECK(static_cast<int64_t>(LoadBE64(view.data)) == offset && view.length == size);
      CHECK(std::memcmp(view.data + 8, input.data() + starts[i] + 8, size - 8) == 0);
      offset += static_cast<int64_t>(i % 3) + 1;
    }
    CHECK(next == offset && seg->size() == position + input.size());
    std::vector<uint8_t> bad = MakeBatch(1, 1);
    bad[batch::kHeaderBytes + 3] ^= 0x10;
    std::vector<uint8_t> refused = MakeBatch(0, 1);
    refused.insert(refused.end(), bad.begin(), bad.end());
    int64_t unused = 0;
    CHECK(seg->Append(refused.data(), refused.size(), 0, &unused, privateInput).code() == ErrorCode::kCorrupt);
    CHECK(seg->nextOffset() == next && seg->size() == position + input.size());
  }
  CHECK_OK(seg->Close());
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

int main() {
  TestCrc();
  TestValidation();
  TestAppendReadRecover();
  TestSparesAndDestroy();
  TestAppendFlushedOften();
  TestCrcCopy();
  TestWriteAhead();
  TestWriteAheadRaces();
  TestZeroFillPastEnd();
  if (failures > 0) {
    std::fprintf(stderr, "core_test: %d failure(s)\n", failures);
    return 1;
  }
  std::printf("core_test: ok (crc32c: %s)\n", Crc32cImplName());
  return 0;
}
