#include "core/offset_index.h"

#include "core/endian.h"

namespace rivulet {

OffsetIndex::Entry OffsetIndex::At(uint32_t i) const {
  const uint8_t* p = SlotAt(i);
  return {LoadBE32(p), LoadBE32(p + 4)};
}

void OffsetIndex::Append(uint32_t relativeOffset, uint32_t position) {
  uint8_t* p = WritableSlotAt(count());
  StoreBE32(p, relativeOffset);
  StoreBE32(p + 4, position);
  SetCount(count() + 1);
}

int64_t OffsetIndex::FloorByOffset(uint32_t relativeOffset) const {
  int64_t lo = 0;
  int64_t hi = static_cast<int64_t>(count()) - 1;
  int64_t found = -1;
  while (lo <= hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (At(static_cast<uint32_t>(mid)).relativeOffset <= relativeOffset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

uint32_t OffsetIndex::LoadWellFormed(uint64_t logBytes) {
  const uint32_t limit = entriesInFile();
  uint32_t n = 0;
  Entry previous{0, 0};
  while (n < limit) {
    const Entry e = At(n);
    if (e.position == 0 || e.position >= logBytes) break;
    if (n > 0 && (e.relativeOffset <= previous.relativeOffset || e.position <= previous.position)) break;
    previous = e;
    n++;
  }
  SetCount(n);
  return n;
}

void OffsetIndex::DropFromPosition(uint64_t position) {
  uint32_t keep = count();
  while (keep > 0 && At(keep - 1).position >= position) keep--;
  DropFrom(keep);
}

}  // namespace rivulet
