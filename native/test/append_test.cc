// Appends, reads and recovery of one segment, through the mapping and, while the segment is
// flushed often, with pwritev (part of core_test; see core_test.cc).
#include <fcntl.h>
#include <unistd.h>

#include <memory>

#include "test/core_test_support.h"

namespace rivulet::test {

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

}  // namespace rivulet::test
