#include "core/time_index.h"

#include "core/endian.h"

namespace rivulet {

TimeIndex::Entry TimeIndex::At(uint32_t i) const {
  const uint8_t* p = SlotAt(i);
  return {static_cast<int64_t>(LoadBE64(p)), LoadBE32(p + 8)};
}

void TimeIndex::Append(int64_t timestamp, uint32_t relativeOffset) {
  uint8_t* p = WritableSlotAt(count());
  StoreBE64(p, static_cast<uint64_t>(timestamp));
  StoreBE32(p + 8, relativeOffset);
  SetCount(count() + 1);
}

int64_t TimeIndex::LastBelow(int64_t timestamp) const {
  int64_t lo = 0;
  int64_t hi = static_cast<int64_t>(count()) - 1;
  int64_t found = -1;
  while (lo <= hi) {
    const int64_t mid = lo + (hi - lo) / 2;
    if (At(static_cast<uint32_t>(mid)).timestamp < timestamp) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

uint32_t TimeIndex::LoadMatching(const OffsetIndex& offsets) {
  uint32_t limit = entriesInFile();
  if (offsets.count() < limit) limit = offsets.count();
  uint32_t n = 0;
  int64_t previous = INT64_MIN;
  while (n < limit) {
    const Entry e = At(n);
    if (e.relativeOffset != offsets.At(n).relativeOffset || e.timestamp < previous) break;
    previous = e.timestamp;
    n++;
  }
  SetCount(n);
  return n;
}

}  // namespace rivulet
